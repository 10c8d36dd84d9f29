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
//
// This file is the algorithm box; its pieces live beside it: mamlConfig (hyper-parameters),
// taskData (advantages), derivatives (manual or autodiff, chosen once), gradientAdaptation
// (inner steps), metaBatch (the batch of adaptation paths), metaGradient (J, Jᵀ, the
// objective), trpo (the outer step), mamlUpdatePool (the update shared between threads),
// adam (the PPO option's optimiser).
import { readEnv, type TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import { type GaussianMlpSpec, entropyOf, initParams } from '../policies/gaussianMlp';
import { actionMap } from '../samplers/rollout';
import type { Episode } from '../samplers/sampler';
import { createSampler, type RolloutSampler } from '../samplers/createSampler';
import { Adam } from './adam';
import { createDerivatives, type PolicyDerivatives, type StepSize } from './derivatives';
import { adaptByGradient, type GradientAdapter } from './gradientAdaptation';
import { innerStepSizeOf, type MamlConfig, policySpecOf } from './mamlConfig';
import {
  StagedShare,
  type TaskShare,
  UpdateWorker,
  sharedTrpoOracle,
  shareTasks,
} from './mamlUpdatePool';
import {
  type MetaBatch,
  type MetaBatchOptions,
  MetaBatchBuilder,
  curvatureView,
  disposeMetaBatch,
  readaptedBatch,
  sliceBatch,
} from './metaBatch';
import { type MetaGradientOptions, curvatureVp, metaGradient, metaObjective } from './metaGradient';
import type {
  AdaptBudget,
  AdaptResult,
  Checkpoint,
  EpisodeRecord,
  MetaLearner,
  Metrics,
} from './metaLearner';
import { type TaskData, outerTensors, taskDataOf, toTensors } from './taskData';
import { trpoStep, type Vec } from './trpo';

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

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function now(): number {
  return performance.now() / 1000;
}

export class MamlLearner implements MetaLearner {
  readonly algo: string;
  readonly spec: GaussianMlpSpec;
  readonly config: MamlConfig;
  onProgress: ((phase: string, fraction: number) => void) | null = null;
  /** Meta-parameters θ. */
  theta: Float32Array;
  protected readonly family: TaskFamily;
  protected readonly sampler: RolloutSampler;
  protected readonly derivatives: PolicyDerivatives;
  protected rng: Rng;
  protected iteration = 0;
  /** The PPO option's optimiser. */
  private readonly adam: Adam;
  /** Outer-update worker threads (updateThreads − 1 of them), started on first use. */
  private readonly updateWorkers: UpdateWorker[] = [];

  constructor(args: MamlArgs) {
    this.algo = args.algo ?? 'maml';
    this.family = args.family;
    this.config = args.config;
    this.spec = policySpecOf(args.family, args.config);
    this.derivatives = createDerivatives(
      args.config.derivatives,
      this.spec,
      args.config.innerCurvature,
    );
    this.rng = new Rng(args.seed);
    // The init draws from its own stream so the sampling stream is the same for any net size.
    this.theta = initParams(this.spec, this.rng.split(), args.config.outputInitScale);
    this.adam = new Adam([[this.theta.length]], args.config.ppoLr);
    this.sampler = createSampler({
      workers: args.workers,
      sampler: args.sampler,
      learner: this.algo,
    });
  }

  get numParams(): number {
    return this.theta.length;
  }

  /** This thread builds the whole meta-batch, update workers get theirs from it (Meta-SGD's step-size gradient needs all tasks here). */
  protected readonly buildsWholeBatch: boolean = false;

  /**
   * The inner step size of meta-training: MAML's one α, or per entry with a latent (Meta-SGD:
   * its learned vector).
   */
  protected innerStepSize(): StepSize {
    return innerStepSizeOf(this.spec, this.config);
  }

  /**
   * Per-parameter factors of the adaptation step sizes (Meta-SGD: α / innerLr); for MAML
   * latentInnerLr / innerLr on a latent's entries, none without one.
   */
  protected adaptStepShape(): Float32Array | undefined {
    const a = innerStepSizeOf(this.spec, this.config);
    const lr = this.config.innerLr;
    return typeof a === 'number' ? undefined : a.map((x) => x / lr);
  }

  protected get batchOptions(): MetaBatchOptions {
    return {
      innerLr: this.innerStepSize(),
      curvature: !this.config.firstOrder,
      preWeight: this.config.preAdaptWeight,
    };
  }

  protected get gradientOptions(): MetaGradientOptions {
    return {
      innerLr: this.innerStepSize(),
      firstOrder: this.config.firstOrder,
      preWeight: this.config.preAdaptWeight,
    };
  }

  // ----- one meta-iteration ---------------------------------------------------------------

  /**
   * Given training tasks T_1 … T_T:
   *   for k = 0 … K−1: sample episodes D_k with θ_k on every task; θ_{k+1} = θ_k − α ∇L_in(θ_k; D_k)
   *   sample episodes D'_t with φ_t = θ_K on every task
   *   θ ← outer step (TRPO, or PPO with Adam) on mean_t L_out(φ_t(θ); D'_t)
   */
  async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    if (tasks.length === 0) throw new Error('metaTrainStep: no tasks');
    const cfg = this.config;
    const K = cfg.innerSteps;
    const tStart = now();
    let tSampling = 0;
    let tInner = 0;
    const metrics: Metrics = {};
    const seed = this.rng.seed();
    // Update workers build their share of the batch themselves, stage by stage, unless this
    // thread needs the whole batch (Meta-SGD's step-size gradient).
    const staged = this.buildsWholeBatch
      ? null
      : new StagedShare(this.updateWorkers, tasks.length, this.family.id, cfg, this.theta);
    const nHere = staged ? staged.local : tasks.length;
    const batch = new MetaBatchBuilder(
      this.derivatives,
      this.batchOptions,
      tasks.slice(0, nHere).map(() => this.theta),
    );
    // The flattened data too: with the whole batch here, update workers build theirs from them.
    const rawInner: TaskData[][] = tasks.map(() => []);
    let params = tasks.map(() => this.theta);
    let envSteps = 0;
    let share: TaskShare | undefined;
    try {
      for (let k = 0; k <= K; k++) {
        // Fresh episodes at every stage, sampled with each task's current parameters.
        this.progress('sampling', k / (K + 2));
        const t0 = now();
        const res = await this.sampleStage(tasks, params, (seed + k * 7919) % 2147483647);
        tSampling += now() - t0;
        envSteps += res.steps;
        metrics[k === 0 ? 'returns/pre' : `returns/post_${k}`] = meanOf(
          res.episodes.flat().map((e) => e.return),
        );
        const t1 = now();
        const remote = k < K ? staged?.inner(res.episodes) : undefined;
        if (k === K) staged?.outer(res.episodes);
        const data = res.episodes.slice(0, nHere).map((eps) => this.taskData(eps));
        if (k < K) {
          // The inner step on the episodes just sampled.
          if (!staged) data.forEach((d, t) => rawInner[t].push(d));
          const next = batch.innerStage(
            data.map((d) => toTensors(d, this.spec.obsSize, this.spec.actSize)),
          );
          params = [...next, ...((await remote) ?? [])];
        } else {
          if (!staged) {
            const raw = { inner: rawInner, outer: data, paths: batch.mb.paths };
            share = shareTasks(this.updateWorkers, raw, this.family.id, cfg, this.innerStepSize());
          } else share = staged.share;
          batch.outerStage(data.map((d, t) => outerTensors(this.spec, d, params[t])));
        }
        tInner += now() - t1;
      }
      // The outer step on the meta-objective.
      this.progress('outer', (K + 1) / (K + 2));
      const t2 = now();
      Object.assign(metrics, await this.outerStep(batch.mb, share as TaskShare));
      metrics['time/outer'] = now() - t2;
    } finally {
      disposeMetaBatch(batch.mb);
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

  /** The outer step on a meta-batch whose adaptation paths start at θ. */
  protected async outerStep(mb: MetaBatch, share: TaskShare): Promise<Metrics> {
    return this.config.outer === 'trpo' ? this.trpoOuterStep(mb, share) : this.ppoOuterStep(mb);
  }

  /** TRPO on the meta-objective; this thread takes its share of the tasks, update workers the rest. */
  private async trpoOuterStep(mb: MetaBatch, share: TaskShare): Promise<Metrics> {
    const cfg = this.config;
    const o = this.gradientOptions;
    const local = sliceBatch(mb, share.bounds[0], share.bounds[1]);
    const localCurv = curvatureView(this.derivatives, this.batchOptions, local, cfg.cgSubsample);
    const oracle = sharedTrpoOracle(
      share,
      share.bounds[share.bounds.length - 1],
      {
        gradient: () => metaGradient(local, o),
        curvature: (v) => curvatureVp(localCurv.view, v, 0, o),
        objective: (theta) => metaObjective(this.derivatives, theta, local, o),
      },
      cfg.cgDamping,
    );
    try {
      const step = await trpoStep(this.theta, oracle, cfg, (i) =>
        this.progress('outer', 0.5 + (0.4 * i) / cfg.cgIters),
      );
      this.theta = step.theta;
      return step.metrics;
    } finally {
      localCurv.dispose();
      await oracle.release();
    }
  }

  /** PPO epochs with Adam: each re-adapts from the current θ on the same inner data (the outer data stay the old policy's). */
  private ppoOuterStep(mb: MetaBatch): Metrics {
    const cfg = this.config;
    // Read at every step: meta-control's schedules change it between meta-iterations.
    this.adam.learningRate = cfg.ppoLr;
    let first = NaN;
    for (let e = 0; e < cfg.ppoEpochs; e++) {
      const cur = readaptedBatch(this.derivatives, this.batchOptions, mb, this.theta);
      try {
        const { loss, grad } = metaGradient(cur, this.gradientOptions, cfg.ppoClip);
        if (e === 0) first = loss;
        this.theta = this.adam.applyFlat(this.theta, grad);
      } finally {
        disposeMetaBatch(cur, { tensors: false });
      }
    }
    const after = metaObjective(this.derivatives, this.theta, mb, this.gradientOptions);
    return {
      'losses/surrogate': first,
      'losses/surrogate_after': after.loss,
      'losses/kl': after.kl,
    };
  }

  // ----- sampling and data --------------------------------------------------------------

  protected progress(phase: string, fraction: number): void {
    this.onProgress?.(phase, Math.max(0, Math.min(1, fraction)));
  }

  protected async sampleStage(
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

  protected taskData(eps: Episode[]): TaskData {
    return taskDataOf(eps, this.spec, this.config);
  }

  // ----- adaptation (evaluation, viewer) ------------------------------------------------

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
    const adapter: GradientAdapter = {
      family: this.family,
      theta: this.theta,
      derivatives: this.derivatives,
      obsSize: this.spec.obsSize,
      actSize: this.spec.actSize,
      sample: (ts, params, o) => this.sampleStage(ts, params, 0, o),
      taskData: (eps) => this.taskData(eps),
      envActions: (task) => this.envActions(task),
      // The oracle already sees the task: the paper evaluates it as it is, without fine-tuning.
      fineTune: this.algo !== 'oracle',
      stepShape: this.adaptStepShape(),
    };
    const own = {
      first: this.config.adaptLr ?? this.config.innerLr,
      later: this.config.adaptLrLater,
    };
    return adaptByGradient(adapter, tasks, budget, own, taskSeeds, onEpisode);
  }

  /** Policy-unit actions → the env's units (identity unless normalizeActions). */
  private envActions(task: JsonObject | undefined): (a: Float32Array) => Float32Array {
    if (!this.config.normalizeActions || task === undefined) return (a) => a;
    const { center, half } = readEnv(this.family, task, (env) => actionMap(env.actionSpace));
    const A = center.length;
    return (a) => a.map((x, j) => center[j % A] + half[j % A] * x);
  }

  // ----- state --------------------------------------------------------------------------

  async saveState(): Promise<Checkpoint> {
    const P = this.theta.length;
    const { m, v } = this.adam.moments();
    return {
      algo: this.algo,
      iteration: this.iteration,
      params: { theta: { shape: [P], data: new Float32Array(this.theta) } },
      optimizerTensors: { adamM: { shape: [P], data: m }, adamV: { shape: [P], data: v } },
      optimizerState: {
        adamStep: this.adam.step,
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
    // Moments missing or of another size (an older checkpoint) start from zero.
    const moment = (s: { data: Float32Array } | undefined) =>
      s && s.data.length === P ? new Float32Array(s.data) : new Float32Array(P);
    const step = c.optimizerState?.adamStep;
    this.adam.setMoments(
      0,
      moment(c.optimizerTensors?.adamM),
      moment(c.optimizerTensors?.adamV),
      typeof step === 'number' ? step : 0,
    );
    this.iteration = c.iteration;
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {
    await this.sampler.close();
    await Promise.all(this.updateWorkers.splice(0).map((w) => w.close()));
  }

  // ----- test hooks: the meta-objective and its derivatives on given episodes -------------

  /** The tensors and adaptation paths of one meta-iteration, from given episodes ([stage][task][episode]). */
  prepareFromEpisodes(
    innerEps: Episode[][][],
    outerEps: Episode[][],
    theta: Float32Array = this.theta,
  ): MetaBatch {
    const { obsSize, actSize } = this.spec;
    const b = new MetaBatchBuilder(
      this.derivatives,
      this.batchOptions,
      outerEps.map(() => theta),
    );
    for (const stage of innerEps)
      b.innerStage(stage.map((eps) => toTensors(this.taskData(eps), obsSize, actSize)));
    return b.outerStage(
      outerEps.map((eps, t) =>
        outerTensors(this.spec, this.taskData(eps), b.mb.paths[t][b.mb.paths[t].length - 1]),
      ),
    );
  }

  /** The batch re-adapted from θ on its own data, as the PPO option's epochs do (dispose with `tensors: false`). */
  readaptedAt(mb: MetaBatch, theta: Float32Array): MetaBatch {
    return readaptedBatch(this.derivatives, this.batchOptions, mb, theta);
  }

  metaObjective(theta: Float32Array, mb: MetaBatch): { loss: number; kl: number } {
    return metaObjective(this.derivatives, theta, mb, this.gradientOptions);
  }

  metaGradient(mb: MetaBatch): { loss: number; grad: Float64Array } {
    return metaGradient(mb, this.gradientOptions);
  }

  curvatureVp(mb: MetaBatch, v: Vec, damping: number): Float64Array {
    return curvatureVp(mb, v, damping, this.gradientOptions);
  }
}
