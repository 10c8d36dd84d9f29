// WebGL resource leak test: opening and closing a scene view 20 times (each time with a
// family's scene, 20 agents and their trails, some frames drawn, and every other time a
// second scene swapped in) leaves the renderer's geometry and texture counts where they started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRollouts, openHarness, prepareAllFamilies, type Harness } from './sceneHarness';
import { familyIds } from '../../../envs/registry';
import type { HarnessWindow } from '../../../renderer/scene/harness/api';

let harness: Harness;

beforeAll(async () => {
  harness = await openHarness();
  await prepareAllFamilies();
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('SceneView WebGL resources', () => {
  for (const id of familyIds()) {
    it(`${id}: 20 open/close cycles leave renderer.info.memory unchanged`, async () => {
      const { scene, rollouts } = makeRollouts(id, 20, 60, 3);
      const r = await harness.page.evaluate(
        ([s, ro]) => (globalThis as unknown as HarnessWindow).sceneHarness.leakCycles(s, ro, 20),
        [scene, rollouts] as const,
      );
      // The views really drew something (otherwise "no leak" proves nothing)...
      expect(r.peakGeometries).toBeGreaterThan(r.before.geometries);
      expect(r.peakTextures).toBeGreaterThan(r.before.textures); // the shadow map
      // ...and gave it all back.
      expect(r.after).toEqual(r.before);
      // Nothing survives even the first (warm-up) view.
      expect(r.before).toEqual({ geometries: 0, textures: 0 });
      // Reopening reuses pooled contexts instead of creating one per open (browsers cap live WebGL contexts).
      expect(r.renderers).toBe(1);
      expect(r.cycles).toBe(20);
    });
  }
});
