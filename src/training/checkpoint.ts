// Checkpoints: a learner's state (parameters, optimiser tensors and scalars, rng) plus the
// trainer's own state (its task-sampling rng, elapsed time), written atomically so a crash
// or a kill at any moment leaves the previous checkpoint loadable.
//
// Layout: runs/<id>/checkpoints/<iteration>/manifest.json + tensors.bin (all tensors as one
// little-endian Float32 blob; the manifest gives each tensor's name, shape and offset, and
// the blob's byte length and sha256). A checkpoint is built in a `.tmp-*` sibling directory,
// every file fsynced, then renamed into place; readers ignore `.tmp-*` directories and
// verify the hashes, so a half-written checkpoint is never mistaken for a good one.
//
// The manifest's `digest` (format 2) is the sha256 of the manifest itself (its JSON without
// the digest field) followed by the tensor bytes: an edited iteration, RNG state or
// optimiser scalar is detected like a flipped tensor bit. The iteration must also match the
// checkpoint's folder name. Format 1 checkpoints (no digest) still load: only their tensors
// are covered.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Checkpoint, SavedTensor } from '../algos/metaLearner';
import type { RngState } from '../core/rng';
import { JsonObjectSchema } from '../shared/config';
import type { JsonObject } from '../shared/json';

export const CHECKPOINT_FORMAT = 2;
const MANIFEST = 'manifest.json';
const DATA = 'tensors.bin';

/** Trainer-side state stored beside the learner's. */
export interface TrainerCheckpointState {
  /** The trainer's task-sampling rng: resuming needs it to draw the same tasks. */
  rng: RngState;
  elapsedMs: number;
  /** Meta-control's state (best validation so far, patience count), when the run has it. */
  metaControl?: JsonObject;
}

export interface StoredCheckpoint {
  learner: Checkpoint;
  trainer: TrainerCheckpointState;
}

const RngStateSchema = z.object({ bits: z.array(z.number()), spare: z.number().nullable() });
const TensorEntrySchema = z.object({
  name: z.string(),
  group: z.enum(['params', 'optimizer']),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});
const ManifestSchema = z.object({
  format: z.union([z.literal(1), z.literal(CHECKPOINT_FORMAT)]),
  algo: z.string(),
  iteration: z.number().int().nonnegative(),
  createdAt: z.string(),
  tensors: z.array(TensorEntrySchema),
  optimizerState: JsonObjectSchema,
  rng: RngStateSchema,
  trainer: z.object({
    rng: RngStateSchema,
    elapsedMs: z.number(),
    metaControl: JsonObjectSchema.optional(),
  }),
  data: z.object({
    file: z.literal(DATA),
    bytes: z.number().int().nonnegative(),
    sha256: z.string(),
  }),
  /** Format 2: sha256 of this manifest without `digest`, then the tensor bytes. */
  digest: z.string().optional(),
});
export type CheckpointManifest = z.infer<typeof ManifestSchema>;

export interface WriteOptions {
  /** Test hook: runs after the temp directory is complete, before the rename. */
  beforeRename?: (tmpDir: string) => Promise<void> | void;
}

export interface WriteResult {
  dir: string;
  bytes: number;
  ms: number;
}

function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some platforms cannot open directories, which is harmless.
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here */
  }
}

let tmpCounter = 0;

/** The digest of a manifest (as parsed JSON, `digest` left out) and the tensor bytes. */
function manifestDigest(manifest: Record<string, unknown>, tensorBytes: Uint8Array): string {
  const { digest: _ignored, ...rest } = manifest;
  return createHash('sha256')
    .update(JSON.stringify(rest))
    .update('\n')
    .update(tensorBytes)
    .digest('hex');
}

