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
import { JsonObjectSchema, ResolvedRunConfigSchema, RunConfigSchema, intIn } from './config';
import type { ResolvedRunConfig, RunConfigInput } from './config';

export * from './protocolShapes';
import {
  AdaptReplySchema,
  AlgoInfoSchema,
  EvaluateReplySchema,
  FamilyInfoSchema,
  MetricsRowSchema,
  RunIdSchema,
  RunSummarySchema,
  SavedEvaluationSchema,
  STREAM_NAMES,
  StreamNameSchema,
  TrainerStatusSchema,
  type StreamName,
  type StreamPayloads,
} from './protocolShapes';

// ---------------------------------------------------------------------------------------
// Commands: channel → request schema, reply type
// ---------------------------------------------------------------------------------------

const empty = z.strictObject({}).default({});
const runRef = z.strictObject({ runId: RunIdSchema });

const CHECKPOINT_CHOICE =
  'must be "latest", "best" (the best checkpoint on meta-validation) or a saved iteration (an integer in [0, 1000000])';
/**
 * Which checkpoint of a run: "latest" (also when left out), "best" (the one meta-control chose
 * on meta-validation) or a saved iteration. Whether the run has it is checked by the trainer,
 * which refuses a choice the run does not offer naming the run's choices.
 */
export const CheckpointChoiceSchema = z.union(
  [
    z.literal('latest'),
    z.literal('best'),
    z
      .number({ error: CHECKPOINT_CHOICE })
      .int({ error: CHECKPOINT_CHOICE })
      .min(0, { error: CHECKPOINT_CHOICE })
      .max(1_000_000, { error: CHECKPOINT_CHOICE }),
  ],
  { error: CHECKPOINT_CHOICE },
);
export type CheckpointChoice = z.infer<typeof CheckpointChoiceSchema>;

