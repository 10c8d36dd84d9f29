// Meta-control of a run, for every learner (zod only, so the renderer can validate with it):
//   validation      every `validateEvery` meta-iterations, the learner adapts to
//                   `validationTasks` meta-validation tasks (a split disjoint from the training
//                   and the test tasks, src/core/tasks.ts) and its mean return after `steps`
//                   adaptation stages is the run's `validation/return`;
//   best checkpoint the iteration with the highest validation return is checkpointed and
//                   recorded as the run's "best" (best.json); test tasks never take part;
//   early stopping  training ends once `patience` validations in a row have not beaten the
//                   best by more than `threshold`;
//   schedule        the outer optimiser's step size (TRPO's KL radius, PPO's and Adam's
//                   learning rate) is multiplied by a factor of the iteration: 'none' (1),
//                   'step' (× gamma every `every` iterations) or 'cosine' (from 1 down to
//                   `minFactor` over `iterations` iterations, default the run's length).
import { z } from 'zod';

const MAX = 1_000_000;

function intIn(min: number, max: number) {
  const msg = `must be an integer in [${min}, ${max}]`;
  return z
    .number({ error: msg })
    .int({ error: msg })
    .min(min, { error: msg })
    .max(max, { error: msg });
}

function numberIn(min: number, max: number, open = false) {
  const msg = `must be a ${open ? 'positive ' : ''}finite number in ${open ? '(' : '['}${min}, ${max}]`;
  const base = z.number({ error: msg });
  return (open ? base.gt(min, { error: msg }) : base.min(min, { error: msg })).max(max, {
    error: msg,
  });
}

export const SCHEDULE_KINDS = ['none', 'step', 'cosine'] as const;

const NoSchedule = z.strictObject({ kind: z.literal('none') });
const StepSchedule = z.strictObject({
  kind: z.literal('step'),
  /** Multiply the step size by `gamma` every `every` meta-iterations. */
  every: intIn(1, MAX),
  gamma: numberIn(0, 1, true),
});
const CosineSchedule = z.strictObject({
  kind: z.literal('cosine'),
  /** The factor at the end of the schedule (and after it). */
  minFactor: numberIn(0, 1).default(0),
  /** Length of the schedule in meta-iterations; default: the run's iterations. */
  iterations: intIn(1, MAX).optional(),
});

export const ScheduleSchema = z.discriminatedUnion(
  'kind',
  [NoSchedule, StepSchedule, CosineSchedule],
  {
    error: `must be one of ${SCHEDULE_KINDS.join(', ')}`,
  },
);
export type Schedule = z.infer<typeof ScheduleSchema>;

export const EarlyStoppingSchema = z.strictObject({
  /** Validations in a row without an improvement before training stops (≥ 1). */
  patience: intIn(1, 10_000),
  /** An improvement is a validation return above the best so far by more than this. */
  threshold: numberIn(0, 1e9).default(0),
});

export const MetaControlSchema = z.strictObject({
  /** Evaluate on the meta-validation tasks every N meta-iterations (and at the last one). */
  validateEvery: intIn(1, MAX).default(10),
  /** Meta-validation tasks (drawn once from `validationSeed`). */
  validationTasks: intIn(1, 1000).default(20),
  /** Picks the meta-validation tasks (the same for every run with this seed). */
  validationSeed: intIn(0, 2147483647).default(0),
  /** Adaptation stages scored: the validation return is the mean return after this many. */
  steps: intIn(0, 10).default(1),
  /** Episodes per adaptation stage on each validation task. */
  episodesPerStage: intIn(1, 1000).default(20),
  earlyStopping: EarlyStoppingSchema.optional(),
  schedule: ScheduleSchema.default({ kind: 'none' }),
});
export type MetaControl = z.infer<typeof MetaControlSchema>;
export type MetaControlInput = z.input<typeof MetaControlSchema>;

/**
 * The factor on the outer optimiser's base step size at meta-iteration `it` (1 = the first):
 * what the schedule says, for a run of `runIterations`.
 */
export function scheduleFactor(s: Schedule, it: number, runIterations: number): number {
  if (s.kind === 'none') return 1;
  const done = Math.max(0, it - 1);
  if (s.kind === 'step') return Math.pow(s.gamma, Math.floor(done / s.every));
  const T = s.iterations ?? runIterations;
  const p = T <= 1 ? 1 : Math.min(1, done / (T - 1));
  return s.minFactor + (1 - s.minFactor) * 0.5 * (1 + Math.cos(Math.PI * p));
}
