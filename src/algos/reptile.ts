// Reptile for reinforcement learning (Nichol, Achiam & Schulman 2018):
//   per task t      φ_t = θ after k policy-gradient steps θ_{j+1} = θ_j − α ∇L_in(θ_j), each
//                   on fresh episodes sampled with θ_j (MAML's inner loop and inner loss);
//   outer update    θ ← θ + ε · mean_t (φ_t − θ).
// First order by construction: no derivative through the inner steps, no outer sampling
// stage, no trust region. ε (outerStepSize) may be annealed linearly to zero over
// annealIterations meta-iterations, as the paper does.
//
// What it logs besides the returns, all from the batches already sampled (no extra
// episodes): the inner policy-gradient loss before each inner step (losses/inner_1 …
// inner_k: L_in(θ_{j−1}) on step j's batch, mean over tasks); the inner gradient norm
// ‖∇L_in(θ_j)‖ = ‖θ_j − θ_{j+1}‖ / α (losses/inner_grad_norm, mean over tasks and steps); how
// far adaptation moved the parameters, mean_t ‖φ_t − θ‖ (optim/adaptation_norm); and the KL
// from θ's policy to each adapted one, KL(π_θ ‖ π_φ_t) on the states θ visited in the task's
// first batch (losses/kl, mean over tasks).
//
// Everything else is MAML's (ReptileLearner extends MamlLearner): the policy, the
// sampling, the inner step, checkpoints, and adaptation at evaluation and in the viewer,
// which takes the same inner steps as MAML (first step innerLr, later steps a quarter).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { JsonObject } from '../shared/json';
import {
  type GaussianMlpSpec,
  entropyOf,
  klFromFixedTf,
  logProbTf,
  logStdTf,
  meanTf,
} from '../policies/gaussianMlp';
import { MamlLearner, type MamlArgs } from './maml';
import { mamlConfigSchema } from './mamlConfig';
import type { Metrics } from './metaLearner';
import { type TaskTensors, disposeTaskTensors, toTensors } from './taskData';

