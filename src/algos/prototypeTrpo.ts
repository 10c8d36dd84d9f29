// One TRPO step of a single policy on its own task's episodes, as nearest-task trains each
// known task's policy (./nearestTask.ts): the importance-sampled surrogate
//   L(θ') = −Σ_n advW_n · π_θ'(a_n|s_n) / π_θ(a_n|s_n)
// (advW = normalised GAE advantage × per-step weight, ./taskData.ts), its natural-gradient
// direction by conjugate gradient on the policy's Fisher matrix (the Hessian of the weighted
// mean KL, plus damping), scaled to the KL radius maxKl, then the backtracking line search of
// ./trpo.ts. The step cannot move the policy further than maxKl from the one that sampled the
// episodes, which keeps a policy that already acts precisely from being thrown off its task.
import * as tf from '@tensorflow/tfjs';
import type { GaussianMlpSpec } from '../policies/gaussianMlp';
import { PolicyBatch } from '../policies/gaussianMlpDerivatives';
import { type TaskData, disposeTaskTensors, outerTensors } from './taskData';
import { type TrpoSettings, trpoStep } from './trpo';

export interface PrototypeTrpoSettings extends TrpoSettings {
  /** Damping δ added to the Fisher matrix (F + δI) in the conjugate-gradient solve. */
  cgDamping: number;
}

/** θ after one TRPO step on task data `d` sampled with θ, and the step's metrics. */
export async function prototypeTrpoStep(
  spec: GaussianMlpSpec,
  theta: Float32Array,
  d: TaskData,
  s: PrototypeTrpoSettings,
): Promise<{ theta: Float32Array; metrics: Record<string, number> }> {
  const t = outerTensors(spec, d, theta);
  const at = new PolicyBatch(spec, theta, t.obs, t.act);
  const surrogate = (pb: PolicyBatch) =>
    tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.exp(tf.sub(pb.logp, t.oldLogp)), t.advW))).dataSync()[0]);
  try {
    return await trpoStep(
      theta,
      {
        gradient: async () => ({
          loss: surrogate(at),
          grad: Float64Array.from(at.gradient(t.advW)),
        }),
        curvature: async (v) => {
          const f = at.fisherVp(t.w, v);
          return Float64Array.from(f, (x, i) => x + s.cgDamping * v[i]);
        },
        objective: async (candidate) => {
          const pb = new PolicyBatch(spec, candidate, t.obs, t.act);
          try {
            return { loss: surrogate(pb), kl: pb.klFrom(t.oldMean, t.oldLogStd, t.w) };
          } finally {
            pb.dispose();
          }
        },
      },
      s,
    );
  } finally {
    at.dispose();
    disposeTaskTensors([t]);
  }
}
