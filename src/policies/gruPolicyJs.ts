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

/** Each parameter's shape, in GRU_PARAM_NAMES order (as initGruParams makes them). */
export function gruParamShapes(
  w: Pick<GruWeights, 'inputSize' | 'actionSize' | 'hiddenSize'>,
): number[][] {
  const { inputSize: I, actionSize: A, hiddenSize: H } = w;
  return [[I, 3 * H], [3 * H], [H, 3 * H], [3 * H], [H, A], [A], [A], [H, 1], [1]];
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

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** One minibatch of whole trials, time-major ([T, M, …]): what ppoGradientsJs reads. */
export interface TrialMinibatch {
  T: number;
  M: number;
  inputs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  targets: Float32Array;
  mask: Float32Array;
  /** Divides every per-step sum of the losses. */
  denom: number;
}

/** The clipped-PPO loss's settings. */
export interface PpoLossSettings {
  clip: number;
  valueCoef: number;
  entropyCoef: number;
}

/**
 * The clipped-PPO loss of a minibatch of trials and its gradient with respect to every
 * parameter, by backpropagation through time in plain JS (float64): the same loss as the
 * tfjs reference (ppo.ts, minibatchGradients with gradients 'tfjs'; tests compare them),
 *   L = (Σ −min(ρ·Â, clip(ρ, 1 ± ε)·Â) + c_v·Σ ½(V − V_target)²) / denom − c_e·H(π),
 * with ρ = exp(log π(a) − log π_old(a)) and the sums over valid steps. Each trial is
 * unrolled only over its own valid steps (the padding after them adds nothing to L), and
 * its cost is flops, not op dispatches, so a minibatch split across threads runs in about
 * half the time. Returns the gradients in GRU_PARAM_NAMES order and the diagnostics
 * [policy loss, value loss, entropy, approx KL, clip fraction].
 */
export function ppoGradientsJs(
  w: GruWeights,
  mb: TrialMinibatch,
  loss: PpoLossSettings,
): { grads: Float32Array[]; side: number[] } {
  const { inputSize: I, hiddenSize: H, actionSize: A, data } = w;
  const G = 3 * H;
  const { wx, bx, wh, bh, wMu, bMu, wV, bV } = data;
  const { T, M, denom: D } = mb;
  const g = {
    wx: new Float64Array(I * G),
    bx: new Float64Array(G),
    wh: new Float64Array(H * G),
    bh: new Float64Array(G),
    wMu: new Float64Array(H * A),
    bMu: new Float64Array(A),
    logStd: new Float64Array(A),
    wV: new Float64Array(H),
    bV: new Float64Array(1),
  };
  const ls = Float64Array.from(data.logStd, (v) => Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, v)));
  const invStd = ls.map((v) => Math.exp(-v));
  let pg = 0;
  let vl = 0;
  let kl = 0;
  let cf = 0;
  // One trial's forward state: hs[t] is h before step t (hs[0] = 0), then the gates.
  const hs = new Float64Array((T + 1) * H);
  const rs = new Float64Array(T * H);
  const zs = new Float64Array(T * H);
  const ns = new Float64Array(T * H);
  const hns = new Float64Array(T * H);
  const dMu = new Float64Array(T * A);
  const dV = new Float64Array(T);
  const xp = new Float64Array(G);
  const hp = new Float64Array(G);
  const dh = new Float64Array(H);
  const dhNext = new Float64Array(H);
  const dxp = new Float64Array(G);
  const dhp = new Float64Array(G);
  for (let b = 0; b < M; b++) {
    let L = 0;
    for (let t = 0; t < T; t++) if (mb.mask[t * M + b]) L = t + 1;
    if (L === 0) continue;
    // Forward over the trial's valid steps, with the head loss's gradient at each.
    for (let t = 0; t < L; t++) {
      const s = t * M + b;
      const x = s * I;
      const hPrev = t * H;
      for (let j = 0; j < G; j++) {
        xp[j] = bx[j];
        hp[j] = bh[j];
      }
      for (let i = 0; i < I; i++) {
        const xi = mb.inputs[x + i];
        if (xi === 0) continue;
        const row = i * G;
        for (let j = 0; j < G; j++) xp[j] += xi * wx[row + j];
      }
      for (let i = 0; i < H; i++) {
        const hi = hs[hPrev + i];
        if (hi === 0) continue;
        const row = i * G;
        for (let j = 0; j < G; j++) hp[j] += hi * wh[row + j];
      }
      const o = t * H;
      const hNew = (t + 1) * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(xp[j] + hp[j]);
        const z = sigmoid(xp[H + j] + hp[H + j]);
        const n = Math.tanh(xp[2 * H + j] + r * hp[2 * H + j]);
        rs[o + j] = r;
        zs[o + j] = z;
        ns[o + j] = n;
        hns[o + j] = hp[2 * H + j];
        hs[hNew + j] = n + z * (hs[hPrev + j] - n);
      }
      const m = mb.mask[s];
      if (!m) {
        for (let k = 0; k < A; k++) dMu[t * A + k] = 0;
        dV[t] = 0;
        continue;
      }
      let v = bV[0];
      for (let i = 0; i < H; i++) v += hs[hNew + i] * wV[i];
      let logp = 0;
      for (let k = 0; k < A; k++) {
        let mu = bMu[k];
        for (let i = 0; i < H; i++) mu += hs[hNew + i] * wMu[i * A + k];
        const zk = (mb.actions[s * A + k] - mu) * invStd[k];
        dMu[t * A + k] = zk; // the standardised action, turned into ∂L/∂μ below
        logp -= 0.5 * zk * zk + ls[k] + HALF_LOG_2PI;
      }
      const logRatio = logp - mb.logProbs[s];
      const ratio = Math.exp(logRatio);
      const adv = mb.advantages[s];
      const s1 = ratio * adv;
      const s2 = Math.min(Math.max(ratio, 1 - loss.clip), 1 + loss.clip) * adv;
      pg -= Math.min(s1, s2) / D;
      // min picks the unclipped term on ties; the clipped one has no gradient outside the range.
      const dLogp = s1 <= s2 ? (-adv / D) * ratio : 0;
      for (let k = 0; k < A; k++) {
        const zk = dMu[t * A + k];
        dMu[t * A + k] = dLogp * zk * invStd[k];
        g.logStd[k] += dLogp * (zk * zk - 1);
      }
      const err = v - mb.targets[s];
      vl += (0.5 * err * err) / D;
      dV[t] = (loss.valueCoef * err) / D;
      kl += (ratio - 1 - logRatio) / D;
      if (Math.abs(ratio - 1) > loss.clip) cf += 1 / D;
    }
    // Backward through time.
    dhNext.fill(0);
    for (let t = L - 1; t >= 0; t--) {
      const s = t * M + b;
      const hAt = (t + 1) * H;
      const hPrev = t * H;
      const o = t * H;
      const dv = dV[t];
      for (let i = 0; i < H; i++) {
        const hi = hs[hAt + i];
        let d = dhNext[i] + wV[i] * dv;
        g.wV[i] += hi * dv;
        for (let k = 0; k < A; k++) {
          const dm = dMu[t * A + k];
          d += wMu[i * A + k] * dm;
          g.wMu[i * A + k] += hi * dm;
        }
        dh[i] = d;
      }
      g.bV[0] += dv;
      for (let k = 0; k < A; k++) g.bMu[k] += dMu[t * A + k];
      for (let j = 0; j < H; j++) {
        const r = rs[o + j];
        const z = zs[o + j];
        const n = ns[o + j];
        const dn = dh[j] * (1 - z);
        const dz = dh[j] * (hs[hPrev + j] - n);
        const dan = dn * (1 - n * n);
        const daR = dan * hns[o + j] * r * (1 - r);
        const daZ = dz * z * (1 - z);
        dxp[j] = daR;
        dxp[H + j] = daZ;
        dxp[2 * H + j] = dan;
        dhp[j] = daR;
        dhp[H + j] = daZ;
        dhp[2 * H + j] = dan * r;
      }
      for (let j = 0; j < G; j++) {
        g.bx[j] += dxp[j];
        g.bh[j] += dhp[j];
      }
      const x = s * I;
      for (let i = 0; i < I; i++) {
        const xi = mb.inputs[x + i];
        if (xi === 0) continue;
        const row = i * G;
        for (let j = 0; j < G; j++) g.wx[row + j] += xi * dxp[j];
      }
      for (let i = 0; i < H; i++) {
        const hi = hs[hPrev + i];
        const row = i * G;
        let d = dh[i] * zs[o + i];
        for (let j = 0; j < G; j++) {
          d += wh[row + j] * dhp[j];
          g.wh[row + j] += hi * dhp[j];
        }
        dhNext[i] = d;
      }
    }
  }
  let ent = 0;
  for (let k = 0; k < A; k++) {
    ent += ls[k] + 0.5 + HALF_LOG_2PI;
    const raw = data.logStd[k];
    // The clip passes the gradient inside [LOG_STD_MIN, LOG_STD_MAX] (bounds included).
    const inside = raw >= LOG_STD_MIN && raw <= LOG_STD_MAX;
    g.logStd[k] = inside ? g.logStd[k] - loss.entropyCoef : 0;
  }
  return {
    grads: GRU_PARAM_NAMES.map((n) => Float32Array.from(g[n])),
    side: [pg, vl, ent, kl, cf],
  };
}
