// MAML for reinforcement learning (Finn, Abbeel & Levine 2017, §3.2 and §5.3), as in its
// reference code and pytorch-maml-rl:
//   inner loop   θ_{k+1} = θ_k − α ∇θ L_in(θ_k), vanilla policy gradient (REINFORCE with the
//                linear feature baseline) on fresh episodes sampled with θ_k, per task;
//   outer loop   minimise mean_t L_out(φ_t(θ)) over θ, with φ_t = θ_K of task t, the
//                surrogate on episodes sampled with φ_t, by TRPO (or a PPO-style option).
//
// The meta-gradient is exact second order: ∇θ L_out(φ(θ)) = Jᵀ ∇φ L_out with
// J = Π_k (I − α H_k), H_k the inner loss's Hessian at θ_k, applied as Hessian-vector
// products (double backward through the network with the higher-order-safe ops of
// src/tf/ops). First-order MAML takes J = I. TRPO's curvature is the Hessian of the mean
// KL(π_φold ‖ π_φ(θ)) at the current θ, which is exactly Jᵀ F J (F the Fisher of the
// policy at φ: the KL's gradient vanishes there), the same matrix pytorch-maml-rl gets by
// differentiating its KL three times, at three HVPs per conjugate-gradient iteration.
//
// The same class also trains the paper's baselines: with innerSteps = 0 training is plain
// TRPO on all tasks ("pretrained"), and on the `oracle:` view of a family it is the oracle.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import {
  type GaussianMlpSpec,
  entropyOf,
  initParams,
  klFromFixedTf,
  logProbTf,
  logStdTf,
  meanTf,
  numParams,
} from '../policies/gaussianMlp';
import { PolicyBatch } from '../policies/gaussianMlpDerivatives';
import { actionMap, episodeSeed } from '../samplers/rollout';
import type { Episode } from '../samplers/sampler';
import { createSampler, type RolloutSampler } from '../samplers/createSampler';
import { exp } from '../tf/ops';
import { discountedReturns, gae, normalizeInPlace } from './gae';
import { LinearFeatureBaseline } from './linearBaseline';
import type {
  AdaptBudget,
  AdaptResult,
  Checkpoint,
  EpisodeRecord,
  MetaLearner,
  Metrics,
} from './metaLearner';
import { UpdateWorker } from './mamlUpdatePool';
import { backtrackingLineSearch, conjugateGradient, dot, type Vec } from './trpo';

// ---------------------------------------------------------------------------------------
// Configuration (defaults: the paper's 2-D navigation budget; see each field for where it differs)

export const mamlConfigSchema = z
  .object({
    /** Hidden layer widths of the policy MLP (pytorch-maml-rl: 64-64; the paper: 100-100). */
    hidden: z.array(z.number().int().min(1).max(1024)).min(1).max(4).default([64, 64]),
    /** Hidden activation (pytorch-maml-rl: tanh; the paper: ReLU). */
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    /**
     * The policy acts in [-1, 1] per action dimension, rescaled to the family's action bounds
     * (rllab's `normalize`, as in the MAML paper's reference code; for point-nav, whose
     * velocity is bounded by ±0.1, a policy unit is 0.1). false: the policy's output is the
     * env's action as is (pytorch-maml-rl). Families with ±1 bounds are the same either way.
     */
    normalizeActions: z.boolean().default(true),
    /** Initial action standard deviation (in the policy's units). */
    initStd: z.number().positive().max(10).default(1),
    /** Tasks per meta-iteration (the paper: 20). */
    metaBatchSize: z.number().int().min(1).max(1000).default(20),
    /** Episodes per task and stage (the paper's K = 20 trajectories). */
    episodesPerTask: z.number().int().min(1).max(1000).default(20),
    /** Inner gradient steps during meta-training (the paper: 1). 0 = no adaptation (pretrained / oracle). */
    innerSteps: z.number().int().min(0).max(10).default(1),
    /**
     * Inner step size α. 0.1 as in the paper's text and its locomotion code; point-nav's
     * default is 0.5, the value of the paper's 2-D navigation code (see familyDefaults).
     */
    innerLr: z.number().positive().max(100).default(0.1),
    /** Step size of the first adaptation step at evaluation / in the viewer; defaults to innerLr. */
    adaptLr: z.number().positive().max(100).optional(),
    /**
     * Step size of adaptation steps 2, 3, … at evaluation / in the viewer; defaults to a quarter
     * of the first step's. Meta-training only ever takes the first step, and later steps start
     * closer to the solution with a gradient of the same size (advantages are normalised), so
     * they want a smaller step: the paper's evaluation script halves it; on point-nav training
     * tasks a quarter did better than a half at α = 0.5 and at α = 1 (README, Meta-learners).
     */
    adaptLrLater: z.number().positive().max(100).optional(),
    /**
     * How a task's steps are averaged in the losses and the KL: 'step' = every step of the
     * task's episodes counts the same (the mean over all steps, as the MAML paper's rllab
     * code), 'episode' = each episode's steps average, then episodes average
     * (pytorch-maml-rl's weighted_mean; short episodes that reach the goal weigh more per step).
     */
    lossWeighting: z.enum(['step', 'episode']).default('step'),
    /** First-order MAML (drop the second-order terms of the meta-gradient). */
    firstOrder: z.boolean().default(false),
    /**
     * How derivatives are computed: 'manual' (hand-written backprop and R-operator products,
     * fast) or 'autodiff' (tfjs nested gradients through the higher-order-safe ops). Both are
     * exact and agree to float precision (tests); 'autodiff' is the reference.
     */
    derivatives: z.enum(['manual', 'autodiff']).default('manual'),
    /**
     * Threads for the outer update: the tasks' gradient and curvature products are split
     * between this thread and (updateThreads − 1) worker threads, each with its own tfjs
     * backend (wasm has no threads of its own in Node). 1 = all in this thread.
     */
    updateThreads: z.number().int().min(1).max(16).default(2),
    /** Discount. */
    gamma: z.number().min(0).max(1).default(0.99),
    /**
     * GAE λ. 1 = Monte-Carlo returns minus the baseline, as in the paper; 0.95 gives the
     * inner step a less noisy gradient from its 20 episodes (point-nav, 200 iterations: the
     * return after one step on training tasks went from −12.6 to −11.6).
     */
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Outer optimiser: TRPO (the paper) or a PPO-style clipped objective with Adam. */
    outer: z.enum(['trpo', 'ppo']).default('trpo'),
    /** TRPO: KL radius. */
    maxKl: z.number().positive().max(1).default(0.01),
    /** TRPO: conjugate-gradient iterations. */
    cgIters: z.number().int().min(1).max(100).default(10),
    /** TRPO: damping added to the curvature (H + δI). */
    cgDamping: z.number().min(0).max(1).default(1e-5),
    /**
     * TRPO: fraction of each task's episodes used for the curvature products of the
     * conjugate-gradient solve (rllab's subsample_factor; 1 = all, as pytorch-maml-rl). A
     * quarter makes the update ~2× faster and trains as well on point-nav (bench:maml);
     * the gradient and the line search (which enforces the KL bound) always use all.
     */
    cgSubsample: z.number().gt(0).max(1).default(0.25),
    /** TRPO: line-search tries and backtracking ratio. */
    lsMaxSteps: z.number().int().min(1).max(50).default(15),
    lsBacktrack: z.number().gt(0).lt(1).default(0.8),
    /** PPO: clip range, epochs over the batch, Adam learning rate. */
    ppoClip: z.number().positive().max(1).default(0.2),
    ppoEpochs: z.number().int().min(1).max(100).default(5),
    ppoLr: z.number().positive().max(1).default(3e-3),
  })
  .strict();

