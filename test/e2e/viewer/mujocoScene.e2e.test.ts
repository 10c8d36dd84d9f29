// The three.js viewer draws the MuJoCo families from their generic scene descriptions (no
// family-specific renderer code): each family's scene, replayed by a few agents in headless
// Chromium, draws at least one mesh per geom, and a screenshot per family is written to
// test/e2e/screenshots/viewer-<family>.png. The New run screen lists them with 2-D scene
// previews projected from the 3-D poses (screenshot new-run-mujoco.png), and its meta-control
// panel starts from the learner's default for the chosen family.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchInput, HarnessWindow } from '../../../renderer/scene/harness/api';
import { makeRollouts, openHarness, prepareAllFamilies, type Harness } from './sceneHarness';
import { countColors, openApp } from './appHarness';

const SHOTS = resolve(import.meta.dirname, '../screenshots');
mkdirSync(SHOTS, { recursive: true });
const IDS = ['mujoco-cheetah-vel', 'mujoco-cheetah-dir', 'mujoco-ant-dir', 'mujoco-ant-goal'];

let harness: Harness;

beforeAll(async () => {
  harness = await openHarness();
  await prepareAllFamilies();
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('MuJoCo families in the three.js viewer', () => {
  it.each(IDS)(
    '%s: every geom is drawn, and the screenshot shows the robot',
    async (id) => {
      const { scene, rollouts } = makeRollouts(id, 3, 120, 5);
      const input: BenchInput = {
        scene,
        rollouts,
        seconds: 1,
        shadows: true,
        width: 960,
        height: 600,
        trails: true,
        keepOpen: true,
      };
      const r = await harness.page.evaluate(
        (inp) => (globalThis as unknown as HarnessWindow).sceneHarness.bench(inp),
        input,
      );
      // Three agents of `bodies` moving geoms each, plus the floor, markers and trails.
      const moving = scene.bodies.filter((b) => !b.static).length;
      expect(r.drawCalls).toBeGreaterThanOrEqual(moving);
      expect(r.triangles).toBeGreaterThan(1000);
      const png = await harness.page
        .locator('#view')
        .screenshot({ path: resolve(SHOTS, `viewer-${id}.png`) });
      // More than a blank floor: the robot's own colours (lit, so within a tolerance) cover part of the image.
      const colors = [...new Set(scene.bodies.filter((b) => !b.static).map((b) => b.color))];
      const shares = await countColors(harness.page, png, colors, 60);
      expect(shares.reduce((a, x) => a + x, 0)).toBeGreaterThan(0.003);
    },
    120_000,
  );
});

describe('MuJoCo families on the New run screen', () => {
  it('shows a card with a drawn scene preview for each MuJoCo family', async () => {
    const app = await openApp();
    try {
      const { page } = app;
      await page.goto(app.host.url);
      for (const id of IDS) {
        const card = page.getByTestId(`family-${id}`);
        await card.waitFor({ timeout: 60_000 });
        const png = await card.locator('canvas').screenshot();
        // The robot's colours appear in the thumbnail (drawn flat, so a tight tolerance).
        const colors = id.includes('ant') ? ['#6e54d9', '#8c73e6'] : ['#eb7321', '#fa9959'];
        const shares = await countColors(page, png, colors, 40);
        expect(
          shares.reduce((a, x) => a + x, 0),
          `${id} preview`,
        ).toBeGreaterThan(0.005);
      }
      // The meta-control panel starts from the learner's default for the family: MAML's on
      // mujoco-cheetah-vel (a cosine-decayed step, validation every 10), off elsewhere.
      const mc = async () => [
        await page.getByTestId('mc-enabled').inputValue(),
        (await page.getByTestId('mc-schedule').count())
          ? await page.getByTestId('mc-schedule').inputValue()
          : '',
      ];
      await page.getByTestId('family-mujoco-cheetah-vel').click();
      await expect.poll(mc).toEqual(['true', 'cosine']);
      await page.getByTestId('family-mujoco-cheetah-dir').click();
      await expect.poll(mc).toEqual(['false', '']);
      await page.getByTestId('family-mujoco-ant-goal').scrollIntoViewIfNeeded();
      await page.screenshot({ path: resolve(SHOTS, 'new-run-mujoco.png'), fullPage: true });
    } finally {
      await app.close();
    }
  }, 300_000);
});