export async function writeCheckpoint(
  runDir: string,
  ckpt: StoredCheckpoint,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  const t0 = performance.now();
  const root = checkpointsDir(runDir);
  await fs.mkdir(root, { recursive: true });
  const it = ckpt.learner.iteration;
  const entries: z.infer<typeof TensorEntrySchema>[] = [];
  let total = 0;
  const add = (group: 'params' | 'optimizer', tensors: Record<string, SavedTensor>) => {
    for (const [name, t] of Object.entries(tensors)) {
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (expected !== t.data.length)
        throw new Error(
          `checkpoint tensor ${group}/${name}: shape [${t.shape}] does not match ${t.data.length} values`,
        );
      entries.push({ name, group, shape: [...t.shape], offset: total, length: t.data.length });
      total += t.data.length;
    }
  };
  add('params', ckpt.learner.params);
  add('optimizer', ckpt.learner.optimizerTensors);
  const blob = new Float32Array(total);
  for (const e of entries) {
    const src =
      e.group === 'params' ? ckpt.learner.params[e.name] : ckpt.learner.optimizerTensors[e.name];
    blob.set(src.data, e.offset);
  }
  // Float32Array is platform-endian; every platform we ship on is little-endian.
  const bytes = new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    algo: ckpt.learner.algo,
    iteration: it,
    createdAt: new Date().toISOString(),
    tensors: entries,
    optimizerState: ckpt.learner.optimizerState,
    rng: ckpt.learner.rng,
    trainer: ckpt.trainer,
    data: {
      file: DATA,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
  };
  manifest.digest = manifestDigest(manifest, bytes);
  const tmp = path.join(root, `.tmp-${it}-${process.pid}-${++tmpCounter}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  await writeSynced(path.join(tmp, DATA), bytes);
  await writeSynced(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 1));
  await syncDir(tmp);
  await opts.beforeRename?.(tmp);
  const final = path.join(root, String(it));
  // Re-writing the same iteration (stop right after a periodic checkpoint): move the old one
  // aside first, so at every instant one complete checkpoint for `it` exists or is recoverable.
  let old: string | null = null;
  try {
    await fs.access(final);
    old = path.join(root, `.tmp-old-${it}-${process.pid}-${++tmpCounter}`);
    await fs.rename(final, old);
  } catch {
    old = null;
  }
  await fs.rename(tmp, final);
  await syncDir(root);
  if (old) await fs.rm(old, { recursive: true, force: true });
  return {
    dir: final,
    bytes: bytes.byteLength + Buffer.byteLength(JSON.stringify(manifest, null, 1)),
    ms: performance.now() - t0,
  };
}

/** Read and verify one checkpoint directory; throws naming what is wrong. */
export async function readCheckpoint(dir: string): Promise<StoredCheckpoint> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8'));
  } catch (err) {
    throw new Error(`checkpoint ${dir}: cannot read ${MANIFEST}: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `checkpoint ${dir}: bad manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const m = parsed.data;
  const buf = await fs.readFile(path.join(dir, m.data.file));
  if (buf.byteLength !== m.data.bytes)
    throw new Error(
      `checkpoint ${dir}: ${DATA} has ${buf.byteLength} bytes, manifest says ${m.data.bytes}`,
    );
  const hash = createHash('sha256').update(buf).digest('hex');
  if (hash !== m.data.sha256)
    throw new Error(`checkpoint ${dir}: ${DATA} is corrupt (sha256 mismatch)`);
  if (m.format >= 2) {
    if (!m.digest) throw new Error(`checkpoint ${dir}: ${MANIFEST} has no digest`);
    if (manifestDigest(raw as Record<string, unknown>, buf) !== m.digest)
      throw new Error(`checkpoint ${dir}: ${MANIFEST} was modified (digest mismatch)`);
  }
  if (path.basename(dir) !== String(m.iteration))
    throw new Error(
      `checkpoint ${dir}: ${MANIFEST} says iteration ${m.iteration}, but it is in folder "${path.basename(dir)}"`,
    );
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const all = new Float32Array(buf.byteLength / 4);
  new Uint8Array(all.buffer).set(buf);
  const params: Record<string, SavedTensor> = {};
  const optimizerTensors: Record<string, SavedTensor> = {};
  for (const e of m.tensors) {
    if (e.offset + e.length > all.length)
      throw new Error(`checkpoint ${dir}: tensor ${e.name} lies outside ${DATA}`);
    const t = { shape: e.shape, data: all.slice(e.offset, e.offset + e.length) };
    (e.group === 'params' ? params : optimizerTensors)[e.name] = t;
  }
  return {
    learner: {
      algo: m.algo,
      iteration: m.iteration,
      params,
      optimizerTensors,
      optimizerState: m.optimizerState,
      rng: m.rng,
    },
    trainer: m.trainer,
  };
}

/** Iterations with a checkpoint directory (complete ones: temp directories are skipped), ascending. */
export async function listCheckpoints(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(checkpointsDir(runDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

export function checkpointDir(runDir: string, iteration: number): string {
  return path.join(checkpointsDir(runDir), String(iteration));
}

/**
 * The newest checkpoint that loads and verifies (optionally at or before `atMost`), or null.
 * A damaged newer one is skipped (and reported through `onSkip`), never fatal.
 */
export async function loadLatestCheckpoint(
  runDir: string,
  atMost = Infinity,
  onSkip?: (iteration: number, err: Error) => void,
): Promise<StoredCheckpoint | null> {
  const its = (await listCheckpoints(runDir)).filter((i) => i <= atMost).reverse();
  for (const it of its) {
    try {
      return await readCheckpoint(checkpointDir(runDir, it));
    } catch (err) {
      onSkip?.(it, err as Error);
    }
  }
  return null;
}

/** Remove temp directories left by an interrupted write. */
export async function cleanTempCheckpoints(runDir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(checkpointsDir(runDir));
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((n) => n.startsWith('.tmp-'))
      .map((n) => fs.rm(path.join(checkpointsDir(runDir), n), { recursive: true, force: true })),
  );
}