export const CommandSchemas = {
  /** Create a run from a config and start training it. */
  'mrl:run.start': z.strictObject({ config: RunConfigSchema }),
  /** Pause the live run after the current meta-iteration. */
  'mrl:run.pause': runRef,
  /** Un-pause the live run, or continue a stopped/finished run from its last checkpoint (optionally to a new length). */
  'mrl:run.resume': z.strictObject({
    runId: RunIdSchema,
    iterations: intIn(1, 1_000_000).optional(),
  }),
  /** Stop the live run after the current meta-iteration and write a checkpoint. */
  'mrl:run.stop': runRef,
  /** Adapt a run's meta-policy (a checkpoint) to one task and return every stage's rollouts. */
  'mrl:run.adapt': z.strictObject({
    runId: RunIdSchema,
    /** A task of the run's family; default: a held-out test task drawn from `seed`. */
    task: JsonObjectSchema.optional(),
    /** Checkpoint: "latest" (default), "best" on meta-validation, or a saved iteration. */
    iteration: CheckpointChoiceSchema.optional(),
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
    /** Checkpoint: "latest" (default), "best" on meta-validation, or a saved iteration. */
    iteration: CheckpointChoiceSchema.optional(),
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

const statusReply = z.object({ status: TrainerStatusSchema });
const streamsReply = z.object({ streams: z.array(StreamNameSchema) });

/** Reply schemas per command (what a handler resolves with). */
export const ReplySchemas = {
  'mrl:run.start': z.object({
    runId: z.string(),
    config: ResolvedRunConfigSchema,
    status: TrainerStatusSchema,
  }),
  'mrl:run.pause': statusReply,
  'mrl:run.resume': statusReply,
  'mrl:run.stop': z.object({ status: TrainerStatusSchema, checkpoint: z.number().nullable() }),
  'mrl:run.adapt': AdaptReplySchema,
  'mrl:run.evaluate': EvaluateReplySchema,
  'mrl:runs.list': z.object({ runs: z.array(RunSummarySchema) }),
  'mrl:run.open': z.object({
    summary: RunSummarySchema,
    config: ResolvedRunConfigSchema,
    metrics: z.array(MetricsRowSchema),
    meta: JsonObjectSchema,
    evaluations: z.array(SavedEvaluationSchema),
  }),
  'mrl:run.delete': z.object({ runId: z.string(), deleted: z.literal(true) }),
  'mrl:families.list': z.object({ families: z.array(FamilyInfoSchema) }),
  'mrl:algos.list': z.object({ algos: z.array(AlgoInfoSchema) }),
  'mrl:tasks.sample': z.object({
    family: z.string(),
    split: z.enum(['train', 'test']),
    tasks: z.array(JsonObjectSchema),
  }),
  'mrl:trainer.status': statusReply,
  'mrl:stream.subscribe': streamsReply,
  'mrl:stream.unsubscribe': streamsReply,
} as const satisfies { [C in CommandChannel]: z.ZodType };
export type CommandReplies = { [C in CommandChannel]: z.infer<(typeof ReplySchemas)[C]> };
export type CommandReply<C extends CommandChannel> = CommandReplies[C];

// ---------------------------------------------------------------------------------------
// Wire envelope
// ---------------------------------------------------------------------------------------

const ERROR_CODES = ['invalid', 'unknown-channel', 'failed', 'crashed', 'closed'] as const;

export const CallMessageSchema = z.strictObject({
  kind: z.literal('call'),
  /** Caller-chosen id; the reply carries it back. */
  id: z.number().int().nonnegative(),
  channel: z.enum(COMMAND_CHANNELS as [CommandChannel, ...CommandChannel[]], {
    error: `channel must be one of ${COMMAND_CHANNELS.join(', ')}`,
  }),
  payload: z.unknown(),
});
export type CallMessage = z.infer<typeof CallMessageSchema>;

export const ErrorInfoSchema = z.object({
  message: z.string(),
  /** 'invalid' (bad message), 'unknown-channel', 'failed' (the command failed), 'crashed' (the trainer died), 'closed'. */
  code: z.enum(ERROR_CODES),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const ReplyMessageSchema = z.union([
  z.strictObject({
    kind: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.strictObject({
    kind: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: ErrorInfoSchema,
  }),
]);
export type ReplyMessage = z.infer<typeof ReplyMessageSchema>;

export const EventMessageSchema = z.strictObject({
  kind: z.literal('event'),
  channel: StreamNameSchema,
  payload: z.unknown(),
});
/** An event envelope (EventMessageSchema) with its payload typed by its stream. */
export type EventMessage<S extends StreamName = StreamName> = Omit<
  z.infer<typeof EventMessageSchema>,
  'channel' | 'payload'
> & {
  channel: S;
  payload: StreamPayloads[S];
};

/**
 * Host → trainer process only, never relayed from a client (clients speak `call`): stop the
 * live run with a checkpoint, release everything, then exit. Every owner of a trainer
 * process (CLI, web host, Electron main) stops it this way, on every platform: no signal
 * needed (Windows has none to give).
 */
export const ShutdownMessageSchema = z.strictObject({ kind: z.literal('shutdown') });
export type ShutdownMessage = z.infer<typeof ShutdownMessageSchema>;
export function isShutdownMessage(raw: unknown): raw is ShutdownMessage {
  return ShutdownMessageSchema.safeParse(raw).success;
}

export type WireMessage = CallMessage | ReplyMessage | EventMessage | ShutdownMessage;

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
      if (i.code === 'unrecognized_keys')
        return `${path}: unknown field ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Validate an incoming call envelope; throws ProtocolError('invalid') naming what is wrong. */
export function parseCall(raw: unknown): CallMessage {
  const r = CallMessageSchema.safeParse(raw);
  if (!r.success)
    throw new ProtocolError(`Malformed call: ${formatZod(r.error, 'message')}`, 'invalid');
  return r.data as CallMessage;
}

/** Validate a command's payload; throws ProtocolError('invalid') naming the bad fields. */
export function parseCommand<C extends CommandChannel>(
  channel: C,
  payload: unknown,
): CommandPayload<C> {
  const schema = CommandSchemas[channel] as unknown as z.ZodType<CommandPayload<C>> | undefined;
  if (!schema)
    throw new ProtocolError(`Unknown command channel "${String(channel)}"`, 'unknown-channel');
  const r = schema.safeParse(payload === undefined ? {} : payload);
  if (!r.success)
    throw new ProtocolError(
      `Invalid ${channel} request: ${formatZod(r.error, 'payload')}`,
      'invalid',
    );
  return r.data;
}

/** Validate a message a client received (reply or event envelope). */
export function parseServerMessage(raw: unknown): ReplyMessage | EventMessage {
  const r = ServerMessageSchema.safeParse(raw);
  if (!r.success)
    throw new ProtocolError(
      `Malformed message from host: ${formatZod(r.error, 'message')}`,
      'invalid',
    );
  return r.data as ReplyMessage | EventMessage;
}

export function isCommandChannel(x: unknown): x is CommandChannel {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CommandSchemas, x);
}
export function isStreamName(x: unknown): x is StreamName {
  return typeof x === 'string' && (STREAM_NAMES as readonly string[]).includes(x);
}

export type { RunConfigInput, ResolvedRunConfig };
