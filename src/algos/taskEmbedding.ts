// Nearest-task's view of a task (src/algos/nearestTask.ts): what a fixed exploration episode
// shows of it, as a feature vector, and the distance between two such vectors.
//
// Exploration policy (fixed, never trained): an open-loop sweep, action dimension j at step t
//   a_t[j] = cos(2π·(1 + ⌊j/2⌋)·t / sweepPeriod + (j mod 2)·π/2)   in [-1, 1], scaled to the
// action bounds; on point-nav a circle of velocities, i.e. a loop through the plane.
// Embedding (fixed): the per-step rewards of the episode (a terminated episode's last reward
// repeated to the horizon), then the final observation, then the mean observation.
// Distance: Euclidean on features standardised by the library's per-dimension mean and
// standard deviation; dimensions that do not vary across the library (std < 1e-8) are left out.
import type { TaskFamily } from '../core/env';
import type { JsonObject } from '../shared/json';
import { actionMap } from '../samplers/rollout';
import type { EpisodeRecord } from './metaLearner';

/** The exploration policy's action at step t, in [-1, 1] per dimension. */
export function sweepAction(t: number, actSize: number, period: number): Float32Array {
  const a = new Float32Array(actSize);
  for (let j = 0; j < actSize; j++)
    a[j] = Math.cos((2 * Math.PI * (1 + Math.floor(j / 2)) * t) / period + (j % 2) * (Math.PI / 2));
  return a;
}

/** One exploration episode: its record (actions in env units) and its feature vector. */
export function explore(
  family: TaskFamily,
  task: JsonObject,
  seed: number,
  period: number,
  recordFrames = false,
): { record: Omit<EpisodeRecord, 'stage' | 'index'>; feature: Float32Array } {
  const env = family.make(task, seed);
  try {
    const { center, half } = actionMap(env.actionSpace);
    const O = family.observationSize;
    const A = family.actionSize;
    const H = env.horizon;
    let obs = env.reset({ seed }).obs;
    const observations: number[] = [];
    const actions: number[] = [];
    const rewards: number[] = [];
    const frames = recordFrames ? [env.frame()] : undefined;
    const meanObs = new Float32Array(O);
    for (let t = 0; t < H; t++) {
      const u = sweepAction(t, A, period);
      const a = u.map((x, j) => center[j] + half[j] * x);
      observations.push(...obs);
      actions.push(...a);
      const r = env.step(a);
      rewards.push(r.reward);
      obs = r.obs;
      for (let i = 0; i < O; i++) meanObs[i] += obs[i] / H;
      frames?.push(env.frame());
      if (r.terminated || r.truncated) break;
    }
    const n = rewards.length;
    const feature = new Float32Array(H + 2 * O);
    for (let t = 0; t < H; t++) feature[t] = rewards[Math.min(t, n - 1)];
    feature.set(obs, H);
    // A short episode's mean observation holds its last state for the remaining steps.
    for (let i = 0; i < O; i++) feature[H + O + i] = meanObs[i] + ((H - n) / H) * obs[i];
    const ret = rewards.reduce((x, y) => x + y, 0);
    return {
      record: {
        return: ret,
        length: n,
        observations: Float32Array.from(observations),
        actions: Float32Array.from(actions),
        rewards: Float32Array.from(rewards),
        ...(frames ? { frames } : {}),
      },
      feature,
    };
  } finally {
    env.close?.();
  }
}

/** Per-dimension mean and 1/std of the library's features (0 where a dimension does not vary). */
export function standardiser(features: Float32Array[]): { mean: Float64Array; inv: Float64Array } {
  const D = features[0].length;
  const mean = new Float64Array(D);
  const inv = new Float64Array(D);
  for (const f of features) for (let i = 0; i < D; i++) mean[i] += f[i] / features.length;
  for (let i = 0; i < D; i++) {
    let v = 0;
    for (const f of features) v += (f[i] - mean[i]) ** 2 / features.length;
    inv[i] = Math.sqrt(v) < 1e-8 ? 0 : 1 / Math.sqrt(v);
  }
  return { mean, inv };
}

/** The nearest library entry to `feature` and its distance (Euclidean, standardised). */
export function nearest(
  feature: ArrayLike<number>,
  library: Float32Array[],
  std = standardiser(library),
): { index: number; distance: number } {
  let best = { index: 0, distance: Infinity };
  library.forEach((f, k) => {
    let d2 = 0;
    for (let i = 0; i < f.length; i++) d2 += ((feature[i] - f[i]) * std.inv[i]) ** 2;
    if (Math.sqrt(d2) < best.distance) best = { index: k, distance: Math.sqrt(d2) };
  });
  return best;
}

/**
 * Indices of `k` entries spread over the feature space: farthest-point sampling (each pick
 * the entry farthest, in standardised distance, from those already picked), from entry 0.
 * Entries equal to one already picked are taken last, in order.
 */
export function spreadOut(features: Float32Array[], k: number): number[] {
  if (k > features.length)
    throw new Error(`spreadOut: cannot pick ${k} of ${features.length} entries`);
  const std = standardiser(features);
  const dist = (a: Float32Array, b: Float32Array) => {
    let d2 = 0;
    for (let i = 0; i < a.length; i++) d2 += ((a[i] - b[i]) * std.inv[i]) ** 2;
    return d2;
  };
  const picked = [0];
  const taken = new Uint8Array(features.length);
  taken[0] = 1;
  const gap = features.map((f) => dist(f, features[0]));
  while (picked.length < k) {
    let best = -1;
    for (let i = 0; i < features.length; i++)
      if (!taken[i] && (best < 0 || gap[i] > gap[best])) best = i;
    picked.push(best);
    taken[best] = 1;
    for (let i = 0; i < features.length; i++)
      gap[i] = Math.min(gap[i], dist(features[i], features[best]));
  }
  return picked;
}
