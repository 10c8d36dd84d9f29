// The one message protocol of Meta-RL Studio, spoken over every transport: Electron IPC
// (renderer ↔ main ↔ trainer utilityProcess), the web host's WebSocket, and `process.send`
// between the CLI / web host and the trainer child process.
//
// Two kinds of traffic (VS Code's `call` vs `listen`):
// - Commands, request → reply: `call(channel, payload)` resolves with the reply or rejects
//   with a ProtocolError naming what was wrong.
// - Event streams, trainer → clients: a client subscribes to a stream (`mrl:stream.subscribe`)
//   and receives `event` messages until it unsubscribes. Heavy streams (preview frames) flow
//   only to clients that asked for them.
//
// Channel names are literal unions `mrl:noun.verb`. Every incoming message is validated by
// the zod schemas below before anything acts on it. Binary data (frames, trajectories) travels
// as plain number arrays so one encoding works for JSON (WebSocket) and structured clone (IPC).
// This module imports only zod (lint-enforced), so the renderer, preload and trainer share it.
import { z } from 'zod';
import { JsonObjectSchema, RunConfigSchema, intIn } from './config';
import type { ResolvedRunConfig, RunConfigInput } from './config';
import type { JsonObject } from './json';
import { ClusterStatusSchema, type ClusterStatus } from './cluster';
import type { SavedEvaluation } from './runExtras';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------
// Shared data shapes
// ---------------------------------------------------------------------------------------

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
export const GeomSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('box'), size: vec3 }),
  z.object({ type: z.literal('sphere'), radius: z.number() }),
  z.object({ type: z.literal('capsule'), radius: z.number(), length: z.number() }),
  z.object({ type: z.literal('cylinder'), radius: z.number(), length: z.number() }),
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
  trail: z.string(),
  floor: z.object({ height: z.number(), goalParams: z.tuple([z.string(), z.string()]).optional() }).optional(),
});

