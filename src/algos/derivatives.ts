// The derivatives a gradient-based meta-learner needs of the Gaussian MLP policy, behind
// one interface with two implementations, chosen once per learner (MamlConfig.derivatives):
//   manual    hand-written backprop and R-operator products on a cached forward pass
//             (src/policies/gaussianMlpDerivatives.ts), fast;
//   autodiff  tfjs nested gradients through the higher-order-safe ops of src/tf/ops, the
//             reference the tests compare against.
// Both are exact and agree to float precision. Vectors cross the interface as arrays.
//
// A "point" is the policy at fixed parameters on one task's batch, kept for as many
// products as a meta-gradient or a conjugate-gradient solve asks of it.
import * as tf from '@tensorflow/tfjs';
import { type GaussianMlpSpec, klFromFixedTf, logProbTf } from '../policies/gaussianMlp';
import { PolicyBatch } from '../policies/gaussianMlpDerivatives';
import { exp } from '../tf/ops';
import { tidyScalarAndValues, tidyValues } from '../tf/tidy';
import type { OuterTensors, TaskTensors } from './taskData';

/** An inner step size: one α for every parameter, or one per parameter (Meta-SGD's). */
export type StepSize = number | Float32Array;

/** The inner loss L_in at θ_k on an inner batch. */
export interface InnerPoint {
  /** H_in(θ_k) v, the inner loss's Hessian times v. */
  hvp(v: ArrayLike<number>): Float32Array;
  dispose(): void;
}

/** The outer surrogate at φ on an outer batch (sampled by the fixed old policy). */
export interface OuterPoint {
  /** The surrogate loss (PPO-clipped at `clip` if given) and its gradient at φ. */
  lossGrad(clip?: number): { loss: number; grad: Float32Array };
  /** F(φ) u: the Hessian of the mean KL to the old policy, at φ. */
  fisherVp(u: ArrayLike<number>): Float32Array;
  dispose(): void;
}

export interface PolicyDerivatives {
  readonly kind: 'manual' | 'autodiff';
  /** The policy the derivatives are of. */
  readonly spec: GaussianMlpSpec;
  /**
   * θ − α ∇L_in(θ) on batch d; with `keep`, also the inner point at θ (for HVPs). With
   * 'lvc' curvature and `sampledWith` (the parameters d was sampled with), L_in is the
   * surrogate −Σ c π_θ/π_sampledWith, whose gradient is the policy gradient's where θ is
   * sampledWith: the meta-objective away from the sampling θ (TRPO's line search) is then
   * the function whose meta-gradient the 'lvc' curvature gives.
   */
  innerStep(
    theta: Float32Array,
    d: TaskTensors,
    lr: StepSize,
    keep: boolean,
    sampledWith?: Float32Array,
  ): { next: Float32Array; point: InnerPoint | null };
  /** ∇L_in(θ) on batch d. */
  innerGradient(theta: Float32Array, d: TaskTensors): Float32Array;
  /** The inner point at given parameters. */
  innerPoint(theta: Float32Array, d: TaskTensors): InnerPoint;
  outerPoint(phi: Float32Array, o: OuterTensors): OuterPoint;
  /** The unclipped surrogate loss and the mean KL at φ. */
  lossAndKl(phi: Float32Array, o: OuterTensors): { loss: number; kl: number };
}

/**
 * The inner loss's curvature the meta-gradient goes through: 'vpg', the Hessian of the
 * policy-gradient loss −Σ c log π (the MAML paper's); 'lvc', the Hessian of the
 * low-variance-curvature surrogate −Σ c π/⊥π (ProMP), which adds −Σ c g gᵀ, the part of the
 * exact meta-gradient that credits the policy before adaptation for the actions whose
 * scores shaped a useful inner step. The inner step itself is the same for both.
 */
export type InnerCurvature = 'vpg' | 'lvc';

export function createDerivatives(
  kind: 'manual' | 'autodiff',
  spec: GaussianMlpSpec,
  curvature: InnerCurvature = 'vpg',
): PolicyDerivatives {
  return kind === 'manual'
    ? new ManualDerivatives(spec, curvature)
    : new AutodiffDerivatives(spec, curvature);
}

/**
 * Whether an inner step weights its samples by π_θ/π_sampledWith: with 'lvc' curvature, away
 * from the parameters the data were sampled with, and not when building the batch (`keep`,
 * always at those parameters).
 */
function weightsSamples(
  curvature: InnerCurvature,
  theta: Float32Array,
  keep: boolean,
  sampledWith: Float32Array | undefined,
): sampledWith is Float32Array {
  return !keep && curvature === 'lvc' && sampledWith !== undefined && sampledWith !== theta;
}

