// Types shared by the scene harness page and its Node drivers (no DOM here, so the Node
// side type-checks without browser libs).
import type { SceneDescription } from '../../../src/shared/scene';
import type { BudgetSummary } from '../frameBudget';

export interface BenchInput {
  scene: SceneDescription;
  /** One rollout per agent: frames as plain number arrays. */
  rollouts: number[][][];
  seconds: number;
  shadows: boolean | 'auto';
  width: number;
  height: number;
  trails?: boolean;
  /** Keep the view on screen after the run (for a screenshot). */
  keepOpen?: boolean;
}

export interface BenchResult {
  family: string;
  agents: number;
  frames: number;
  medianFrameMs: number;
  p95FrameMs: number;
  fps: number;
  /** JS time per animation frame spent posing agents and revealing trails (median). */
  medianWorkMs: number;
  /** One render forced to completion (readPixels), median: the frame cost without the compositor. */
  medianRenderMs: number;
  /** Per-layer milliseconds per animation frame during the replay (SceneView's FrameBudget). */
  budget: BudgetSummary;
  /** Smallest step of performance.now() seen in the page (5 µs when cross-origin isolated). */
  timerResolutionMs: number;
  drawCalls: number;
  triangles: number;
  glRenderer: string;
  /** Whether shadows were drawn (after resolving 'auto'). */
  shadows: boolean;
}

export interface LeakResult {
  before: { geometries: number; textures: number };
  after: { geometries: number; textures: number };
  /** The most geometries in GPU memory while a viewer was open (proves the scene really was drawn). */
  peakGeometries: number;
  /** The most textures (shadow maps) in GPU memory while a viewer was open. */
  peakTextures: number;
  renderers: number;
  cycles: number;
}

export interface SceneHarnessApi {
  bench(input: BenchInput): Promise<BenchResult>;
  leakCycles(scene: SceneDescription, rollouts: number[][][], cycles: number): Promise<LeakResult>;
  ready: boolean;
}

/** The page's global, as seen from page.evaluate callbacks. */
export interface HarnessWindow {
  sceneHarness: SceneHarnessApi;
}
