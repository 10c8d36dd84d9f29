// Nearest-task: distance-based meta-learning. Instead of one initialisation that adapts (MAML)
// or a recurrent policy that infers the task (RL²), it keeps a library of known tasks, each
// with a policy of its own, and meets a new task by finding the most similar known one.
//
//   library      the first meta-batch: K training tasks ("prototypes"); each gets the feature
//                vector of an exploration episode (./taskEmbedding.ts) and its own Gaussian MLP policy;
//   training     every meta-iteration, each prototype's policy takes a PPO update (clipped
//                surrogate, Adam) on fresh episodes of its own task; the later meta-batches
//                are query tasks: explored, matched to their nearest prototype and run with
//                its policy, which gives the live curves (episode 1 = exploration, 2 = nearest);
//   adaptation   stage 0: the exploration episode(s) on the new task; stage 1: episodes of the
//                nearest prototype's policy; stages 2, 3, …: policy-gradient steps from there
//                (step size adaptLr, later steps a quarter of it, as MAML's adaptation).
//
// The exploration policy, the embedding and the distance are in ./taskEmbedding.ts.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import { taskNumbers } from '../core/tasks';
import type { JsonObject } from '../shared/json';
import { type GaussianMlpSpec, entropyOf, initParams } from '../policies/gaussianMlp';
import { PolicyBatch } from '../policies/gaussianMlpDerivatives';
import { createSampler, type RolloutSampler } from '../samplers/createSampler';
import { actionMap, episodeSeed } from '../samplers/rollout';
import { explore, nearest } from './taskEmbedding';
import type { Episode } from '../samplers/sampler';
import { buildTaskData, type TaskData } from './taskData';
import type {
  AdaptBudget,
  AdaptResult,
  Checkpoint,
  EpisodeRecord,
  MetaLearner,
  Metrics,
  SavedTensor,
} from './metaLearner';
import type { AlgoSpec } from './registry';

// ---------------------------------------------------------------------------------------
// Configuration

export const nearestTaskConfigSchema = z
  .object({
    /** Known tasks in the library (K), each with its own policy: the meta-batch size. */
    prototypes: z.number().int().min(1).max(200).default(20),
    /** Hidden layer widths of each prototype's policy MLP. */
    hidden: z.array(z.number().int().min(1).max(1024)).min(1).max(4).default([64, 64]),
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    /** The policies act in [-1, 1] per action dimension, rescaled to the env's bounds. */
    normalizeActions: z.boolean().default(true),
    /** Initial action standard deviation (policy units). */
    initStd: z.number().positive().max(10).default(1),
    /** Episodes per prototype per meta-iteration (and per query task for the live curves). */
    episodesPerTask: z.number().int().min(1).max(1000).default(10),
    /** Adam learning rate of the prototypes' PPO updates (the step the schedules scale). */
    learningRate: z.number().positive().max(1).default(0.01),
    /** PPO epochs (full-batch Adam steps) per meta-iteration. */
    epochs: z.number().int().min(1).max(100).default(5),
    clip: z.number().positive().max(1).default(0.2),
    /**
     * Stop a prototype's epochs once the approximate KL from the policy that sampled the
     * batch exceeds this (0 = never): without it the policies, once near their goal, shrink
     * their action noise and then diverge (point-nav, seed 1, 150 iterations: own-task return
     * −1.6 at iteration 51, −44 at 150).
     */
    targetKl: z.number().min(0).max(10).default(0.01),
    gamma: z.number().min(0).max(1).default(0.99),
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Period (steps) of the exploration sweep. */
    sweepPeriod: z.number().int().min(2).max(10_000).default(20),
    /** Step size of the policy-gradient steps after the nearest policy's episodes (stage 2 on). */
    adaptLr: z.number().positive().max(100).default(0.1),
  })
  .strict();

export type NearestTaskConfig = z.infer<typeof nearestTaskConfigSchema>;

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

// ---------------------------------------------------------------------------------------
// The learner

