// Gaussian MLP policy, functional: every function takes the parameters as one flat vector
// θ, so MAML can hold one θ per task, differentiate through an inner update, and TRPO can
// run conjugate gradient on plain vectors. The mean is an MLP; the log-std is a
// state-independent vector (as in the MAML paper's rllab policy and pytorch-maml-rl).
//
// Two implementations of the mean share one parameter layout: tfjs (for losses and
// gradients, with the higher-order-safe ops of src/tf/ops) and plain JS float math (for
// acting in sampler workers: no tfjs there, deterministic and fast for small nets).
//
// With a latent (latentSize k > 0, as in MAESN, Gupta et al. 2018) the policy also draws
// z ~ N(μ_z, σ_z²) once per episode and sees it as the last k inputs of every observation;
// μ_z and log σ_z are parameters like the others, so an inner step moves them towards the
// z's of the episodes that did well. For the losses z is a second, state-independent part of
// the distribution: log π(a, z | s) = log N(a; μ(s ⊕ z), σ²) + log N(z; μ_z, σ_z²) on every
// row, read from the observation's last k columns. The "distribution" functions below
// (meanTf, logStdTf, targetsTf) therefore have A + k columns: the action's and the latent's.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng';
import { ACTIVATIONS, type Activation, exp, matMul } from '../tf/ops';

export interface GaussianMlpSpec {
  obsSize: number;
  actSize: number;
  hidden: number[];
  activation: Activation;
  /** Initial standard deviation of every action dimension. */
  initStd: number;
  /**
   * Size k of the per-episode latent (0 or absent: none). obsSize counts it: the env's
   * observation is the first obsSize − k inputs.
   */
  latentSize?: number;
}

export function latentSizeOf(spec: GaussianMlpSpec): number {
  return spec.latentSize ?? 0;
}

export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Where each weight, bias and the log-std sit in θ: W0, b0, W1, b1, …, logStd, and with a
 * latent latentMean, latentLogStd.
 */
export function paramLayout(spec: GaussianMlpSpec): ParamEntry[] {
  const sizes = [spec.obsSize, ...spec.hidden, spec.actSize];
  const out: ParamEntry[] = [];
  let offset = 0;
  const push = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    out.push({ name, shape, offset, size });
    offset += size;
  };
  for (let l = 0; l + 1 < sizes.length; l++) {
    push(`W${l}`, [sizes[l], sizes[l + 1]]);
    push(`b${l}`, [sizes[l + 1]]);
  }
  push('logStd', [spec.actSize]);
  const k = latentSizeOf(spec);
  if (k > 0) {
    push('latentMean', [k]);
    push('latentLogStd', [k]);
  }
  return out;
}

function entryOf(spec: GaussianMlpSpec, name: string): ParamEntry {
  const e = paramLayout(spec).find((x) => x.name === name);
  if (!e) throw new Error(`policy has no parameter ${name}`);
  return e;
}

export function numParams(spec: GaussianMlpSpec): number {
  const l = paramLayout(spec);
  const last = l[l.length - 1];
  return last.offset + last.size;
}

export function validateSpec(spec: GaussianMlpSpec): void {
  const ints = [spec.obsSize, spec.actSize, ...spec.hidden];
  if (!ints.every((n) => Number.isInteger(n) && n > 0))
    throw new Error(`policy sizes must be positive integers, got ${JSON.stringify(spec)}`);
  if (!(spec.activation in ACTIVATIONS))
    throw new Error(
      `policy activation must be one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${spec.activation}`,
    );
  if (!(spec.initStd > 0) || !Number.isFinite(spec.initStd))
    throw new Error(`policy initStd must be a positive number, got ${spec.initStd}`);
  const k = latentSizeOf(spec);
  if (!Number.isInteger(k) || k < 0 || k >= spec.obsSize)
    throw new Error(
      `policy latentSize must be an integer from 0 to obsSize − 1 (${spec.obsSize - 1}), got ${k}`,
    );
}

/**
 * Glorot-uniform weights, zero biases, log-std = log(initStd) (pytorch-maml-rl's init); a
 * latent starts as N(0, 1) (MAESN's prior).
 * `outputScale` multiplies the output layer's weights after they are drawn (so the draws, and
 * every other layer, are the same for any scale): 0.01 starts the mean action near 0 from
 * every state (Andrychowicz et al. 2021, "What matters in on-policy RL").
 */
