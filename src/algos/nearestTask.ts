// Nearest-task: distance-based meta-learning. Instead of one initialisation that adapts (MAML)
// or a recurrent policy that infers the task (RL²), it keeps a library of known tasks, each
// with a policy of its own, and meets a new task by finding the most similar known one.
//
//   library      K known tasks ("prototypes") picked from the first meta-batch (the candidate
//                pool): each candidate is explored once (./taskEmbedding.ts) and farthest-point
//                sampling on those features picks K spread over the task space; every other
//                candidate joins the cell of the prototype it is nearest to; each prototype
//                gets its own Gaussian MLP policy, all starting from one shared initialisation;
//   training     every meta-iteration, each prototype's policy takes a TRPO step
//                (./prototypeTrpo.ts) on fresh episodes of its cell's tasks; the first few tasks
//                of each later meta-batch are query tasks: explored, matched to their nearest
//                prototype and run with its policy, which gives the live curves (episode 1 =
//                exploration, 2 = nearest);
//   adaptation   stage 0: the exploration episode(s) on the new task; stage 1: episodes of the
//                nearest prototype's policy (nearest by the sweep's features, or, with
//                matchBy 'policies', the known task whose own policy did best on stage 0);
//                stages 2, 3, …: policy-gradient steps from there (step size adaptLr, later
//                steps a quarter of it, as MAML's adaptation).
//
// The exploration policy, the embedding and the distance are in ./taskEmbedding.ts; matching by
// the known policies' returns in ./policyProbe.ts.
import * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import { readEnv, type TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import { taskNumbers } from '../core/tasks';
import type { JsonObject } from '../shared/json';
import { type GaussianMlpSpec, entropyOf, initParams } from '../policies/gaussianMlp';
import { PolicyBatch } from '../policies/gaussianMlpDerivatives';
import { createSampler, type RolloutSampler } from '../samplers/createSampler';
import { actionMap, episodeSeed } from '../samplers/rollout';
import { explore, nearest, spreadOut } from './taskEmbedding';
import type { Episode } from '../samplers/sampler';
import { prototypeTrpoStep } from './prototypeTrpo';
import {
  type NearestTaskConfig,
  nearestTaskConfigSchema,
  nearestTaskFamilyDefaults,
} from './nearestTaskConfig';
import { probeKnownPolicies, probesPerPolicy } from './policyProbe';
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

export { type NearestTaskConfig, nearestTaskConfigSchema, nearestTaskFamilyDefaults };

/** A sampled episode as the viewer and evaluation record it (actions in env units). */
function episodeRecord(
  e: Episode,
  stage: number,
  index: number,
  label: string,
  toEnv: (a: Float32Array) => Float32Array,
): EpisodeRecord {
  return {
    stage,
    index,
    label,
    return: e.return,
    length: e.length,
    observations: e.obs,
    actions: toEnv(e.actions),
    rewards: e.rewards,
    ...(e.frames ? { frames: e.frames } : {}),
  };
}

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
  /**
   * Each known task's cell: itself first, then the candidates nearer to it than to any other
   * known task (the same distance a new task is matched by); its policy trains on all of them.
   */
  cells: JsonObject[][] = [];
  thetas: Float32Array[];
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
    const init = initParams(this.spec, this.rng.split());
    this.thetas = Array.from({ length: a.config.prototypes }, () => new Float32Array(init));
    this.sampler = createSampler({ workers: a.workers, learner: this.algo });
  }

  /** The nearest prototype to a new task's exploration features. */
  match(feature: ArrayLike<number>): { index: number; distance: number } {
    return nearest(feature, this.features);
  }

  private sample(
    tasks: JsonObject[],
    params: Float32Array[],
    seed: number,
    episodesPerTask = this.config.episodesPerTask,
  ) {
    return this.sampler.sample({
      familyId: this.family.id,
      tasks,
      params,
      spec: this.spec,
      episodesPerTask,
      seed,
      normalizeActions: this.config.normalizeActions,
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
          `nearest-task: the first meta-batch must hold at least ${K} tasks, got ${tasks.length}`,
        );
      // The first meta-batch is the candidate pool: each is explored once, and the K spread
      // out most in feature space become the library.
      const pool = tasks.map((t) => this.family.parseTask(t));
      const explored = pool.map((t, i) => {
        const ex = explore(this.family, t, episodeSeed(seed, i), c.sweepPeriod);
        steps += ex.record.length;
        return ex.feature;
      });
      const picked = spreadOut(explored, K);
      this.tasks = picked.map((i) => pool[i]);
      this.features = picked.map((i) => explored[i]);
      this.cells = this.tasks.map((t) => [t]);
      const isPicked = new Set(picked);
      pool.forEach((t, i) => {
        if (!isPicked.has(i)) this.cells[this.match(explored[i]).index].push(t);
      });
    } else {
      // Later meta-batches: the first queryTasks are explored, matched, run with the nearest policy.
      const queries = tasks.slice(0, c.queryTasks);
      const matched: { index: number; distance: number; explored: number }[] = [];
      for (const [i, t] of queries.entries()) {
        if (c.matchBy === 'policies') {
          const probe = await this.probe(t, episodeSeed(seed, i), 1);
          steps += probe.steps;
          matched.push({ index: probe.index, distance: NaN, explored: meanOf(probe.returns) });
          continue;
        }
        const ex = explore(this.family, t, episodeSeed(seed, i), c.sweepPeriod);
        steps += ex.record.length;
        matched.push({ ...this.match(ex.feature), explored: ex.record.return });
      }
      const q = await this.sample(
        queries,
        matched.map((m) => this.thetas[m.index]),
        (seed + 7919) % 2147483647,
      );
      metrics['returns/episode_1'] = meanOf(matched.map((m) => m.explored));
      metrics['returns/episode_2'] = meanOf(q.episodes.flat().map((e) => e.return));
      if (c.matchBy === 'sweep')
        metrics['nearest/distance'] = meanOf(matched.map((m) => m.distance));
      steps += q.steps;
    }
    this.onProgress?.('sampling', 0.1);
    const t1 = performance.now();
    // Each known task's policy: one episode on each of E tasks of its cell, taken in turn.
    const E = c.episodesPerTask;
    const cellTasks = this.cells.flatMap((cell) =>
      Array.from({ length: E }, (_, e) => cell[(this.iteration * E + e) % cell.length]),
    );
    const res = await this.sample(
      cellTasks,
      cellTasks.map((_, i) => this.thetas[Math.floor(i / E)]),
      seed,
      1,
    );
    const t2 = performance.now();
    this.onProgress?.('update', 0.5);
    const sums: Record<string, number> = {};
    for (let k = 0; k < K; k++) {
      const eps = res.episodes.slice(k * E, (k + 1) * E).flat();
      const step = await prototypeTrpoStep(this.spec, this.thetas[k], this.taskData(eps), c);
      this.thetas[k] = step.theta;
      for (const [key, v] of Object.entries(step.metrics)) sums[key] = (sums[key] ?? 0) + v / K;
      this.onProgress?.('update', 0.5 + (0.5 * (k + 1)) / K);
    }
    this.iteration++;
    metrics['returns/prototypes'] = meanOf(res.episodes.flat().map((e) => e.return));
    metrics['losses/surrogate'] = sums['losses/surrogate'];
    metrics['losses/kl'] = sums['losses/kl'];
    metrics['optim/accepted'] = sums['optim/accepted'];
    metrics['policy/entropy'] = meanOf(this.thetas.map((th) => entropyOf(this.spec, th)));
    metrics['env/steps'] = steps + res.steps;
    metrics['time/sampling'] = (t2 - t1) / 1000;
    metrics['time/update'] = (performance.now() - t2) / 1000;
    metrics['time/total'] = (performance.now() - t0) / 1000;
    this.onProgress?.('done', 1);
    return metrics;
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
    // Stage 0: the exploration episodes; they pick the prototype.
    const toEnv = this.envActions(parsed);
    const { k, distance, explored, next } =
      this.config.matchBy === 'policies'
        ? await this.probeStage(parsed, budget, toEnv, emit)
        : this.sweepStage(parsed, budget, emit);
    const known = taskNumbers(this.tasks[k])
      .map((x) => x.toFixed(2))
      .join(', ');
    const returns = [meanOf(explored)];
    if (budget.steps === 0) return { returns, episodes };
    // Stage 1: the nearest prototype's policy; stages 2…: policy-gradient steps from it.
    const lr0 = budget.stepSize ?? this.config.adaptLr;
    const ratio = budget.laterStepRatio ?? 0.25;
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
          ? `nearest: task #${k + 1} (d=${distance.toFixed(2)}${next}) [${known}]`
          : `nearest #${k + 1} + step ${s - 1}`;
      for (const e of eps) emit(episodeRecord(e, s, e.index, label, toEnv));
      if (s < budget.steps) theta = this.gradientStep(theta, eps, s === 1 ? lr0 : lr0 * ratio);
    }
    return { returns, episodes };
  }

  /** Stage 0 by the sweep: E exploration episodes; their mean feature picks the prototype. */
  private sweepStage(task: JsonObject, budget: AdaptBudget, emit: (ep: EpisodeRecord) => void) {
    const E = budget.episodesPerStage;
    const feature = new Float32Array(this.features[0].length);
    const returns: number[] = [];
    for (let i = 0; i < E; i++) {
      const ex = explore(
        this.family,
        task,
        episodeSeed(budget.seed, i),
        this.config.sweepPeriod,
        budget.recordFrames === true,
      );
      for (let j = 0; j < feature.length; j++) feature[j] += ex.feature[j] / E;
      returns.push(ex.record.return);
      emit({ ...ex.record, stage: 0, index: i, label: 'exploration' });
    }
    const { index: k, distance } = this.match(feature);
    return { k, distance, explored: returns, next: '' };
  }

  /**
   * Stage 0 by the known policies: each runs ⌊E/K⌋ episodes (at least one) on the task; the
   * one that returned most is the nearest, at distance 0 (./policyProbe.ts).
   */
  private async probeStage(
    task: JsonObject,
    budget: AdaptBudget,
    toEnv: (a: Float32Array) => Float32Array,
    emit: (ep: EpisodeRecord) => void,
  ) {
    const K = this.thetas.length;
    const n = probesPerPolicy(budget.episodesPerStage, K);
    const probe = await this.probe(task, budget.seed, n, budget.recordFrames === true);
    // Episodes j·n … j·n + n − 1 are known task j's policy; one label for the stage.
    const label = `exploration: the ${K} known policies, ${n} each`;
    probe.episodes.forEach((eps, j) =>
      eps.forEach((e, i) => emit(episodeRecord(e, 0, j * n + i, label, toEnv))),
    );
    // How clear the choice was: the runner-up's distance.
    const runnerUp = Math.min(...probe.distances.filter((_, j) => j !== probe.index));
    return {
      k: probe.index,
      distance: 0,
      explored: probe.episodes.flat().map((e) => e.return),
      next: K > 1 ? `, next ${runnerUp.toFixed(2)}` : '',
    };
  }

  private probe(task: JsonObject, seed: number, perPolicy: number, recordFrames = false) {
    return probeKnownPolicies(this.sampler, {
      familyId: this.family.id,
      task,
      thetas: this.thetas,
      spec: this.spec,
      perPolicy,
      seed,
      normalizeActions: this.config.normalizeActions,
      recordFrames,
    });
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
    const { center, half } = readEnv(this.family, task, (env) => actionMap(env.actionSpace));
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
    this.thetas.forEach((th, k) => (params[`theta${k}`] = vec(th)));
    this.features.forEach((f, k) => (params[`feature${k}`] = vec(f)));
    return {
      algo: this.algo,
      iteration: this.iteration,
      params,
      optimizerTensors: {},
      optimizerState: { tasks: this.tasks, cells: this.cells },
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
    this.tasks = tasks.map((t) => this.family.parseTask(t));
    // Checkpoints from before the cells: each known task trains on itself alone.
    const cells = c.optimizerState.cells;
    if (cells !== undefined && (!Array.isArray(cells) || cells.length !== tasks.length))
      throw new Error(`checkpoint optimizerState.cells must list ${K} cells`);
    this.cells = this.tasks.map((t, k) =>
      Array.isArray(cells?.[k]) && cells[k].length
        ? cells[k].map((x) => this.family.parseTask(x))
        : [t],
    );
    this.features = tasks.length ? ks.map((k) => take(c.params, `feature${k}`)) : [];
    this.iteration = c.iteration;
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {
    await this.sampler.close();
  }
}

// ---------------------------------------------------------------------------------------
// Registry entry

/**
 * Runs stored before the prototypes were trained by TRPO list the PPO settings they were
 * created with (learningRate, epochs, clip, targetKl): they load, evaluate and resume with
 * the TRPO defaults. A user's own settings are still checked against the strict schema.
 */
function upgradeStoredConfig(c: JsonObject): JsonObject {
  const { learningRate: _lr, epochs: _e, clip: _c, targetKl: _kl, ...rest } = c;
  return rest;
}

export const nearestTaskSpec: AlgoSpec = {
  id: 'nearest-task',
  title: 'Nearest task',
  description:
    'Distance-based: keeps a library of known training tasks spread over the task space, each with its own policy trained by TRPO on the training tasks nearest to it. On a new task it runs a fixed exploration episode, picks the known task whose exploration looked most alike (Euclidean distance on standardised rewards and states), and acts with its policy; on the reacher, cart-pole and cheetah-vel its exploration runs the known policies themselves, and the one that returned most is the nearest. Further stages take gradient steps from there.',
  stageUnit: 'episode',
  configSchema: nearestTaskConfigSchema as unknown as z.ZodType<JsonObject>,
  metaBatchSize: (c) => nearestTaskConfigSchema.parse(c).candidates,
  defaultIterations: (familyId) => (familyId === 'point-nav' ? 150 : 300),
  familyDefaults: nearestTaskFamilyDefaults,
  create: async (a) =>
    new NearestTaskLearner({
      family: a.family,
      config: nearestTaskConfigSchema.parse(upgradeStoredConfig(a.config)),
      seed: a.seed,
      workers: a.workers,
    }),
};
