// The data shapes of the protocol (src/shared/protocol.ts): what commands carry and return
// and what events stream — runs, statuses, metrics, episodes, families, learners. Each type
// is its zod schema's z.infer, so a shape is written once and checked where it is received.
// Imports only zod (lint-enforced): the renderer, preload and trainer all share it.
import { z } from 'zod';
import { JsonObjectSchema } from './config';
import { ClusterStatusSchema } from './cluster';

// ---------------------------------------------------------------------------------------
// Scenes, families, learners
// ---------------------------------------------------------------------------------------

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
export const GeomSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('box'), size: vec3 }),
  z.object({ type: z.literal('sphere'), radius: z.number() }),
  z.object({ type: z.literal('capsule'), radius: z.number(), length: z.number() }),
  z.object({ type: z.literal('cylinder'), radius: z.number(), length: z.number() }),
  z.object({ type: z.literal('ellipsoid'), radii: vec3 }),
  z.object({ type: z.literal('plane'), size: z.tuple([z.number(), z.number()]) }),
]);
export const SceneBodySchema = z.object({
  name: z.string(),
  geom: GeomSchema,
  color: z.string(),
  static: z.boolean().optional(),
  opacity: z.number().optional(),
});
/** Mirrors SceneDescription in ./scene.ts (checked by a type test). */
export const SceneSchema = z.object({
  family: z.string(),
  up: z.enum(['y', 'z']),
  bodies: z.array(SceneBodySchema),
  markers: z.array(SceneBodySchema),
  bounds: z.object({ min: vec3, max: vec3 }),
  follow: z.string().optional(),
  stepSeconds: z.number().positive().optional(),
  trail: z.string(),
  floor: z
    .object({ height: z.number(), goalParams: z.tuple([z.string(), z.string()]).optional() })
    .optional(),
  view2d: z.enum(['top', 'side']).optional(),
});

export const RunIdSchema = z
  .string({ error: 'runId must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    error: 'runId must be a run directory name (letters, digits, . _ -)',
  });

/** One task parameter, as the UI needs it to build an editor (sliders, floor clicks). */
export const TaskParamSchema = z.object({
  name: z.string(),
  label: z.string(),
  /** The training distribution's range. */
  low: z.number(),
  high: z.number(),
  /** The range the env accepts at all; values outside [low, high] but inside this are "out of distribution". */
  min: z.number(),
  max: z.number(),
  unit: z.string().optional(),
  kind: z.enum(['goal', 'dynamics']),
  /** A task field that is a vector ({ goal: [x, y] }) is described by one TaskParam per component: path `goal.0`. */
  path: z.string(),
});
export type TaskParam = z.infer<typeof TaskParamSchema>;

const StageUnitSchema = z.enum(['step', 'episode']);

/** A family as the registry lists it (envs/registry.ts, `metarl envs --json`). */
export const FamilyDescriptionSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  observationSize: z.number(),
  actionSize: z.number(),
  horizon: z.number(),
  params: z.array(TaskParamSchema),
  docs: z.object({
    observation: z.string(),
    action: z.string(),
    reward: z.string(),
    termination: z.string(),
    tasks: z.string().optional(),
    departures: z.string().optional(),
    oracle: z.object({ value: z.number(), source: z.string() }).optional(),
  }),
});
export type FamilyDescription = z.infer<typeof FamilyDescriptionSchema>;

/** A family as the UI gets it: the registry's description plus a preview for its card. */
export const FamilyInfoSchema = FamilyDescriptionSchema.extend({
  /** The scene and one frame of a sample task. */
  scene: SceneSchema,
  previewFrame: z.array(z.number()),
  sampleTask: JsonObjectSchema,
});
export type FamilyInfo = z.infer<typeof FamilyInfoSchema>;

export const AlgoInfoSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  /** What an adaptation stage is: a gradient step (MAML) or an episode of a trial (RL²). */
  stageUnit: StageUnitSchema,
  /** The hyper-parameters with their defaults filled in. */
  defaults: JsonObjectSchema,
  /** The same per family id, where a family changes some defaults (e.g. MAML's step size on point-nav). */
  familyDefaults: z.record(z.string(), JsonObjectSchema),
  /** JSON Schema of the hyper-parameters (types, minimum/maximum, descriptions) for forms. */
  schema: JsonObjectSchema,
  /** Default meta-iterations per family id. */
  defaultIterations: z.record(z.string(), z.number()),
  /** Default meta-control per family id (src/shared/metaControl.ts; null = off). */
  familyMetaControl: z.record(z.string(), JsonObjectSchema.nullable()),
});
export type AlgoInfo = z.infer<typeof AlgoInfoSchema>;

