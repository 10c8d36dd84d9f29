// Meta-control of a live run (the config: src/shared/metaControl.ts). The live run asks the
// controller, at each meta-iteration:
//   trainingTasks     the meta-batch, drawn from the training split minus the meta-validation
//                     split (src/core/tasks.ts), so the learner never trains on a validation task;
//   applySchedule     the outer optimiser's step size for this iteration (src/algos/outerStep.ts);
//   validate          every `validateEvery` iterations and at the last: the mean return after
//                     `steps` adaptation stages over the fixed meta-validation tasks → metrics
//                     `validation/return` and `validation/best`; whether this iteration is the
//                     new best (the run checkpoints it and records it in best.json) and whether
//                     early stopping ends the run.
// Its state (best so far, patience count) goes into every checkpoint, so a resumed run makes
// the same decisions as an uninterrupted one. Held-out test tasks never take part.
import path from 'node:path';
import fs from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import { isValidationTask, sampleFiltered } from '../core/tasks';
import type { MetaLearner, Metrics } from '../algos/metaLearner';
import { evaluateLearner } from '../algos/evaluate';
import { type OuterStepKnob, outerStepKnob } from '../algos/outerStep';
import { episodeSeed } from '../samplers/rollout';
import type { JsonObject } from '../shared/json';
import { type MetaControl, MetaControlSchema, scheduleFactor } from '../shared/metaControl';

/** What meta-control carries from one iteration to the next (and in checkpoints). */
export interface MetaControlState {
  /** Highest validation return so far and its iteration (the run's "best" checkpoint). */
  best: number | null;
  bestIteration: number | null;
  /** Early stopping's reference: the last validation return that improved by more than the threshold. */
  reference: number | null;
  /** Validations since the reference was set. */
  sinceImprovement: number;
}

export interface ValidationOutcome {
  metrics: Metrics;
  /** This iteration has the highest validation return so far. */
  isBest: boolean;
  /** Early stopping: patience is exhausted. */
  stop: boolean;
}

/** The run's meta-validation tasks and their adaptation seeds (fixed by `validationSeed`). */
export function validationTasks(
  family: TaskFamily,
  n: number,
  seed: number,
): { tasks: JsonObject[]; seeds: number[] } {
  const tasks = sampleFiltered(
    n,
    new Rng(seed),
    (r) => family.sampleTasks(1, r, 'train')[0] as JsonObject,
    isValidationTask,
    'meta-validation',
  );
  return { tasks, seeds: tasks.map((_, i) => episodeSeed(seed, 500_000 + i)) };
}

/** Meta-training tasks of a run with meta-control: training split, validation split excluded. */
export function metaTrainingTasks(family: TaskFamily, n: number, rng: Rng): JsonObject[] {
  return sampleFiltered(
    n,
    rng,
    (r) => family.sampleTasks(1, r, 'train')[0] as JsonObject,
    (t) => !isValidationTask(t),
    'meta-training',
  );
}

/**
 * Why meta-control cannot run on a family, or null: families whose train and test splits
 * share their tasks (a handful of discrete tasks) have no room for a disjoint validation split.
 */
export function metaControlRefusal(family: TaskFamily): string | null {
  const key = (t: JsonObject) => JSON.stringify(t);
  const train = new Set(family.sampleTasks(100, new Rng(1), 'train').map(key));
  const shared = family.sampleTasks(100, new Rng(2), 'test').some((t) => train.has(key(t)));
  return shared
    ? `${family.id}'s training and test tasks are the same few tasks, so it has no meta-validation split disjoint from both; meta-control needs one`
    : null;
}

export class MetaController {
  readonly config: MetaControl;
  private readonly validation: { tasks: JsonObject[]; seeds: number[] };
  private readonly knobs = new WeakMap<MetaLearner, OuterStepKnob | null>();
  private s: MetaControlState = {
    best: null,
    bestIteration: null,
    reference: null,
    sinceImprovement: 0,
  };

  constructor(
    private readonly family: TaskFamily,
    config: unknown,
    state?: JsonObject,
  ) {
    this.config = MetaControlSchema.parse(config);
    this.validation = validationTasks(
      family,
      this.config.validationTasks,
      this.config.validationSeed,
    );
    if (state) this.s = { ...this.s, ...(state as unknown as Partial<MetaControlState>) };
  }

