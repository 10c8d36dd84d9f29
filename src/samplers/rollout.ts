// Batched rollouts of a Gaussian MLP policy: many tasks × episodes stepped together through
// one vector env, with one batched policy forward per step (each row with its own task's θ,
// since after inner adaptation every task has its own parameters).
//
// A policy with a latent (gaussianMlp.ts) draws z once per episode, before its first action,
// from a split of the episode's own noise generator (z = μ_z when deterministic), and sees it
// as the last k inputs of every observation; episodes keep those inputs, which the losses read.
//
// Reproducibility: episode g (= task·episodesPerTask + index) gets env seed `seed + g` and
// its own noise generator seeded from (seed, g), so a result does not depend on how the
// episodes are split into chunks or across worker threads.
import type { TaskFamily } from '../core/env';
import type { Box } from '../core/spaces';
import { Rng } from '../core/rng';
import { SyncVectorEnv } from '../core/vectorEnv';
import type { JsonObject } from '../shared/json';
import {
  type GaussianMlpSpec,
  latentSizeOf,
  MlpMeanJs,
  type PreparedMlp,
} from '../policies/gaussianMlp';

export interface SampleRequest {
  familyId: string;
  tasks: JsonObject[];
  /** θ per task (same length as `tasks`), or a single θ shared by every task. */
  params: Float32Array[];
  spec: GaussianMlpSpec;
  episodesPerTask: number;
  seed: number;
  /**
   * Optional seed per task: episode j of task t then uses (taskSeeds[t], j) instead of
   * (seed, g), so a task's episodes do not depend on which other tasks share the request.
   */
  taskSeeds?: number[];
  /** Act with the mean (no exploration noise). */
  deterministic?: boolean;
  /**
   * The policy acts in normalised units: a ∈ [-1, 1] per dimension is mapped affinely onto
   * the env's action bounds (dimensions with an infinite bound are passed as they are), as
   * rllab's `normalize` wrapper does in the MAML paper's reference code. Episodes keep the
   * policy's own (normalised, unclipped) actions, which is what its log-likelihood needs.
   */
  normalizeActions?: boolean;
  /** Record env.frame() for the reset state and after every step (for the viewer). */
  recordFrames?: boolean;
}

export interface Episode {
  task: number;
  index: number;
  length: number;
  /** The policy's inputs when each action was taken (latent included), [length × obsSize]. */
  obs: Float32Array;
  /** Actions as sampled, in the policy's units (before any rescaling and the env's clipping), [length × actSize]. */
  actions: Float32Array;
  rewards: Float32Array;
  /** Ended in a terminal state (vs cut by the horizon). */
  terminated: boolean;
  return: number;
  frames?: Float32Array[];
}

