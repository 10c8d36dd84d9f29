// Recurrent Gaussian policy for RL²: a hand-written functional GRU cell (the FACTS table:
// ~1.6× faster than tf.layers.gru on wasm, and its parameters are plain tensors we own),
// a Gaussian action head with a state-independent learned log-std, and a value head on
// the same hidden state.
//
// Everything is functional — forward(params, x, h) — so the sampler, the PPO update
// (backpropagation through time) and the finite-difference tests all run the very same
// maths. Gate layout follows PyTorch's GRU (r, z, n; the reset gate multiplies the
// recurrent part of the candidate), with input and recurrent projections of all three
// gates fused into one matrix each, so a step costs two matmuls. The ops come from
// src/tf/ops (the learning core's): its matMul avoids wasm's slow transposed kernels in the
// backward pass (~4× faster here) and its tanh is faster on wasm. RL² needs only first-order
// gradients, so the gates use tf.sigmoid, which is faster than the higher-order-safe one.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng';
import { exp, matMul, tanh } from '../tf/ops';

export interface GruPolicyShape {
  /** Size of the policy input (for RL²: obs + previous action + previous reward + done). */
  inputSize: number;
  actionSize: number;
  hiddenSize: number;
}

/** Parameter names in a fixed order (checkpoints and gradient lists use it). */
export const GRU_PARAM_NAMES = [
  'wx',
  'bx',
  'wh',
  'bh',
  'wMu',
  'bMu',
  'logStd',
  'wV',
  'bV',
] as const;
export type GruParamName = (typeof GRU_PARAM_NAMES)[number];
export type GruParams = Record<GruParamName, tf.Tensor>;

/** log σ is kept in this range so exp never overflows nor collapses the policy. */
export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;

function uniformTensor(shape: number[], limit: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniformRange(-limit, limit);
  return tf.tensor(data, shape);
}

/**
 * Fresh parameters. Input/recurrent weights use PyTorch's GRU init U(±1/√H); the action
 * mean starts near zero (scaled weights) so early exploration is driven by σ, as in
 * CleanRL's PPO; σ starts at exp(initLogStd).
 */
export function initGruParams(shape: GruPolicyShape, rng: Rng, initLogStd = -0.5): GruParams {
  const { inputSize: I, actionSize: A, hiddenSize: H } = shape;
  const k = 1 / Math.sqrt(H);
  return {
    wx: uniformTensor([I, 3 * H], k, rng),
    bx: uniformTensor([3 * H], k, rng),
    wh: uniformTensor([H, 3 * H], k, rng),
    bh: uniformTensor([3 * H], k, rng),
    wMu: uniformTensor([H, A], 0.01 * k, rng),
    bMu: tf.zeros([A]),
    logStd: tf.fill([A], initLogStd),
    wV: uniformTensor([H, 1], k, rng),
    bV: tf.zeros([1]),
  };
}

export function paramList(p: GruParams): tf.Tensor[] {
  return GRU_PARAM_NAMES.map((n) => p[n]);
}

export function paramsFromList(list: tf.Tensor[]): GruParams {
  const out = {} as GruParams;
  GRU_PARAM_NAMES.forEach((n, i) => (out[n] = list[i]));
  return out;
}

export function disposeParams(p: GruParams): void {
  for (const n of GRU_PARAM_NAMES) p[n].dispose();
}

/** One GRU step given the input projection xp = x·Wx + bx ([B, 3H]) and the hidden state h ([B, H]). */
export function gruStepFromProjection(p: GruParams, xp: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const H = h.shape[1];
  const hp = tf.add(matMul(h, p.wh as tf.Tensor2D), p.bh);
  const [xrz, xn] = tf.split(xp, [2 * H, H], 1);
  const [hrz, hn] = tf.split(hp, [2 * H, H], 1);
  const [r, z] = tf.split(tf.sigmoid(tf.add(xrz, hrz)), 2, 1);
  const n = tanh(tf.add(xn, tf.mul(r, hn)));
  // h' = (1 − z)·n + z·h, written with one multiply.
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
}

/** The functional GRU cell: h' = GRU(x, h). x is [B, I], h is [B, H]. */
export function gruCell(p: GruParams, x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const xp = tf.add(matMul(x, p.wx as tf.Tensor2D), p.bx) as tf.Tensor2D;
  return gruStepFromProjection(p, xp, h);
}

/**
 * Run the policy over a time-major sequence: xs is [T, B, I], h0 is [B, H]. Returns the
 * action means [T·B, A] and values [T·B] of every step (time-major rows), for
 * backpropagation through time.
 *
 * Shaped by what is fast on wasm: slicing a big [T, B, 3H] tensor per step (unstack, and
 * the unstack that backpropagates through a stack of hidden states) costs ~2 ms a slice
 * there, so only the small inputs are sliced, each step projects its own input, and the
 * heads run per step so only the small [B, A+1] outputs are stacked.
 */