// ---------------------------------------------------------------------------------------

class ManualDerivatives implements PolicyDerivatives {
  readonly kind = 'manual';
  constructor(
    readonly spec: GaussianMlpSpec,
    private readonly curvature: InnerCurvature,
  ) {}

  innerStep(
    theta: Float32Array,
    d: TaskTensors,
    lr: StepSize,
    keep: boolean,
    sampledWith?: Float32Array,
  ) {
    const pb = new PolicyBatch(this.spec, theta, d.obs, d.act);
    const weighted = weightsSamples(this.curvature, theta, keep, sampledWith);
    const c = weighted
      ? tf.tidy(() => {
          const logp0 = logProbTf(this.spec, tf.tensor1d(sampledWith), d.obs, d.act);
          return tf.mul(d.advW, tf.exp(tf.sub(pb.logp, logp0))) as tf.Tensor1D;
        })
      : d.advW;
    const g = keep ? pb.gradientAndCoefficients(c) : pb.gradient(c);
    if (c !== d.advW) c.dispose();
    const next = new Float32Array(theta.length);
    if (typeof lr === 'number')
      for (let i = 0; i < next.length; i++) next[i] = theta[i] - lr * g[i];
    else for (let i = 0; i < next.length; i++) next[i] = theta[i] - lr[i] * g[i];
    if (!keep) {
      pb.dispose();
      return { next, point: null };
    }
    return { next, point: innerPointOf(pb, this.curvature) };
  }

  innerGradient(theta: Float32Array, d: TaskTensors): Float32Array {
    const pb = new PolicyBatch(this.spec, theta, d.obs, d.act);
    try {
      return pb.gradient(d.advW);
    } finally {
      pb.dispose();
    }
  }

  innerPoint(theta: Float32Array, d: TaskTensors): InnerPoint {
    const pb = new PolicyBatch(this.spec, theta, d.obs, d.act);
    pb.setCoefficients(d.advW);
    return innerPointOf(pb, this.curvature);
  }

  outerPoint(phi: Float32Array, o: OuterTensors): OuterPoint {
    const pb = new PolicyBatch(this.spec, phi, o.obs, o.act);
    return {
      lossGrad: (clip) => {
        const { c, loss } = tf.tidy(() => {
          const ratio = tf.exp(tf.sub(pb.logp, o.oldLogp));
          const un = tf.mul(ratio, o.advW);
          let coef: tf.Tensor1D = un as tf.Tensor1D;
          let obj = un;
          if (clip !== undefined) {
            const cl = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), o.advW);
            obj = tf.minimum(un, cl);
            // The gradient flows only where the unclipped term is the minimum.
            coef = tf.mul(un, tf.cast(tf.lessEqual(un, cl), 'float32')) as tf.Tensor1D;
          }
          return { c: coef, loss: tf.neg(tf.sum(obj)) };
        });
        const grad = pb.gradient(c);
        const value = loss.dataSync()[0];
        tf.dispose([c, loss]);
        return { loss: value, grad };
      },
      fisherVp: (u) => pb.fisherVp(o.w, u),
      dispose: () => pb.dispose(),
    };
  }

  lossAndKl(phi: Float32Array, o: OuterTensors): { loss: number; kl: number } {
    const pb = new PolicyBatch(this.spec, phi, o.obs, o.act);
    try {
      const loss = tf.tidy(
        () => tf.neg(tf.sum(tf.mul(tf.exp(tf.sub(pb.logp, o.oldLogp)), o.advW))).dataSync()[0],
      );
      return { loss, kl: pb.klFrom(o.oldMean, o.oldLogStd, o.w) };
    } finally {
      pb.dispose();
    }
  }
}

function innerPointOf(pb: PolicyBatch, curvature: InnerCurvature): InnerPoint {
  return {
    hvp: curvature === 'lvc' ? (v) => pb.lvcHessianVp(v) : (v) => pb.hessianVp(v),
    dispose: () => pb.dispose(),
  };
}

// ---------------------------------------------------------------------------------------
// Each call is one tidy.

class AutodiffDerivatives implements PolicyDerivatives {
  readonly kind = 'autodiff';
  constructor(
    readonly spec: GaussianMlpSpec,
    private readonly curvature: InnerCurvature,
  ) {}

  private innerLoss(theta: tf.Tensor1D, d: TaskTensors): tf.Scalar {
    return tf.neg(tf.sum(tf.mul(logProbTf(this.spec, theta, d.obs, d.act), d.advW)));
  }