/** A 31-bit seed from (seed, g): a murmur3-style mix so neighbouring g's get unrelated streams. */
export function episodeSeed(seed: number, g: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(g + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & 0x7fffffff;
}

export function validateRequest(req: SampleRequest): void {
  if (!Array.isArray(req.tasks) || req.tasks.length === 0)
    throw new Error('sample: at least one task is needed');
  if (req.params.length !== 1 && req.params.length !== req.tasks.length) {
    throw new Error(
      `sample: params must hold 1 or ${req.tasks.length} vectors (one per task), got ${req.params.length}`,
    );
  }
  if (!Number.isInteger(req.episodesPerTask) || req.episodesPerTask < 1) {
    throw new Error(
      `sample: episodesPerTask must be a positive integer, got ${req.episodesPerTask}`,
    );
  }
  if (!Number.isInteger(req.seed))
    throw new Error(`sample: seed must be an integer, got ${req.seed}`);
  if (
    req.taskSeeds &&
    (req.taskSeeds.length !== req.tasks.length || !req.taskSeeds.every(Number.isInteger))
  ) {
    throw new Error(`sample: taskSeeds must hold ${req.tasks.length} integers (one per task)`);
  }
}

/** The affine map from [-1, 1] onto a Box's bounds (identity on dimensions with an infinite bound). */
export function actionMap(space: Box): { center: Float32Array; half: Float32Array } {
  const A = space.size;
  const center = new Float32Array(A);
  const half = new Float32Array(A).fill(1);
  for (let k = 0; k < A; k++) {
    const lo = space.low[k];
    const hi = space.high[k];
    if (Number.isFinite(lo) && Number.isFinite(hi)) {
      center[k] = (lo + hi) / 2;
      half[k] = (hi - lo) / 2;
    }
  }
  return { center, half };
}

/** Roll out episodes g ∈ [g0, g1) of the request, in one vector env. */
export function rolloutRange(
  family: TaskFamily,
  req: SampleRequest,
  g0: number,
  g1: number,
): Episode[] {
  const E = req.episodesPerTask;
  const n = g1 - g0;
  if (n <= 0) return [];
  const envs = [];
  const paramOf: Float32Array[] = [];
  const rngs: (Rng | null)[] = [];
  const seedOf = (g: number) => {
    const t = Math.floor(g / E);
    return req.taskSeeds ? { base: req.taskSeeds[t], k: g % E } : { base: req.seed, k: g };
  };
  for (let g = g0; g < g1; g++) {
    const t = Math.floor(g / E);
    const s = seedOf(g);
    envs.push(family.make(req.tasks[t], (s.base + s.k) % 2147483647));
    paramOf.push(req.params.length === 1 ? req.params[0] : req.params[t]);
    rngs.push(req.deterministic ? null : new Rng(episodeSeed(s.base, s.k)));
  }
  const venv = new SyncVectorEnv(envs);
  const Oenv = venv.singleObservationSize;
  const K = latentSizeOf(req.spec);
  const O = Oenv + K;
  const A = venv.singleActionSize;
  const H = envs[0].horizon;
  const policy = new MlpMeanJs(req.spec);
  if (req.spec.obsSize !== O || req.spec.actSize !== A) {
    const latent = K > 0 ? ` with a latent of ${K}` : '';
    throw new Error(
      `sample: policy sizes (${req.spec.obsSize}→${req.spec.actSize}${latent}) do not match family ${family.id} (${Oenv}→${A})`,
    );
  }
  // θ prepared once per distinct parameter vector (one per task, or one shared).
  const prepared = new Map<Float32Array, PreparedMlp>();
  const prepOf = paramOf.map((p) => {
    let q = prepared.get(p);
    if (!q) prepared.set(p, (q = policy.prepare(p)));
    return q;
  });
  const map = req.normalizeActions ? actionMap(envs[0].actionSpace) : null;
  const obsBuf = envs.map(() => new Float32Array(H * O));
  const actBuf = envs.map(() => new Float32Array(H * A));
  const rewBuf = envs.map(() => new Float32Array(H));
  const lengths = new Int32Array(n);
  const terminated = new Uint8Array(n);
  const alive = new Uint8Array(n).fill(1);
  const frames: Float32Array[][] | null = req.recordFrames ? envs.map((e) => [e.frame()]) : null;

  // Reset each env with its own episode seed (SyncVectorEnv.reset would fan out seed + i).
  let envObs = venv.reset(0);
  for (let i = 0; i < n; i++) {
    const s = seedOf(g0 + i);
    envObs.set(envs[i].reset({ seed: (s.base + s.k) % 2147483647 }).obs, i * Oenv);
  }
  // The policy's inputs: the env's observation, then the episode's latent.
  const inputs = new Float32Array(K > 0 ? n * O : 0);
  let obs = envObs;
  // z comes from a split of the episode's generator: the first draws after seeding one are
  // poorly mixed (their mean is far from 0), and z is drawn once per episode.
  const latents = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const p = prepOf[i];
    const rng = K > 0 ? rngs[i]?.split() : null;
    for (let j = 0; j < K; j++)
      latents[i * K + j] = rng ? p.latentMean[j] + p.latentStd[j] * rng.normal() : p.latentMean[j];
  }
  const toInputs = () => {
    if (K === 0) {
      obs = envObs;
      return;
    }
    for (let i = 0; i < n; i++) {
      inputs.set(envObs.subarray(i * Oenv, (i + 1) * Oenv), i * O);
      inputs.set(latents.subarray(i * K, (i + 1) * K), i * O + Oenv);
    }
    obs = inputs;
  };
  toInputs();
  if (frames) for (let i = 0; i < n; i++) frames[i][0] = envs[i].frame();
  const actions = new Float32Array(n * A);
  const envActions = map ? new Float32Array(n * A) : actions;
  const mean = new Float32Array(A);
  let remaining = n;
  for (let t = 0; t < H && remaining > 0; t++) {
    // The batched forward: one pass over every live row, each with its own task's θ.
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      policy.forwardPrepared(prepOf[i], obs, i * O, mean, 0);
      const std = prepOf[i].std;
      const rng = rngs[i];
      for (let k = 0; k < A; k++)
        actions[i * A + k] = rng ? mean[k] + std[k] * rng.normal() : mean[k];
      obsBuf[i].set(obs.subarray(i * O, (i + 1) * O), t * O);
      actBuf[i].set(actions.subarray(i * A, (i + 1) * A), t * A);
    }
    if (map) {
      for (let j = 0; j < n * A; j++)
        envActions[j] = map.center[j % A] + map.half[j % A] * actions[j];
    }
    const r = venv.step(envActions);
    envObs = r.obs;
    toInputs();
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      rewBuf[i][t] = r.rewards[i];
      lengths[i] = t + 1;
      if (frames) frames[i].push(envs[i].frame());
      if (r.terminated[i] || r.truncated[i]) {
        alive[i] = 0;
        terminated[i] = r.terminated[i];
        remaining--;
      }
    }
  }
  const out: Episode[] = [];
  for (let i = 0; i < n; i++) {
    const g = g0 + i;
    const L = lengths[i];
    const rewards = rewBuf[i].slice(0, L);
    let ret = 0;
    for (let k = 0; k < L; k++) ret += rewards[k];
    out.push({
      task: Math.floor(g / E),
      index: g % E,
      length: L,
      obs: obsBuf[i].slice(0, L * O),
      actions: actBuf[i].slice(0, L * A),
      rewards,
      terminated: terminated[i] === 1,
      return: ret,
      ...(frames ? { frames: frames[i] } : {}),
    });
  }
  // Envs on a WebAssembly simulator hold heap memory the garbage collector cannot free.
  for (const e of envs) e.close?.();
  return out;
}