export function initParams(spec: GaussianMlpSpec, rng: Rng, outputScale = 1): Float32Array {
  validateSpec(spec);
  if (!(outputScale > 0) || !Number.isFinite(outputScale))
    throw new Error(`policy outputScale must be a positive number, got ${outputScale}`);
  const theta = new Float32Array(numParams(spec));
  const outputLayer = `W${spec.hidden.length}`;
  for (const e of paramLayout(spec)) {
    if (e.name.startsWith('W')) {
      const limit = Math.sqrt(6 / (e.shape[0] + e.shape[1]));
      const scale = e.name === outputLayer ? outputScale : 1;
      // Rounded to float32 before scaling, so a scaled init is the unscaled one times the scale.
      for (let i = 0; i < e.size; i++)
        theta[e.offset + i] = Math.fround(rng.uniformRange(-limit, limit)) * scale;
    } else if (e.name === 'logStd') {
      theta.fill(Math.log(spec.initStd), e.offset, e.offset + e.size);
    }
  }
  return theta;
}

/** The tensors of θ by layer (slices of the flat vector, so gradients flow back to θ). */
export function unpack(
  spec: GaussianMlpSpec,
  theta: tf.Tensor1D,
): { weights: tf.Tensor2D[]; biases: tf.Tensor1D[]; logStd: tf.Tensor1D } {
  const weights: tf.Tensor2D[] = [];
  const biases: tf.Tensor1D[] = [];
  let logStd: tf.Tensor1D | null = null;
  for (const e of paramLayout(spec)) {
    if (e.name.startsWith('latent')) continue;
    const piece = tf.slice(theta, [e.offset], [e.size]);
    if (e.name.startsWith('W')) weights.push(tf.reshape(piece, [e.shape[0], e.shape[1]]));
    else if (e.name.startsWith('b')) biases.push(piece as tf.Tensor1D);
    else logStd = piece as tf.Tensor1D;
  }
  return { weights, biases, logStd: logStd as tf.Tensor1D };
}

/**
 * The distribution's mean per row [N, actSize + k]: the MLP's action mean and, with a
 * latent, μ_z on every row.
 */
export function meanTf(spec: GaussianMlpSpec, theta: tf.Tensor1D, obs: tf.Tensor2D): tf.Tensor2D {
  const mean = actionMeanTf(spec, theta, obs);
  const k = latentSizeOf(spec);
  if (k === 0) return mean;
  const e = entryOf(spec, 'latentMean');
  const mu = tf.reshape(tf.slice(theta, [e.offset], [k]), [1, k]);
  return tf.concat([mean, tf.tile(mu, [obs.shape[0], 1])], 1) as tf.Tensor2D;
}

/** The MLP: obs [N, obsSize] → action mean [N, actSize]. */
export function actionMeanTf(
  spec: GaussianMlpSpec,
  theta: tf.Tensor1D,
  obs: tf.Tensor2D,
): tf.Tensor2D {
  const { weights, biases } = unpack(spec, theta);
  const act = ACTIVATIONS[spec.activation];
  let h = obs;
  for (let l = 0; l < weights.length; l++) {
    const z = tf.add(matMul(h, weights[l]), biases[l]) as tf.Tensor2D;
    h = l + 1 < weights.length ? act(z) : z;
  }
  return h;
}

/** The distribution's log-std [actSize + k]: the actions' and, with a latent, log σ_z. */
export function logStdTf(spec: GaussianMlpSpec, theta: tf.Tensor1D): tf.Tensor1D {
  const e = entryOf(spec, 'logStd');
  const k = latentSizeOf(spec);
  // The latent's log-std follows its mean, which follows the actions' log-std.
  const size = k === 0 ? e.size : e.size + 2 * k;
  const all = tf.slice(theta, [e.offset], [size]);
  if (k === 0) return all;
  return tf.concat([tf.slice(all, [0], [e.size]), tf.slice(all, [e.size + k], [k])]) as tf.Tensor1D;
}

/** What the distribution scores per row [N, actSize + k]: the action and, with a latent, z. */
export function targetsTf(
  spec: GaussianMlpSpec,
  obs: tf.Tensor2D,
  actions: tf.Tensor2D,
): tf.Tensor2D {
  const k = latentSizeOf(spec);
  if (k === 0) return actions;
  const z = tf.slice(obs, [0, spec.obsSize - k], [obs.shape[0], k]);
  return tf.concat([actions, z], 1) as tf.Tensor2D;
}

/** log π(a, z|s) per sample [N], summed over action (and latent) dimensions. */
export function logProbTf(
  spec: GaussianMlpSpec,
  theta: tf.Tensor1D,
  obs: tf.Tensor2D,
  actions: tf.Tensor2D,
): tf.Tensor1D {
  return logProbOfMeanTf(
    spec,
    meanTf(spec, theta, obs),
    logStdTf(spec, theta),
    targetsTf(spec, obs, actions),
  );
}

