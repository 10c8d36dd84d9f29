// The evaluation protocol shared by every meta-learner (the MAML paper's, §5.3): adapt to
// N held-out test tasks with the same budget and report the mean return at each stage —
// 0, 1, …, k gradient steps for MAML; episodes 1, …, K of a trial for RL². `returns` is
// in stage order, so `metarl eval --json` has one shape for every learner.
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import type { MetaLearner } from './metaLearner';

export interface EvaluateOptions {
  /** Number of held-out test tasks. */
  tasks: number;
  /** MAML: gradient steps; RL²: episodes beyond the first. */
  steps: number;
  /** Episodes per stage (MAML's inner batch; RL²'s parallel trials per task). */
  episodesPerStage: number;
  seed: number;
}

export interface EvaluateResult {
  /** Mean over tasks of the mean return at each stage. */
  returns: number[];
  /** Standard error of that mean over tasks, per stage. */
  stderr: number[];
  /** The per-task figures, [task][stage]. */
  perTask: number[][];
  testTasks: JsonObject[];
}

export async function evaluateLearner(
  learner: MetaLearner,
  family: TaskFamily,
  opts: EvaluateOptions,
): Promise<EvaluateResult> {
  if (!Number.isInteger(opts.tasks) || opts.tasks < 1) throw new Error(`evaluate: tasks must be a positive integer, got ${opts.tasks}`);
  // Test tasks depend only on the seed, so every learner is scored on the same tasks.
  const rng = new Rng(opts.seed);
  const testTasks = family.sampleTasks(opts.tasks, rng, 'test');
  const perTask: number[][] = [];
  for (let i = 0; i < testTasks.length; i++) {
    const r = await learner.adapt(testTasks[i], {
      steps: opts.steps,
      episodesPerStage: opts.episodesPerStage,
      seed: (opts.seed * 7919 + i * 104729) % 2147483647,
    });
    perTask.push(r.returns);
  }
  const S = opts.steps + 1;
  const returns: number[] = [];
  const stderr: number[] = [];
  for (let k = 0; k < S; k++) {
    const xs = perTask.map((r) => r[k]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
    returns.push(m);
    stderr.push(Math.sqrt(v / xs.length));
  }
  return { returns, stderr, perTask, testTasks };
}
