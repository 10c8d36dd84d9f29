// Hand-written exact derivatives of the Gaussian MLP policy's weighted log-likelihood,
// for speed: the gradient of L(θ) = −Σ_n c_n log π_θ(a_n|s_n) by backpropagation, its
// Hessian-vector product by Pearlmutter's R-operator (forward R-pass, then backward
// R-pass), and the Fisher-vector product of the policy, F v = J_μᵀ Σ⁻¹ J_μ v (+ 2 v on
// the log-std). The forward quantities at a fixed θ are computed once and reused by every
// product of a conjugate-gradient solve.
//
// With a latent (gaussianMlp.ts) the distribution has A + k columns: the last k are z, read
// from the observation, with the state-independent mean μ_z; its derivatives go to μ_z's
// entries of θ directly (a sum over rows) instead of back through the MLP.
//
// tfjs autodiff of the same functions (gaussianMlp.ts with the higher-order-safe ops) is
// the reference: the tests check these against it and against finite differences. This
// path runs ~10× faster on wasm because it issues a handful of kernels per layer instead
// of a double-backward tape full of element-wise ops.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../tf/tidy';
import { type GaussianMlpSpec, type ParamEntry, latentSizeOf, paramLayout } from './gaussianMlp';

interface Layers {
  W: tf.Tensor2D[];
  b: tf.Tensor1D[];
  /** The distribution's log-std [A + k]: the actions' and the latent's. */
  logStd: tf.Tensor1D;
  /** μ_z [k] (null without a latent). */
  latentMean: tf.Tensor1D | null;
}

function split(
  spec: GaussianMlpSpec,
  flat: Float32Array | Float64Array,
  layout: ParamEntry[],
): Layers {
  const W: tf.Tensor2D[] = [];
  const b: tf.Tensor1D[] = [];
  const piece = (e: ParamEntry) => Float32Array.from(flat.subarray(e.offset, e.offset + e.size));
  let logStd: Float32Array | null = null;
  let latentMean: tf.Tensor1D | null = null;
  let latentLogStd: Float32Array | null = null;
  for (const e of layout) {
    if (e.name.startsWith('W')) W.push(tf.tensor2d(piece(e), [e.shape[0], e.shape[1]]));
    else if (e.name.startsWith('b')) b.push(tf.tensor1d(piece(e)));
    else if (e.name === 'logStd') logStd = piece(e);
    else if (e.name === 'latentMean') latentMean = tf.tensor1d(piece(e));
    else latentLogStd = piece(e);
  }
  void spec;
  const ls = logStd as Float32Array;
  const all = latentLogStd ? Float32Array.from([...ls, ...latentLogStd]) : ls;
  return { W, b, logStd: tf.tensor1d(all), latentMean };
}

/** aᵀ b via an explicit transpose (the transposed matMul kernels are slow on wasm). */
function tmm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.transpose(a), b);
}

/** b Wᵀ. */
function mmT(a: tf.Tensor2D, W: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, tf.transpose(W));
}

function activate(spec: GaussianMlpSpec, z: tf.Tensor2D): { h: tf.Tensor2D; d: tf.Tensor2D } {
  if (spec.activation === 'tanh') {
    // tanh = 2σ(2z) − 1 (faster on wasm); tanh' = 1 − h².
    const h = tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1) as tf.Tensor2D;
    return { h, d: tf.sub(1, tf.square(h)) as tf.Tensor2D };
  }
  return { h: tf.relu(z), d: tf.step(z) as tf.Tensor2D };
}

/**
 * Concatenate per-layer pieces into one flat vector in the layout's order; gLs covers the
 * distribution's A + k log-stds, gMu (with a latent) μ_z.
 */