/** log π per sample [N] from the distribution's means [N, D], log-std [D] and targets [N, D]. */
export function logProbOfMeanTf(
  spec: GaussianMlpSpec,
  mean: tf.Tensor2D,
  logStd: tf.Tensor1D,
  targets: tf.Tensor2D,
): tf.Tensor1D {
  const invVar = exp(tf.mul(logStd, -2));
  const z = tf.mul(tf.square(tf.sub(targets, mean)), invVar);
  return tf.sub(
    tf.mul(tf.sum(z, 1), -0.5),
    tf.add(tf.sum(logStd), HALF_LOG_2PI * (spec.actSize + latentSizeOf(spec))),
  ) as tf.Tensor1D;
}

/**
 * KL(old ‖ new) per sample [N] for diagonal Gaussians, with the old policy given as fixed
 * tensors (its distribution's mean on these observations and its log-std, meanTf and
 * logStdTf), the new one as θ.
 */
export function klFromFixedTf(
  spec: GaussianMlpSpec,
  oldMean: tf.Tensor2D,
  oldLogStd: tf.Tensor1D,
  theta: tf.Tensor1D,
  obs: tf.Tensor2D,
): tf.Tensor1D {
  const mean = meanTf(spec, theta, obs);
  const logStd = logStdTf(spec, theta);
  const invVarNew = exp(tf.mul(logStd, -2));
  const varOld = exp(tf.mul(oldLogStd, 2));
  // log(σn/σo) + (σo² + (μo − μn)²) / (2σn²) − ½, summed over dimensions.
  const quad = tf.mul(tf.add(tf.square(tf.sub(oldMean, mean)), varOld), tf.mul(invVarNew, 0.5));
  const perDim = tf.add(tf.sub(logStd, oldLogStd), tf.sub(quad, 0.5));
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

/** Entropy of the (state-independent) action Gaussian, nats. */
export function entropyOf(spec: GaussianMlpSpec, theta: Float32Array): number {
  const e = entryOf(spec, 'logStd');
  let h = 0;
  for (let i = 0; i < e.size; i++) h += theta[e.offset + i] + 0.5 + HALF_LOG_2PI;
  return h;
}

/** θ laid out for MlpMeanJs.forwardPrepared: per layer, Wᵀ and b as float64, and the action std. */
export interface PreparedMlp {
  /** wT[l][j·nIn + i] = W_l[i][j]. */
  wT: Float64Array[];
  b: Float64Array[];
  /** exp(log-std) per action dimension. */
  std: Float64Array;
  /** The latent's mean and standard deviation (empty without one). */
  latentMean: Float64Array;
  latentStd: Float64Array;
}

/**
 * Plain-JS action means for `rows` observations (row-major) with parameters θ, into `out`.
 * Float64 accumulation; deterministic across machines and thread counts.
 */
export class MlpMeanJs {
  private readonly layout: ParamEntry[];
  private readonly sizes: number[];
  private bufA: Float64Array;
  private bufB: Float64Array;
  /** Indices of an input's nonzero entries. */
  private readonly nonzero: Int32Array;

  constructor(readonly spec: GaussianMlpSpec) {
    validateSpec(spec);
    this.layout = paramLayout(spec);
    this.sizes = [spec.obsSize, ...spec.hidden, spec.actSize];
    const widest = Math.max(...this.sizes);
    this.bufA = new Float64Array(widest);
    this.bufB = new Float64Array(widest);
    this.nonzero = new Int32Array(widest);
  }

  /** θ laid out for forwardPrepared (exact copies: float32 → float64 loses nothing). */
  prepare(theta: Float32Array): PreparedMlp {
    const sizes = this.sizes;
    const wT: Float64Array[] = [];
    const b: Float64Array[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const W = this.layout[2 * l].offset;
      const B = this.layout[2 * l + 1].offset;
      const [nIn, nOut] = [sizes[l], sizes[l + 1]];
      const w = new Float64Array(nIn * nOut);
      for (let i = 0; i < nIn; i++)
        for (let j = 0; j < nOut; j++) w[j * nIn + i] = theta[W + i * nOut + j];
      wT.push(w);
      b.push(Float64Array.from(theta.subarray(B, B + nOut)));
    }
    const std = Float64Array.from(this.logStd(theta), (x) => Math.exp(x));
    const lm = this.layout.find((e) => e.name === 'latentMean');
    const ls = this.layout.find((e) => e.name === 'latentLogStd');
    const latentMean = lm
      ? Float64Array.from(theta.subarray(lm.offset, lm.offset + lm.size))
      : new Float64Array(0);
    const latentStd = ls
      ? Float64Array.from(theta.subarray(ls.offset, ls.offset + ls.size), (x) => Math.exp(x))
      : new Float64Array(0);
    return { wT, b, std, latentMean, latentStd };
  }

  /**
   * forwardOne with prepared parameters, and the same result to the bit: every output sums
   * its bias and then x_i·W_ij over the nonzero inputs i in increasing order, in float64,
   * exactly as forwardOne does, but in a register and over contiguous weights.
   */
  forwardPrepared(
    p: PreparedMlp,
    obs: ArrayLike<number>,
    obsOffset: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const sizes = this.sizes;
    const nz = this.nonzero;
    let inp = this.bufA;
    let outp = this.bufB;
    for (let i = 0; i < sizes[0]; i++) inp[i] = obs[obsOffset + i];
    const tanh = this.spec.activation === 'tanh';
    const L = sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const w = p.wT[l];
      const b = p.b[l];
      let m = 0;
      for (let i = 0; i < nIn; i++) if (inp[i] !== 0) nz[m++] = i;
      // Four outputs at a time: four independent sums, each in its own order.
      let j = 0;
      for (; j + 4 <= nOut; j += 4) {
        const [r0, r1, r2, r3] = [j * nIn, (j + 1) * nIn, (j + 2) * nIn, (j + 3) * nIn];
        let a0 = b[j];
        let a1 = b[j + 1];
        let a2 = b[j + 2];
        let a3 = b[j + 3];
        for (let k = 0; k < m; k++) {
          const i = nz[k];
          const x = inp[i];
          a0 += x * w[r0 + i];
          a1 += x * w[r1 + i];
          a2 += x * w[r2 + i];
          a3 += x * w[r3 + i];
        }
        outp[j] = a0;
        outp[j + 1] = a1;
        outp[j + 2] = a2;
        outp[j + 3] = a3;
      }
      for (; j < nOut; j++) {
        let acc = b[j];
        const row = j * nIn;
        for (let k = 0; k < m; k++) {
          const i = nz[k];
          acc += inp[i] * w[row + i];
        }
        outp[j] = acc;
      }
      if (l + 1 < L) {
        if (tanh) for (let j = 0; j < nOut; j++) outp[j] = Math.tanh(outp[j]);
        else for (let j = 0; j < nOut; j++) outp[j] = outp[j] > 0 ? outp[j] : 0;
      }
      const t = inp;
      inp = outp;
      outp = t;
    }
    for (let j = 0; j < sizes[L]; j++) out[outOffset + j] = inp[j];
  }

  /** Mean for one observation (obs[obsOffset…]) into out[outOffset…]. */
  forwardOne(
    theta: Float32Array,
    obs: ArrayLike<number>,
    obsOffset: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const sizes = this.sizes;
    let inp = this.bufA;
    let outp = this.bufB;
    for (let i = 0; i < sizes[0]; i++) inp[i] = obs[obsOffset + i];
    const tanh = this.spec.activation === 'tanh';
    const L = sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const W = this.layout[2 * l].offset;
      const b = this.layout[2 * l + 1].offset;
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      for (let j = 0; j < nOut; j++) outp[j] = theta[b + j];
      for (let i = 0; i < nIn; i++) {
        const xi = inp[i];
        if (xi === 0) continue;
        const row = W + i * nOut;
        for (let j = 0; j < nOut; j++) outp[j] += xi * theta[row + j];
      }
      if (l + 1 < L) {
        if (tanh) for (let j = 0; j < nOut; j++) outp[j] = Math.tanh(outp[j]);
        else for (let j = 0; j < nOut; j++) outp[j] = outp[j] > 0 ? outp[j] : 0;
      }
      const t = inp;
      inp = outp;
      outp = t;
    }
    for (let j = 0; j < sizes[L]; j++) out[outOffset + j] = inp[j];
  }

  forward(theta: Float32Array, obs: Float32Array, rows: number, out: Float32Array): Float32Array {
    const O = this.spec.obsSize;
    const A = this.spec.actSize;
    for (let r = 0; r < rows; r++) this.forwardOne(theta, obs, r * O, out, r * A);
    return out;
  }

  logStd(theta: Float32Array): Float32Array {
    const e = this.layout.find((x) => x.name === 'logStd') as ParamEntry;
    return theta.subarray(e.offset, e.offset + e.size);
  }
}
