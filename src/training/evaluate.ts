// Evaluation helpers shared by the trainer and the CLI: the paper's protocol (mean return
// after 0..k adaptation stages over held-out test tasks), task checks, and the conversion of
// adaptation episodes into the protocol's plain-array form.
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { EpisodeRecord, MetaLearner } from '../algos/metaLearner';
import type { JsonObject, JsonValue } from '../shared/json';
import type { EpisodeJson } from '../shared/protocol';

export function episodeToJson(ep: EpisodeRecord, withFrames: boolean): EpisodeJson {
  return {
    stage: ep.stage,
    index: ep.index,
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
  onTask?: (done: number, total: number) => void;
}

/**
 * Mean return per stage (0 = before adaptation) over `tasks` held-out test tasks drawn from
 * `seed`; each task's adaptation gets its own seed (seed + i) so results do not depend on order.
 */
export async function evaluateLearner(learner: MetaLearner, family: TaskFamily, opts: EvaluationOptions): Promise<number[]> {
  const tasks = family.sampleTasks(opts.tasks, new Rng(opts.seed), 'test');
  const sums = new Array<number>(opts.steps + 1).fill(0);
  for (let i = 0; i < tasks.length; i++) {
    const r = await learner.adapt(tasks[i], { steps: opts.steps, episodesPerStage: opts.episodesPerStage, seed: opts.seed + i });
    for (let s = 0; s <= opts.steps; s++) sums[s] += r.returns[s];
    opts.onTask?.(i + 1, tasks.length);
  }
  return sums.map((s) => s / tasks.length);
}
