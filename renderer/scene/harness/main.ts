// Scene harness: a bare page that drives SceneView for the viewer benchmark
// (`npm run bench:viewer`) and the WebGL leak test. Scenes and frames arrive as plain data
// from the Node side (made by the real env families), exactly as the app receives them.
import type { SceneDescription } from '../../../src/shared/scene';
import { SceneView } from '../sceneView';
import { trailFromFrames } from '../frames';
import { pooledRenderers } from '../rendererPool';
import type { BenchInput, BenchResult, HarnessWindow, LeakResult } from './api';

const PALETTE = [
  '#ef4444',
  '#f97316',
  '#eab308',
  '#22c55e',
  '#06b6d4',
  '#3b82f6',
  '#8b5cf6',
  '#ec4899',
];

function toFrames(r: number[][]): Float32Array[] {
  return r.map((f) => Float32Array.from(f));
}

function populate(
  view: SceneView,
  scene: SceneDescription,
  rollouts: Float32Array[][],
  trails = true,
): void {
  view.setScene(scene, rollouts[0][0]);
  rollouts.forEach((frames, i) => {
    const color = PALETTE[i % PALETTE.length];
    view.addAgent(`a${i}`, color);
    view.setPose(`a${i}`, frames[0]);
    if (trails) view.setTrail(`a${i}`, trailFromFrames(scene, frames, 0.003), color);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
}

/** Replay every rollout at once (one frame per animation frame, looping) and time the frames. */
async function bench(input: BenchInput): Promise<BenchResult> {
  const container = document.getElementById('view')!;
  const rollouts = input.rollouts.map(toFrames);
  openView?.dispose();
  openView = null;
  const view = new SceneView(container, { shadows: input.shadows });
  container.style.width = `${input.width}px`;
  container.style.height = `${input.height}px`;
  view.resize(input.width, input.height);
  populate(view, input.scene, rollouts, input.trails ?? true);
  const gl = view.renderer.getContext();
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  const glRenderer = dbg
    ? String(gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL))
    : String(gl.getParameter(gl.RENDERER));

  const deltas: number[] = [];
  const work: number[] = [];
  let step = 0;
  let last = -1;
  const warmupMs = 500;
  let start = -1;
  await new Promise<void>((resolve) => {
    view.onFrame = (now) => {
      const t0 = performance.now();
      if (start < 0) start = now;
      if (last >= 0 && now - start > warmupMs) {
        if (!view.budget.enabled) view.budget.enabled = true;
        deltas.push(now - last);
      }
      last = now;
      for (let i = 0; i < rollouts.length; i++) {
        const frames = rollouts[i];
        const k = step % frames.length;
        view.setPose(`a${i}`, frames[k]);
        if (input.trails ?? true) view.revealTrail(`a${i}`, k + 1);
      }
      // The task's markers follow the first rollout, as the viewer's panes do.
      view.setFrame(rollouts[0][step % rollouts[0].length]);
      step++;
      if (now - start > warmupMs + input.seconds * 1000) {
        view.onFrame = undefined;
        resolve();
      }
      work.push(performance.now() - t0);
    };
  });
  const budget = view.budget.summary();
  view.budget.enabled = false;
  // Time renders on their own, each forced to completion by a 1-pixel readPixels (gl.finish
  // returns before SwiftShader is done): the GPU-side cost the rAF figure also pays.
  const renders: number[] = [];
  const px = new Uint8Array(4);
  for (let i = 0; i < 30; i++) {
    rollouts.forEach((frames, a) => view.setPose(`a${a}`, frames[i % frames.length]));
    const t0 = performance.now();
    view.render();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    renders.push(performance.now() - t0);
  }
  const info = view.renderer.info.render;
  if (input.keepOpen) {
    // Leave the last frame on screen for a screenshot; the next call disposes it.
    openView = view;
  }
  const result: BenchResult = {
    family: input.scene.family,
    agents: rollouts.length,
    frames: deltas.length,
    medianFrameMs: median(deltas),
    p95FrameMs: quantile(deltas, 0.95),
    fps: 1000 / median(deltas),
    medianWorkMs: median(work),
    medianRenderMs: median(renders),
    budget,
    timerResolutionMs: timerResolution(),
    drawCalls: info.calls,
    triangles: info.triangles,
    glRenderer,
    shadows: view.shadows,
  };
  if (!input.keepOpen) view.dispose();
  return result;
}

let openView: SceneView | null = null;

/** The smallest non-zero step between successive performance.now() readings. */
function timerResolution(): number {
  let best = Infinity;
  let last = performance.now();
  for (let i = 0; i < 10_000 && best > 0.001; i++) {
    const t = performance.now();
    if (t > last) best = Math.min(best, t - last);
    last = t;
  }
  return Number(best.toFixed(4));
}

function memory(): { geometries: number; textures: number } {
  let geometries = 0;
  let textures = 0;
  for (const r of pooledRenderers()) {
    geometries += r.info.memory.geometries;
    textures += r.info.memory.textures;
  }
  return { geometries, textures };
}

/** Open a view, fill it with the scene, agents and trails, draw a few frames, close it: `cycles` times. */
async function leakCycles(
  scene: SceneDescription,
  rawRollouts: number[][][],
  cycles: number,
): Promise<LeakResult> {
  const container = document.getElementById('view')!;
  const rollouts = rawRollouts.map(toFrames);
  // Shadows forced on (auto turns them off on software GL) so their depth texture must be released too.
  // Warm-up cycle: the first open creates the pooled renderer; what it caches is the baseline.
  const warm = new SceneView(container, { shadows: true });
  populate(warm, scene, rollouts);
  warm.render();
  warm.dispose();
  const before = memory();
  let peak = 0;
  let peakTextures = 0;
  for (let c = 0; c < cycles; c++) {
    const view = new SceneView(container, { shadows: true });
    view.resize(640, 400);
    populate(view, scene, rollouts);
    for (let k = 0; k < 3; k++) {
      rollouts.forEach((frames, i) =>
        view.setPose(`a${i}`, frames[Math.min(k * 10, frames.length - 1)]),
      );
      view.render();
    }
    // A second scene in the same view must free the first one's resources too.
    if (c % 2 === 1) {
      populate(view, scene, rollouts);
      view.render();
    }
    peak = Math.max(peak, memory().geometries);
    peakTextures = Math.max(peakTextures, memory().textures);
    view.dispose();
    await new Promise((r) => requestAnimationFrame(() => r(null)));
  }
  return {
    before,
    after: memory(),
    peakGeometries: peak,
    peakTextures,
    renderers: pooledRenderers().length,
    cycles,
  };
}

(window as unknown as HarnessWindow).sceneHarness = { bench, leakCycles, ready: true };