export const RUN_STATES = [
  'idle', // no run loaded in the trainer
  'starting', // creating the run, initialising the backend and learner
  'running',
  'paused',
  'stopping', // finishing the current iteration, then checkpointing
  'stopped', // stopped by the user, checkpoint written; resumable
  'finished', // all iterations done
  'failed', // guard rail or error; message says why; last good checkpoint kept
  'crashed', // the trainer process died; a new trainer is started on the next command
] as const;
export const RunStateSchema = z.enum(RUN_STATES);
export type RunState = z.infer<typeof RunStateSchema>;

/** The states in which a trainer holds a run (it owns the run's lock and may write to it). */
export const LIVE_RUN_STATES = [
  'starting',
  'running',
  'paused',
  'stopping',
] as const satisfies readonly RunState[];
export function isLiveState(state: string): boolean {
  return (LIVE_RUN_STATES as readonly string[]).includes(state);
}

export const TrainerStatusSchema = z.object({
  state: RunStateSchema,
  runId: z.string().nullable(),
  family: z.string().nullable(),
  algo: z.string().nullable(),
  /** Meta-iterations completed. */
  iteration: z.number(),
  /** Target number of meta-iterations. */
  iterations: z.number(),
  /** tfjs backend in use ('wasm', 'cpu', 'tensorflow'). */
  backend: z.string().nullable(),
  /** Wall time spent training in this session of the run (ms). */
  elapsedMs: z.number(),
  /** Estimated time to the end (ms), from the mean iteration time; null until known. */
  etaMs: z.number().nullable(),
  /** Iteration of the live run's newest checkpoint (null: none yet). */
  checkpoint: z.number().nullable().optional(),
  /** For 'failed' / 'crashed': what happened, naming the iteration. */
  message: z.string().optional(),
  /** Rollout workers, when the run samples through Redis. */
  cluster: ClusterStatusSchema.optional(),
});
export type TrainerStatus = z.infer<typeof TrainerStatusSchema>;

/** One meta-iteration's metrics: a line of metrics.jsonl and a `mrl:metrics.added` event. */
export const MetricsRowSchema = z.object({
  iteration: z.number().int(),
  /** ISO time the iteration finished. */
  time: z.string(),
  /** Wall time of this iteration (ms). */
  wallMs: z.number(),
  /** Namespaced scalars from the learner ('returns/pre', 'returns/post_1', 'losses/kl', ...). */
  metrics: z.record(z.string(), z.number()),
});
export type MetricsRow = z.infer<typeof MetricsRowSchema>;

/** An adaptation episode, plain-array form of EpisodeRecord (src/algos/metaLearner.ts). */
export const EpisodeJsonSchema = z.object({
  /** 0 = before adaptation; MAML: after gradient step k; RL²: episode k+1 of the trial. */
  stage: z.number(),
  index: z.number(),
  /** The learner's own name for the stage (nearest-task: 'exploration', 'nearest: task #k (d=…)'). */
  label: z.string().optional(),
  return: z.number(),
  length: z.number(),
  /** Per step, row-major (length × observation size / action size). */
  observations: z.array(z.number()),
  actions: z.array(z.number()),
  rewards: z.array(z.number()),
  /** Scene frames, length + 1 of them (reset state first), each of frameSize(scene) floats. */
  frames: z.array(z.array(z.number())).optional(),
});
export type EpisodeJson = z.infer<typeof EpisodeJsonSchema>;

export const AdaptReplySchema = z.object({
  runId: z.string(),
  /** Checkpoint iteration whose meta-parameters were adapted. */
  iteration: z.number(),
  algo: z.string(),
  family: z.string(),
  stageUnit: StageUnitSchema,
  task: JsonObjectSchema,
  /** True when every task parameter lies inside the training distribution's range. */
  inDistribution: z.boolean(),
  scene: SceneSchema,
  /** Mean return per stage: [before, after step/episode 1, …]. */
  returns: z.array(z.number()),
  episodes: z.array(EpisodeJsonSchema),
});
export type AdaptReply = z.infer<typeof AdaptReplySchema>;

export const EvaluateReplySchema = z.object({
  runId: z.string(),
  /** The checkpoint evaluated (its iteration). */
  iteration: z.number(),
  /** How it was chosen: the latest, the best on meta-validation, or a saved iteration by number (absent in evaluations saved before the choice existed). */
  checkpoint: z.enum(['latest', 'best', 'iteration']).optional(),
  /** For the best checkpoint: its meta-validation return. */
  validationReturn: z.number().optional(),
  stageUnit: StageUnitSchema,
  tasks: z.number(),
  /** Mean return per stage over the held-out test tasks. */
  returns: z.array(z.number()),
  /** Standard error of each mean, across the tasks. */
  stderr: z.array(z.number()).optional(),
  /** Same shape, one array per baseline asked for. */
  baselines: z.record(z.string(), z.array(z.number())).optional(),
  /** The fine-tuning step size each random-init / pretrained baseline was evaluated with (chosen on training tasks). */
  baselineStepSizes: z.record(z.string(), z.number()).optional(),
  /** Each test task and the run's mean return on it at each stage (absent in evaluations saved before it existed). */
  perTask: z
    .array(z.object({ task: JsonObjectSchema, returns: z.array(z.number()) }))
    .max(10000)
    .optional(),
});
export type EvaluateReply = z.infer<typeof EvaluateReplySchema>;