export function gruRollout(
  p: GruParams,
  xs: tf.Tensor3D,
  h0: tf.Tensor2D,
): { mean: tf.Tensor2D; value: tf.Tensor1D } {
  const [T, B] = xs.shape;
  const A = p.bMu.shape[0];
  const inputs = tf.unstack(xs) as tf.Tensor2D[];
  const wOut = tf.concat([p.wMu, p.wV], 1) as tf.Tensor2D;
  const bOut = tf.concat([p.bMu, p.bV]);
  let h = h0;
  const outs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    h = gruCell(p, inputs[t], h);
    outs.push(tf.add(matMul(h, wOut), bOut) as tf.Tensor2D);
  }
  const out = tf.reshape(tf.stack(outs), [T * B, A + 1]);
  const [mean, value] = tf.split(out, [A, 1], 1);
  return { mean: mean as tf.Tensor2D, value: tf.reshape(value, [T * B]) as tf.Tensor1D };
}

/** Action mean and state value from hidden states h ([N, H]): mean [N, A], value [N]. */
export function heads(p: GruParams, h: tf.Tensor2D): { mean: tf.Tensor2D; value: tf.Tensor1D } {
  const mean = tf.add(matMul(h, p.wMu as tf.Tensor2D), p.bMu) as tf.Tensor2D;
  const value = tf.reshape(tf.add(matMul(h, p.wV as tf.Tensor2D), p.bV), [-1]) as tf.Tensor1D;
  return { mean, value };
}

/** log σ clipped into [LOG_STD_MIN, LOG_STD_MAX] (the "safe exp" of the Gaussian head). */
export function clippedLogStd(p: GruParams): tf.Tensor1D {
  return tf.clipByValue(p.logStd, LOG_STD_MIN, LOG_STD_MAX) as tf.Tensor1D;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Diagonal Gaussian log-density of `actions` ([N, A]) under (mean [N, A], logStd [A]): [N]. */
export function gaussianLogProb(
  mean: tf.Tensor2D,
  logStd: tf.Tensor1D,
  actions: tf.Tensor2D,
): tf.Tensor1D {
  const z = tf.mul(tf.sub(actions, mean), exp(tf.neg(logStd)));
  const perDim = tf.neg(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), HALF_LOG_2PI));
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

/** Entropy of the diagonal Gaussian (state-independent σ): a scalar. */
export function gaussianEntropy(logStd: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI)) as tf.Scalar;
}

/** Log-std values as numbers (the sampler draws actions in JS with the seeded Rng). */
export function logStdValues(p: GruParams): Float32Array {
  const t = clippedLogStd(p);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(v);
}

/**
 * The T slices [B, C] of a time-major [T, B, C] tensor, as tf.unstack gives them but from
 * one download: the wasm backend's slice kernel copies its whole input for every slice, so
 * unstacking T steps copied the sequence T times. Constants (no gradient flows to `x`).
 */
function timeSlices(x: tf.Tensor3D): tf.Tensor2D[] {
  const [T, B, C] = x.shape;
  const v = x.dataSync() as Float32Array;
  return Array.from({ length: T }, (_, t) =>
    tf.tensor2d(v.subarray(t * B * C, (t + 1) * B * C), [B, C]),
  );
}

/**
 * Loss and gradients of a whole-trial rollout by hand-written backpropagation through
 * time. Same maths as differentiating `gruRollout` with tf.grads (a test checks they agree,
 * and both against finite differences), at about half the cost: the forward pass runs
 * without a tape, the backward pass is ~17 ops a step instead of autograd's ~40, and the
 * weight gradients are three big matmuls over all steps instead of one per step.
 *
 * `headLoss(mean [T·B, A], value [T·B], logStd [A])` is differentiated by tfjs (it is
 * elementwise and cheap); its gradients flow back through the recurrence here.
 */