  /** −Σ c π_θ / π_θ₀ on the batch, θ₀'s log-likelihoods given (LVC; its gradient at θ₀ is innerLoss's). */
  private lvcLoss(theta: tf.Tensor1D, d: TaskTensors, logp0: tf.Tensor1D): tf.Scalar {
    const ratio = exp(tf.sub(logProbTf(this.spec, theta, d.obs, d.act), logp0));
    return tf.neg(tf.sum(tf.mul(ratio, d.advW)));
  }

  private innerGrad(theta: tf.Tensor1D, d: TaskTensors): tf.Tensor1D {
    return tf.grad((th: tf.Tensor) => this.innerLoss(th as tf.Tensor1D, d))(theta) as tf.Tensor1D;
  }

  private surrogate(phi: tf.Tensor1D, o: OuterTensors, clip?: number): tf.Scalar {
    const ratio = exp(tf.sub(logProbTf(this.spec, phi, o.obs, o.act), o.oldLogp));
    if (clip === undefined) return tf.neg(tf.sum(tf.mul(ratio, o.advW)));
    const clippedRatio = tf.clipByValue(ratio, 1 - clip, 1 + clip);
    return tf.neg(tf.sum(tf.minimum(tf.mul(ratio, o.advW), tf.mul(clippedRatio, o.advW))));
  }

  private kl(phi: tf.Tensor1D, o: OuterTensors): tf.Scalar {
    return tf.sum(tf.mul(klFromFixedTf(this.spec, o.oldMean, o.oldLogStd, phi, o.obs), o.w));
  }

  innerStep(
    theta: Float32Array,
    d: TaskTensors,
    lr: StepSize,
    keep: boolean,
    sampledWith?: Float32Array,
  ) {
    const weighted = weightsSamples(this.curvature, theta, keep, sampledWith);
    const next = tidyValues(() => {
      const th = tf.tensor1d(theta);
      const step = typeof lr === 'number' ? lr : tf.tensor1d(lr);
      const grad = weighted
        ? tf.grad((p: tf.Tensor) =>
            this.lvcLoss(
              p as tf.Tensor1D,
              d,
              logProbTf(this.spec, tf.tensor1d(sampledWith), d.obs, d.act),
            ),
          )(th)
        : this.innerGrad(th, d);
      return tf.sub(th, tf.mul(grad, step));
    });
    return { next, point: keep ? this.innerPoint(theta, d) : null };
  }

  innerGradient(theta: Float32Array, d: TaskTensors): Float32Array {
    return tidyValues(() => this.innerGrad(tf.tensor1d(theta), d));
  }

  innerPoint(theta: Float32Array, d: TaskTensors): InnerPoint {
    return {
      // H_in(θ) v, exact, by differentiating ∇L_in · v once more (LVC: its surrogate's).
      hvp: (v) =>
        tidyValues(() => {
          const vt = tf.tensor1d(Float32Array.from(v));
          const th0 = tf.tensor1d(theta);
          const logp0 = logProbTf(this.spec, th0, d.obs, d.act);
          const grad = (th: tf.Tensor1D) =>
            this.curvature === 'lvc'
              ? (tf.grad((p: tf.Tensor) => this.lvcLoss(p as tf.Tensor1D, d, logp0))(
                  th,
                ) as tf.Tensor1D)
              : this.innerGrad(th, d);
          return tf.grad((th: tf.Tensor) => tf.sum(tf.mul(grad(th as tf.Tensor1D), vt)))(th0);
        }),
      dispose: () => {},
    };
  }

  outerPoint(phi: Float32Array, o: OuterTensors): OuterPoint {
    return {
      lossGrad: (clip) => {
        const [loss, grad] = tidyScalarAndValues(() => {
          const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
            this.surrogate(p as tf.Tensor1D, o, clip),
          )(tf.tensor1d(phi));
          return [value, grad];
        });
        return { loss, grad };
      },
      fisherVp: (u) =>
        tidyValues(() => {
          const ut = tf.tensor1d(Float32Array.from(u));
          const klGrad = (p: tf.Tensor) =>
            tf.grad((q: tf.Tensor) => this.kl(q as tf.Tensor1D, o))(p);
          return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(klGrad(p), ut)))(tf.tensor1d(phi));
        }),
      dispose: () => {},
    };
  }

  lossAndKl(phi: Float32Array, o: OuterTensors): { loss: number; kl: number } {
    return tf.tidy(() => {
      const p = tf.tensor1d(phi);
      return { loss: this.surrogate(p, o).dataSync()[0], kl: this.kl(p, o).dataSync()[0] };
    });
  }
}