/** An `mrl:run.evaluate` result as kept with its run (evaluations.json), with when and how it was made. */
export const SavedEvaluationSchema = EvaluateReplySchema.extend({
  savedAt: z.string(),
  episodesPerStage: z.number(),
  seed: z.number(),
});
export type SavedEvaluation = z.infer<typeof SavedEvaluationSchema>;

/** Who holds a run's lock (the one process allowed to train it). */
export const RunLockHolderSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** ISO time the lock was taken. */
  since: z.string(),
});
export type RunLockHolder = z.infer<typeof RunLockHolderSchema>;

export const RunSummarySchema = z.object({
  runId: z.string(),
  name: z.string().optional(),
  family: z.string(),
  algo: z.string(),
  seed: z.number(),
  backend: z.string(),
  createdAt: z.string(),
  /** Meta-iterations recorded in metrics.jsonl. */
  iteration: z.number(),
  iterations: z.number(),
  /** Iterations with a checkpoint directory, ascending. */
  checkpoints: z.array(z.number()),
  /** Best mean return after full adaptation seen in the metrics, if any. */
  bestReturn: z.number().nullable(),
  /** The best checkpoint on meta-validation (runs trained with meta-control), when it is saved. */
  bestCheckpoint: z.object({ iteration: z.number(), validationReturn: z.number() }).optional(),
  /** Live states only for a run being trained (by this trainer, or by another process: see lockedBy); otherwise from the run's files. */
  state: RunStateSchema,
  /** Set when another process is training the run (it holds the run's lock): it cannot be resumed or deleted from here. */
  lockedBy: RunLockHolderSchema.optional(),
  message: z.string().optional(),
  /** A trained example shipped with the app (examples/runs): read-only, never resumed or deleted. */
  example: z.boolean().optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const PreviewEpisodeSchema = z.object({
  runId: z.string(),
  /** The meta-iteration whose policy was adapted. */
  iteration: z.number(),
  task: JsonObjectSchema,
  scene: SceneSchema,
  stageUnit: StageUnitSchema,
  /** Stages in this preview (1 + steps). */
  stages: z.number(),
  episode: EpisodeJsonSchema,
});
export type PreviewEpisode = z.infer<typeof PreviewEpisodeSchema>;

export const ProgressEventSchema = z.object({
  runId: z.string(),
  /** The meta-iteration in progress (1-based: completed + 1). */
  iteration: z.number(),
  /** What the trainer or learner is doing ('sampling', 'inner', 'outer', 'preview', 'checkpoint'). */
  phase: z.string(),
  /** Fraction of the iteration done, 0..1. */
  fraction: z.number(),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

export const ErrorEventSchema = z.object({
  runId: z.string().nullable(),
  iteration: z.number().nullable(),
  message: z.string(),
  /** True when the run stopped because of it. */
  fatal: z.boolean(),
});
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;

/** Schemas of event payloads, for clients that validate what they receive. */
export const StreamSchemas = {
  /** The trainer's status changed (state, iteration, ETA). Also sent on subscribe. */
  'mrl:status.changed': TrainerStatusSchema,
  /** A meta-iteration finished. `emittedAt`: epoch ms (fractional) when the trainer sent it, for latency figures. */
  'mrl:metrics.added': MetricsRowSchema.extend({
    runId: z.string(),
    emittedAt: z.number().optional(),
  }),
  /** Progress within a meta-iteration. */
  'mrl:progress.changed': ProgressEventSchema,
  /** One episode of the live preview (stage 0 = before adaptation, then each step / episode). */
  'mrl:preview.added': PreviewEpisodeSchema,
  /** An error: a guard rail tripped, a command failed in the background, a damaged checkpoint was skipped, or the trainer crashed. */
  'mrl:error.raised': ErrorEventSchema,
} as const;
export type StreamName = keyof typeof StreamSchemas;
export type StreamPayloads = { [S in StreamName]: z.infer<(typeof StreamSchemas)[S]> };
export const STREAM_NAMES = [
  'mrl:status.changed',
  'mrl:metrics.added',
  'mrl:progress.changed',
  'mrl:preview.added',
  'mrl:error.raised',
] as const satisfies readonly StreamName[];
export const StreamNameSchema = z.enum(STREAM_NAMES, {
  error: `stream must be one of ${STREAM_NAMES.join(', ')}`,
});
