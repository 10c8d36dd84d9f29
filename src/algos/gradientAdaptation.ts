// Adaptation by inner gradient steps, shared by the gradient-based meta-learners (MAML and
// its baselines; Reptile and Meta-SGD build on the same pieces):
//   adaptOnData      θ_0 = θ, θ_{k+1} = θ_k − α ∇L_in(θ_k) on fixed batches (meta-training:
//                    the meta-batch's adaptation paths, and re-adaptation from a new θ);
//   adaptByGradient  test-time adaptation (evaluation, the viewer): sample a stage with the
//                    current parameters, step, sample again, … and report every episode.
// α may be one number or one per parameter (StepSize).
import type { TaskFamily } from '../core/env';
import type { JsonObject } from '../shared/json';
import type { Episode } from '../samplers/sampler';
import { episodeSeed } from '../samplers/rollout';
import type { InnerPoint, PolicyDerivatives, StepSize } from './derivatives';
import type { AdaptBudget, AdaptResult, EpisodeRecord } from './metaLearner';
import { type TaskData, type TaskTensors, disposeTaskTensors, toTensors } from './taskData';

/** φ(θ) on fixed inner batches, with the path θ_0 … θ_K (and the inner points if `keep`). */
export function adaptOnData(
  derivatives: PolicyDerivatives,
  theta: Float32Array,
  inner: TaskTensors[],
  lr: StepSize,
  keep: boolean,
  /** The parameters each stage's data were sampled with (for the 'lvc' surrogate's weights). */
  sampledWith?: Float32Array[],
): { path: Float32Array[]; points: InnerPoint[] } {
  const path = [theta];
  const points: InnerPoint[] = [];
  for (const [k, d] of inner.entries()) {
    const at = path[path.length - 1];
    const { next, point } = derivatives.innerStep(at, d, lr, keep, sampledWith?.[k]);
    path.push(next);
    if (point) points.push(point);
  }
  return { path, points };
}

/** Seed of stage k of a task whose adaptation seed is `taskSeed`. */
export function stageSeed(taskSeed: number, stage: number): number {
  return episodeSeed(taskSeed, 1_000_000 + stage);
}

/** A learner's own adaptation step sizes: the first step's and the later steps'. */
export interface OwnStepSizes {
  first: number;
  /** Default: a quarter of the first. */
  later?: number;
}

/** Checks an adaptation budget's stage counts, naming the field. */
export function checkAdaptBudget(budget: AdaptBudget): void {
  if (!Number.isInteger(budget.steps) || budget.steps < 0 || budget.steps > 50)
    throw new Error(`adapt: steps must be an integer in [0, 50], got ${budget.steps}`);
  if (!Number.isInteger(budget.episodesPerStage) || budget.episodesPerStage < 1) {
    throw new Error(
      `adapt: episodesPerStage must be a positive integer, got ${budget.episodesPerStage}`,
    );
  }
}

/** The step sizes an adaptation takes: the budget's (checked), else the learner's own. */
export function adaptStepSizes(
  budget: AdaptBudget,
  own: OwnStepSizes,
): { first: number; later: number } {
  if (budget.stepSize !== undefined && !(budget.stepSize >= 0 && budget.stepSize <= 100))
    throw new Error(`adapt: stepSize must be in [0, 100], got ${budget.stepSize}`);
  const first = budget.stepSize ?? own.first;
  const later =
    budget.laterStepRatio !== undefined
      ? first * budget.laterStepRatio
      : budget.stepSize !== undefined
        ? budget.stepSize / 4
        : (own.later ?? first / 4);
  return { first, later };
}

/** What test-time adaptation needs of a gradient learner. */
export interface GradientAdapter {
  family: TaskFamily;
  /** The meta-parameters θ (never changed). */
  theta: Float32Array;
  derivatives: PolicyDerivatives;
  obsSize: number;
  actSize: number;
  /** Sample `episodes` episodes per task with the given parameters and per-task seeds. */
  sample(
    tasks: JsonObject[],
    params: Float32Array[],
    opts: { taskSeeds: number[]; recordFrames: boolean; episodes: number },
  ): Promise<{ episodes: Episode[][] }>;
  taskData(eps: Episode[]): TaskData;
  /** Policy-unit actions → the env's units, for a task of the family. */
  envActions(task: JsonObject | undefined): (a: Float32Array) => Float32Array;
  /** false: every stage re-samples θ as it is (the oracle already sees the task). */
  fineTune: boolean;
  /** Per-parameter factors of every step size (Meta-SGD's α / innerLr); absent: one size for all. */
  stepShape?: Float32Array;
}

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/**
 * Adapt θ to several tasks at once (one sampler call per stage for all of them): stage 0
 * samples with θ, then each stage takes one gradient step on the previous stage's
 * episodes and samples again. Task i uses seed taskSeeds[i], so its result does not
 * depend on the other tasks of the call.
 */
export async function adaptByGradient(
  a: GradientAdapter,
  tasks: JsonObject[],
  budget: AdaptBudget,
  own: OwnStepSizes,
  taskSeeds: number[],
  onEpisode?: (task: number, ep: EpisodeRecord) => void,
): Promise<AdaptResult[]> {
  checkAdaptBudget(budget);
  const parsed = tasks.map((t) => a.family.parseTask(t));
  const { first, later } = adaptStepSizes(budget, own);
  let params = parsed.map(() => a.theta);
  const results: AdaptResult[] = parsed.map(() => ({ returns: [], episodes: [] }));
  const toEnvUnits = a.envActions(parsed[0]);
  for (let k = 0; k <= budget.steps; k++) {
    const res = await a.sample(parsed, params, {
      taskSeeds: taskSeeds.map((s) => stageSeed(s, k)),
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
    if (k < budget.steps && a.fineTune) {
      const size = k === 0 ? first : later;
      const shape = a.stepShape;
      const lr: StepSize = shape ? shape.map((s) => s * size) : size;
      params = params.map((p, t) => {
        const d = toTensors(a.taskData(res.episodes[t]), a.obsSize, a.actSize);
        try {
          return a.derivatives.innerStep(p, d, lr, false).next;
        } finally {
          disposeTaskTensors([d]);
        }
      });
    }
  }
  return results;
}