export type MamlConfig = z.infer<typeof mamlConfigSchema>;

export interface MamlArgs {
  family: TaskFamily;
  config: MamlConfig;
  seed: number;
  workers: number;
  /** 'local' (default) or a Redis URL whose `metarl worker`s roll out the episodes. */
  sampler?: string;
  /** Algorithm id recorded in checkpoints ('maml', 'pretrained', 'oracle'). */
  algo?: string;
}

// ---------------------------------------------------------------------------------------
// Per-task batches: the episodes of one task flattened into steps, with advantages

/** One task's steps, flattened; `advW` = normalised advantage × per-step weight. */
export interface TaskData {
  n: number;
  obs: Float32Array;
  act: Float32Array;
  advW: Float32Array;
  /** Per-step weights (summing to 1 over the task): see MamlConfig.lossWeighting. */
  w: Float32Array;
  lengths: number[];
}

export function buildTaskData(
  eps: Episode[],
  obsSize: number,
  actSize: number,
  gamma: number,
  lambda: number,
  weighting: 'step' | 'episode',
): TaskData {
  const baseline = new LinearFeatureBaseline(obsSize);
  const returns = eps.map((e) => discountedReturns(e.rewards, gamma));
  baseline.fit(eps, returns);
  const n = eps.reduce((a, e) => a + e.length, 0);
  const obs = new Float32Array(n * obsSize);
  const act = new Float32Array(n * actSize);
  const adv = new Float32Array(n);
  const w = new Float32Array(n);
  let o = 0;
  for (const e of eps) {
    obs.set(e.obs, o * obsSize);
    act.set(e.actions, o * actSize);
    adv.set(gae(e.rewards, baseline.predict(e), gamma, lambda), o);
    w.fill(weighting === 'episode' ? 1 / (eps.length * e.length) : 1 / n, o, o + e.length);
    o += e.length;
  }
  normalizeInPlace(adv);
  const advW = new Float32Array(n);
  for (let i = 0; i < n; i++) advW[i] = adv[i] * w[i];
  return { n, obs, act, advW, w, lengths: eps.map((e) => e.length) };
}

/** TaskData as tensors, kept for the length of a meta-iteration. */
interface TaskTensors {
  /** Episode lengths, in order (not a tensor). */
  lengths?: number[];
  obs: tf.Tensor2D;
  act: tf.Tensor2D;
  advW: tf.Tensor1D;
  w: tf.Tensor1D;
}

interface OuterTensors extends TaskTensors {
  /** The sampling policy's log-likelihoods, means and log-std (fixed: "old" in TRPO). */
  oldLogp: tf.Tensor1D;
  oldMean: tf.Tensor2D;
  oldLogStd: tf.Tensor1D;
}

/** Everything one outer update needs, built once per meta-iteration. */
export interface MetaBatch {
  /** paths[t] = [θ_0 = θ, θ_1, …, θ_K = φ_t]. */
  paths: Float32Array[][];
  /** inner[t][k]: the episodes sampled with θ_k. */
  inner: TaskTensors[][];
  /** 'manual': the policy at θ_k on inner[t][k], with its loss coefficients set (for HVPs). */
  innerPB: PolicyBatch[][];
  outer: OuterTensors[];
  /** 'manual': the policy at φ_t on outer[t]. */
  outerPB: PolicyBatch[];
  /** The flattened data behind the tensors (to hand tasks to update workers). */
  raw?: { inner: TaskData[][]; outer: TaskData[] };
}

/** The TRPO step's split of a meta-batch's tasks between this thread and update workers. */
interface TaskShare {
  /** Tasks [bounds[0], bounds[1]) here, [bounds[w + 1], bounds[w + 2]) on remotes[w]. */
  bounds: number[];
  remotes: UpdateWorker[];
  /** Resolves once every remote holds its share. */
  setupDone: Promise<unknown>;
}

/** Tasks [a, b) of a batch (shares its tensors). */
function sliceBatch(mb: MetaBatch, a: number, b: number): MetaBatch {
  return {
    paths: mb.paths.slice(a, b),
    inner: mb.inner.slice(a, b),
    innerPB: mb.innerPB.slice(a, b),
    outer: mb.outer.slice(a, b),
    outerPB: mb.outerPB.slice(a, b),
  };
}

