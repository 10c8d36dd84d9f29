// Evaluation helpers shared by the trainer and the CLI: the paper's protocol (mean return
// after 0..k adaptation stages over held-out test tasks, delegated to src/algos/evaluate.ts),
// task checks, and the conversion of adaptation episodes into the protocol's plain-array form.
import type { TaskFamily } from '../core/env';
import type { EpisodeRecord, MetaLearner } from '../algos/metaLearner';
import { evaluateLearner as evaluateProtocol, tuneStepSize } from '../algos/evaluate';
import type { JsonObject, JsonValue } from '../shared/json';
import type { AlgoSpec } from '../algos/registry';
import { createRandomInit } from '../algos/mamlSpecs';
import type { EpisodeJson } from '../shared/protocol';

export function episodeToJson(ep: EpisodeRecord, withFrames: boolean): EpisodeJson {
  return {
    stage: ep.stage,
    index: ep.index,
    ...(ep.label !== undefined ? { label: ep.label } : {}),
    return: ep.return,
    length: ep.length,
    observations: Array.from(ep.observations),
    actions: Array.from(ep.actions),
    rewards: Array.from(ep.rewards),
    ...(withFrames && ep.frames ? { frames: ep.frames.map((f) => Array.from(f)) } : {}),
  };
}

function readPath(task: JsonObject, dotted: string): JsonValue | undefined {
  let v: JsonValue | undefined = task;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) ? v[Number(part)] : (v as JsonObject)[part];
  }
  return v;
}

/** True when every task parameter lies in its training range. */
export function inTrainingDistribution(family: TaskFamily, task: JsonObject): boolean {
  return family.params.every((p) => {
    const v = readPath(task, p.path);
    return typeof v === 'number' && v >= p.low && v <= p.high;
  });
}

export interface EvaluationOptions {
  tasks: number;
  steps: number;
  episodesPerStage: number;
  seed: number;
  /** Gradient-step learners: the first adaptation step's size (default: their own). */
  stepSize?: number;
  /** Gradient-step learners: later steps' size as a fraction of the first's (default: their own rule). */
  laterStepRatio?: number;
  onTask?: (done: number, total: number) => void;
}

/**
 * Mean return per stage (0 = before adaptation) over `tasks` held-out test tasks drawn from
 * `seed`: the learners' own evaluation protocol (src/algos/evaluate.ts), which batches the
 * tasks when the learner can and gives every learner the same tasks and noise streams.
 */
export async function evaluateLearner(
  learner: MetaLearner,
  family: TaskFamily,
  opts: EvaluationOptions,
): Promise<number[]> {
  const r = await evaluateProtocol(learner, family, {
    tasks: opts.tasks,
    steps: opts.steps,
    episodesPerStage: opts.episodesPerStage,
    seed: opts.seed,
    onProgress: opts.onTask,
    ...(opts.stepSize !== undefined ? { stepSize: opts.stepSize } : {}),
    ...(opts.laterStepRatio !== undefined ? { laterStepRatio: opts.laterStepRatio } : {}),
  });
  return r.returns;
}

/**
 * The "random" baseline of a run: its learner untrained, fine-tuned from scratch, with the
 * stage unit its fine-tuning has. A nearest-task learner knows no task untrained, so its
 * random baseline is the MAML paper's: an untrained MLP fine-tuned by gradient steps.
 */
export async function randomBaseline(
  spec: AlgoSpec,
  family: TaskFamily,
  run: { hyper: JsonObject; seed: number; workers: number },
): Promise<{ learner: MetaLearner; stageUnit: 'step' | 'episode' }> {
  if (spec.id === 'nearest-task')
    return { learner: createRandomInit(family, run.seed, run.workers), stageUnit: 'step' };
  const learner = await spec.create({
    family,
    config: run.hyper,
    seed: run.seed,
    workers: run.workers,
  });
  return { learner, stageUnit: spec.stageUnit };
}

/**
 * Baselines that were never trained to adapt (random init, pretrained) are fine-tuned with
 * their own best step size: meta-learned step sizes are MAML's, and would be unfair to them.
 */
