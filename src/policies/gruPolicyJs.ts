// The RL² GRU policy's forward pass in plain JS, for sampling in worker threads without
// tfjs: the same maths as gruCell + heads in gruPolicy.ts (PyTorch gate layout r, z, n;
// h' = (1 − z)·n + z·h; mean = h'·W_mu + b_mu, value = h'·W_v + b_v), one trial at a time.
// Computed in float64; the tfjs update recomputes log-probabilities in float32, which
// agree to ~1e-6 (tested), far inside PPO's clip range.
import type * as tf from '@tensorflow/tfjs';
import { GRU_PARAM_NAMES, type GruParams, LOG_STD_MAX, LOG_STD_MIN } from './gruPolicy';

/** The policy's parameters as plain arrays (what crosses to a worker thread). */
export interface GruWeights {
  inputSize: number;
  actionSize: number;
  hiddenSize: number;
  /** Row-major, as the tensors: wx [I, 3H], bx [3H], wh [H, 3H], bh [3H], wMu [H, A], bMu [A], logStd [A], wV [H, 1], bV [1]. */
  data: Record<(typeof GRU_PARAM_NAMES)[number], Float32Array>;
}

/** Download the tensors once per batch of trials. */
export function gruWeights(p: GruParams): GruWeights {
  const data = {} as GruWeights['data'];
  for (const n of GRU_PARAM_NAMES)
    data[n] = Float32Array.from((p[n] as tf.Tensor).dataSync() as Float32Array);
  return { inputSize: p.wx.shape[0], actionSize: p.bMu.shape[0], hiddenSize: p.wh.shape[0], data };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export class GruJs {
  /** Clipped log σ, as the tfjs head uses it. */
  readonly logStd: Float64Array;
  private h: Float64Array;
  private readonly hNew: Float64Array;
  private readonly xp: Float64Array;
  private readonly hp: Float64Array;

  constructor(readonly w: GruWeights) {
    const { hiddenSize: H, actionSize: A } = w;
    this.logStd = Float64Array.from(w.data.logStd, (v) =>
      Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, v)),
    );
    if (this.logStd.length !== A)
      throw new Error(`GruJs: logStd has ${this.logStd.length} entries, expected ${A}`);
    this.h = new Float64Array(H);
    this.hNew = new Float64Array(H);
    this.xp = new Float64Array(3 * H);
    this.hp = new Float64Array(3 * H);
  }

  /** Start a trial: h = 0. */
  resetState(): void {
    this.h.fill(0);
  }

  /** Advance h with input x; write the action mean into `mean`, return the value. */
  step(x: ArrayLike<number>, mean: Float64Array): number {
    const { inputSize: I, hiddenSize: H, actionSize: A, data } = this.w;
    const G = 3 * H;
    const { wx, bx, wh, bh, wMu, bMu, wV, bV } = data;
    const xp = this.xp;
    const hp = this.hp;
    for (let j = 0; j < G; j++) {
      xp[j] = bx[j];
      hp[j] = bh[j];
    }
    for (let i = 0; i < I; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * G;
      for (let j = 0; j < G; j++) xp[j] += xi * wx[row + j];
    }
    const h = this.h;
    for (let i = 0; i < H; i++) {
      const hi = h[i];
      if (hi === 0) continue;
      const row = i * G;
      for (let j = 0; j < G; j++) hp[j] += hi * wh[row + j];
    }
    const hNew = this.hNew;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(xp[j] + hp[j]);
      const z = sigmoid(xp[H + j] + hp[H + j]);
      const n = Math.tanh(xp[2 * H + j] + r * hp[2 * H + j]);
      hNew[j] = n + z * (h[j] - n);
    }
    h.set(hNew);
    let value = bV[0];
    for (let k = 0; k < A; k++) mean[k] = bMu[k];
    for (let i = 0; i < H; i++) {
      const hi = h[i];
      for (let k = 0; k < A; k++) mean[k] += hi * wMu[i * A + k];
      value += hi * wV[i];
    }
    return value;
  }
}
