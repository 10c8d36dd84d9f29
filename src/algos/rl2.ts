// RL² (Duan et al. 2016, "Fast reinforcement learning via slow reinforcement learning";
// garage's RL2 + RL2PPO are the reference): a recurrent policy that adapts to a task
// through its hidden state, which is kept across the K episodes of a trial. The outer
// ("slow") learner is PPO over whole trials with GAE across episode boundaries.
//
// Reads top to bottom: config → learner (sample trials, advantages, PPO) → adaptation →
// checkpoint → registry entry.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
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
import { Adam } from './adam';
import { ppoUpdate, trialGae } from './ppo';
import { PpoWorker, ppoThreads } from './ppoPool';
import {
  GRU_PARAM_NAMES,
  type GruParams,
  disposeParams,
  initGruParams,
  logStdValues,
  paramList,
} from '../policies/gruPolicy';
import { gruWeights } from '../policies/gruPolicyJs';
import { rl2InputSize, TrialSampler } from '../samplers/trialSampler';
import { rl2DefaultIterations, rl2FamilyDefaults } from './rl2FamilyDefaults';

export const rl2ConfigSchema = z
  .object({
    /** Episodes per trial (K): the hidden state is kept across them. */
    episodesPerTrial: z.number().int().min(1).max(20).default(2),
    /**
     * Training tasks per meta-iteration. 40 tasks × 4 trials: with the tfjs gradients the
     * PPO passes cost about the same for 40 trials as for 160 (their time goes to the
     * per-step GRU ops of the unrolled trial, not to the batch): on point-nav a meta-iteration
     * took 1.46 s against 1.37 s with 10 tasks (medians, seed 1), for 4× the trials. With
     * the plain-JS gradients the update grows with the trials (see `gradients`). With 10
     * tasks, point-nav's result depended on the seed (seed 1: episode 1 → 2 = −28.4 → −27.3
     * on 40 held-out tasks after 400 iterations, σ shrinking to 0.12 before the policy had
     * learned to search; seed 3: −4.1 → −2.6); with 40, see DEFAULT_ITERATIONS.
     */
    metaBatchSize: z.number().int().min(1).max(1000).default(40),
    /** Trials sampled per task per meta-iteration. */
    trialsPerTask: z.number().int().min(1).max(100).default(4),
    /** GRU hidden units. */
    hiddenSize: z.number().int().min(4).max(512).default(32),
    /** Initial log σ of the Gaussian head (policy units: ±1 spans the action space). */
    initLogStd: z.number().min(-5).max(2).default(-0.5),
    /** Discount across the whole trial. */
    gamma: z.number().gt(0).max(1).default(0.99),
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Scale of the previous reward in the policy input. */
    rewardInputScale: z.number().positive().max(100).default(1),
    /**
     * Clip every policy input to [−inputClip, inputClip] (0 = off), so that a state far
     * outside the task region reads as the region's edge, which training visits, rather than
     * as inputs the GRU has never seen.
     */
    inputClip: z.number().min(0).max(1000).default(0),
    learningRate: z.number().positive().max(1).default(3e-3),
    /** PPO epochs over each batch of trials. */
    epochs: z.number().int().min(1).max(50).default(4),
    /** Minibatches (of whole trials) per epoch. */
    minibatches: z.number().int().min(1).max(100).default(4),
    clip: z.number().positive().max(1).default(0.2),
    valueCoef: z.number().min(0).max(100).default(0.5),
    entropyCoef: z.number().min(0).max(10).default(0),
    maxGradNorm: z.number().min(0).max(1000).default(1),
    /** Early stop of the PPO epochs above this approximate KL (0 = off). */
    targetKl: z.number().min(0).max(10).default(0),
    /**
     * Keep the approximate KL of an update near this by adapting the learning rate between
     * updates (0 = the learning rate stays fixed). Above 2× it the rate is divided by 1.5,
     * below half of it multiplied by 1.5, never above learningRate nor below 1/100 of it.
     */
    lrTargetKl: z.number().min(0).max(1).default(0.01),
    /**
     * Threads for the PPO update: each minibatch's trials are split between this thread and
     * (updateThreads − 1) worker threads, each unrolling its part of the GRU with its own
     * tfjs backend (wasm has no threads of its own in Node), and the gradients are added.
     * 1 = all in this thread. The sums' order depends on it, so the last digits do too.
     */
    updateThreads: z.number().int().min(1).max(16).default(2),
    /**
     * How the PPO update differentiates: 'js', backpropagation through time in plain JS
     * (float64, each trial unrolled over its own steps; its cost is flops, so it splits
     * across updateThreads and grows with the square of hiddenSize), or 'tfjs', the
     * hand-written BPTT in tfjs ops (float32; the reference the tests hold 'js' to; its cost
     * is per-op dispatch, ~37 ops a step whatever the batch, plus arithmetic that grows with
     * the batch and the width: at 64 units and long cart-pole trials the update took 0.75 s +
     * 15 ms a trial on one thread). With 32 units and short trials 'js' is the faster and
     * tfjs gains nothing from a second thread (cart-pole's first iterations: 1.40 s on one,
     * 1.39 on two); with 64 units and long trials (cart-pole once the pole stays up) 'tfjs'
     * is: 2.7 s on two threads, 4.0 on one, against 7.6 for 'js' on two (rl2FamilyDefaults).
     */
    gradients: z.enum(['js', 'tfjs']).default('js'),
  })
  .strict();