  get state(): MetaControlState {
    return { ...this.s };
  }

  trainingTasks(n: number, rng: Rng): JsonObject[] {
    return metaTrainingTasks(this.family, n, rng);
  }

  /** Set the outer step size for iteration `it` of a run of `runIterations`; its metrics. */
  applySchedule(learner: MetaLearner, it: number, runIterations: number): Metrics {
    if (this.config.schedule.kind === 'none') return {};
    // The knob is taken once per learner: its base is the configured value, not the last set.
    if (!this.knobs.has(learner)) this.knobs.set(learner, outerStepKnob(learner));
    const knob = this.knobs.get(learner);
    if (!knob)
      throw new Error(
        `metaControl.schedule: the ${learner.algo} learner has no outer step size to schedule; use kind "none"`,
      );
    const f = scheduleFactor(this.config.schedule, it, runIterations);
    knob.set(knob.base * f);
    return { 'optim/outer_scale': f, [`optim/${knob.name}`]: knob.base * f };
  }

  /** Validate at iteration `it` of `runIterations`? */
  due(it: number, runIterations: number): boolean {
    return it % this.config.validateEvery === 0 || it === runIterations;
  }

  async validate(learner: MetaLearner, it: number): Promise<ValidationOutcome> {
    const c = this.config;
    const r = await evaluateLearner(learner, this.family, {
      tasks: this.validation.tasks.length,
      steps: c.steps,
      episodesPerStage: c.episodesPerStage,
      seed: c.validationSeed,
      taskList: this.validation,
    });
    return this.record(r.returns[c.steps], it);
  }

  /** Book one validation return (public for tests that script a validation curve). */
  record(value: number, it: number): ValidationOutcome {
    const s = this.s;
    const isBest = s.best === null || value > s.best;
    if (isBest) {
      s.best = value;
      s.bestIteration = it;
    }
    const es = this.config.earlyStopping;
    if (s.reference === null || value > s.reference + (es?.threshold ?? 0)) {
      s.reference = value;
      s.sinceImprovement = 0;
    } else {
      s.sinceImprovement++;
    }
    return {
      metrics: { 'validation/return': value, 'validation/best': s.best! },
      isBest,
      stop: es !== undefined && s.sinceImprovement >= es.patience,
    };
  }
}

// ---------------------------------------------------------------------------------------
// best.json: the run's best checkpoint on meta-validation

export interface BestRecord {
  iteration: number;
  validationReturn: number;
}

export async function writeBest(runDir: string, best: BestRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, 'best.json'), JSON.stringify(best) + '\n');
}

/** On resume, best.json follows the checkpoint resumed from (a newer, skipped one may have moved it). */
export async function restoreBest(runDir: string, state: JsonObject | undefined): Promise<void> {
  const s = state as Partial<MetaControlState> | undefined;
  if (s && typeof s.bestIteration === 'number' && typeof s.best === 'number')
    await writeBest(runDir, { iteration: s.bestIteration, validationReturn: s.best });
}

/** The run's best checkpoint, or null when it has none (no best.json); throws if best.json is malformed. */
export async function findBest(runDir: string): Promise<BestRecord | null> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(runDir, 'best.json'), 'utf8');
  } catch {
    return null;
  }
  let v: Partial<BestRecord> | null = null;
  try {
    v = JSON.parse(raw) as Partial<BestRecord>;
  } catch {
    /* reported below */
  }
  if (!v || !Number.isInteger(v.iteration) || typeof v.validationReturn !== 'number')
    throw new Error(`best.json is malformed: ${raw.trim()}`);
  return { iteration: v.iteration!, validationReturn: v.validationReturn };
}

/** Why a run has no best checkpoint. */
export const NO_BEST =
  'best.json is written by runs trained with meta-control (metaControl in the run config) once they validate, and a run slimmed to ship as an example has none';

/** The run's best checkpoint iteration; throws naming why there is none. */
export async function readBest(runDir: string): Promise<BestRecord> {
  const best = await findBest(runDir);
  if (!best) throw new Error(`the run has no best checkpoint: ${NO_BEST}`);
  return best;
}