function flatten(
  gW: tf.Tensor[],
  gb: tf.Tensor[],
  gLs: tf.Tensor1D,
  gMu: tf.Tensor1D | null,
): tf.Tensor1D {
  const parts: tf.Tensor[] = [];
  for (let l = 0; l < gW.length; l++) parts.push(tf.reshape(gW[l], [-1]), gb[l]);
  if (gMu) {
    const k = gMu.shape[0];
    const A = gLs.shape[0] - k;
    parts.push(tf.slice(gLs, [0], [A]), gMu, tf.slice(gLs, [A], [k]));
  } else parts.push(gLs);
  return tf.concat(parts) as tf.Tensor1D;
}

/**
 * One batch (observations, actions, per-sample coefficients c) of a Gaussian MLP policy at
 * a fixed θ, with the forward pass and the gradient's backward pass cached. Keep it for as
 * many products as needed, then dispose().
 */
export class PolicyBatch {
  private readonly layers: Layers;
  private readonly layout: ParamEntry[];
  /** The latent's size (0: none). */
  private readonly k: number;
  /** hs[0] = obs, hs[l] = activation of hidden layer l. */
  private readonly hs: tf.Tensor2D[] = [];
  /** Activation derivatives of the hidden layers. */
  private readonly ds: tf.Tensor2D[] = [];
  /** hsT[l] = hs[l]ᵀ, made once: every product needs them and wasm transposes are not free. */
  private readonly hsT: tf.Tensor2D[] = [];
  /** The distribution's mean [N, A + k]. */
  readonly mean: tf.Tensor2D;
  private readonly invVar: tf.Tensor1D;
  /** (a ⊕ z) − μ. */
  private readonly resid: tf.Tensor2D;
  /** Per-sample log π(a|s). */
  readonly logp: tf.Tensor1D;
  private owned: tf.Tensor[] = [];
  private grads: { deltas: tf.Tensor2D[]; es: tf.Tensor2D[]; c: tf.Tensor1D } | null = null;

  constructor(
    readonly spec: GaussianMlpSpec,
    theta: Float32Array,
    readonly obs: tf.Tensor2D,
    readonly act: tf.Tensor2D,
  ) {
    this.layout = paramLayout(spec);
    this.k = latentSizeOf(spec);
    const k = this.k;
    const kept = tf.tidy(() => {
      const layers = split(spec, theta, this.layout);
      const hs = [obs];
      const ds: tf.Tensor2D[] = [];
      let z: tf.Tensor2D = obs;
      const L = layers.W.length;
      for (let l = 0; l < L; l++) {
        z = tf.add(tf.matMul(hs[l], layers.W[l]), layers.b[l]);
        if (l + 1 < L) {
          const { h, d } = activate(spec, z);
          hs.push(h);
          ds.push(d);
        }
      }
      const N = obs.shape[0];
      const mean = layers.latentMean
        ? (tf.concat([z, tf.tile(tf.reshape(layers.latentMean, [1, k]), [N, 1])], 1) as tf.Tensor2D)
        : z;
      const target =
        k > 0 ? tf.concat([act, tf.slice(obs, [0, spec.obsSize - k], [N, k])], 1) : act;
      const invVar = tf.exp(tf.mul(layers.logStd, -2)) as tf.Tensor1D;
      const resid = tf.sub(target, mean) as tf.Tensor2D;
      const logp = tf.sub(
        tf.mul(tf.sum(tf.mul(tf.square(resid), invVar), 1), -0.5),
        tf.add(tf.sum(layers.logStd), 0.5 * Math.log(2 * Math.PI) * (spec.actSize + k)),
      ) as tf.Tensor1D;
      return {
        W: layers.W,
        b: layers.b,
        logStd: layers.logStd,
        latentMean: layers.latentMean ? [layers.latentMean] : [],
        hs: hs.slice(1),
        ds,
        mean,
        invVar,
        resid,
        logp,
      };
    });
    this.layers = {
      W: kept.W,
      b: kept.b,
      logStd: kept.logStd,
      latentMean: kept.latentMean[0] ?? null,
    };
    this.hs = [obs, ...kept.hs];
    this.ds = kept.ds;
    this.mean = kept.mean;
    this.invVar = kept.invVar;
    this.resid = kept.resid;
    this.logp = kept.logp;
    this.hsT = this.hs.map((h) => tf.keep(tf.transpose(h)));
    this.owned = [
      ...this.hsT,
      ...kept.W,
      ...kept.b,
      kept.logStd,
      ...kept.latentMean,
      ...kept.hs,
      ...kept.ds,
      kept.mean,
      kept.invVar,
      kept.resid,
      kept.logp,
    ];
  }

