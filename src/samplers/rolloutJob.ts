// What crosses Redis between a trainer and its rollout workers: the job payload (validated
// by the worker with zod: plain data naming a known family, learner and policy shape — never
// code), the policy parameters (binary, one Redis key per version) and the episodes a job
// returns (binary, bit-exact Float32/Float64 data, so a distributed batch equals a local one).
import fs from 'node:fs';
import { z } from 'zod';
import { JsonObjectSchema } from '../shared/config';
import type { Episode } from './rollout';

/** Bumped when the job payload or the result encoding changes shape. */
export const ROLLOUT_PROTOCOL = 1;
/** The BullMQ queue every trainer publishes to and every worker consumes. */
export const QUEUE_NAME = 'metarl-rollouts';
/** Prefix of the project's own Redis keys (params, results, worker heartbeats). */
export const KEY_PREFIX = 'metarl';
/** The learners whose policies a worker can roll out (Gaussian MLP policies, sampled per episode). */
export const REMOTE_LEARNERS = ['maml', 'pretrained', 'oracle', 'random'] as const;
/** How long results and parameters may outlive a trainer that vanished (ms). */
export const DATA_TTL_MS = 3_600_000;

let cachedVersion: string | null = null;
/** The app version from package.json: a worker takes only jobs from a trainer of the same version. */
export function appVersion(): string {
  if (cachedVersion === null) {
    try {
      const pkg = JSON.parse(
        fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
      ) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

const KEY = /^metarl:[A-Za-z0-9:._-]{1,200}$/;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const RolloutJobSchema = z
  .strictObject({
    protocol: z.literal(ROLLOUT_PROTOCOL),
    appVersion: z.string().min(1).max(64),
    learner: z.enum(REMOTE_LEARNERS),
    familyId: z.string().min(1).max(100),
    /** Redis key of this batch's parameters: `count` vectors of `numParams` float32. */
    paramsKey: z.string().regex(KEY),
    paramsCount: int(1, 100_000),
    paramsIndex: int(0, 100_000),
    spec: z.strictObject({
      obsSize: int(1, 4096),
      actSize: int(1, 256),
      hidden: z.array(int(1, 1024)).min(1).max(4),
      activation: z.enum(['tanh', 'relu']),
      initStd: z.number().positive().max(10),
      latentSize: int(0, 64).optional(),
    }),
    task: JsonObjectSchema,
    /** The task's index in the batch (t) and the batch's episodes per task (E): episode g = t·E + j. */
    taskIndex: int(0, 100_000),
    episodesPerTask: int(1, 100_000),
    /** Episodes j ∈ [e0, e1) of this task. */
    e0: int(0, 100_000),
    e1: int(1, 100_000),
    seed: z.number().int(),
    taskSeed: z.number().int().optional(),
    deterministic: z.boolean(),
    normalizeActions: z.boolean(),
    recordFrames: z.boolean(),
    /** Where the worker writes the episodes. */
    resultKey: z.string().regex(KEY),
  })
  .refine((j) => j.e0 < j.e1 && j.e1 <= j.episodesPerTask, {
    message: 'episode range must satisfy 0 ≤ e0 < e1 ≤ episodesPerTask',
  })
  .refine((j) => j.paramsIndex < j.paramsCount, {
    message: 'paramsIndex must be below paramsCount',
  });

export type RolloutJob = z.infer<typeof RolloutJobSchema>;

/** The small value a completed job returns through BullMQ (the episodes are under resultKey). */
export interface RolloutJobReturn {
  steps: number;
  worker: string;
}

// ----- parameters ----------------------------------------------------------------------

export function encodeParams(params: Float32Array[]): Buffer {
  const P = params[0].length;
  const out = new Float32Array(params.length * P);
  params.forEach((p, i) => {
    if (p.length !== P)
      throw new Error(`params: every vector must hold ${P} values, vector ${i} holds ${p.length}`);
    out.set(p, i * P);
  });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export function decodeParams(buf: Buffer, count: number, numParams: number): Float32Array[] {
  if (buf.byteLength !== count * numParams * 4) {
    throw new Error(
      `params hold ${buf.byteLength} bytes, expected ${count} × ${numParams} float32`,
    );
  }
  const all = new Float32Array(count * numParams);
  new Uint8Array(all.buffer).set(buf);
  return Array.from({ length: count }, (_, i) => all.subarray(i * numParams, (i + 1) * numParams));
}

// ----- episodes ------------------------------------------------------------------------
// Layout: u32 magic, u32 header bytes, header JSON, zero padding to 8 bytes, float64 returns
// (one per episode), then per episode float32 obs, actions, rewards and frames.

const MAGIC = 0x4d524c31; // "MRL1"

interface EpisodeHeader {
  task: number;
  index: number;
  length: number;
  terminated: boolean;
  frames: number;
  frameSize: number;
}

export function encodeEpisodes(episodes: Episode[], obsSize: number, actSize: number): Buffer {
  const headers: EpisodeHeader[] = episodes.map((e) => ({
    task: e.task,
    index: e.index,
    length: e.length,
    terminated: e.terminated,
    frames: e.frames?.length ?? 0,
    frameSize: e.frames?.[0]?.length ?? 0,
  }));
  const header = Buffer.from(JSON.stringify({ obsSize, actSize, episodes: headers }), 'utf8');
  const start = Math.ceil((8 + header.byteLength) / 8) * 8;
  let floats = 0;
  for (const h of headers) floats += h.length * (obsSize + actSize + 1) + h.frames * h.frameSize;
  const buf = Buffer.alloc(start + 8 * episodes.length + 4 * floats);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(header.byteLength, 4);
  header.copy(buf, 8);
  const ab = new ArrayBuffer(buf.byteLength - start);
  const returns = new Float64Array(ab, 0, episodes.length);
  const data = new Float32Array(ab, 8 * episodes.length, floats);
  let o = 0;
  episodes.forEach((e, i) => {
    returns[i] = e.return;
    for (const part of [e.obs, e.actions, e.rewards, ...(e.frames ?? [])]) {
      data.set(part, o);
      o += part.length;
    }
  });
  Buffer.from(ab).copy(buf, start);
  return buf;
}

export function decodeEpisodes(buf: Buffer): Episode[] {
  if (buf.byteLength < 8 || buf.readUInt32LE(0) !== MAGIC)
    throw new Error('rollout result: not an episode record');
  const hlen = buf.readUInt32LE(4);
  const {
    obsSize: O,
    actSize: A,
    episodes: headers,
  } = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')) as {
    obsSize: number;
    actSize: number;
    episodes: EpisodeHeader[];
  };
  const start = Math.ceil((8 + hlen) / 8) * 8;
  // Copy into a fresh, aligned buffer: a Buffer from the socket may start at any byte.
  const ab = new ArrayBuffer(buf.byteLength - start);
  new Uint8Array(ab).set(buf.subarray(start));
  const returns = new Float64Array(ab, 0, headers.length);
  const data = new Float32Array(ab, 8 * headers.length);
  let o = 0;
  const take = (n: number) => {
    if (o + n > data.length) throw new Error('rollout result: truncated');
    const v = data.slice(o, o + n);
    o += n;
    return v;
  };
  return headers.map((h, i) => {
    const e: Episode = {
      task: h.task,
      index: h.index,
      length: h.length,
      obs: take(h.length * O),
      actions: take(h.length * A),
      rewards: take(h.length),
      terminated: h.terminated,
      return: returns[i],
    };
    if (h.frames > 0) e.frames = Array.from({ length: h.frames }, () => take(h.frameSize));
    return e;
  });
}
