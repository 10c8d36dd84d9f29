// One task's episodes as a gradient learner consumes them: the steps flattened, with
// advantages from GAE over the linear feature baseline (the MAML paper's choice), and
// the same data as tfjs tensors for the length of a meta-iteration.
import * as tf from '@tensorflow/tfjs';
import {
  type GaussianMlpSpec,
  logProbOfMeanTf,
  logStdTf,
  meanTf,
  targetsTf,
} from '../policies/gaussianMlp';
import type { Episode } from '../samplers/sampler';
import { centreInPlace, discountedReturns, gae, normalizeInPlace } from './gae';
import { LinearFeatureBaseline } from './linearBaseline';

/** One task's steps, flattened; `advW` = normalised (or centred) advantage × per-step weight. */
export interface TaskData {
  n: number;
  obs: Float32Array;
  act: Float32Array;
  advW: Float32Array;
  /** Per-step weights (summing to 1 over the task): see MamlConfig.lossWeighting. */
  w: Float32Array;
  lengths: number[];
}

export function buildTaskData(
  eps: Episode[],
  obsSize: number,
  actSize: number,
  gamma: number,
  lambda: number,
  weighting: 'step' | 'episode',
  normalize = true,
  /** Inputs at the end of each observation row the baseline does not see (a policy's latent). */
  latentSize = 0,
): TaskData {
  const baseline = new LinearFeatureBaseline(obsSize - latentSize, undefined, obsSize);
  const returns = eps.map((e) => discountedReturns(e.rewards, gamma));
  baseline.fit(eps, returns);
  const n = eps.reduce((a, e) => a + e.length, 0);
  const obs = new Float32Array(n * obsSize);
  const act = new Float32Array(n * actSize);
  const adv = new Float32Array(n);
  const w = new Float32Array(n);
  let o = 0;
  for (const e of eps) {
    obs.set(e.obs, o * obsSize);
    act.set(e.actions, o * actSize);
    adv.set(gae(e.rewards, baseline.predict(e), gamma, lambda), o);
    w.fill(weighting === 'episode' ? 1 / (eps.length * e.length) : 1 / n, o, o + e.length);
    o += e.length;
  }
  if (normalize) normalizeInPlace(adv);
  else centreInPlace(adv);
  const advW = new Float32Array(n);
  for (let i = 0; i < n; i++) advW[i] = adv[i] * w[i];
  return { n, obs, act, advW, w, lengths: eps.map((e) => e.length) };
}

/** The settings of a learner's config that shape its TaskData. */
export interface TaskDataSettings {
  gamma: number;
  gaeLambda: number;
  lossWeighting: 'step' | 'episode';
  normalizeAdvantages: boolean;
}

/** buildTaskData with a policy's sizes and a learner's settings. */
export function taskDataOf(
  eps: Episode[],
  spec: { obsSize: number; actSize: number; latentSize?: number },
  c: TaskDataSettings,
): TaskData {
  const { obsSize, actSize } = spec;
  return buildTaskData(
    eps,
    obsSize,
    actSize,
    c.gamma,
    c.gaeLambda,
    c.lossWeighting,
    c.normalizeAdvantages,
    spec.latentSize ?? 0,
  );
}

/** TaskData as tensors, kept for the length of a meta-iteration. */
export interface TaskTensors {
  /** Episode lengths, in order (not a tensor). */
  lengths?: number[];
  obs: tf.Tensor2D;
  act: tf.Tensor2D;
  advW: tf.Tensor1D;
  w: tf.Tensor1D;
}

/** A task's outer batch: its tensors and the sampling policy's outputs on it. */
export interface OuterTensors extends TaskTensors {
  /** The sampling policy's log-likelihoods, means and log-std (fixed: "old" in TRPO). */
  oldLogp: tf.Tensor1D;
  oldMean: tf.Tensor2D;
  oldLogStd: tf.Tensor1D;
}

export function toTensors(d: TaskData, obsSize: number, actSize: number): TaskTensors {
  return {
    lengths: d.lengths,
    obs: tf.tensor2d(d.obs, [d.n, obsSize]),
    act: tf.tensor2d(d.act, [d.n, actSize]),
    advW: tf.tensor1d(d.advW),
    w: tf.tensor1d(d.w),
  };
}

/** Old-policy tensors for the outer batch of one task, sampled with φ. */
export function outerTensors(spec: GaussianMlpSpec, d: TaskData, phi: Float32Array): OuterTensors {
  return withSamplingPolicy(spec, toTensors(d, spec.obsSize, spec.actSize), phi);
}

/** A task's tensors with the outputs of the policy φ that sampled them (shares `base`'s tensors). */
export function withSamplingPolicy(
  spec: GaussianMlpSpec,
  base: TaskTensors,
  phi: Float32Array,
): OuterTensors {
  const [oldLogp, oldMean, oldLogStd] = tf.tidy(() => {
    const p = tf.tensor1d(phi);
    const mean = meanTf(spec, p, base.obs);
    const logStd = logStdTf(spec, p);
    return [logProbOfMeanTf(spec, mean, logStd, targetsTf(spec, base.obs, base.act)), mean, logStd];
  });
  return { ...base, oldLogp, oldMean, oldLogStd } as OuterTensors;
}

/** The first `m` of `e` episodes (rows [0, rows)), reweighted by e/m so sums stay unbiased. */
function subsetTensors<T extends TaskTensors>(d: T, rows: number, scale: number): T {
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(d) as [string, tf.Tensor][]) {
      if (k === 'lengths') continue;
      if (k === 'oldLogStd') out[k] = tf.clone(v);
      else if (k === 'advW' || k === 'w') out[k] = tf.mul(tf.slice(v, [0], [rows]), scale);
      else out[k] = v.rank === 2 ? tf.slice(v, [0, 0], [rows, -1]) : tf.slice(v, [0], [rows]);
    }
    return out;
  }) as unknown as T;
}

/** The curvature subset of a task's batch: its first ⌈f·E⌉ episodes. */
export function curvatureSubset<T extends TaskTensors>(d: T, fraction: number): T {
  const lengths = d.lengths ?? [];
  const m = Math.max(1, Math.ceil(fraction * lengths.length));
  const rows = lengths.slice(0, m).reduce((a, b) => a + b, 0);
  return { ...subsetTensors(d, rows, lengths.length / m), lengths: lengths.slice(0, m) };
}

export function disposeTaskTensors(ts: (TaskTensors | OuterTensors)[]): void {
  for (const t of ts)
    tf.dispose(Object.values(t).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}