  /**
   * Split a gradient over the distribution's mean [N, A + k] into the MLP's part [N, A] and
   * μ_z's gradient (its column sums; null without a latent).
   */
  private splitMean(G: tf.Tensor2D): { net: tf.Tensor2D; mu: tf.Tensor1D | null } {
    if (this.k === 0) return { net: G, mu: null };
    const [N, D] = G.shape;
    const A = D - this.k;
    return {
      net: tf.slice(G, [0, 0], [N, A]),
      mu: tf.sum(tf.slice(G, [0, A], [N, this.k]), 0) as tf.Tensor1D,
    };
  }

  /**
   * Backpropagate an output gradient G = ∂L/∂μ [N, A + k]; returns per-layer δ's, eᵢ = δ Wᵀ
   * and μ_z's gradient.
   */
  private backward(Gall: tf.Tensor2D): {
    gW: tf.Tensor2D[];
    gb: tf.Tensor1D[];
    deltas: tf.Tensor2D[];
    es: tf.Tensor2D[];
    gMu: tf.Tensor1D | null;
  } {
    const L = this.layers.W.length;
    const gW: tf.Tensor2D[] = new Array(L);
    const gb: tf.Tensor1D[] = new Array(L);
    const deltas: tf.Tensor2D[] = new Array(L);
    const es: tf.Tensor2D[] = new Array(L);
    const { net: G, mu: gMu } = this.splitMean(Gall);
    let delta = G;
    for (let l = L - 1; l >= 0; l--) {
      deltas[l] = delta;
      gW[l] = tf.matMul(this.hsT[l], delta);
      gb[l] = tf.sum(delta, 0);
      if (l > 0) {
        es[l] = mmT(delta, this.layers.W[l]);
        delta = tf.mul(es[l], this.ds[l - 1]) as tf.Tensor2D;
      }
    }
    return { gW, gb, deltas, es, gMu };
  }

  /** ∂L/∂μ and ∂L/∂logσ of L = −Σ c_n log π(a_n|s_n). */
  private outputGrads(c: tf.Tensor1D): { G: tf.Tensor2D; gLs: tf.Tensor1D } {
    const c2 = tf.expandDims(c, 1);
    const G = tf.neg(tf.mul(tf.mul(this.resid, this.invVar), c2)) as tf.Tensor2D;
    const gLs = tf.sum(
      tf.mul(tf.sub(1, tf.mul(tf.square(this.resid), this.invVar)), c2),
      0,
    ) as tf.Tensor1D;
    return { G, gLs };
  }

  /** ∇θ of L = −Σ c_n log π(a_n|s_n), c given per sample. */
  gradient(c: tf.Tensor1D): Float32Array {
    return tidyValues(() => {
      const { G, gLs } = this.outputGrads(c);
      const { gW, gb, gMu } = this.backward(G);
      return flatten(gW, gb, gLs, gMu);
    });
  }

  /** Fix the coefficients c for hessianVp (caches the gradient's backward pass). */
  setCoefficients(c: tf.Tensor1D): void {
    this.disposeGrads();
    this.grads = tf.tidy(() => {
      const { G } = this.outputGrads(c);
      const { deltas, es } = this.backward(G);
      return { deltas, es, c: tf.clone(c) };
    });
  }