export interface NearestTaskArgs {
  family: TaskFamily;
  config: NearestTaskConfig;
  seed: number;
  workers: number;
}

export class NearestTaskLearner implements MetaLearner {
  readonly algo = 'nearest-task';
  readonly config: NearestTaskConfig;
  readonly spec: GaussianMlpSpec;
  onProgress: ((phase: string, fraction: number) => void) | null = null;
  /** The library: known tasks, their exploration features, their policies' parameters. */
  tasks: JsonObject[] = [];
  features: Float32Array[] = [];
  thetas: Float32Array[];
  private adamM: Float32Array[];
  private adamV: Float32Array[];
  private adamStep = 0;
  private readonly family: TaskFamily;
  private readonly sampler: RolloutSampler;
  private rng: Rng;
  private iteration = 0;

  constructor(a: NearestTaskArgs) {
    this.family = a.family;
    this.config = a.config;
    this.spec = {
      obsSize: a.family.observationSize,
      actSize: a.family.actionSize,
      hidden: [...a.config.hidden],
      activation: a.config.activation,
      initStd: a.config.initStd,
    };
    this.rng = new Rng(a.seed);
    const init = this.rng.split();
    this.thetas = Array.from({ length: a.config.prototypes }, () =>
      initParams(this.spec, init.split()),
    );
    this.adamM = this.thetas.map((t) => new Float32Array(t.length));
    this.adamV = this.thetas.map((t) => new Float32Array(t.length));
    this.sampler = createSampler({ workers: a.workers, learner: this.algo });
  }

  /** The nearest prototype to a new task's exploration features. */
  match(feature: ArrayLike<number>): { index: number; distance: number } {
    return nearest(feature, this.features);
  }

  private sample(tasks: JsonObject[], params: Float32Array[], seed: number, taskSeeds?: number[]) {
    return this.sampler.sample({
      familyId: this.family.id,
      tasks,
      params,
      spec: this.spec,
      episodesPerTask: this.config.episodesPerTask,
      seed,
      normalizeActions: this.config.normalizeActions,
      ...(taskSeeds ? { taskSeeds } : {}),
    });
  }

  private taskData(eps: Episode[]): TaskData {
    const c = this.config;
    return buildTaskData(eps, this.spec.obsSize, this.spec.actSize, c.gamma, c.gaeLambda, 'step');
  }

