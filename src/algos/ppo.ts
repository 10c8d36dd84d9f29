// PPO for recurrent policies over whole RL² trials (Schulman et al. 2017; CleanRL's
// ppo.py is the model for the loss and the metric names).
//
// - GAE over the whole trial: episode boundaries inside a trial are NOT terminal — RL²
//   maximises the return of the trial, so what the agent learns in episode 1 is credited
//   by what it earns in episode 2. Only the trial's end is terminal.
// - Minibatches are whole trials; the GRU is unrolled from the zero state over the full
//   trial (backpropagation through time), exactly as the sampler ran it.
// - The optimiser is the shared Adam (adam.ts), whose moments a checkpoint restores bit for bit.
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

/**
 * Several epochs of clipped-PPO over minibatches of whole trials. `advantages` and
 * `valueTargets` are per step ([N·T]); the value head is trained towards `valueTargets`
 * as given (the caller chooses their scale). Returns fresh parameters (the old ones are
 * disposed) and averaged diagnostics.
 */
export function ppoUpdate(
  params: GruParams,
  adam: Adam,
  data: PpoTrialData,
  advantages: Float32Array,
  valueTargets: Float32Array,
  cfg: PpoConfig,
  rng: Rng,
  onPass?: (fraction: number) => void,
): PpoUpdateResult {
  const { numTrials: N, maxSteps: T, inputSize: I, actionSize: A } = data;
  const M = Math.max(1, Math.floor(N / cfg.minibatches));
  adam.learningRate = cfg.learningRate;
  const sums = { pg: 0, v: 0, ent: 0, kl: 0, cf: 0, gn: 0, n: 0 };
  let epochsRun = 0;
  let current = params;
  outer: for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    epochsRun++;
    const order = rng.shuffle(Array.from({ length: N }, (_, i) => i));
    for (let start = 0; start + M <= N; start += M) {
      const idx = order.slice(start, start + M);
      // Unroll only as far as the longest trial in the minibatch.
      let Tm = 1;
      for (const i of idx) Tm = Math.max(Tm, data.lengths[i]);
      // Time-major [Tm, M, ...] layout: what gruRollout consumes and produces.
      const X = new Float32Array(Tm * M * I);
      const acts = new Float32Array(Tm * M * A);
      const oldLp = new Float32Array(Tm * M);
      const adv = new Float32Array(Tm * M);
      const ret = new Float32Array(Tm * M);
      const mask = new Float32Array(Tm * M);
      idx.forEach((i, b) => {
        for (let t = 0; t < Tm; t++) {
          const src = i * T + t;
          const dst = t * M + b;
          X.set(data.inputs.subarray(src * I, (src + 1) * I), dst * I);
          acts.set(data.actions.subarray(src * A, (src + 1) * A), dst * A);
          oldLp[dst] = data.logProbs[src];
          ret[dst] = valueTargets[src];
          mask[dst] = data.mask[src];
          adv[dst] = advantages[src];
        }
      });
      // Per-minibatch advantage normalisation over the valid steps (CleanRL's default).
      let cnt = 0;
      let mean = 0;
      for (let s = 0; s < adv.length; s++) {
        if (mask[s]) {
          mean += adv[s];
          cnt++;
        }
      }
      mean /= Math.max(cnt, 1);
      let varSum = 0;
      for (let s = 0; s < adv.length; s++) if (mask[s]) varSum += (adv[s] - mean) ** 2;
      const sd = Math.sqrt(varSum / Math.max(cnt, 1)) + 1e-8;
      for (let s = 0; s < adv.length; s++) adv[s] = mask[s] ? (adv[s] - mean) / sd : 0;

      let side: tf.Tensor | null = null;
      const { grads, norm } = tf.tidy(() => {
        const xT = tf.tensor3d(X, [Tm, M, I]);
        const aT = tf.tensor2d(acts, [Tm * M, A]);
        const oldT = tf.tensor1d(oldLp);
        const advT = tf.tensor1d(adv);
        const retT = tf.tensor1d(ret);
        const maskT = tf.tensor1d(mask);
        const denom = Math.max(cnt, 1);
        // Backpropagation through the whole trial (hand-written BPTT, see gruRolloutGrads).
        const headLoss = (mu: tf.Tensor2D, value: tf.Tensor1D, logStd: tf.Tensor1D): tf.Scalar => {
          const logRatio = tf.sub(gaussianLogProb(mu, logStd, aT), oldT);
          const ratio = exp(logRatio);
          const surr1 = tf.mul(ratio, advT);
          const surr2 = tf.mul(tf.clipByValue(ratio, 1 - cfg.clip, 1 + cfg.clip), advT);
          const pg = tf.div(tf.sum(tf.mul(tf.neg(tf.minimum(surr1, surr2)), maskT)), denom);
          const vl = tf.div(
            tf.sum(tf.mul(tf.mul(0.5, tf.square(tf.sub(value, retT))), maskT)),
            denom,
          );
          const ent = gaussianEntropy(logStd);
          const kl = tf.div(tf.sum(tf.mul(tf.sub(tf.sub(ratio, 1), logRatio), maskT)), denom);
          const cf = tf.div(
            tf.sum(
              tf.mul(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), cfg.clip), 'float32'), maskT),
            ),
            denom,
          );
          side = tf.keep(tf.stack([pg, vl, ent, kl, cf]));
          return tf.sub(
            tf.add(pg, tf.mul(cfg.valueCoef, vl)),
            tf.mul(cfg.entropyCoef, ent),
          ) as tf.Scalar;
        };
        const grads = paramList(gruRolloutGrads(current, xT, headLoss).grads);
        const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
        const n = norm.dataSync()[0];
        const scale = cfg.maxGradNorm > 0 && n > cfg.maxGradNorm ? cfg.maxGradNorm / (n + 1e-6) : 1;
        return { grads: scale === 1 ? grads : grads.map((g) => tf.mul(g, scale)), norm: n };
      });
      const sideT = side as tf.Tensor | null;
      const [pg, vl, ent, kl, cf] = sideT ? Array.from(sideT.dataSync()) : [0, 0, 0, 0, 0];
      sideT?.dispose();
      const next = adam.apply(paramList(current), grads);
      for (const g of grads) g.dispose();
      for (const t of paramList(current)) t.dispose();
      current = paramsFromList(next);
      sums.pg += pg;
      sums.v += vl;
      sums.ent += ent;
      sums.kl += kl;
      sums.cf += cf;
      sums.gn += norm;
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