  /**
   * gradient(c) and setCoefficients(c) from one backward pass (the same kernels on the same
   * inputs as calling both, so the same numbers, at half the cost).
   */
  gradientAndCoefficients(c: tf.Tensor1D): Float32Array {
    this.disposeGrads();
    const { grad, ...kept } = tf.tidy(() => {
      const { G, gLs } = this.outputGrads(c);
      const { gW, gb, deltas, es, gMu } = this.backward(G);
      return { grad: flatten(gW, gb, gLs, gMu), deltas, es, c: tf.clone(c) };
    });
    this.grads = kept;
    try {
      return grad.dataSync() as Float32Array;
    } finally {
      grad.dispose();
    }
  }

  private disposeGrads(): void {
    if (this.grads) {
      tf.dispose([...this.grads.deltas, ...this.grads.es.filter(Boolean), this.grads.c]);
      this.grads = null;
    }
  }

  /** The R-forward pass: R{h_l} and R{μ} [N, A + k] for direction V. */
  private rForward(V: Layers): { Rhs: (tf.Tensor2D | null)[]; Rmu: tf.Tensor2D } {
    const L = this.layers.W.length;
    const Rhs: (tf.Tensor2D | null)[] = [null];
    let Rz: tf.Tensor2D | null = null;
    for (let l = 0; l < L; l++) {
      let z = tf.add(tf.matMul(this.hs[l], V.W[l]), V.b[l]) as tf.Tensor2D;
      const Rh = Rhs[l];
      if (Rh) z = tf.add(z, tf.matMul(Rh, this.layers.W[l]));
      Rz = z;
      if (l + 1 < L) Rhs.push(tf.mul(this.ds[l], z) as tf.Tensor2D);
    }
    const Rnet = Rz as tf.Tensor2D;
    if (!V.latentMean) return { Rhs, Rmu: Rnet };
    const N = Rnet.shape[0];
    const Rlat = tf.tile(tf.reshape(V.latentMean, [1, this.k]), [N, 1]);
    return { Rhs, Rmu: tf.concat([Rnet, Rlat], 1) as tf.Tensor2D };
  }

  /** H v, H = ∇²θ L for the coefficients given to setCoefficients. Exact (Pearlmutter). */
  hessianVp(v: ArrayLike<number>): Float32Array {
    const g = this.grads;
    if (!g) throw new Error('PolicyBatch.hessianVp: call setCoefficients first');
    return tidyValues(() => {
      const V = split(this.spec, Float32Array.from(v), this.layout);
      const { Rhs, Rmu } = this.rForward(V);
      const c2 = tf.expandDims(g.c, 1);
      // R{∂L/∂μ} = c Σ⁻¹ (Rμ + 2 (a − μ) v_logσ); R{∂L/∂logσ} = Σ_n 2 c Σ⁻¹ (a − μ)(Rμ + (a − μ) v_logσ).
      const rv = tf.mul(this.resid, V.logStd);
      const RG = tf.mul(tf.mul(tf.add(Rmu, tf.mul(rv, 2)), this.invVar), c2) as tf.Tensor2D;
      const RgLs = tf.sum(
        tf.mul(tf.mul(tf.mul(this.resid, tf.add(Rmu, rv)), this.invVar), tf.mul(c2, 2)),
        0,
      );
      const L = this.layers.W.length;
      const RgW: tf.Tensor[] = new Array(L);
      const Rgb: tf.Tensor[] = new Array(L);
      const { net: RGnet, mu: RgMu } = this.splitMean(RG);
      let Rdelta = RGnet;
      for (let l = L - 1; l >= 0; l--) {
        const Rh = Rhs[l];
        RgW[l] = Rh
          ? tf.add(tmm(Rh, g.deltas[l]), tf.matMul(this.hsT[l], Rdelta))
          : tf.matMul(this.hsT[l], Rdelta);
        Rgb[l] = tf.sum(Rdelta, 0);
        if (l > 0) {
          const Re = tf.add(mmT(Rdelta, this.layers.W[l]), mmT(g.deltas[l], V.W[l]));
          let next = tf.mul(Re, this.ds[l - 1]);
          if (this.spec.activation === 'tanh') {
            // R{tanh'(z)} = −2 h R{h}.
            const Rd = tf.mul(tf.mul(this.hs[l], Rhs[l] as tf.Tensor2D), -2);
            next = tf.add(next, tf.mul(g.es[l], Rd));
          }
          Rdelta = next as tf.Tensor2D;
        }
      }
      return flatten(RgW, Rgb, RgLs as tf.Tensor1D, RgMu);
    });
  }

