// Node side of the scene harness page (renderer/scene/harness): serves it with vite, opens
// it in headless Chromium (test/e2e/browser.ts) through playwright-core, and makes the plain-data scenes
// and rollouts it replays from the real environment families. Used by `npm run bench:viewer`
// and the WebGL leak test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchPersistentBrowser } from '../browser';
import { createServer, type ViteDevServer } from 'vite';
import { familyIds, getFamily } from '../../../envs/registry';
import { prepareFamily } from '../../../src/core/env';
import { Rng } from '../../../src/core/rng';
import type { SceneDescription } from '../../../src/shared/scene';

export interface Harness {
  page: Page;
  url: string;
  close(): Promise<void>;
}

/** Serve the harness page and open it in headless Chromium. */
export async function openHarness(): Promise<Harness> {
  const root = resolve(import.meta.dirname, '../../../renderer/scene/harness');
  const server: ViteDevServer = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      // Cross-origin isolation: performance.now() then ticks in microseconds, not 0.1 ms
      // steps, so the frame budget can time layer updates that take a few microseconds.
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
    optimizeDeps: { include: ['three', 'three/examples/jsm/controls/OrbitControls.js'] },
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('vite did not report a port');
  const url = `http://127.0.0.1:${addr.port}/`;
  const userDataDir = mkdtempSync(join(tmpdir(), 'mrl-chromium-'));
  let browser: BrowserContext | undefined;
  try {
    browser = await launchPersistentBrowser(userDataDir, { width: 1000, height: 640 });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { sceneHarness?: { ready: boolean } }).sceneHarness?.ready ===
        true,
      null,
      {
        timeout: 60_000,
      },
    );
    if (errors.length) throw new Error(`harness page errors: ${errors.join('; ')}`);
    const b = browser;
    return {
      page,
      url,
      async close() {
        await b.close();
        await server.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Load what every family's make() needs (the MuJoCo WebAssembly runtime) before makeRollouts. */
export async function prepareAllFamilies(): Promise<void> {
  for (const id of familyIds()) await prepareFamily(getFamily(id));
}

export interface SceneData {
  scene: SceneDescription;
  rollouts: number[][][];
}

/**
 * `agents` rollouts of `steps` steps on one test task of a family, driven by smooth seeded
 * random actions (an AR(1) process, so the trails wander like a learning agent's rather than jitter).
 */
export function makeRollouts(
  familyId: string,
  agents: number,
  steps: number,
  seed: number,
): SceneData {
  const family = getFamily(familyId);
  const rng = new Rng(seed);
  const [task] = family.sampleTasks(1, rng, 'test');
  const env = family.make(task, seed);
  const scene = env.scene();
  const rollouts: number[][][] = [];
  const lo = env.actionSpace.low;
  const hi = env.actionSpace.high;
  const a = new Float32Array(family.actionSize);
  const noise = new Float32Array(family.actionSize);
  for (let i = 0; i < agents; i++) {
    env.reset({ seed: seed + i });
    a.fill(0);
    const frames: number[][] = [Array.from(env.frame())];
    for (let t = 0; t < steps; t++) {
      rng.fillNormal(noise);
      for (let j = 0; j < a.length; j++) {
        const l = Number.isFinite(lo[j]) ? lo[j] : -1;
        const h = Number.isFinite(hi[j]) ? hi[j] : 1;
        a[j] = Math.min(h, Math.max(l, 0.9 * a[j] + 0.3 * (h - l) * 0.5 * noise[j]));
      }
      const r = env.step(a);
      frames.push(Array.from(env.frame()));
      if (r.terminated || r.truncated) break;
    }
    rollouts.push(frames);
  }
  env.close?.();
  return { scene, rollouts };
}