export function disposeMetaBatch(mb: MetaBatch): void {
  disposeAll(mb.outer);
  for (const ts of mb.inner) disposeAll(ts);
  for (const pbs of mb.innerPB) for (const pb of pbs) pb.dispose();
  for (const pb of mb.outerPB) pb.dispose();
}

function toTensors(d: TaskData, obsSize: number, actSize: number): TaskTensors {
  return {
    lengths: d.lengths,
    obs: tf.tensor2d(d.obs, [d.n, obsSize]),
    act: tf.tensor2d(d.act, [d.n, actSize]),
    advW: tf.tensor1d(d.advW),
    w: tf.tensor1d(d.w),
  };
}

/** The first `m` of `e` episodes (rows [0, rows)), reweighted by e/m so sums stay unbiased. */
function subsetTensors<T extends TaskTensors>(d: T, rows: number, scale: number): T {
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(d) as [string, tf.Tensor][]) {
      if (k === 'lengths') continue;
      if (k === 'oldLogStd') out[k] = tf.clone(v);
      else if (k === 'advW' || k === 'w') out[k] = tf.mul(tf.slice(v, [0], [rows]), scale);
      else out[k] = v.rank === 2 ? tf.slice(v, [0, 0], [rows, -1]) : tf.slice(v, [0], [rows]);
    }
    return out;
  }) as unknown as T;
}

/** The curvature subset of a task's batch: its first ⌈f·E⌉ episodes. */
function curvatureSubset<T extends TaskTensors>(d: T, fraction: number): T {
  const lengths = d.lengths ?? [];
  const m = Math.max(1, Math.ceil(fraction * lengths.length));
  const rows = lengths.slice(0, m).reduce((a, b) => a + b, 0);
  return { ...subsetTensors(d, rows, lengths.length / m), lengths: lengths.slice(0, m) };
}

