// PPO for recurrent policies over whole RL² trials (Schulman et al. 2017; CleanRL's
// ppo.py is the model for the loss and the metric names).
//
// - GAE over the whole trial: episode boundaries inside a trial are NOT terminal — RL²
//   maximises the return of the trial, so what the agent learns in episode 1 is credited
//   by what it earns in episode 2. Only the trial's end is terminal.
// - Minibatches are whole trials; the GRU is unrolled from the zero state over the full
//   trial (backpropagation through time), exactly as the sampler ran it.
// - The optimiser is the shared Adam (adam.ts), whose moments a checkpoint restores bit for bit.
// - Gradients: backpropagation through time in plain JS (ppoGradientsJs, the default: its
//   cost is flops, so a minibatch split over worker threads takes about half the time), or
//   the tfjs reference (minibatchGradients: hand-written BPTT in tfjs ops, whose cost is
//   per-op dispatch and does not shrink with the batch).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng';
import { exp } from '../tf/ops';
import type { Adam } from './adam';
import { gae } from './gae';
import type { TrialBatch } from '../samplers/trialSampler';
import {
  type GruParams,
  gaussianEntropy,
  gaussianLogProb,
  gruRolloutGrads,
  paramList,
  paramsFromList,
} from '../policies/gruPolicy';
import {
  type GruWeights,
  type PpoLossSettings,
  type TrialMinibatch,
  gruWeights,
  ppoGradientsJs,
} from '../policies/gruPolicyJs';

export interface PpoConfig {
  /** Passes over the batch. */
  epochs: number;
  /** Minibatches per epoch (each a set of whole trials). */
  minibatches: number;
  clip: number;
  valueCoef: number;
  entropyCoef: number;
  maxGradNorm: number;
  learningRate: number;
  /** Stop the epochs early once the approximate KL of a minibatch exceeds this (0 = never). */
  targetKl: number;
  /** How each minibatch's gradient is computed. */
  gradients: PpoGradients;
}

/** What the update needs of a trial batch. */
export type PpoTrialData = Pick<
  TrialBatch,
  | 'numTrials'
  | 'maxSteps'
  | 'inputSize'
  | 'actionSize'
  | 'inputs'
  | 'actions'
  | 'logProbs'
  | 'mask'
  | 'lengths'
>;

/**
 * Generalised advantage estimation per trial (rows of length T, valid up to lengths[i]);
 * the step after the last valid one is terminal (value 0). Returns advantages and the
 * λ-returns (advantage + value) used as value targets.
 */
export function trialGae(
  rewards: Float32Array,
  values: Float32Array,
  lengths: Int32Array,
  T: number,
  gamma: number,
  lambda: number,
): { advantages: Float32Array; returns: Float32Array } {
  const N = lengths.length;
  const advantages = new Float32Array(N * T);
  const returns = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    const a = i * T;
    const b = a + lengths[i];
    gae(rewards.subarray(a, b), values.subarray(a, b), gamma, lambda, 0, advantages.subarray(a, b));
    for (let s = a; s < b; s++) returns[s] = advantages[s] + values[s];
  }
  return { advantages, returns };
}

export interface PpoUpdateResult {
  params: GruParams;
  metrics: {
    'losses/policy': number;
    'losses/value': number;
    'losses/entropy': number;
    'losses/approx_kl': number;
    'losses/clip_fraction': number;
    'losses/grad_norm': number;
    'losses/epochs': number;
  };
}

/** How a minibatch's gradient is computed: plain-JS BPTT, or the tfjs reference. */
export type PpoGradients = 'js' | 'tfjs';

/** Whole trials of a minibatch, time-major ([T, M, …]), with normalised advantages. */
export type PpoMinibatch = TrialMinibatch & { I: number; A: number };

/**
 * The tfjs reference: gradients of one minibatch's loss (or of a part of it: the losses are sums over valid
 * steps divided by the whole minibatch's `denom`, so the parts' gradients add up to the
 * whole's, provided one part alone carries the entropy bonus, a function of log σ only)
 * and its diagnostics [policy, value, entropy, approx KL, clip fraction]; all but the
 * entropy add up over parts too.
 */
