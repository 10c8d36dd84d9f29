// The evaluation protocol of the MAML paper (§5.3), shared by every meta-learner: adapt to
// N held-out test tasks with the same budget and report the mean return at each stage —
// 0, 1, …, k gradient steps for MAML and its baselines; episodes 1, …, K of a trial for
// RL². The test tasks and per-task seeds depend only on `seed`, so every learner (MAML,
// pretrained, random init, oracle, RL²) is scored on the same tasks and noise streams.
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import { episodeSeed } from '../samplers/rollout';
import type { AdaptBudget, AdaptResult, MetaLearner } from './metaLearner';

export interface EvaluateOptions {
  /** Number of held-out test tasks (the paper: 40). */
  tasks: number;
  /** MAML: gradient steps (stages 0..steps); RL²: episodes beyond the first. */
  steps: number;
  /** Episodes per stage (the paper: 20). */
  episodesPerStage?: number;
  seed: number;
  /** Where the tasks come from: held-out 'test' tasks (the default) or 'train' tasks (to choose settings on). */
  split?: 'train' | 'test';
  /** Explicit tasks and per-task seeds instead of the split's (meta-validation tasks); `tasks` must equal their number. */
  taskList?: { tasks: JsonObject[]; seeds: number[] };
  /** Gradient-step learners: the first adaptation step's size (AdaptBudget.stepSize); default their own. */
  stepSize?: number;
  /** Gradient-step learners: later steps' size as a fraction of the first's (default: their own rule). */
  laterStepRatio?: number;
  /** Called after each chunk of tasks with the number done. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  /** Mean over tasks of the mean return at each stage. */
  returns: number[];
  /** Standard error of that mean over tasks, per stage. */
  stderr: number[];
  /** Per-task mean return, [task][stage]. */
  perTask: number[][];
  testTasks: JsonObject[];
}

/** A learner that can adapt many tasks in one go (MamlLearner); results equal adapt() per task. */
interface BatchAdapter {
  adaptBatch(tasks: JsonObject[], budget: AdaptBudget, taskSeeds: number[]): Promise<AdaptResult[]>;
}

function hasBatch(l: MetaLearner): l is MetaLearner & BatchAdapter {
  return typeof (l as Partial<BatchAdapter>).adaptBatch === 'function';
}

/** The test tasks and per-task seeds the protocol uses for `seed`. */
export function evaluationTasks(
  family: TaskFamily,
  n: number,
  seed: number,
  split: 'train' | 'test' = 'test',
): { tasks: JsonObject[]; seeds: number[] } {
  const tasks = family.sampleTasks(n, new Rng(seed), split);
  return { tasks, seeds: tasks.map((_, i) => episodeSeed(seed, i)) };
}

export async function evaluateLearner(
  learner: MetaLearner,
  family: TaskFamily,
  opts: EvaluateOptions,
): Promise<EvaluateResult> {
  if (!Number.isInteger(opts.tasks) || opts.tasks < 1)
    throw new Error(`evaluate: tasks must be a positive integer, got ${opts.tasks}`);
  if (!Number.isInteger(opts.steps) || opts.steps < 0)
    throw new Error(`evaluate: steps must be a non-negative integer, got ${opts.steps}`);
  const E = opts.episodesPerStage ?? 20;
  if (!Number.isInteger(E) || E < 1)
    throw new Error(`evaluate: episodesPerStage must be a positive integer, got ${E}`);
  const { tasks, seeds } =
    opts.taskList ?? evaluationTasks(family, opts.tasks, opts.seed, opts.split);
  if (tasks.length !== opts.tasks || seeds.length !== tasks.length)
    throw new Error(`evaluate: taskList must hold ${opts.tasks} tasks and as many seeds`);
  const budget: Omit<AdaptBudget, 'seed'> = {
    steps: opts.steps,
    episodesPerStage: E,
    ...(opts.stepSize !== undefined ? { stepSize: opts.stepSize } : {}),
    ...(opts.laterStepRatio !== undefined ? { laterStepRatio: opts.laterStepRatio } : {}),
  };
  const perTask: number[][] = [];
  // Chunks bound the memory of one sampler call (episodes of every task in the chunk).
  const CHUNK = 40;
  for (let i = 0; i < tasks.length; i += CHUNK) {
    const chunk = tasks.slice(i, i + CHUNK);
    const chunkSeeds = seeds.slice(i, i + CHUNK);
    if (hasBatch(learner)) {
      const rs = await learner.adaptBatch(chunk, { ...budget, seed: chunkSeeds[0] }, chunkSeeds);
      for (const r of rs) perTask.push(r.returns);
    } else {
      for (let j = 0; j < chunk.length; j++) {
        const r = await learner.adapt(chunk[j], { ...budget, seed: chunkSeeds[j] });
        perTask.push(r.returns);
      }
    }
    opts.onProgress?.(perTask.length, tasks.length);
  }
  const stages = perTask[0].length;
  const returns: number[] = [];
  const stderr: number[] = [];
  for (let s = 0; s < stages; s++) {
    const xs = perTask.map((r) => r[s]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
    returns.push(m);
    stderr.push(Math.sqrt(v / xs.length));
  }
  return { returns, stderr, perTask, testTasks: tasks };
}

/**
 * Step sizes tuneStepSize tries (a log grid over what a policy-gradient fine-tuning step can
 * want). It reaches down to 1e-4: the pretrained reacher policy trained 500 iterations chose
 * 0.001, then the grid's end, on seeds 1 and 2.
 */
export const STEP_SIZE_GRID = [
  5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 5e-4, 2e-4, 1e-4,
] as const;

export interface TuneOptions {
  steps: number;
  episodesPerStage?: number;
  /** Training tasks to score each step size on (default 20). */
  tasks?: number;
  seed: number;
  grid?: readonly number[];
  laterStepRatio?: number;
}

/**
 * The fine-tuning step size for a baseline (random init, pretrained), chosen the way a
 * practitioner would: on *training* tasks, never the held-out test tasks, as the one with
 * the best mean return over stages 1..k. Ties go to the larger step.
 */
export async function tuneStepSize(
  learner: MetaLearner,
  family: TaskFamily,
  opts: TuneOptions,
): Promise<{ stepSize: number; scores: { stepSize: number; returns: number[] }[] }> {
  if (opts.steps < 1) throw new Error(`tuneStepSize: steps must be at least 1, got ${opts.steps}`);
  const grid = opts.grid ?? STEP_SIZE_GRID;
  if (grid.length === 0) throw new Error('tuneStepSize: empty grid');
  const scores: { stepSize: number; returns: number[] }[] = [];
  let best = { stepSize: grid[0], score: -Infinity };
  for (const stepSize of grid) {
    const r = await evaluateLearner(learner, family, {
      tasks: opts.tasks ?? 20,
      steps: opts.steps,
      episodesPerStage: opts.episodesPerStage,
      seed: opts.seed,
      split: 'train',
      stepSize,
      ...(opts.laterStepRatio !== undefined ? { laterStepRatio: opts.laterStepRatio } : {}),
    });
    scores.push({ stepSize, returns: r.returns });
    const score = r.returns.slice(1).reduce((a, b) => a + b, 0) / opts.steps;
    if (score > best.score) best = { stepSize, score };
  }
  return { stepSize: best.stepSize, scores };
}