export function gruRolloutGrads(
  p: GruParams,
  xs: tf.Tensor3D,
  headLoss: (mean: tf.Tensor2D, value: tf.Tensor1D, logStd: tf.Tensor1D) => tf.Scalar,
): { loss: tf.Scalar; grads: GruParams } {
  return tf.tidy(() => {
    const [T, B, I] = xs.shape;
    const H = p.wh.shape[0];
    const A = p.bMu.shape[0];
    const inputs = timeSlices(xs);
    const wOut = tf.concat([p.wMu, p.wV], 1) as tf.Tensor2D;
    const bOut = tf.concat([p.bMu, p.bV]);
    const wx = p.wx as tf.Tensor2D;
    const wh = p.wh as tf.Tensor2D;

    // Forward, keeping what the backward pass needs.
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    const hPrev: tf.Tensor2D[] = [];
    const hs: tf.Tensor2D[] = [];
    const saved: {
      r: tf.Tensor;
      z: tf.Tensor;
      oneMinusZ: tf.Tensor;
      n: tf.Tensor;
      dTanh: tf.Tensor;
      hn: tf.Tensor;
      dRz: tf.Tensor;
    }[] = [];
    const outs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      hPrev.push(h);
      const xp = tf.add(tf.matMul(inputs[t], wx), p.bx);
      const hp = tf.add(tf.matMul(h, wh), p.bh);
      const [xrz, xn] = tf.split(xp, [2 * H, H], 1);
      const [hrz, hn] = tf.split(hp, [2 * H, H], 1);
      const rz = tf.sigmoid(tf.add(xrz, hrz));
      const [r, z] = tf.split(rz, 2, 1);
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      h = tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
      hs.push(h);
      outs.push(tf.add(tf.matMul(h, wOut), bOut) as tf.Tensor2D);
      saved.push({
        r,
        z,
        oneMinusZ: tf.sub(1, z),
        n,
        dTanh: tf.sub(1, tf.square(n)),
        hn,
        dRz: tf.mul(rz, tf.sub(1, rz)),
      });
    }
    const out = tf.reshape(tf.stack(outs), [T * B, A + 1]) as tf.Tensor2D;

    // The head loss and its gradient with respect to the outputs (and log σ).
    const { value: loss, grads } = tf.valueAndGrads((o: tf.Tensor, ls: tf.Tensor) => {
      const [mean, value] = tf.split(o, [A, 1], 1);
      return headLoss(
        mean as tf.Tensor2D,
        tf.reshape(value, [T * B]) as tf.Tensor1D,
        clippedLogStd({ ...p, logStd: ls }),
      );
    })([out, p.logStd]);
    const [dOut, dLogStd] = grads;
    const dOuts = timeSlices(tf.reshape(dOut, [T, B, A + 1]) as tf.Tensor3D);

    // Backward through time.
    const wOutT = tf.transpose(wOut) as tf.Tensor2D;
    const whT = tf.transpose(wh) as tf.Tensor2D;
    let dhNext: tf.Tensor2D | null = null;
    const dxps: tf.Tensor2D[] = new Array(T);
    const dhps: tf.Tensor2D[] = new Array(T);
    for (let t = T - 1; t >= 0; t--) {
      const s = saved[t];
      const dhOut = tf.matMul(dOuts[t], wOutT);
      const dh = dhNext ? tf.add(dhOut, dhNext) : dhOut;
      const dn = tf.mul(dh, s.oneMinusZ);
      const dz = tf.mul(dh, tf.sub(hPrev[t], s.n));
      const dan = tf.mul(dn, s.dTanh);
      const dr = tf.mul(dan, s.hn);
      const dhn = tf.mul(dan, s.r);
      const daRz = tf.mul(tf.concat([dr, dz], 1), s.dRz);
      dxps[t] = tf.concat([daRz, dan], 1) as tf.Tensor2D;
      dhps[t] = tf.concat([daRz, dhn], 1) as tf.Tensor2D;
      dhNext = tf.add(tf.mul(dh, s.z), tf.matMul(dhps[t], whT)) as tf.Tensor2D;
    }

    // Weight gradients: one matmul over all T·B rows each (explicit transposes: wasm's
    // transposed matmul kernels are slow).
    const X = tf.reshape(xs, [T * B, I]);
    const DXP = tf.concat(dxps, 0);
    const DHP = tf.concat(dhps, 0);
    const HP = tf.concat(hPrev, 0);
    const HS = tf.concat(hs, 0);
    const dWOut = tf.matMul(tf.transpose(HS), dOut);
    const dBOut = tf.sum(dOut, 0);
    const [dWMu, dWV] = tf.split(dWOut, [A, 1], 1);
    const [dBMu, dBV] = tf.split(dBOut, [A, 1]);
    return {
      loss: loss as tf.Scalar,
      grads: {
        wx: tf.matMul(tf.transpose(X), DXP),
        bx: tf.sum(DXP, 0),
        wh: tf.matMul(tf.transpose(HP), DHP),
        bh: tf.sum(DHP, 0),
        wMu: dWMu,
        bMu: dBMu,
        logStd: dLogStd,
        wV: dWV,
        bV: dBV,
      },
    };
  });
}