export function tunesStepSize(algo: string, stageUnit: 'step' | 'episode'): boolean {
  return stageUnit === 'step' && (algo === 'random' || algo === 'pretrained');
}

/**
 * One baseline under the protocol. With `tune`, its step size is first chosen on training
 * tasks (tuneStepSize) unless `opts.stepSize` fixes it; the chosen size comes back with the returns.
 */
async function evaluateBaseline(
  learner: MetaLearner,
  family: TaskFamily,
  opts: EvaluationOptions,
  tune: boolean,
): Promise<{ returns: number[]; stepSize?: number }> {
  let stepSize = opts.stepSize;
  if (tune && stepSize === undefined && opts.steps > 0) {
    stepSize = (
      await tuneStepSize(learner, family, {
        steps: opts.steps,
        episodesPerStage: opts.episodesPerStage,
        seed: opts.seed,
        ...(opts.laterStepRatio !== undefined ? { laterStepRatio: opts.laterStepRatio } : {}),
      })
    ).stepSize;
  }
  const returns = await evaluateLearner(learner, family, {
    ...opts,
    ...(stepSize !== undefined ? { stepSize } : {}),
  });
  return { returns, ...(tune && stepSize !== undefined ? { stepSize } : {}) };
}

/** A baseline to evaluate: how to build its learner, and whether to tune its step size. */
export interface BaselineSpec {
  /** Its key in the results. */
  name: string;
  /** Builds (or loads) the learner; evaluateBaselines disposes it afterwards. */
  create(): Promise<{ learner: MetaLearner; tune: boolean }>;
  /** Progress of this baseline's evaluation. */
  onTask?: (done: number, total: number) => void;
}

export interface BaselineResults {
  returns: Record<string, number[]>;
  /** The step size each tuned baseline was fine-tuned with. */
  stepSizes: Record<string, number>;
}

/**
 * Every baseline under the same protocol, one after another (each learner is built,
 * evaluated by evaluateBaseline and disposed before the next): what `metarl eval`, the
 * trainer's evaluation and bench:meta-quality all run. `tunedStepSize` fixes the step size
 * of the baselines that would otherwise be tuned.
 */
export async function evaluateBaselines(
  family: TaskFamily,
  baselines: BaselineSpec[],
  opts: Omit<EvaluationOptions, 'stepSize' | 'onTask'>,
  tunedStepSize?: number,
): Promise<BaselineResults> {
  const out: BaselineResults = { returns: {}, stepSizes: {} };
  for (const b of baselines) {
    const { learner, tune } = await b.create();
    try {
      const r = await evaluateBaseline(
        learner,
        family,
        {
          ...opts,
          ...(b.onTask ? { onTask: b.onTask } : {}),
          ...(tune && tunedStepSize !== undefined ? { stepSize: tunedStepSize } : {}),
        },
        tune,
      );
      out.returns[b.name] = r.returns;
      if (r.stepSize !== undefined) out.stepSizes[b.name] = r.stepSize;
    } finally {
      await learner.dispose();
    }
  }
  return out;
}

/** As evaluateLearner, with the standard error of each stage's mean across the tasks. */
export async function evaluateWithSpread(
  learner: MetaLearner,
  family: TaskFamily,
  opts: EvaluationOptions,
): Promise<{ returns: number[]; stderr: number[]; perTask: TaskReturns[] }> {
  const r = await evaluateProtocol(learner, family, {
    tasks: opts.tasks,
    steps: opts.steps,
    episodesPerStage: opts.episodesPerStage,
    seed: opts.seed,
    onProgress: opts.onTask,
    ...(opts.stepSize !== undefined ? { stepSize: opts.stepSize } : {}),
    ...(opts.laterStepRatio !== undefined ? { laterStepRatio: opts.laterStepRatio } : {}),
  });
  return { returns: r.returns, stderr: r.stderr, perTask: perTaskOf(r) };
}

/** One test task and the mean return on it at each stage. */
export interface TaskReturns {
  task: JsonObject;
  returns: number[];
}

function perTaskOf(r: { testTasks: JsonObject[]; perTask: number[][] }): TaskReturns[] {
  return r.testTasks.map((task, i) => ({ task, returns: r.perTask[i] }));
}