function disposeAll(ts: (TaskTensors | OuterTensors)[]): void {
  for (const t of ts)
    tf.dispose(Object.values(t).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function now(): number {
  return performance.now() / 1000;
}

// ---------------------------------------------------------------------------------------
// The learner

export class MamlLearner implements MetaLearner {
  readonly algo: string;
  readonly spec: GaussianMlpSpec;
  readonly config: MamlConfig;
  onProgress: ((phase: string, fraction: number) => void) | null = null;
  /** Meta-parameters θ. */
  theta: Float32Array;
  private readonly family: TaskFamily;
  private readonly sampler: RolloutSampler;
  private rng: Rng;
  private iteration = 0;
  /** Adam moments for the PPO option. */
  private adamM: Float32Array;
  private adamV: Float32Array;
  private adamStep = 0;
  /** Outer-update worker threads (updateThreads − 1 of them), started on first use. */
  private readonly updateWorkers: UpdateWorker[] = [];

  constructor(args: MamlArgs) {
    this.algo = args.algo ?? 'maml';
    this.family = args.family;
    this.config = args.config;
    this.spec = {
      obsSize: args.family.observationSize,
      actSize: args.family.actionSize,
      hidden: [...args.config.hidden],
      activation: args.config.activation,
      initStd: args.config.initStd,
    };
    this.rng = new Rng(args.seed);
    // The init draws from its own stream so the sampling stream is the same for any net size.
    this.theta = initParams(this.spec, this.rng.split());
    const P = numParams(this.spec);
    this.adamM = new Float32Array(P);
    this.adamV = new Float32Array(P);
    this.sampler = createSampler({
      workers: args.workers,
      sampler: args.sampler,
      learner: this.algo,
    });
  }

  get numParams(): number {
    return this.theta.length;
  }

  // ----- derivatives: autodiff reference (each call one tidy; vectors cross as arrays) ---

  private innerLoss(theta: tf.Tensor1D, d: TaskTensors): tf.Scalar {
    return tf.neg(tf.sum(tf.mul(logProbTf(this.spec, theta, d.obs, d.act), d.advW)));
  }

  private innerGradAd(theta: tf.Tensor1D, d: TaskTensors): tf.Tensor1D {
    return tf.grad((th: tf.Tensor) => this.innerLoss(th as tf.Tensor1D, d))(theta) as tf.Tensor1D;
  }

  /** H_in(θ) v, exact, by differentiating ∇L_in · v once more. */
  private innerHvpAd(theta: Float32Array, d: TaskTensors, v: ArrayLike<number>): Float32Array {
    return tf.tidy(() => {
      const vt = tf.tensor1d(Float32Array.from(v));
      const h = tf.grad((th: tf.Tensor) =>
        tf.sum(tf.mul(this.innerGradAd(th as tf.Tensor1D, d), vt)),
      )(tf.tensor1d(theta));
      return h.dataSync() as Float32Array;
    });
  }

  private surrogateAd(phi: tf.Tensor1D, o: OuterTensors, clipped: boolean): tf.Scalar {
    const ratio = exp(tf.sub(logProbTf(this.spec, phi, o.obs, o.act), o.oldLogp));
    if (!clipped) return tf.neg(tf.sum(tf.mul(ratio, o.advW)));
    const clippedRatio = tf.clipByValue(ratio, 1 - this.config.ppoClip, 1 + this.config.ppoClip);
    return tf.neg(tf.sum(tf.minimum(tf.mul(ratio, o.advW), tf.mul(clippedRatio, o.advW))));
  }

  private klAd(phi: tf.Tensor1D, o: OuterTensors): tf.Scalar {
    return tf.sum(tf.mul(klFromFixedTf(this.spec, o.oldMean, o.oldLogStd, phi, o.obs), o.w));
  }

  // ----- derivatives: one interface over both implementations ---------------------------

  private get manual(): boolean {
    return this.config.derivatives === 'manual';
  }

  /** θ − α ∇L_in(θ) on batch d; with keep, also the policy batch at θ (for HVPs). */
  private innerStep(
    theta: Float32Array,
    d: TaskTensors,
    lr: number,
    keep: boolean,
  ): { next: Float32Array; pb: PolicyBatch | null } {
    if (this.manual) {
      const pb = new PolicyBatch(this.spec, theta, d.obs, d.act);
      const g = pb.gradient(d.advW);
      const next = new Float32Array(theta.length);
      for (let i = 0; i < next.length; i++) next[i] = theta[i] - lr * g[i];
      if (keep) {
        pb.setCoefficients(d.advW);
        return { next, pb };
      }
      pb.dispose();
      return { next, pb: null };
    }
    const next = tf.tidy(() => {
      const th = tf.tensor1d(theta);
      return tf.sub(th, tf.mul(this.innerGradAd(th, d), lr)).dataSync() as Float32Array;
    });
    return { next, pb: null };
  }

  private innerHvp(mb: MetaBatch, t: number, k: number, v: ArrayLike<number>): Float32Array {
    return this.manual
      ? mb.innerPB[t][k].hessianVp(v)
      : this.innerHvpAd(mb.paths[t][k], mb.inner[t][k], v);
  }

  /** F(φ_t) u: the Hessian of the KL to the fixed old policy, at φ_t. */
  private fisherVp(mb: MetaBatch, t: number, u: ArrayLike<number>): Float32Array {
    const o = mb.outer[t];
    if (this.manual) return mb.outerPB[t].fisherVp(o.w, u);
    const phi = mb.paths[t][mb.paths[t].length - 1];
    return tf.tidy(() => {
      const ut = tf.tensor1d(Float32Array.from(u));
      const klGrad = (p: tf.Tensor) => tf.grad((q: tf.Tensor) => this.klAd(q as tf.Tensor1D, o))(p);
      return tf
        .grad((p: tf.Tensor) => tf.sum(tf.mul(klGrad(p), ut)))(tf.tensor1d(phi))
        .dataSync() as Float32Array;
    });
  }

  /** Surrogate loss (clipped for PPO) and its gradient at φ; `pb` may be a batch already at φ. */
  private lossGrad(
    phi: Float32Array,
    o: OuterTensors,
    clipped: boolean,
    pb?: PolicyBatch,
  ): { loss: number; grad: Float32Array } {
    if (this.manual) {
      const own = pb ?? new PolicyBatch(this.spec, phi, o.obs, o.act);
      try {
        const { c, loss } = tf.tidy(() => {
          const ratio = tf.exp(tf.sub(own.logp, o.oldLogp));
          const un = tf.mul(ratio, o.advW);
          let coef: tf.Tensor1D = un as tf.Tensor1D;
          let obj = un;
          if (clipped) {
            const cl = tf.mul(
              tf.clipByValue(ratio, 1 - this.config.ppoClip, 1 + this.config.ppoClip),
              o.advW,
            );
            obj = tf.minimum(un, cl);
            // The gradient flows only where the unclipped term is the minimum.
            coef = tf.mul(un, tf.cast(tf.lessEqual(un, cl), 'float32')) as tf.Tensor1D;
          }
          return { c: coef, loss: tf.neg(tf.sum(obj)) };
        });
        const grad = own.gradient(c);
        const value = loss.dataSync()[0];
        tf.dispose([c, loss]);
        return { loss: value, grad };
      } finally {
        if (!pb) own.dispose();
      }
    }
    return tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
        this.surrogateAd(p as tf.Tensor1D, o, clipped),
      )(tf.tensor1d(phi));
      return { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
    });
  }

  private lossAndKl(phi: Float32Array, o: OuterTensors): { loss: number; kl: number } {
    if (this.manual) {
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
    return tf.tidy(() => {
      const p = tf.tensor1d(phi);
      return {
        loss: this.surrogateAd(p, o, false).dataSync()[0],
        kl: this.klAd(p, o).dataSync()[0],
      };
    });
  }

  /** J_t v with J = Π_k (I − α H_k) (k = 0 first). */
  private jvp(mb: MetaBatch, t: number, v: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(v);
    if (this.config.firstOrder) return out;
    for (let k = 0; k < mb.inner[t].length; k++) {
      const h = this.innerHvp(mb, t, k, out);
      for (let i = 0; i < out.length; i++) out[i] -= this.config.innerLr * h[i];
    }
    return out;
  }

  /** J_tᵀ w (k = K−1 first). */
  private vjp(mb: MetaBatch, t: number, w: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(w);
    if (this.config.firstOrder) return out;
    for (let k = mb.inner[t].length - 1; k >= 0; k--) {
      const h = this.innerHvp(mb, t, k, out);
      for (let i = 0; i < out.length; i++) out[i] -= this.config.innerLr * h[i];
    }
    return out;
  }

  /** φ_t(θ) on the batch's fixed inner data, with its intermediates (and policy batches if asked). */
  private adaptOnData(
    theta: Float32Array,
    inner: TaskTensors[],
    keep: boolean,
  ): { path: Float32Array[]; pbs: PolicyBatch[] } {
    const path = [theta];
    const pbs: PolicyBatch[] = [];
    for (const d of inner) {
      const { next, pb } = this.innerStep(path[path.length - 1], d, this.config.innerLr, keep);
      path.push(next);
      if (pb) pbs.push(pb);
    }
    return { path, pbs };
  }

  /** The meta-objective mean_t L_out(φ_t(θ)) and mean KL at θ, on the batch's data. */
  metaObjective(theta: Float32Array, mb: MetaBatch): { loss: number; kl: number } {
    const parts = mb.outer.map((o, t) =>
      this.lossAndKl(this.adaptOnData(theta, mb.inner[t], false).path.at(-1) as Float32Array, o),
    );
    return { loss: meanOf(parts.map((p) => p.loss)), kl: meanOf(parts.map((p) => p.kl)) };
  }

  /** The meta-gradient mean_t J_tᵀ ∇φ L_out(φ_t) and the loss, at the batch's θ. */
  metaGradient(mb: MetaBatch, clipped = false): { loss: number; grad: Float64Array } {
    const P = this.theta.length;
    const g = new Float64Array(P);
    let loss = 0;
    const T = mb.outer.length;
    for (let t = 0; t < T; t++) {
      const phi = mb.paths[t][mb.paths[t].length - 1];
      const lg = this.lossGrad(phi, mb.outer[t], clipped, this.manual ? mb.outerPB[t] : undefined);
      loss += lg.loss / T;
      const jt = this.vjp(mb, t, lg.grad);
      for (let i = 0; i < P; i++) g[i] += jt[i] / T;
    }
    return { loss, grad: g };
  }

  /** (mean_t J_tᵀ F_t J_t + δI) v: the Hessian of the mean KL through the adaptation. */
  curvatureVp(mb: MetaBatch, v: Vec, damping: number): Float64Array {
    const out = new Float64Array(v.length);
    const T = mb.outer.length;
    for (let t = 0; t < T; t++) {
      const r = this.vjp(mb, t, this.fisherVp(mb, t, this.jvp(mb, t, v)));
      for (let i = 0; i < v.length; i++) out[i] += r[i] / T;
    }
    for (let i = 0; i < v.length; i++) out[i] += damping * v[i];
    return out;
  }

  // ----- sampling and data --------------------------------------------------------------

  private progress(phase: string, fraction: number): void {
    this.onProgress?.(phase, Math.max(0, Math.min(1, fraction)));
  }

  private async sampleStage(
    tasks: JsonObject[],
    params: Float32Array[],
    seed: number,
    opts: { taskSeeds?: number[]; recordFrames?: boolean; episodes?: number } = {},
  ) {
    return this.sampler.sample({
      familyId: this.family.id,
      tasks,
      params,
      spec: this.spec,
      episodesPerTask: opts.episodes ?? this.config.episodesPerTask,
      seed,
      normalizeActions: this.config.normalizeActions,
      ...(opts.taskSeeds ? { taskSeeds: opts.taskSeeds } : {}),
      ...(opts.recordFrames ? { recordFrames: true } : {}),
    });
  }

  private taskData(eps: Episode[]): TaskData {
    return buildTaskData(
      eps,
      this.spec.obsSize,
      this.spec.actSize,
      this.config.gamma,
      this.config.gaeLambda,
      this.config.lossWeighting,
    );
  }

  /** Old-policy tensors for the outer batch of one task, sampled with φ. */
  private outerTensors(d: TaskData, phi: Float32Array): OuterTensors {
    const base = toTensors(d, this.spec.obsSize, this.spec.actSize);
    const [oldLogp, oldMean, oldLogStd] = tf.tidy(() => {
      const p = tf.tensor1d(phi);
      return [
        logProbTf(this.spec, p, base.obs, base.act),
        meanTf(this.spec, p, base.obs),
        logStdTf(this.spec, p),
      ];
    });
    return { ...base, oldLogp, oldMean, oldLogStd } as OuterTensors;
  }

  // ----- one meta-iteration ---------------------------------------------------------------

  async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    if (tasks.length === 0) throw new Error('metaTrainStep: no tasks');
    const cfg = this.config;
    const K = cfg.innerSteps;
    const T = tasks.length;
    const tStart = now();
    let tSampling = 0;
    let tInner = 0;
    const metrics: Metrics = {};
    const seed = this.rng.seed();

    // Sample with θ, adapt, sample with the adapted θ, … (fresh episodes at every stage).
    const mb: MetaBatch = {
      paths: tasks.map(() => [this.theta]),
      inner: tasks.map(() => []),
      innerPB: tasks.map(() => []),
      outer: [],
      outerPB: [],
      raw: { inner: tasks.map(() => []), outer: [] },
    };
    let envSteps = 0;
    let share: TaskShare | undefined;
    try {
      for (let k = 0; k <= K; k++) {
        this.progress('sampling', k / (K + 2));
        const t0 = now();
        const res = await this.sampleStage(
          tasks,
          mb.paths.map((p) => p[k]),
          (seed + k * 7919) % 2147483647,
        );
        tSampling += now() - t0;
        envSteps += res.steps;
        metrics[k === 0 ? 'returns/pre' : `returns/post_${k}`] = meanOf(
          res.episodes.flat().map((e) => e.return),
        );
        const t1 = now();
        const data = res.episodes.map((eps) => this.taskData(eps));
        if (k < K) {
          for (let t = 0; t < T; t++) {
            const d = toTensors(data[t], this.spec.obsSize, this.spec.actSize);
            mb.inner[t].push(d);
            mb.raw?.inner[t].push(data[t]);
            const { next, pb } = this.innerStep(mb.paths[t][k], d, cfg.innerLr, !cfg.firstOrder);
            mb.paths[t].push(next);
            if (pb) mb.innerPB[t].push(pb);
          }
        } else {
          mb.raw?.outer.push(...data);
          share = this.shareTasks(mb, T);
          for (let t = 0; t < T; t++) {
            const phi = mb.paths[t][K];
            mb.outer.push(this.outerTensors(data[t], phi));
            if (this.manual)
              mb.outerPB.push(new PolicyBatch(this.spec, phi, mb.outer[t].obs, mb.outer[t].act));
          }
        }
        tInner += now() - t1;
      }
      this.progress('outer', (K + 1) / (K + 2));
      const t2 = now();
      Object.assign(
        metrics,
        cfg.outer === 'trpo' ? await this.trpoStep(mb, share) : this.ppoStep(mb),
      );
      metrics['time/outer'] = now() - t2;
    } finally {
      disposeMetaBatch(mb);
    }
    this.iteration++;
    metrics['time/sampling'] = tSampling;
    metrics['time/inner'] = tInner;
    metrics['time/total'] = now() - tStart;
    metrics['env/steps'] = envSteps;
    metrics['policy/entropy'] = entropyOf(this.spec, this.theta);
    this.progress('done', 1);
    return metrics;
  }

  /**
   * How the TRPO step splits the tasks: [bounds[0], bounds[1]) in this thread, the rest over
   * update workers, each set up with its share as soon as this is called (so the workers
   * build their tensors while this thread is still busy). Workers run their own backend; the
   * native tfjs-node cannot load in a second thread (tfjs #8388), so with it (it is
   * multi-threaded anyway) the update stays in this thread.
   */
  private shareTasks(mb: MetaBatch, T: number): TaskShare {
    const backend = tf.getBackend();
    const threads =
      this.config.outer === 'trpo' && mb.raw && (backend === 'wasm' || backend === 'cpu')
        ? Math.max(1, Math.min(this.config.updateThreads, T))
        : 1;
    const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.floor((i * T) / threads));
    const share: TaskShare = { bounds, remotes: [], setupDone: Promise.resolve() };
    if (threads === 1 || !mb.raw) return share;
    while (this.updateWorkers.length < threads - 1) this.updateWorkers.push(new UpdateWorker());
    const raw = mb.raw;
    share.setupDone = Promise.all(
      Array.from({ length: threads - 1 }, (_, w) => {
        const [a, b] = [bounds[w + 1], bounds[w + 2]];
        share.remotes.push(this.updateWorkers[w]);
        return this.updateWorkers[w].request(
          {
            kind: 'setup',
            backend,
            familyId: this.family.id,
            config: this.config as unknown as JsonObject,
            inner: raw.inner.slice(a, b),
            outer: raw.outer.slice(a, b),
            paths: mb.paths.slice(a, b),
          },
          'ok',
        );
      }),
    );
    // Awaited by the first request that needs it; this only keeps an early failure elsewhere from leaving it unhandled.
    share.setupDone.catch(() => {});
    return share;
  }

  /**
   * The TRPO step. The tasks are split between this thread and the update workers; each
   * request (gradient, curvature product, objective) goes to the workers first, then this
   * thread computes its share while they compute theirs, and the shares are summed in task
   * order. A worker handles its requests in order, so the first one can follow its setup at once.
   */
  private async trpoStep(
    mb: MetaBatch,
    share: TaskShare = this.shareTasks(mb, mb.outer.length),
  ): Promise<Metrics> {
    const cfg = this.config;
    const T = mb.outer.length;
    const { bounds, remotes, setupDone } = share;
    const local = sliceBatch(mb, bounds[0], bounds[1]);
    const nLocal = bounds[1] - bounds[0];
    const localCurv = this.curvatureView(local);
    const P = this.theta.length;
    const compute = {
      gradient: async () => {
        const pending = remotes.map((w) => w.request({ kind: 'gradient' }, 'gradient'));
        for (const p of pending) p.catch(() => {});
        const lg = this.metaGradient(local);
        await setupDone;
        let loss = lg.loss * nLocal;
        const g = lg.grad.map((x) => x * nLocal);
        for (const r of await Promise.all(pending)) {
          loss += r.loss;
          for (let i = 0; i < P; i++) g[i] += r.grad[i];
        }
        return { loss: loss / T, grad: g.map((x) => x / T) };
      },
      curvature: async (v: Vec) => {
        const pending = remotes.map((w) => w.request({ kind: 'curvature', v }, 'vector'));
        const out = this.curvatureVp(localCurv.view, v, 0).map((x) => x * nLocal);
        for (const r of await Promise.all(pending)) for (let i = 0; i < P; i++) out[i] += r.v[i];
        for (let i = 0; i < P; i++) out[i] = out[i] / T + cfg.cgDamping * v[i];
        return out;
      },
      objective: async (theta: Float32Array) => {
        const pending = remotes.map((w) => w.request({ kind: 'objective', theta }, 'objective'));
        const o = this.metaObjective(theta, local);
        let loss = o.loss * nLocal;
        let kl = o.kl * nLocal;
        for (const r of await Promise.all(pending)) {
          loss += r.loss;
          kl += r.kl;
        }
        return { loss: loss / T, kl: kl / T };
      },
    };
    try {
      return await this.trpoSolve(compute);
    } finally {
      localCurv.dispose();
      await Promise.all(remotes.map((w) => w.request({ kind: 'release' }, 'ok')));
    }
  }

  /** A view of the batch on a subset of each task's episodes, for curvature products. */
  private curvatureBatch(mb: MetaBatch, fraction: number): MetaBatch {
    const sub: MetaBatch = { paths: mb.paths, inner: [], innerPB: [], outer: [], outerPB: [] };
    for (let t = 0; t < mb.outer.length; t++) {
      const inner = mb.inner[t].map((d) => curvatureSubset(d, fraction));
      sub.inner.push(inner);
      sub.innerPB.push(
        this.manual && !this.config.firstOrder
          ? inner.map((d, k) => {
              const pb = new PolicyBatch(this.spec, mb.paths[t][k], d.obs, d.act);
              pb.setCoefficients(d.advW);
              return pb;
            })
          : [],
      );
      const o = curvatureSubset(mb.outer[t], fraction);
      sub.outer.push(o);
      if (this.manual)
        sub.outerPB.push(
          new PolicyBatch(this.spec, mb.paths[t][mb.paths[t].length - 1], o.obs, o.act),
        );
    }
    return sub;
  }

  private async trpoSolve(compute: {
    gradient: () => Promise<{ loss: number; grad: Float64Array }>;
    curvature: (v: Vec) => Promise<Float64Array>;
    objective: (theta: Float32Array) => Promise<{ loss: number; kl: number }>;
  }): Promise<Metrics> {
    const cfg = this.config;
    const { loss: oldLoss, grad } = await compute.gradient();
    const hvp = compute.curvature;
    let cgDone = 0;
    const stepDir = await conjugateGradient(
      (v) => {
        this.progress('outer', 0.5 + (0.4 * ++cgDone) / cfg.cgIters);
        return hvp(v);
      },
      grad,
      cfg.cgIters,
    );
    const shs = 0.5 * dot(stepDir, await hvp(stepDir));
    const scale = shs > 0 ? 1 / Math.sqrt(shs / cfg.maxKl) : 0;
    const theta0 = this.theta;
    const candidate = (f: number) => {
      const c = new Float32Array(theta0.length);
      for (let i = 0; i < c.length; i++) c[i] = theta0[i] - f * scale * stepDir[i];
      return c;
    };
    const ls = await backtrackingLineSearch(
      (f) => compute.objective(candidate(f)),
      oldLoss,
      cfg.maxKl,
      cfg.lsMaxSteps,
      cfg.lsBacktrack,
    );
    if (ls.accepted) this.theta = candidate(ls.fraction);
    return {
      'losses/surrogate': oldLoss,
      'losses/surrogate_after': ls.accepted ? ls.loss : oldLoss,
      'losses/kl': ls.accepted ? ls.kl : 0,
      'losses/grad_norm': Math.sqrt(dot(grad, grad)),
      'optim/step_fraction': ls.fraction,
      'optim/ls_tries': ls.tries,
      'optim/accepted': ls.accepted ? 1 : 0,
    };
  }

  private ppoStep(mb: MetaBatch): Metrics {
    const cfg = this.config;
    const b1 = 0.9;
    const b2 = 0.999;
    let first = NaN;
    for (let e = 0; e < cfg.ppoEpochs; e++) {
      // Re-adapt from the current θ on the same inner data; the outer data stay the old policy's.
      const cur: MetaBatch = { ...mb, paths: [], innerPB: [], outerPB: [] };
      try {
        for (let t = 0; t < mb.outer.length; t++) {
          const { path, pbs } = this.adaptOnData(
            this.theta,
            mb.inner[t],
            this.manual && !cfg.firstOrder,
          );
          cur.paths.push(path);
          cur.innerPB.push(pbs);
        }
        const { loss, grad } = this.metaGradient(cur, true);
        if (e === 0) first = loss;
        this.adamStep++;
        const c1 = 1 - b1 ** this.adamStep;
        const c2 = 1 - b2 ** this.adamStep;
        const next = new Float32Array(this.theta);
        for (let i = 0; i < next.length; i++) {
          this.adamM[i] = b1 * this.adamM[i] + (1 - b1) * grad[i];
          this.adamV[i] = b2 * this.adamV[i] + (1 - b2) * grad[i] * grad[i];
          next[i] -= (cfg.ppoLr * (this.adamM[i] / c1)) / (Math.sqrt(this.adamV[i] / c2) + 1e-8);
        }
        this.theta = next;
      } finally {
        for (const pbs of cur.innerPB) for (const pb of pbs) pb.dispose();
      }
    }
    const after = this.metaObjective(this.theta, mb);
    return {
      'losses/surrogate': first,
      'losses/surrogate_after': after.loss,
      'losses/kl': after.kl,
    };
  }

  // ----- adaptation (evaluation, viewer) ------------------------------------------------

  /** Seed of stage k of a task whose adaptation seed is `taskSeed`. */
  static stageSeed(taskSeed: number, stage: number): number {
    return episodeSeed(taskSeed, 1_000_000 + stage);
  }

  async adapt(
    task: JsonObject,
    budget: AdaptBudget,
    onEpisode?: (ep: EpisodeRecord) => void,
  ): Promise<AdaptResult> {
    const [r] = await this.adaptBatch(
      [task],
      budget,
      [budget.seed],
      onEpisode ? (_t, ep) => onEpisode(ep) : undefined,
    );
    return r;
  }

  /**
   * Adapt θ to several tasks at once (one sampler call per stage for all of them). Task i
   * uses seed taskSeeds[i], so its result equals adapt(task_i, { …budget, seed: taskSeeds[i] }).
   * θ is never changed.
   */
  async adaptBatch(
    tasks: JsonObject[],
    budget: AdaptBudget,
    taskSeeds: number[] = tasks.map((_, i) => budget.seed + i),
    onEpisode?: (task: number, ep: EpisodeRecord) => void,
  ): Promise<AdaptResult[]> {
    if (!Number.isInteger(budget.steps) || budget.steps < 0 || budget.steps > 50)
      throw new Error(`adapt: steps must be an integer in [0, 50], got ${budget.steps}`);
    if (!Number.isInteger(budget.episodesPerStage) || budget.episodesPerStage < 1) {
      throw new Error(
        `adapt: episodesPerStage must be a positive integer, got ${budget.episodesPerStage}`,
      );
    }
    const parsed = tasks.map((t) => this.family.parseTask(t));
    if (budget.stepSize !== undefined && !(budget.stepSize >= 0 && budget.stepSize <= 100))
      throw new Error(`adapt: stepSize must be in [0, 100], got ${budget.stepSize}`);
    const lr0 = budget.stepSize ?? this.config.adaptLr ?? this.config.innerLr;
    const lrLater =
      budget.laterStepRatio !== undefined
        ? lr0 * budget.laterStepRatio
        : budget.stepSize !== undefined
          ? budget.stepSize / 4
          : (this.config.adaptLrLater ?? lr0 / 4);
    // The oracle already sees the task: the paper evaluates it as it is, without fine-tuning.
    const fineTune = this.algo !== 'oracle';
    let params = parsed.map(() => this.theta);
    const results: AdaptResult[] = parsed.map(() => ({ returns: [], episodes: [] }));
    const toEnvUnits = this.envActions(parsed[0]);
    for (let k = 0; k <= budget.steps; k++) {
      const res = await this.sampleStage(parsed, params, 0, {
        taskSeeds: taskSeeds.map((s) => MamlLearner.stageSeed(s, k)),
        recordFrames: budget.recordFrames === true,
        episodes: budget.episodesPerStage,
      });
      for (let t = 0; t < parsed.length; t++) {
        const eps = res.episodes[t];
        results[t].returns.push(meanOf(eps.map((e) => e.return)));
        for (const e of eps) {
          const rec: EpisodeRecord = {
            stage: k,
            index: e.index,
            return: e.return,
            length: e.length,
            observations: e.obs,
            actions: toEnvUnits(e.actions),
            rewards: e.rewards,
            ...(e.frames ? { frames: e.frames } : {}),
          };
          results[t].episodes.push(rec);
          onEpisode?.(t, rec);
        }
      }
      if (k < budget.steps && fineTune) {
        params = params.map((p, t) => {
          const d = toTensors(this.taskData(res.episodes[t]), this.spec.obsSize, this.spec.actSize);
          try {
            return this.innerStep(p, d, k === 0 ? lr0 : lrLater, false).next;
          } finally {
            disposeAll([d]);
          }
        });
      }
    }
    return results;
  }

  /** Policy-unit actions → the env's units (identity unless normalizeActions). */
  private envActions(task: JsonObject | undefined): (a: Float32Array) => Float32Array {
    if (!this.config.normalizeActions || task === undefined) return (a) => a;
    const { center, half } = actionMap(this.family.make(task, 0).actionSpace);
    const A = center.length;
    return (a) => a.map((x, j) => center[j % A] + half[j % A] * x);
  }

  // ----- state --------------------------------------------------------------------------

  async saveState(): Promise<Checkpoint> {
    const P = this.theta.length;
    return {
      algo: this.algo,
      iteration: this.iteration,
      params: { theta: { shape: [P], data: new Float32Array(this.theta) } },
      optimizerTensors: {
        adamM: { shape: [P], data: new Float32Array(this.adamM) },
        adamV: { shape: [P], data: new Float32Array(this.adamV) },
      },
      optimizerState: {
        adamStep: this.adamStep,
        spec: { ...this.spec, hidden: [...this.spec.hidden] },
      },
      rng: this.rng.getState(),
    };
  }

  async loadState(c: Checkpoint): Promise<void> {
    const P = this.theta.length;
    const th = c.params?.theta;
    if (!th || th.data.length !== P) {
      throw new Error(
        `checkpoint params.theta has ${th ? th.data.length : 'no'} values; this ${this.algo} policy (${this.spec.hidden.join('-')} ${this.spec.activation}, ${this.spec.obsSize}→${this.spec.actSize}) needs ${P}`,
      );
    }
    if (!Array.from(th.data).every(Number.isFinite))
      throw new Error('checkpoint params.theta holds non-finite values');
    this.theta = new Float32Array(th.data);
    const m = c.optimizerTensors?.adamM;
    const v = c.optimizerTensors?.adamV;
    this.adamM = m && m.data.length === P ? new Float32Array(m.data) : new Float32Array(P);
    this.adamV = v && v.data.length === P ? new Float32Array(v.data) : new Float32Array(P);
    const step = c.optimizerState?.adamStep;
    this.adamStep = typeof step === 'number' ? step : 0;
    this.iteration = c.iteration;
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {
    await this.sampler.close();
    await Promise.all(this.updateWorkers.splice(0).map((w) => w.close()));
  }

  /** A MetaBatch from flattened task data and the adaptation paths (used by update workers). */
  prepareFromData(inner: TaskData[][], outer: TaskData[], paths: Float32Array[][]): MetaBatch {
    const mb: MetaBatch = { paths, inner: [], innerPB: [], outer: [], outerPB: [] };
    for (let t = 0; t < outer.length; t++) {
      const ts = inner[t].map((d) => toTensors(d, this.spec.obsSize, this.spec.actSize));
      mb.inner.push(ts);
      mb.innerPB.push(
        this.manual && !this.config.firstOrder
          ? ts.map((d, k) => {
              const pb = new PolicyBatch(this.spec, paths[t][k], d.obs, d.act);
              pb.setCoefficients(d.advW);
              return pb;
            })
          : [],
      );
      const phi = paths[t][paths[t].length - 1];
      mb.outer.push(this.outerTensors(outer[t], phi));
      if (this.manual)
        mb.outerPB.push(new PolicyBatch(this.spec, phi, mb.outer[t].obs, mb.outer[t].act));
    }
    return mb;
  }

  /** The curvature view of a batch (the configured subsample, or the batch itself). */
  curvatureView(mb: MetaBatch): { view: MetaBatch; dispose: () => void } {
    if (this.config.cgSubsample >= 1) return { view: mb, dispose: () => {} };
    const sub = this.curvatureBatch(mb, this.config.cgSubsample);
    return {
      view: sub,
      dispose: () => {
        disposeAll(sub.outer);
        for (const ts of sub.inner) disposeAll(ts);
        for (const pbs of sub.innerPB) for (const pb of pbs) pb.dispose();
        for (const pb of sub.outerPB) pb.dispose();
      },
    };
  }

  // ----- test hooks: a MetaBatch from given episodes ------------------------------------

  /** For gradient checks: the tensors and adaptation paths of one meta-iteration, from given episodes ([stage][task][episode]). */
  prepareFromEpisodes(
    innerEps: Episode[][][],
    outerEps: Episode[][],
    theta: Float32Array = this.theta,
  ): MetaBatch {
    const mb: MetaBatch = { paths: [], inner: [], innerPB: [], outer: [], outerPB: [] };
    for (let t = 0; t < outerEps.length; t++) {
      const ts = innerEps.map((stage) =>
        toTensors(this.taskData(stage[t]), this.spec.obsSize, this.spec.actSize),
      );
      mb.inner.push(ts);
      const { path, pbs } = this.adaptOnData(theta, ts, this.manual && !this.config.firstOrder);
      mb.paths.push(path);
      mb.innerPB.push(pbs);
      const phi = path[path.length - 1];
      mb.outer.push(this.outerTensors(this.taskData(outerEps[t]), phi));
      if (this.manual)
        mb.outerPB.push(new PolicyBatch(this.spec, phi, mb.outer[t].obs, mb.outer[t].act));
    }
    return mb;
  }
}