export const reptileConfigSchema = mamlConfigSchema
  .pick({
    hidden: true,
    activation: true,
    normalizeActions: true,
    initStd: true,
    outputInitScale: true,
    metaBatchSize: true,
    episodesPerTask: true,
    innerLr: true,
    adaptLr: true,
    adaptLrLater: true,
    lossWeighting: true,
    normalizeAdvantages: true,
    derivatives: true,
    gamma: true,
    gaeLambda: true,
  })
  .extend({
    /** Policy-gradient steps per task before the outer update (the paper's k). */
    innerSteps: z.number().int().min(1).max(10).default(3),
    /** Outer step size ε of θ ← θ + ε · mean_t (φ_t − θ). */
    outerStepSize: z.number().positive().max(1).default(0.5),
    /** Anneal ε linearly to 0 over this many meta-iterations (absent: constant ε). */
    annealIterations: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

export type ReptileConfig = z.infer<typeof reptileConfigSchema>;

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export class ReptileLearner extends MamlLearner {
  readonly reptile: ReptileConfig;

  constructor(args: Omit<MamlArgs, 'config'> & { config: ReptileConfig }) {
    const { outerStepSize: _e, annealIterations: _a, ...inner } = args.config;
    super({
      ...args,
      config: mamlConfigSchema.parse({ ...inner, firstOrder: true, updateThreads: 1 }),
      algo: args.algo ?? 'reptile',
    });
    this.reptile = args.config;
  }

  /** ε at the current meta-iteration. */
  outerStepSizeNow(): number {
    const { outerStepSize: eps, annealIterations: n } = this.reptile;
    return n === undefined ? eps : eps * Math.max(0, 1 - this.iteration / n);
  }

  override async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    if (tasks.length === 0) throw new Error('metaTrainStep: no tasks');
    const K = this.reptile.innerSteps;
    const { obsSize, actSize } = this.spec;
    const t0 = performance.now();
    const metrics: Metrics = {};
    const seed = this.rng.seed();
    let params = tasks.map(() => this.theta);
    let envSteps = 0;
    let gradNorms = 0;
    // Each task's first batch (sampled by θ), kept for the KL between θ and φ_t.
    const first: TaskTensors[] = [];
    try {
      for (let k = 0; k < K; k++) {
        // Fresh episodes with each task's current parameters, then one inner step on them.
        this.progress('sampling', k / K);
        const res = await this.sampleStage(tasks, params, (seed + k * 7919) % 2147483647);
        envSteps += res.steps;
        metrics[k === 0 ? 'returns/pre' : `returns/post_${k}`] = meanOf(
          res.episodes.flat().map((e) => e.return),
        );
        let loss = 0;
        params = params.map((p, t) => {
          const d = toTensors(this.taskData(res.episodes[t]), obsSize, actSize);
          if (k === 0) first.push(d);
          try {
            loss += innerLoss(this.spec, p, d);
            const next = this.derivatives.innerStep(p, d, this.innerStepSize(), false).next;
            gradNorms += distance(p, next) / this.config.innerLr;
            return next;
          } finally {
            if (k > 0) disposeTaskTensors([d]);
          }
        });
        metrics[`losses/inner_${k + 1}`] = loss / tasks.length;
      }
      metrics['losses/inner_grad_norm'] = gradNorms / (K * tasks.length);
      metrics['losses/kl'] = meanOf(
        params.map((phi, t) => klBetween(this.spec, this.theta, phi, first[t])),
      );
      metrics['optim/adaptation_norm'] = meanOf(params.map((phi) => distance(this.theta, phi)));
    } finally {
      disposeTaskTensors(first);
    }
    // θ ← θ + ε · mean_t (φ_t − θ).
    const eps = this.outerStepSizeNow();
    const next = reptileUpdate(this.theta, params, eps);
    metrics['optim/step_norm'] = distance(next, this.theta);
    this.theta = next;
    this.iteration++;
    metrics['optim/outer_step_size'] = eps;
    metrics['env/steps'] = envSteps;
    metrics['time/total'] = (performance.now() - t0) / 1000;
    metrics['policy/entropy'] = entropyOf(this.spec, this.theta);
    this.progress('done', 1);
    return metrics;
  }
}

/** θ + ε · mean_t (φ_t − θ), accumulated in float64. */
export function reptileUpdate(
  theta: Float32Array,
  phis: Float32Array[],
  eps: number,
): Float32Array {
  const out = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    let s = 0;
    for (const phi of phis) s += phi[i] - theta[i];
    out[i] = theta[i] + (eps * s) / phis.length;
  }
  return out;
}

/** ‖a − b‖, accumulated in float64. */
function distance(a: Float32Array, b: Float32Array): number {
  let n2 = 0;
  for (let i = 0; i < a.length; i++) n2 += (a[i] - b[i]) ** 2;
  return Math.sqrt(n2);
}

/** The inner policy-gradient loss L_in(θ) = −Σ log π_θ(a|s) · Â·w on a task's batch. */
function innerLoss(spec: GaussianMlpSpec, theta: Float32Array, d: TaskTensors): number {
  return tf.tidy(
    () => -tf.sum(tf.mul(logProbTf(spec, tf.tensor1d(theta), d.obs, d.act), d.advW)).dataSync()[0],
  );
}

/** KL(π_θ ‖ π_φ) per state, weighted by the batch's step weights (which sum to 1). */
function klBetween(
  spec: GaussianMlpSpec,
  theta: Float32Array,
  phi: Float32Array,
  d: TaskTensors,
): number {
  return tf.tidy(() => {
    const th = tf.tensor1d(theta);
    const kl = klFromFixedTf(
      spec,
      meanTf(spec, th, d.obs),
      logStdTf(spec, th),
      tf.tensor1d(phi),
      d.obs,
    );
    return tf.sum(tf.mul(kl, d.w)).dataSync()[0];
  });
}