export const RunIdSchema = z
  .string({ error: 'runId must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: 'runId must be a run directory name (letters, digits, . _ -)' });

export const TaskParamSchema = z.object({
  name: z.string(),
  label: z.string(),
  low: z.number(),
  high: z.number(),
  min: z.number(),
  max: z.number(),
  unit: z.string().optional(),
  kind: z.enum(['goal', 'dynamics']),
  path: z.string(),
});

export interface FamilyInfo {
  id: string;
  title: string;
  description: string;
  observationSize: number;
  actionSize: number;
  horizon: number;
  params: z.infer<typeof TaskParamSchema>[];
  docs: { observation: string; action: string; reward: string; termination: string };
  /** For the family card's preview: the scene and one frame of a sample task. */
  scene: z.infer<typeof SceneSchema>;
  previewFrame: number[];
  sampleTask: JsonObject;
}

export interface AlgoInfo {
  id: string;
  title: string;
  description: string;
  /** What an adaptation stage is: a gradient step (MAML) or an episode of a trial (RL²). */
  stageUnit: 'step' | 'episode';
  /** The hyper-parameters with their defaults filled in. */
  defaults: JsonObject;
  /** The same per family id, where a family changes some defaults (e.g. MAML's step size on point-nav). */
  familyDefaults: Record<string, JsonObject>;
  /** JSON Schema of the hyper-parameters (types, minimum/maximum, descriptions) for forms. */
  schema: JsonObject;
  /** Default meta-iterations per family id. */
  defaultIterations: Record<string, number>;
}

export type RunState =
  | 'idle' // no run loaded in the trainer
  | 'starting' // creating the run, initialising the backend and learner
  | 'running'
  | 'paused'
  | 'stopping' // finishing the current iteration, then checkpointing
  | 'stopped' // stopped by the user, checkpoint written; resumable
  | 'finished' // all iterations done
  | 'failed' // guard rail or error; message says why; last good checkpoint kept
  | 'crashed'; // the trainer process died; a new trainer is started on the next command

export interface TrainerStatus {
  state: RunState;
  runId: string | null;
  family: string | null;
  algo: string | null;
  /** Meta-iterations completed. */
  iteration: number;
  /** Target number of meta-iterations. */
  iterations: number;
  /** tfjs backend in use ('wasm', 'cpu', 'tensorflow'). */
  backend: string | null;
  /** Wall time spent training in this session of the run (ms). */
  elapsedMs: number;
  /** Estimated time to the end (ms), from the mean iteration time; null until known. */
  etaMs: number | null;
  /** For 'failed' / 'crashed': what happened, naming the iteration. */
  message?: string;
  /** Rollout workers, when the run samples through Redis. */
  cluster?: ClusterStatus;
}

/** One meta-iteration's metrics: a line of metrics.jsonl and a `mrl:metrics.added` event. */
export interface MetricsRow {
  iteration: number;
  /** ISO time the iteration finished. */
  time: string;
  /** Wall time of this iteration (ms). */
  wallMs: number;
  /** Namespaced scalars from the learner ('returns/pre', 'returns/post_1', 'losses/kl', ...). */
  metrics: Record<string, number>;
}

/** An adaptation episode, plain-array form of EpisodeRecord (src/algos/metaLearner.ts). */
export interface EpisodeJson {
  /** 0 = before adaptation; MAML: after gradient step k; RL²: episode k+1 of the trial. */
  stage: number;
  index: number;
  return: number;
  length: number;
  /** Per step, row-major (length × observation size / action size). */
  observations: number[];
  actions: number[];
  rewards: number[];
  /** Scene frames, length + 1 of them (reset state first), each of frameSize(scene) floats. */
  frames?: number[][];
}

export interface AdaptReply {
  runId: string;
  /** Checkpoint iteration whose meta-parameters were adapted. */
  iteration: number;
  algo: string;
  family: string;
  stageUnit: 'step' | 'episode';
  task: JsonObject;
  /** True when every task parameter lies inside the training distribution's range. */
  inDistribution: boolean;
  scene: z.infer<typeof SceneSchema>;
  /** Mean return per stage: [before, after step/episode 1, …]. */
  returns: number[];
  episodes: EpisodeJson[];
}

export interface EvaluateReply {
  runId: string;
  iteration: number;
  stageUnit: 'step' | 'episode';
  tasks: number;
  /** Mean return per stage over the held-out test tasks. */
  returns: number[];
  /** Standard error of each mean, across the tasks. */
  stderr?: number[];
  /** Same shape, one array per baseline asked for. */
  baselines?: Record<string, number[]>;
  /** The fine-tuning step size each random-init / pretrained baseline was evaluated with (chosen on training tasks). */
  baselineStepSizes?: Record<string, number>;
}

export interface RunSummary {
  runId: string;
  name?: string;
  family: string;
  algo: string;
  seed: number;
  backend: string;
  createdAt: string;
  /** Meta-iterations recorded in metrics.jsonl. */
  iteration: number;
  iterations: number;
  /** Iterations with a loadable checkpoint, ascending. */
  checkpoints: number[];
  /** Best mean return after full adaptation seen in the metrics, if any. */
  bestReturn: number | null;
  /** 'running'/'paused' only for the trainer's live run; otherwise from the run's files. */
  state: RunState;
  message?: string;
  /** A trained example shipped with the app (examples/runs): read-only, never resumed or deleted. */
  example?: boolean;
}

export interface PreviewEpisode {
  runId: string;
  /** The meta-iteration whose policy was adapted. */
  iteration: number;
  task: JsonObject;
  scene: z.infer<typeof SceneSchema>;
  stageUnit: 'step' | 'episode';
  /** Stages in this preview (1 + steps). */
  stages: number;
  episode: EpisodeJson;
}

export interface ProgressEvent {
  runId: string;
  /** The meta-iteration in progress (1-based: completed + 1). */
  iteration: number;
  /** What the trainer or learner is doing ('sampling', 'inner', 'outer', 'preview', 'checkpoint'). */
  phase: string;
  /** Fraction of the iteration done, 0..1. */
  fraction: number;
}

export interface ErrorEvent {
  runId: string | null;
  iteration: number | null;
  message: string;
  /** True when the run stopped because of it. */
  fatal: boolean;
}

export type StreamName = keyof StreamPayloads;
export const STREAM_NAMES = [
  'mrl:status.changed',
  'mrl:metrics.added',
  'mrl:progress.changed',
  'mrl:preview.added',
  'mrl:error.raised',
] as const satisfies readonly StreamName[];
export const StreamNameSchema = z.enum(STREAM_NAMES, { error: `stream must be one of ${STREAM_NAMES.join(', ')}` });

// ---------------------------------------------------------------------------------------
// Commands: channel → request schema, reply type
// ---------------------------------------------------------------------------------------

const empty = z.strictObject({}).default({});
const runRef = z.strictObject({ runId: RunIdSchema });

export const CommandSchemas = {
  /** Create a run from a config and start training it. */
  'mrl:run.start': z.strictObject({ config: RunConfigSchema }),
  /** Pause the live run after the current meta-iteration. */
  'mrl:run.pause': runRef,
  /** Un-pause the live run, or continue a stopped/finished run from its last checkpoint (optionally to a new length). */
  'mrl:run.resume': z.strictObject({ runId: RunIdSchema, iterations: intIn(1, 1_000_000).optional() }),
  /** Stop the live run after the current meta-iteration and write a checkpoint. */
  'mrl:run.stop': runRef,
  /** Adapt a run's meta-policy (a checkpoint) to one task and return every stage's rollouts. */
  'mrl:run.adapt': z.strictObject({
    runId: RunIdSchema,
    /** A task of the run's family; default: a held-out test task drawn from `seed`. */
    task: JsonObjectSchema.optional(),
    /** Checkpoint iteration; default: the latest. */
    iteration: intIn(0, 1_000_000).optional(),
    steps: intIn(0, 20).default(3),
    episodesPerStage: intIn(1, 200).default(20),
    /** Episodes per stage with scene frames in the reply. */
    framesPerStage: intIn(0, 200).default(1),
    seed: intIn(0, 2147483647).default(0),
    /** Gradient-step learners: the first step's size (later steps a quarter); default the run's own. */
    stepSize: z.number().min(0).max(100).optional(),
  }),
  /** The paper's evaluation: mean return after 0..k stages over held-out test tasks. */
  'mrl:run.evaluate': z.strictObject({
    runId: RunIdSchema,
    iteration: intIn(0, 1_000_000).optional(),
    tasks: intIn(1, 1000).default(40),
    steps: intIn(0, 20).default(3),
    episodesPerStage: intIn(1, 200).default(20),
    seed: intIn(0, 2147483647).default(0),
    baselines: z.array(z.string().min(1)).max(8).optional(),
  }),
  'mrl:runs.list': empty,
  /** A run's config, metrics and checkpoints. */
  'mrl:run.open': runRef,
  /** Delete a run directory (refused for the live run). */
  'mrl:run.delete': runRef,
  'mrl:families.list': empty,
  'mrl:algos.list': empty,
  /** Draw tasks of a family's split (for the viewer's "sample a task"). */
  'mrl:tasks.sample': z.strictObject({
    family: z.string().min(1),
    split: z.enum(['train', 'test']).default('test'),
    n: intIn(1, 1000).default(1),
    seed: intIn(0, 2147483647).default(0),
  }),
  /** The trainer's current status (for a client that (re)connects). */
  'mrl:trainer.status': empty,
  /** Start events of these streams flowing to this client. */
  'mrl:stream.subscribe': z.strictObject({ streams: z.array(StreamNameSchema).min(1) }),
  'mrl:stream.unsubscribe': z.strictObject({ streams: z.array(StreamNameSchema).min(1) }),
} as const;

export type CommandChannel = keyof typeof CommandSchemas;
export const COMMAND_CHANNELS = Object.keys(CommandSchemas) as CommandChannel[];

/** What a caller sends (defaults may be left out). */
export type CommandRequest<C extends CommandChannel> = z.input<(typeof CommandSchemas)[C]>;
/** What a handler receives (validated, defaults filled). */
export type CommandPayload<C extends CommandChannel> = z.output<(typeof CommandSchemas)[C]>;

export interface CommandReplies {
  'mrl:run.start': { runId: string; config: ResolvedRunConfig; status: TrainerStatus };
  'mrl:run.pause': { status: TrainerStatus };
  'mrl:run.resume': { status: TrainerStatus };
  'mrl:run.stop': { status: TrainerStatus; checkpoint: number | null };
  'mrl:run.adapt': AdaptReply;
  'mrl:run.evaluate': EvaluateReply;
  'mrl:runs.list': { runs: RunSummary[] };
  'mrl:run.open': { summary: RunSummary; config: ResolvedRunConfig; metrics: MetricsRow[]; meta: JsonObject; evaluations: SavedEvaluation[] };
  'mrl:run.delete': { runId: string; deleted: true };
  'mrl:families.list': { families: FamilyInfo[] };
  'mrl:algos.list': { algos: AlgoInfo[] };
  'mrl:tasks.sample': { family: string; split: 'train' | 'test'; tasks: JsonObject[] };
  'mrl:trainer.status': { status: TrainerStatus };
  'mrl:stream.subscribe': { streams: StreamName[] };
  'mrl:stream.unsubscribe': { streams: StreamName[] };
}
export type CommandReply<C extends CommandChannel> = CommandReplies[C];

// ---------------------------------------------------------------------------------------
// Event streams: channel → payload
// ---------------------------------------------------------------------------------------

export interface StreamPayloads {
  /** The trainer's status changed (state, iteration, ETA). Also sent on subscribe. */
  'mrl:status.changed': TrainerStatus;
  /** A meta-iteration finished. `emittedAt`: epoch ms (fractional) when the trainer sent it, for latency figures. */
  'mrl:metrics.added': MetricsRow & { runId: string; emittedAt?: number };
  /** Progress within a meta-iteration. */
  'mrl:progress.changed': ProgressEvent;
  /** One episode of the live preview (stage 0 = before adaptation, then each step / episode). */
  'mrl:preview.added': PreviewEpisode;
  /** An error: a guard rail tripped, a command failed in the background, or the trainer crashed. */
  'mrl:error.raised': ErrorEvent;
}
const StatusSchema = z.object({
  state: z.enum(['idle', 'starting', 'running', 'paused', 'stopping', 'stopped', 'finished', 'failed', 'crashed']),
  runId: z.string().nullable(),
  family: z.string().nullable(),
  algo: z.string().nullable(),
  iteration: z.number(),
  iterations: z.number(),
  backend: z.string().nullable(),
  elapsedMs: z.number(),
  etaMs: z.number().nullable(),
  message: z.string().optional(),
  cluster: ClusterStatusSchema.optional(),
});
const EpisodeJsonSchema = z.object({
  stage: z.number(),
  index: z.number(),
  return: z.number(),
  length: z.number(),
  observations: z.array(z.number()),
  actions: z.array(z.number()),
  rewards: z.array(z.number()),
  frames: z.array(z.array(z.number())).optional(),
});

/** Schemas of event payloads, for clients that validate what they receive. */
export const StreamSchemas = {
  'mrl:status.changed': StatusSchema,
  'mrl:metrics.added': z.object({
    runId: z.string(),
    iteration: z.number(),
    time: z.string(),
    wallMs: z.number(),
    metrics: z.record(z.string(), z.number()),
    emittedAt: z.number().optional(),
  }),
  'mrl:progress.changed': z.object({ runId: z.string(), iteration: z.number(), phase: z.string(), fraction: z.number() }),
  'mrl:preview.added': z.object({
    runId: z.string(),
    iteration: z.number(),
    task: JsonObjectSchema,
    scene: SceneSchema,
    stageUnit: z.enum(['step', 'episode']),
    stages: z.number(),
    episode: EpisodeJsonSchema,
  }),
  'mrl:error.raised': z.object({
    runId: z.string().nullable(),
    iteration: z.number().nullable(),
    message: z.string(),
    fatal: z.boolean(),
  }),
} satisfies { [S in StreamName]: z.ZodType<StreamPayloads[S]> };

// ---------------------------------------------------------------------------------------
// Wire envelope
// ---------------------------------------------------------------------------------------

export interface CallMessage {
  kind: 'call';
  /** Caller-chosen id; the reply carries it back. */
  id: number;
  channel: CommandChannel;
  payload: unknown;
}
export interface ErrorInfo {
  message: string;
  /** 'invalid' (bad message), 'unknown-channel', 'failed' (the command failed), 'crashed' (the trainer died). */
  code: 'invalid' | 'unknown-channel' | 'failed' | 'crashed' | 'closed';
}
export type ReplyMessage =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: ErrorInfo };
export interface EventMessage<S extends StreamName = StreamName> {
  kind: 'event';
  channel: S;
  payload: StreamPayloads[S];
}
export type WireMessage = CallMessage | ReplyMessage | EventMessage;

export const CallMessageSchema = z.strictObject({
  kind: z.literal('call'),
  id: z.number().int().nonnegative(),
  channel: z.enum(COMMAND_CHANNELS as [CommandChannel, ...CommandChannel[]], {
    error: `channel must be one of ${COMMAND_CHANNELS.join(', ')}`,
  }),
  payload: z.unknown(),
});
export const ReplyMessageSchema = z.union([
  z.strictObject({ kind: z.literal('reply'), id: z.number().int().nonnegative(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    kind: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: z.object({ message: z.string(), code: z.enum(['invalid', 'unknown-channel', 'failed', 'crashed', 'closed']) }),
  }),
]);
export const EventMessageSchema = z.strictObject({
  kind: z.literal('event'),
  channel: StreamNameSchema,
  payload: z.unknown(),
});
/** Messages a client receives from a host / trainer. */
export const ServerMessageSchema = z.union([ReplyMessageSchema, EventMessageSchema]);

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly code: ErrorInfo['code'] = 'failed',
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function formatZod(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      if (i.code === 'unrecognized_keys') return `${path}: unknown field ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Validate an incoming call envelope; throws ProtocolError('invalid') naming what is wrong. */
export function parseCall(raw: unknown): CallMessage {
  const r = CallMessageSchema.safeParse(raw);
  if (!r.success) throw new ProtocolError(`Malformed call: ${formatZod(r.error, 'message')}`, 'invalid');
  return r.data as CallMessage;
}

/** Validate a command's payload; throws ProtocolError('invalid') naming the bad fields. */
export function parseCommand<C extends CommandChannel>(channel: C, payload: unknown): CommandPayload<C> {
  const schema = CommandSchemas[channel] as unknown as z.ZodType<CommandPayload<C>> | undefined;
  if (!schema) throw new ProtocolError(`Unknown command channel "${String(channel)}"`, 'unknown-channel');
  const r = schema.safeParse(payload === undefined ? {} : payload);
  if (!r.success) throw new ProtocolError(`Invalid ${channel} request: ${formatZod(r.error, 'payload')}`, 'invalid');
  return r.data;
}

/** Validate a message a client received (reply or event envelope). */
export function parseServerMessage(raw: unknown): ReplyMessage | EventMessage {
  const r = ServerMessageSchema.safeParse(raw);
  if (!r.success) throw new ProtocolError(`Malformed message from host: ${formatZod(r.error, 'message')}`, 'invalid');
  return r.data as ReplyMessage | EventMessage;
}

export function isCommandChannel(x: unknown): x is CommandChannel {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CommandSchemas, x);
}
export function isStreamName(x: unknown): x is StreamName {
  return typeof x === 'string' && (STREAM_NAMES as readonly string[]).includes(x);
}

export type { RunConfigInput, ResolvedRunConfig, SavedEvaluation };