  /**
   * H' v for the low-variance-curvature surrogate L' = −Σ_n c_n π_θ(a_n|s_n) / ⊥π_θ(a_n|s_n)
   * (⊥: held fixed at this θ; Rothfuss et al. 2019): its gradient here is L's, its Hessian
   * H' = H − Σ_n c_n g_n g_nᵀ with g_n = ∇θ log π(a_n|s_n), so H' v = H v + ∇θ of
   * −Σ_n u_n log π(a_n|s_n) with u_n = c_n (g_n · v).
   */
  lvcHessianVp(v: ArrayLike<number>): Float32Array {
    const g = this.grads;
    if (!g) throw new Error('PolicyBatch.lvcHessianVp: call setCoefficients first');
    const h = this.hessianVp(v);
    const extra = tidyValues(() => {
      const V = split(this.spec, Float32Array.from(v), this.layout);
      const { Rmu } = this.rForward(V);
      // g_n · v = Σ_j (a − μ)_j σ_j⁻² Rμ_j + Σ_j ((a − μ)_j² σ_j⁻² − 1) v_logσ_j.
      const dMean = tf.sum(tf.mul(tf.mul(this.resid, this.invVar), Rmu), 1);
      const dStd = tf.sum(
        tf.mul(tf.sub(tf.mul(tf.square(this.resid), this.invVar), 1), V.logStd),
        1,
      );
      const u = tf.mul(g.c, tf.add(dMean, dStd)) as tf.Tensor1D;
      const { G, gLs } = this.outputGrads(u);
      const { gW, gb, gMu } = this.backward(G);
      return flatten(gW, gb, gLs, gMu);
    });
    for (let i = 0; i < h.length; i++) h[i] += extra[i];
    return h;
  }

  /**
   * F v with F the Hessian, at this θ, of Σ_n w_n KL(π_θ(·|s_n) ‖ π_θ'(·|s_n)) over θ' —
   * the Fisher information of the policy weighted by w: J_μᵀ Σ⁻¹ J_μ v + 2 (Σ w) v_logσ.
   */
  fisherVp(w: tf.Tensor1D, v: ArrayLike<number>): Float32Array {
    return tidyValues(() => {
      const V = split(this.spec, Float32Array.from(v), this.layout);
      const { Rmu } = this.rForward(V);
      const G = tf.mul(tf.mul(Rmu, this.invVar), tf.expandDims(w, 1)) as tf.Tensor2D;
      const { gW, gb, gMu } = this.backward(G);
      return flatten(gW, gb, tf.mul(V.logStd, tf.mul(tf.sum(w), 2)) as tf.Tensor1D, gMu);
    });
  }

  /** Σ_n w_n KL(old(·|s_n) ‖ π_θ(·|s_n)) for a fixed old policy (its means here and log-std). */
  klFrom(oldMean: tf.Tensor2D, oldLogStd: tf.Tensor1D, w: tf.Tensor1D): number {
    return tf.tidy(() => {
      const logStd = this.layers.logStd;
      const quad = tf.mul(
        tf.add(tf.square(tf.sub(oldMean, this.mean)), tf.exp(tf.mul(oldLogStd, 2))),
        tf.mul(this.invVar, 0.5),
      );
      const perSample = tf.sum(tf.add(tf.sub(logStd, oldLogStd), tf.sub(quad, 0.5)), 1);
      return tf.sum(tf.mul(perSample, w)).dataSync()[0];
    });
  }

  dispose(): void {
    this.disposeGrads();
    tf.dispose(this.owned);
    this.owned = [];
  }
}