export function minibatchGradients(
  params: GruParams,
  mb: PpoMinibatch,
  loss: PpoLossSettings,
): { grads: Float32Array[]; side: number[] } {
  let side: tf.Tensor | null = null;
  const grads = tf.tidy(() => {
    const xT = tf.tensor3d(mb.inputs, [mb.T, mb.M, mb.I]);
    const aT = tf.tensor2d(mb.actions, [mb.T * mb.M, mb.A]);
    const oldT = tf.tensor1d(mb.logProbs);
    const advT = tf.tensor1d(mb.advantages);
    const retT = tf.tensor1d(mb.targets);
    const maskT = tf.tensor1d(mb.mask);
    // Backpropagation through the whole trial (hand-written BPTT, see gruRolloutGrads).
    const headLoss = (mu: tf.Tensor2D, value: tf.Tensor1D, logStd: tf.Tensor1D): tf.Scalar => {
      const logRatio = tf.sub(gaussianLogProb(mu, logStd, aT), oldT);
      const ratio = exp(logRatio);
      const surr1 = tf.mul(ratio, advT);
      const surr2 = tf.mul(tf.clipByValue(ratio, 1 - loss.clip, 1 + loss.clip), advT);
      const pg = tf.div(tf.sum(tf.mul(tf.neg(tf.minimum(surr1, surr2)), maskT)), mb.denom);
      const vl = tf.div(
        tf.sum(tf.mul(tf.mul(0.5, tf.square(tf.sub(value, retT))), maskT)),
        mb.denom,
      );
      const ent = gaussianEntropy(logStd);
      const kl = tf.div(tf.sum(tf.mul(tf.sub(tf.sub(ratio, 1), logRatio), maskT)), mb.denom);
      const cf = tf.div(
        tf.sum(tf.mul(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), loss.clip), 'float32'), maskT)),
        mb.denom,
      );
      side = tf.keep(tf.stack([pg, vl, ent, kl, cf]));
      return tf.sub(
        tf.add(pg, tf.mul(loss.valueCoef, vl)),
        tf.mul(loss.entropyCoef, ent),
      ) as tf.Scalar;
    };
    return paramList(gruRolloutGrads(params, xT, headLoss).grads);
  });
  const out = grads.map((g) => g.dataSync() as Float32Array);
  for (const g of grads) g.dispose();
  const sideT = side as tf.Tensor | null;
  const sideValues = sideT ? Array.from(sideT.dataSync()) : [0, 0, 0, 0, 0];
  sideT?.dispose();
  return { grads: out, side: sideValues };
}

/**
 * The gradient of a part of a minibatch computed elsewhere (a worker thread: ppoWorker.ts):
 * what ppoGradientsJs, or minibatchGradients for 'tfjs', returns for that part.
 */
export interface RemoteGradients {
  gradients(
    weights: GruWeights,
    mb: PpoMinibatch,
    loss: PpoLossSettings,
    kind: PpoGradients,
  ): Promise<{ grads: Float32Array[]; side: number[] }>;
}

/**
 * Trials `part` of a minibatch, time-major and unrolled as far as the longest of them;
 * advantages normalised with the minibatch's mean and standard deviation.
 */
export function assembleMinibatch(
  data: PpoTrialData,
  part: number[],
  advantages: Float32Array,
  valueTargets: Float32Array,
  norm: { mean: number; sd: number; denom: number },
): PpoMinibatch {
  const { maxSteps: T, inputSize: I, actionSize: A } = data;
  const M = part.length;
  let Tm = 1;
  for (const i of part) Tm = Math.max(Tm, data.lengths[i]);
  const mb: PpoMinibatch = {
    T: Tm,
    M,
    I,
    A,
    inputs: new Float32Array(Tm * M * I),
    actions: new Float32Array(Tm * M * A),
    logProbs: new Float32Array(Tm * M),
    advantages: new Float32Array(Tm * M),
    targets: new Float32Array(Tm * M),
    mask: new Float32Array(Tm * M),
    denom: norm.denom,
  };
  part.forEach((i, b) => {
    for (let t = 0; t < Tm; t++) {
      const src = i * T + t;
      const dst = t * M + b;
      mb.inputs.set(data.inputs.subarray(src * I, (src + 1) * I), dst * I);
      mb.actions.set(data.actions.subarray(src * A, (src + 1) * A), dst * A);
      mb.logProbs[dst] = data.logProbs[src];
      mb.targets[dst] = valueTargets[src];
      mb.mask[dst] = data.mask[src];
      mb.advantages[dst] = data.mask[src] ? (advantages[src] - norm.mean) / norm.sd : 0;
    }
  });
  return mb;
}

/**
 * Mean and standard deviation of the advantages over the valid steps of trials `idx`
 * (per-minibatch normalisation, CleanRL's default), summed in time-major order.
 */
function advantageStats(
  data: PpoTrialData,
  idx: number[],
  advantages: Float32Array,
): { mean: number; sd: number; denom: number } {
  const T = data.maxSteps;
  let Tm = 1;
  for (const i of idx) Tm = Math.max(Tm, data.lengths[i]);
  let cnt = 0;
  let mean = 0;
  for (let t = 0; t < Tm; t++) {
    for (const i of idx) {
      if (data.mask[i * T + t]) {
        mean += advantages[i * T + t];
        cnt++;
      }
    }
  }
  mean /= Math.max(cnt, 1);
  let varSum = 0;
  for (let t = 0; t < Tm; t++)
    for (const i of idx) if (data.mask[i * T + t]) varSum += (advantages[i * T + t] - mean) ** 2;
  const sd = Math.sqrt(varSum / Math.max(cnt, 1)) + 1e-8;
  return { mean, sd, denom: Math.max(cnt, 1) };
}

