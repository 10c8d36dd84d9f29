// The meta-objective of gradient-based meta-learning and its derivatives, on a meta-batch:
//   objective   mean_t [L_out(φ_t(θ)) + w L_pre,t(θ)] (and the mean KL to the sampling
//               policy), w = preWeight (0 by default), L_pre the surrogate of θ on its own
//               first inner batch;
//   gradient    mean_t [J_tᵀ ∇φ L_out(φ_t) + w ∇L_pre,t(θ)], J_t = ∂φ_t/∂θ =
//               Π_k (I − diag(α) H_k), exact second order by Hessian-vector products; first
//               order takes J = I;
//   step sizes  ∂/∂α of the objective for a per-parameter α (Meta-SGD):
//               −mean_t Σ_k ∇L_in(θ_k) ∘ w_{k+1}, w_K = ∇φ L_out, w_k = J_kᵀ w_{k+1};
//   curvature   (mean_t J_tᵀ F_t J_t + δI) v, the Hessian of the mean KL through the
//               adaptation (TRPO's metric; the KL's gradient vanishes at φ_t).
import type { PolicyDerivatives, StepSize } from './derivatives';
import { adaptOnData } from './gradientAdaptation';
import type { MetaBatch } from './metaBatch';

export interface MetaGradientOptions {
  /** The inner step size α the batch's paths were taken with. */
  innerLr: StepSize;
  firstOrder: boolean;
  /** Weight of the return before adaptation (the batch holds MetaBatch.pre when it is > 0). */
  preWeight?: number;
}

/** w, when the batch has the return before adaptation to weigh (else 0). */
function preWeightOf(mb: MetaBatch, o: MetaGradientOptions): number {
  const w = o.preWeight ?? 0;
  if (w > 0 && mb.pre.length !== mb.outer.length)
    throw new Error('the meta-batch has no pre-adaptation data (build it with preWeight)');
  return w;
}

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** J_t v (k = 0 first): each factor is v − α ∘ (H_k v). */
function jvp(mb: MetaBatch, t: number, v: ArrayLike<number>, o: MetaGradientOptions): Float64Array {
  const out = Float64Array.from(v);
  if (o.firstOrder) return out;
  const lr = o.innerLr;
  for (let k = 0; k < mb.inner[t].length; k++) {
    const h = mb.innerAt[t][k].hvp(out);
    if (typeof lr === 'number') for (let i = 0; i < out.length; i++) out[i] -= lr * h[i];
    else for (let i = 0; i < out.length; i++) out[i] -= lr[i] * h[i];
  }
  return out;
}

/** J_tᵀ w (k = K−1 first): each factor is w − H_k (α ∘ w) (H_k is symmetric). */
function vjp(mb: MetaBatch, t: number, w: ArrayLike<number>, o: MetaGradientOptions): Float64Array {
  const out = Float64Array.from(w);
  if (o.firstOrder) return out;
  const lr = o.innerLr;
  for (let k = mb.inner[t].length - 1; k >= 0; k--) {
    if (typeof lr === 'number') {
      const h = mb.innerAt[t][k].hvp(out);
      for (let i = 0; i < out.length; i++) out[i] -= lr * h[i];
    } else {
      const h = mb.innerAt[t][k].hvp(out.map((x, i) => lr[i] * x));
      for (let i = 0; i < out.length; i++) out[i] -= h[i];
    }
  }
  return out;
}

/** The meta-objective mean_t L_out(φ_t(θ)) and mean KL at θ, on the batch's data. */
export function metaObjective(
  d: PolicyDerivatives,
  theta: Float32Array,
  mb: MetaBatch,
  o: MetaGradientOptions,
): { loss: number; kl: number } {
  const w = preWeightOf(mb, o);
  const parts = mb.outer.map((out, t) => {
    const p = d.lossAndKl(
      adaptOnData(d, theta, mb.inner[t], o.innerLr, false, mb.paths[t]).path.at(-1) as Float32Array,
      out,
    );
    return w > 0 ? { loss: p.loss + w * d.lossAndKl(theta, mb.pre[t].tensors).loss, kl: p.kl } : p;
  });
  return { loss: meanOf(parts.map((p) => p.loss)), kl: meanOf(parts.map((p) => p.kl)) };
}

/** The meta-gradient mean_t J_tᵀ ∇φ L_out(φ_t) and the loss, at the batch's θ (PPO-clipped at `clip` if given). */
export function metaGradient(
  mb: MetaBatch,
  o: MetaGradientOptions,
  clip?: number,
): { loss: number; grad: Float64Array } {
  const P = mb.paths[0]?.[0]?.length ?? 0;
  const g = new Float64Array(P);
  let loss = 0;
  const T = mb.outer.length;
  const w = preWeightOf(mb, o);
  for (let t = 0; t < T; t++) {
    const lg = mb.outerAt[t].lossGrad(clip);
    loss += lg.loss / T;
    const jt = vjp(mb, t, lg.grad, o);
    for (let i = 0; i < P; i++) g[i] += jt[i] / T;
    if (w === 0) continue;
    const pre = mb.pre[t].at.lossGrad(clip);
    loss += (w * pre.loss) / T;
    for (let i = 0; i < P; i++) g[i] += (w * pre.grad[i]) / T;
  }
  return { loss, grad: g };
}

/** (mean_t J_tᵀ F_t J_t + δI) v. */
export function curvatureVp(
  mb: MetaBatch,
  v: ArrayLike<number>,
  damping: number,
  o: MetaGradientOptions,
): Float64Array {
  const out = new Float64Array(v.length);
  const T = mb.outer.length;
  for (let t = 0; t < T; t++) {
    const r = vjp(mb, t, mb.outerAt[t].fisherVp(jvp(mb, t, v, o)), o);
    for (let i = 0; i < v.length; i++) out[i] += r[i] / T;
  }
  for (let i = 0; i < v.length; i++) out[i] += damping * v[i];
  return out;
}

/**
 * The meta-gradient with respect to a per-parameter inner step size α at the batch's θ:
 * θ_{k+1} = θ_k − α ∘ g_k with g_k = ∇L_in(θ_k), so ∂L_out/∂α = −Σ_k g_k ∘ w_{k+1}, where
 * w_{k+1} = ∂L_out/∂θ_{k+1} is backpropagated from w_K = ∇φ L_out by w_k = J_kᵀ w_{k+1}
 * (first order: every w_k = w_K). Averaged over the tasks.
 */
export function stepSizeGradient(
  d: PolicyDerivatives,
  mb: MetaBatch,
  o: MetaGradientOptions,
): Float64Array {
  const P = mb.paths[0]?.[0]?.length ?? 0;
  const g = new Float64Array(P);
  const lr = o.innerLr;
  const T = mb.outer.length;
  for (let t = 0; t < T; t++) {
    let w = Float64Array.from(mb.outerAt[t].lossGrad().grad);
    for (let k = mb.inner[t].length - 1; k >= 0; k--) {
      const gk = d.innerGradient(mb.paths[t][k], mb.inner[t][k]);
      for (let i = 0; i < P; i++) g[i] -= (gk[i] * w[i]) / T;
      if (o.firstOrder) continue;
      const h = mb.innerAt[t][k].hvp(
        typeof lr === 'number' ? w.map((x) => lr * x) : w.map((x, i) => lr[i] * x),
      );
      w = w.map((x, i) => x - h[i]);
    }
  }
  return g;
}