  async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    const c = this.config;
    const K = c.prototypes;
    const t0 = performance.now();
    const seed = this.rng.seed();
    const metrics: Metrics = {};
    // Env steps of this iteration: the exploration episodes, the query and prototype episodes.
    let steps = 0;
    if (this.tasks.length === 0) {
      if (tasks.length < K)
        throw new Error(
          `nearest-task: the first meta-batch must hold ${K} tasks, got ${tasks.length}`,
        );
      // The first meta-batch becomes the library; the exploration runs once per prototype.
      this.tasks = tasks.slice(0, K).map((t) => this.family.parseTask(t));
      this.features = this.tasks.map((t, k) => {
        const ex = explore(this.family, t, episodeSeed(seed, k), c.sweepPeriod);
        steps += ex.record.length;
        return ex.feature;
      });
    } else {
      // Later meta-batches are query tasks: explore, match, run the nearest policy.
      const matched = tasks.map((t, i) => {
        const ex = explore(this.family, t, episodeSeed(seed, i), c.sweepPeriod);
        steps += ex.record.length;
        return { ...this.match(ex.feature), explored: ex.record.return };
      });
      const q = await this.sample(
        tasks,
        matched.map((m) => this.thetas[m.index]),
        (seed + 7919) % 2147483647,
      );
      metrics['returns/episode_1'] = meanOf(matched.map((m) => m.explored));
      metrics['returns/episode_2'] = meanOf(q.episodes.flat().map((e) => e.return));
      metrics['nearest/distance'] = meanOf(matched.map((m) => m.distance));
      steps += q.steps;
    }
    this.onProgress?.('sampling', 0.1);
    const t1 = performance.now();
    const res = await this.sample(this.tasks, this.thetas, seed);
    const t2 = performance.now();
    this.onProgress?.('update', 0.5);
    let loss = 0;
    for (let k = 0; k < K; k++) loss += this.ppoUpdate(k, this.taskData(res.episodes[k])) / K;
    this.adamStep += c.epochs;
    this.iteration++;
    metrics['returns/prototypes'] = meanOf(res.episodes.flat().map((e) => e.return));
    metrics['losses/surrogate'] = loss;
    metrics['policy/entropy'] = meanOf(this.thetas.map((th) => entropyOf(this.spec, th)));
    metrics['env/steps'] = steps + res.steps;
    metrics['time/sampling'] = (t2 - t1) / 1000;
    metrics['time/update'] = (performance.now() - t2) / 1000;
    metrics['time/total'] = (performance.now() - t0) / 1000;
    this.onProgress?.('done', 1);
    return metrics;
  }

  /**
   * PPO epochs (clipped surrogate, full batch, Adam) on prototype k's own episodes, until the
   * approximate KL Σ w·((r − 1) − log r) passes targetKl; the first epoch's loss.
   */
  private ppoUpdate(k: number, d: TaskData): number {
    const c = this.config;
    const O = this.spec.obsSize;
    const A = this.spec.actSize;
    const obs = tf.tensor2d(d.obs, [d.n, O]);
    const act = tf.tensor2d(d.act, [d.n, A]);
    const advW = tf.tensor1d(d.advW);
    const w = tf.tensor1d(d.w);
    const first = new PolicyBatch(this.spec, this.thetas[k], obs, act);
    const oldLogp = tf.keep(first.logp.clone());
    first.dispose();
    let firstLoss = NaN;
    try {
      for (let e = 0; e < c.epochs; e++) {
        const pb = new PolicyBatch(this.spec, this.thetas[k], obs, act);
        const { coef, loss, kl } = tf.tidy(() => {
          const logRatio = tf.sub(pb.logp, oldLogp);
          const ratio = tf.exp(logRatio);
          const un = tf.mul(ratio, advW);
          const cl = tf.mul(tf.clipByValue(ratio, 1 - c.clip, 1 + c.clip), advW);
          // The gradient flows only where the unclipped term is the minimum.
          const coef = tf.mul(un, tf.cast(tf.lessEqual(un, cl), 'float32')) as tf.Tensor1D;
          const kl = tf.sum(tf.mul(tf.sub(tf.sub(ratio, 1), logRatio), w));
          return { coef, loss: tf.neg(tf.sum(tf.minimum(un, cl))), kl };
        });
        const far = c.targetKl > 0 && kl.dataSync()[0] > c.targetKl;
        const g = far ? null : pb.gradient(coef);
        if (e === 0) firstLoss = loss.dataSync()[0];
        tf.dispose([coef, loss, kl]);
        pb.dispose();
        if (!g) break;
        this.adamApply(k, g, this.adamStep + e + 1);
      }
    } finally {
      tf.dispose([obs, act, advW, w, oldLogp]);
    }
    return firstLoss;
  }

  private adamApply(k: number, g: Float32Array, step: number): void {
    const lr = this.config.learningRate;
    const [b1, b2] = [0.9, 0.999];
    const c1 = 1 - Math.pow(b1, step);
    const c2 = 1 - Math.pow(b2, step);
    const th = new Float32Array(this.thetas[k]);
    const m = this.adamM[k];
    const v = this.adamV[k];
    for (let i = 0; i < th.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      th[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
    }
    this.thetas[k] = th;
  }

  // ----- adaptation (evaluation, viewer) ------------------------------------------------

  async adapt(
    task: JsonObject,
    budget: AdaptBudget,
    onEpisode?: (ep: EpisodeRecord) => void,
  ): Promise<AdaptResult> {
    if (this.tasks.length === 0)
      throw new Error('nearest-task has no known tasks yet: train it for at least one iteration');
    if (!Number.isInteger(budget.steps) || budget.steps < 0 || budget.steps > 50)
      throw new Error(`adapt: steps must be an integer in [0, 50], got ${budget.steps}`);
    const E = budget.episodesPerStage;
    if (!Number.isInteger(E) || E < 1)
      throw new Error(`adapt: episodesPerStage must be a positive integer, got ${E}`);
    const parsed = this.family.parseTask(task);
    const episodes: EpisodeRecord[] = [];
    const emit = (ep: EpisodeRecord) => {
      episodes.push(ep);
      onEpisode?.(ep);
    };
    // Stage 0: the exploration episodes; their mean feature picks the prototype.
    const feature = new Float32Array(this.features[0].length);
    const explored: number[] = [];
    for (let i = 0; i < E; i++) {
      const ex = explore(
        this.family,
        parsed,
        episodeSeed(budget.seed, i),
        this.config.sweepPeriod,
        budget.recordFrames === true,
      );
      for (let j = 0; j < feature.length; j++) feature[j] += ex.feature[j] / E;
      explored.push(ex.record.return);
      emit({ ...ex.record, stage: 0, index: i, label: 'exploration' });
    }
    const { index: k, distance } = this.match(feature);
    const known = taskNumbers(this.tasks[k])
      .map((x) => x.toFixed(2))
      .join(', ');
    const returns = [meanOf(explored)];
    if (budget.steps === 0) return { returns, episodes };
    // Stage 1: the nearest prototype's policy; stages 2…: policy-gradient steps from it.
    const lr0 = budget.stepSize ?? this.config.adaptLr;
    const ratio = budget.laterStepRatio ?? 0.25;
    const toEnv = this.envActions(parsed);
    let theta = this.thetas[k];
    for (let s = 1; s <= budget.steps; s++) {
      const res = await this.sampler.sample({
        familyId: this.family.id,
        tasks: [parsed],
        params: [theta],
        spec: this.spec,
        episodesPerTask: E,
        seed: 0,
        taskSeeds: [episodeSeed(budget.seed, 1_000_000 + s)],
        normalizeActions: this.config.normalizeActions,
        ...(budget.recordFrames ? { recordFrames: true } : {}),
      });
      const eps = res.episodes[0];
      returns.push(meanOf(eps.map((e) => e.return)));
      const label =
        s === 1
          ? `nearest: task #${k + 1} (d=${distance.toFixed(2)}) [${known}]`
          : `nearest #${k + 1} + step ${s - 1}`;
      for (const e of eps)
        emit({
          stage: s,
          index: e.index,
          label,
          return: e.return,
          length: e.length,
          observations: e.obs,
          actions: toEnv(e.actions),
          rewards: e.rewards,
          ...(e.frames ? { frames: e.frames } : {}),
        });
      if (s < budget.steps) theta = this.gradientStep(theta, eps, s === 1 ? lr0 : lr0 * ratio);
    }
    return { returns, episodes };
  }

  /** θ − lr ∇L(θ), L the policy-gradient loss on these episodes (MAML's inner step). */
  private gradientStep(theta: Float32Array, eps: Episode[], lr: number): Float32Array {
    const d = this.taskData(eps);
    const obs = tf.tensor2d(d.obs, [d.n, this.spec.obsSize]);
    const act = tf.tensor2d(d.act, [d.n, this.spec.actSize]);
    const advW = tf.tensor1d(d.advW);
    const pb = new PolicyBatch(this.spec, theta, obs, act);
    try {
      const g = pb.gradient(advW);
      return theta.map((x, i) => x - lr * g[i]);
    } finally {
      pb.dispose();
      tf.dispose([obs, act, advW]);
    }
  }

  /** Policy-unit actions → the env's units (identity unless normalizeActions). */
  private envActions(task: JsonObject): (a: Float32Array) => Float32Array {
    if (!this.config.normalizeActions) return (a) => a;
    const env = this.family.make(task, 0);
    const { center, half } = actionMap(env.actionSpace);
    env.close?.();
    const A = center.length;
    return (a) => a.map((x, j) => center[j % A] + half[j % A] * x);
  }

  // ----- state --------------------------------------------------------------------------

  async saveState(): Promise<Checkpoint> {
    const vec = (data: Float32Array): SavedTensor => ({
      shape: [data.length],
      data: new Float32Array(data),
    });
    const params: Record<string, SavedTensor> = {};
    const optimizerTensors: Record<string, SavedTensor> = {};
    this.thetas.forEach((th, k) => (params[`theta${k}`] = vec(th)));
    this.features.forEach((f, k) => (params[`feature${k}`] = vec(f)));
    this.adamM.forEach((m, k) => (optimizerTensors[`adamM${k}`] = vec(m)));
    this.adamV.forEach((v, k) => (optimizerTensors[`adamV${k}`] = vec(v)));
    return {
      algo: this.algo,
      iteration: this.iteration,
      params,
      optimizerTensors,
      optimizerState: { adamStep: this.adamStep, tasks: this.tasks },
      rng: this.rng.getState(),
    };
  }

  async loadState(c: Checkpoint): Promise<void> {
    if (c.algo !== this.algo) throw new Error(`Checkpoint is for "${c.algo}", not "${this.algo}"`);
    const K = this.config.prototypes;
    const P = this.thetas[0].length;
    const take = (group: Record<string, SavedTensor>, name: string, n?: number) => {
      const t = group[name];
      if (!t || (n !== undefined && t.data.length !== n))
        throw new Error(
          `checkpoint ${name} has ${t ? t.data.length : 'no'} values; this nearest-task learner (${K} prototypes, ${this.spec.hidden.join('-')} ${this.spec.activation}) needs ${n}`,
        );
      if (!Array.from(t.data).every(Number.isFinite))
        throw new Error(`checkpoint ${name} holds non-finite values`);
      return new Float32Array(t.data);
    };
    const tasks = c.optimizerState.tasks;
    if (!Array.isArray(tasks) || (tasks.length !== 0 && tasks.length !== K))
      throw new Error(`checkpoint optimizerState.tasks must list ${K} known tasks`);
    const ks = Array.from({ length: K }, (_, k) => k);
    this.thetas = ks.map((k) => take(c.params, `theta${k}`, P));
    this.adamM = ks.map((k) => take(c.optimizerTensors, `adamM${k}`, P));
    this.adamV = ks.map((k) => take(c.optimizerTensors, `adamV${k}`, P));
    this.tasks = tasks.map((t) => this.family.parseTask(t));
    this.features = tasks.length ? ks.map((k) => take(c.params, `feature${k}`)) : [];
    const step = c.optimizerState.adamStep;
    this.adamStep = typeof step === 'number' ? step : 0;
    this.iteration = c.iteration;
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {
    await this.sampler.close();
  }
}

// ---------------------------------------------------------------------------------------
// Registry entry

export const nearestTaskSpec: AlgoSpec = {
  id: 'nearest-task',
  title: 'Nearest task',
  description:
    'Distance-based: keeps a library of known training tasks, each with its own policy trained by PPO. On a new task it runs a fixed exploration episode, picks the known task whose exploration looked most alike (Euclidean distance on standardised rewards and states), and acts with its policy; further stages take gradient steps from there.',
  stageUnit: 'episode',
  configSchema: nearestTaskConfigSchema as unknown as z.ZodType<JsonObject>,
  metaBatchSize: (c) => nearestTaskConfigSchema.parse(c).prototypes,
  defaultIterations: (familyId) => (familyId === 'point-nav' ? 150 : 300),
  create: async (a) =>
    new NearestTaskLearner({
      family: a.family,
      config: nearestTaskConfigSchema.parse(a.config),
      seed: a.seed,
      workers: a.workers,
    }),
};