export type Rl2Config = z.infer<typeof rl2ConfigSchema>;

export interface Rl2Options {
  family: TaskFamily;
  config: Partial<Rl2Config>;
  seed: number;
  /** Sampler worker threads (0 = this thread, the default). Results do not depend on it. */
  workers?: number;
}

export class Rl2 implements MetaLearner {
  readonly algo = 'rl2';
  readonly config: Rl2Config;
  private readonly family: TaskFamily;
  private params: GruParams;
  private readonly adam: Adam;
  private readonly sampler: TrialSampler;
  /** PPO gradient worker threads (updateThreads − 1 of them), started on first use. */
  private readonly updateWorkers: PpoWorker[] = [];
  private rng: Rng;
  private iteration = 0;
  onProgress: ((phase: string, fraction: number) => void) | null = null;
  /** Running RMS of the value targets: the value head predicts returns / valueScale. */
  private valueScale = 0;
  /** Adam's current learning rate (moves only when lrTargetKl > 0). */
  private lr: number;

  constructor(opts: Rl2Options) {
    this.config = rl2ConfigSchema.parse(opts.config);
    this.family = opts.family;
    const rng = new Rng(opts.seed);
    this.params = initGruParams(this.shape(), rng.split(), this.config.initLogStd);
    this.rng = rng;
    this.lr = this.config.learningRate;
    this.adam = new Adam(
      GRU_PARAM_NAMES.map((n) => [...this.params[n].shape]),
      this.config.learningRate,
    );
    this.sampler = new TrialSampler(opts.workers ?? 0);
  }

  private shape() {
    return {
      inputSize: rl2InputSize(this.family.observationSize, this.family.actionSize),
      actionSize: this.family.actionSize,
      hiddenSize: this.config.hiddenSize,
    };
  }

  /** The current parameters (read-only use: the learner owns and replaces them). */
  get currentParams(): GruParams {
    return this.params;
  }

  async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    if (tasks.length === 0) throw new Error('RL² metaTrainStep needs at least one task');
    const c = this.config;
    const K = c.episodesPerTrial;
    const t0 = performance.now();
    this.onProgress?.('sampling', 0);
    const slots: JsonObject[] = [];
    for (const task of tasks) for (let j = 0; j < c.trialsPerTask; j++) slots.push(task);
    const batch = await this.sampler.sample(this.family, {
      familyId: this.family.id,
      tasks: slots,
      episodesPerTrial: K,
      weights: gruWeights(this.params),
      seed: this.rng.seed(),
      rewardInputScale: c.rewardInputScale,
      inputClip: c.inputClip,
    });
    const t1 = performance.now();
    this.onProgress?.('update', 0.05);

    // Values come out of the head in units of valueScale.
    const scale = this.valueScale > 0 ? this.valueScale : 1;
    const values = batch.values.map((v) => v * scale);
    const { advantages, returns } = trialGae(
      batch.rewards,
      values,
      batch.lengths,
      batch.maxSteps,
      c.gamma,
      c.gaeLambda,
    );
    let sq = 0;
    let cnt = 0;
    for (let s = 0; s < returns.length; s++) {
      if (batch.mask[s]) {
        sq += returns[s] * returns[s];
        cnt++;
      }
    }
    const rms = Math.sqrt(sq / Math.max(cnt, 1)) || 1;
    this.valueScale = this.valueScale > 0 ? 0.9 * this.valueScale + 0.1 * rms : rms;
    const targets = returns.map((r) => r / this.valueScale);