/**
 * Several epochs of clipped-PPO over minibatches of whole trials. `advantages` and
 * `valueTargets` are per step ([N·T]); the value head is trained towards `valueTargets`
 * as given (the caller chooses their scale). Returns fresh parameters (the old ones are
 * disposed) and averaged diagnostics.
 *
 * With `remotes`, each minibatch's trials are split into contiguous parts, one for this
 * thread and one per remote, computed at the same time; their gradients are added here
 * (in a fixed order, so a run is reproducible for a given number of threads; the float
 * sums, and so the last digits, differ from one thread's).
 */
export async function ppoUpdate(
  params: GruParams,
  adam: Adam,
  data: PpoTrialData,
  advantages: Float32Array,
  valueTargets: Float32Array,
  cfg: PpoConfig,
  rng: Rng,
  onPass?: (fraction: number) => void,
  remotes: RemoteGradients[] = [],
): Promise<PpoUpdateResult> {
  const N = data.numTrials;
  const M = Math.max(1, Math.floor(N / cfg.minibatches));
  const parts = Math.min(1 + remotes.length, M);
  adam.learningRate = cfg.learningRate;
  const sums = { pg: 0, v: 0, ent: 0, kl: 0, cf: 0, gn: 0, n: 0 };
  let epochsRun = 0;
  let current = params;
  outer: for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    epochsRun++;
    const order = rng.shuffle(Array.from({ length: N }, (_, i) => i));
    for (let start = 0; start + M <= N; start += M) {
      const idx = order.slice(start, start + M);
      const norm = advantageStats(data, idx, advantages);
      const mbs = Array.from({ length: parts }, (_, k) =>
        assembleMinibatch(
          data,
          idx.slice(Math.floor((k * M) / parts), Math.floor(((k + 1) * M) / parts)),
          advantages,
          valueTargets,
          norm,
        ),
      );
      const values = paramList(current);
      const weights = gruWeights(current);
      // The entropy bonus depends on log σ alone: one part (this thread's) carries it.
      const noBonus = { ...cfg, entropyCoef: 0 };
      const away = mbs
        .slice(1)
        .map((mb, k) => remotes[k].gradients(weights, mb, noBonus, cfg.gradients));
      const here =
        cfg.gradients === 'js'
          ? ppoGradientsJs(weights, mbs[0], cfg)
          : minibatchGradients(current, mbs[0], cfg);
      const results = [here, ...(await Promise.all(away))];
      const grads = results[0].grads.map((g) => Float32Array.from(g));
      const side = [...results[0].side];
      for (const r of results.slice(1)) {
        r.grads.forEach((g, j) => {
          const acc = grads[j];
          for (let e = 0; e < acc.length; e++) acc[e] += g[e];
        });
        for (const s of [0, 1, 3, 4]) side[s] += r.side[s];
      }
      let sq = 0;
      for (const g of grads) for (let e = 0; e < g.length; e++) sq += g[e] * g[e];
      const gn = Math.sqrt(sq);
      const scale = cfg.maxGradNorm > 0 && gn > cfg.maxGradNorm ? cfg.maxGradNorm / (gn + 1e-6) : 1;
      const gradTensors = grads.map((g, j) =>
        tf.tensor(scale === 1 ? g : g.map((x) => x * scale), values[j].shape),
      );
      const [pg, vl, ent, kl, cf] = side;
      const next = adam.apply(values, gradTensors);
      for (const g of gradTensors) g.dispose();
      for (const t of values) t.dispose();
      current = paramsFromList(next);
      sums.pg += pg;
      sums.v += vl;
      sums.ent += ent;
      sums.kl += kl;
      sums.cf += cf;
      sums.gn += gn;
      sums.n++;
      onPass?.(sums.n / (cfg.epochs * Math.floor(N / M)));
      if (cfg.targetKl > 0 && kl > cfg.targetKl) break outer;
    }
  }
  const n = Math.max(sums.n, 1);
  return {
    params: current,
    metrics: {
      'losses/policy': sums.pg / n,
      'losses/value': sums.v / n,
      'losses/entropy': sums.ent / n,
      'losses/approx_kl': sums.kl / n,
      'losses/clip_fraction': sums.cf / n,
      'losses/grad_norm': sums.gn / n,
      'losses/epochs': epochsRun,
    },
  };
}