    const threads = ppoThreads(c.updateThreads, c.gradients);
    while (this.updateWorkers.length < threads - 1) this.updateWorkers.push(new PpoWorker());
    const { params, metrics: losses } = await ppoUpdate(
      this.params,
      this.adam,
      batch,
      advantages,
      targets,
      {
        epochs: c.epochs,
        minibatches: c.minibatches,
        clip: c.clip,
        valueCoef: c.valueCoef,
        entropyCoef: c.entropyCoef,
        maxGradNorm: c.maxGradNorm,
        learningRate: this.lr,
        targetKl: c.targetKl,
        gradients: c.gradients,
      },
      this.rng,
      // Sampling is ~5% of an iteration; the PPO passes are the rest.
      (f) => this.onProgress?.('update', 0.05 + 0.95 * f),
      this.updateWorkers.slice(0, threads - 1),
    );
    this.params = params;
    const usedLr = this.lr;
    this.lr = nextLearningRate(this.lr, losses['losses/approx_kl'], c);
    const t2 = performance.now();
    this.iteration++;

    const metrics: Metrics = { iteration: this.iteration };
    const N = batch.numTrials;
    let trialSum = 0;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += batch.episodeReturns[i * K + k];
      metrics[`returns/episode_${k + 1}`] = s / N;
      trialSum += s / N;
    }
    metrics['returns/trial'] = trialSum;
    Object.assign(metrics, losses);
    const logStd = logStdValues(this.params);
    metrics['policy/std'] = logStd.reduce((a, v) => a + Math.exp(v), 0) / logStd.length;
    metrics['policy/value_scale'] = this.valueScale;
    metrics['policy/learning_rate'] = usedLr;
    metrics['samples/env_steps'] = batch.envSteps;
    metrics['samples/trials'] = N;
    metrics['time/sampling'] = (t1 - t0) / 1000;
    metrics['time/update'] = (t2 - t1) / 1000;
    metrics['time/total'] = (t2 - t0) / 1000;
    return metrics;
  }

  /**
   * One trial of `budget.steps + 1` episodes on `task` (episodesPerStage trials run side by
   * side); stage k is episode k+1. The meta-parameters are not changed: RL² adapts only
   * through the hidden state, which starts from zero for the trial.
   */
  async adapt(
    task: JsonObject,
    budget: AdaptBudget,
    onEpisode?: (ep: EpisodeRecord) => void,
  ): Promise<AdaptResult> {
    const episodes = budget.steps + 1;
    if (!Number.isInteger(budget.steps) || budget.steps < 0)
      throw new Error(`adapt: steps must be a non-negative integer, got ${budget.steps}`);
    if (!Number.isInteger(budget.episodesPerStage) || budget.episodesPerStage < 1) {
      throw new Error(
        `adapt: episodesPerStage must be a positive integer, got ${budget.episodesPerStage}`,
      );
    }
    const parsed = this.family.parseTask(task);
    const batch = await this.sampler.sample(this.family, {
      familyId: this.family.id,
      tasks: Array.from({ length: budget.episodesPerStage }, () => parsed),
      episodesPerTrial: episodes,
      weights: gruWeights(this.params),
      seed: budget.seed,
      rewardInputScale: this.config.rewardInputScale,
      inputClip: this.config.inputClip,
      record: true,
      recordFrames: budget.recordFrames ?? false,
    });
    const N = batch.numTrials;
    const returns: number[] = [];
    for (let k = 0; k < episodes; k++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += batch.episodeReturns[i * episodes + k];
      returns.push(s / N);
    }
    const records = batch.records ?? [];
    if (onEpisode) for (const r of records) onEpisode(r);
    return { returns, episodes: records };
  }

  async saveState(): Promise<Checkpoint> {
    const params: Record<string, SavedTensor> = {};
    for (const n of GRU_PARAM_NAMES) {
      const t = this.params[n];
      params[n] = { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
    }
    return {
      algo: this.algo,
      iteration: this.iteration,
      params,
      optimizerTensors: this.adam.saveTensors(),
      optimizerState: {
        step: this.adam.step,
        valueScale: this.valueScale,
        learningRate: this.lr,
        config: this.config as unknown as JsonObject,
      },
      rng: this.rng.getState(),
    };
  }

  async loadState(c: Checkpoint): Promise<void> {
    if (c.algo !== this.algo) throw new Error(`Checkpoint is for "${c.algo}", not "${this.algo}"`);
    const fresh: Partial<GruParams> = {};
    try {
      for (const n of GRU_PARAM_NAMES) {
        const s = c.params[n];
        if (!s) throw new Error(`Checkpoint is missing parameter "${n}"`);
        const want = this.params[n].shape;
        if (s.shape.join(',') !== want.join(',')) {
          throw new Error(
            `Checkpoint parameter "${n}" has shape [${s.shape}], expected [${want}] (different hiddenSize or family?)`,
          );
        }
        if (s.data.length !== s.shape.reduce((a, b) => a * b, 1))
          throw new Error(`Checkpoint parameter "${n}" has the wrong number of values`);
        fresh[n] = tf.tensor(s.data, s.shape);
      }
    } catch (e) {
      for (const t of Object.values(fresh)) t?.dispose();
      throw e;
    }
    const step = Number(c.optimizerState.step);
    const valueScale = Number(c.optimizerState.valueScale);
    if (!Number.isInteger(step) || step < 0)
      throw new Error(
        `Checkpoint optimizerState.step must be a non-negative integer, got ${c.optimizerState.step}`,
      );
    if (!Number.isFinite(valueScale) || valueScale < 0)
      throw new Error(
        `Checkpoint optimizerState.valueScale is invalid: ${c.optimizerState.valueScale}`,
      );
    // Checkpoints from before the learning rate could move carry none: it was the configured one.
    const lr =
      c.optimizerState.learningRate === undefined
        ? this.config.learningRate
        : Number(c.optimizerState.learningRate);
    if (!Number.isFinite(lr) || lr <= 0)
      throw new Error(
        `Checkpoint optimizerState.learningRate is invalid: ${c.optimizerState.learningRate}`,
      );
    this.adam.loadTensors(c.optimizerTensors, step);
    disposeParams(this.params);
    this.params = fresh as GruParams;
    this.valueScale = valueScale;
    this.lr = lr;
    this.iteration = c.iteration;
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {
    await this.sampler.close();
    await Promise.all(this.updateWorkers.splice(0).map((w) => w.close()));
    disposeParams(this.params);
  }

  /** Number of parameter tensors held (for leak tests). */
  get numParamTensors(): number {
    return paramList(this.params).length;
  }
}

/**
 * The learning rate for the next update from the approximate KL of the last one (KL-adaptive
 * rate as in rsl_rl's PPO): with Adam a fixed rate moves the parameters by about the same
 * amount every update, so as the policy's σ shrinks the same step changes the policy more
 * and the KL per update grows; scaling the rate by the measured KL keeps it near the target.
 */
export function nextLearningRate(
  lr: number,
  approxKl: number,
  c: Pick<Rl2Config, 'lrTargetKl' | 'learningRate'>,
): number {
  if (c.lrTargetKl <= 0) return c.learningRate;
  let next = lr;
  if (approxKl > 2 * c.lrTargetKl) next = lr / 1.5;
  else if (approxKl < c.lrTargetKl / 2) next = lr * 1.5;
  return Math.min(c.learningRate, Math.max(c.learningRate / 100, next));
}

/**
 * A stored run's hyper-parameters are complete (validated when the run was created), so one
 * without `gradients` was trained before the PPO update had plain-JS gradients and worker
 * threads: it keeps the tfjs gradients on one thread, so that resuming it continues
 * exactly as it would have.
 */
function upgradeStoredConfig(c: JsonObject): JsonObject {
  if (Object.keys(c).length === 0 || 'gradients' in c) return c;
  return { updateThreads: 1, gradients: 'tfjs', ...c };
}

export const rl2Spec: AlgoSpec = {
  id: 'rl2',
  title: 'RL²',
  description:
    'A recurrent (GRU) policy trained with PPO over trials of several episodes; it adapts to a new task through its hidden state, which is kept across the episodes of a trial.',
  stageUnit: 'episode',
  configSchema: rl2ConfigSchema as unknown as z.ZodType<JsonObject>,
  metaBatchSize: (config) => rl2ConfigSchema.parse(config).metaBatchSize,
  defaultIterations: rl2DefaultIterations,
  familyDefaults: rl2FamilyDefaults,
  create: async ({ family, config, seed, workers }) =>
    new Rl2({
      family,
      config: upgradeStoredConfig(config) as Partial<Rl2Config>,
      seed,
      workers,
    }),
};
