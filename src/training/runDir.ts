// The run directory: everything a run leaves on disk, so it can be listed, reopened,
// evaluated and resumed by any process.
//
//   runs/<run-id>/config.json     { runId, createdAt, config (validated, resolved), backend, versions }
//                /state.json      { state, iteration, message } (last known; atomically replaced)
//                /metrics.jsonl   one MetricsRow per meta-iteration
//                /checkpoints/<it>/  see checkpoint.ts
//                /events.log      human-readable log: start, resume, checkpoints, errors
//                /run.lock        held by the process training the run (see runLock.ts)
import fs from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { ResolvedRunConfigSchema, formatIssues } from '../shared/config';
import type { JsonObject } from '../shared/json';
import type { MetricsRow, RunState, RunSummary } from '../shared/protocol';
import { MetricsRowSchema, RunIdSchema, RunStateSchema, isLiveState } from '../shared/protocol';
import { listCheckpoints } from './checkpoint';
import { acquireRunLock, describeHolder, lockHolder } from './runLock';

const RunMetaSchema = z.object({
  runId: z.string(),
  createdAt: z.string(),
  config: ResolvedRunConfigSchema,
  /** Backend actually used (tfjs name + provider), and the versions that produced the run. */
  backend: z.object({ requested: z.string(), name: z.string(), provider: z.string() }),
  versions: z.object({ app: z.string(), node: z.string(), tfjs: z.string() }),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

const StateFileSchema = z.object({
  state: RunStateSchema,
  iteration: z.number(),
  message: z.string().optional(),
});
type StateFile = z.infer<typeof StateFileSchema>;

export function runDirOf(root: string, runId: string): string {
  const id = RunIdSchema.safeParse(runId);
  if (!id.success) throw new Error(`Invalid run id "${runId}": ${id.error.issues[0].message}`);
  return path.join(root, runId);
}

/** A new, unused run id: <yyyymmdd-hhmmss>-<family>-<algo>-s<seed>[-n]. */
export async function newRunId(
  root: string,
  family: string,
  algo: string,
  seed: number,
  now = new Date(),
): Promise<string> {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  const base = `${stamp}-${safe(family)}-${safe(algo)}-s${seed}`;
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    try {
      await fs.mkdir(path.join(root, id), { recursive: false });
      return id;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await fs.mkdir(root, { recursive: true });
        n--;
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export async function writeMeta(dir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(meta, null, 2) + '\n');
}

export async function readMeta(dir: string): Promise<RunMeta> {
  const file = path.join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read run config: ${(err as Error).message}`);
  }
  const r = RunMetaSchema.safeParse(raw, { reportInput: true });
  if (!r.success)
    throw new Error(
      `${file}: not a valid run config:\n${formatIssues(r.error, '', RunMetaSchema)}`,
    );
  return r.data;
}

export async function writeState(
  dir: string,
  state: RunState,
  iteration: number,
  message?: string,
): Promise<void> {
  await writeFileAtomic(
    path.join(dir, 'state.json'),
    JSON.stringify({ state, iteration, ...(message ? { message } : {}) }) + '\n',
  );
}

export async function readState(dir: string): Promise<StateFile | null> {
  try {
    const r = StateFileSchema.safeParse(
      JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')),
    );
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export async function appendMetrics(dir: string, row: MetricsRow): Promise<void> {
  await fs.appendFile(path.join(dir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
}

/** The metrics rows; a torn last line (a crash mid-append) is ignored. */
export async function readMetrics(dir: string): Promise<MetricsRow[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const rows: MetricsRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = MetricsRowSchema.safeParse(JSON.parse(line));
      if (r.success) rows.push(r.data);
    } catch {
      /* torn line */
    }
  }
  return rows;
}

/** Keep the rows up to `iteration` (resume recomputes what came after the checkpoint). */
export async function truncateMetrics(dir: string, iteration: number): Promise<MetricsRow[]> {
  const rows = (await readMetrics(dir)).filter((r) => r.iteration <= iteration);
  await writeFileAtomic(
    path.join(dir, 'metrics.jsonl'),
    rows.map((r) => JSON.stringify(r) + '\n').join(''),
  );
  return rows;
}

export async function logEvent(dir: string, text: string): Promise<void> {
  await fs.appendFile(path.join(dir, 'events.log'), `${new Date().toISOString()} ${text}\n`);
}

/** The best mean return after full adaptation: the largest 'returns/post_*' or 'returns/episode_*' index. */
export function finalReturnKey(metrics: Record<string, number>): string | null {
  let best: { key: string; n: number } | null = null;
  for (const key of Object.keys(metrics)) {
    const m = /^returns\/(?:post|episode)_(\d+)$/.exec(key);
    if (m && (!best || Number(m[1]) > best.n)) best = { key, n: Number(m[1]) };
  }
  return best?.key ?? null;
}

export async function summarize(root: string, runId: string, live?: LiveInfo): Promise<RunSummary> {
  const dir = runDirOf(root, runId);
  const meta = await readMeta(dir);
  const metrics = await readMetrics(dir);
  const stored = await readState(dir);
  let bestReturn: number | null = null;
  for (const row of metrics) {
    const k = finalReturnKey(row.metrics);
    if (k && (bestReturn === null || row.metrics[k] > bestReturn)) bestReturn = row.metrics[k];
  }
  let state: RunState;
  let message: string | undefined;
  const holder = live ? null : await lockHolder(dir);
  if (live) {
    state = live.state;
    message = live.message;
  } else if (holder) {
    // Another process is training it (it holds the lock): its files say how far it got.
    state = stored && isLiveState(stored.state) ? stored.state : 'running';
    message = `training (in another process: ${describeHolder(holder)})`;
  } else if (!stored) {
    state = 'stopped';
    message = 'no state recorded';
  } else if (isLiveState(stored.state)) {
    // The trainer that ran it is gone without saying goodbye.
    state = 'stopped';
    message =
      'interrupted (the trainer exited during training); resumable from the last checkpoint';
  } else {
    state = stored.state;
    message = stored.message;
  }
  return {
    runId,
    ...(meta.config.name ? { name: meta.config.name } : {}),
    family: meta.config.family,
    algo: meta.config.algo,
    seed: meta.config.seed,
    backend: meta.backend.name,
    createdAt: meta.createdAt,
    iteration: metrics.length ? metrics[metrics.length - 1].iteration : 0,
    iterations: meta.config.iterations,
    checkpoints: await listCheckpoints(dir),
    bestReturn,
    state,
    ...(holder ? { lockedBy: holder } : {}),
    ...(message ? { message } : {}),
  };
}

type LiveInfo = { state: RunState; iteration: number; message?: string };

/** Runs under `root` (directories with a readable config.json), newest first. */
export async function listRunIds(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const ids: { id: string; created: string }[] = [];
  for (const n of names) {
    if (!RunIdSchema.safeParse(n).success) continue;
    try {
      const meta = await readMeta(path.join(root, n));
      ids.push({ id: n, created: meta.createdAt });
    } catch {
      /* not a run */
    }
  }
  return ids
    .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? 1 : -1))
    .map((x) => x.id);
}

/** Delete a run's directory; refused for something that is not a run, and for a run another process is training (it holds the lock). */
export async function deleteRun(root: string, runId: string): Promise<void> {
  const dir = runDirOf(root, runId);
  await readMeta(dir);
  // Holding the lock while deleting keeps a trainer from starting on the run meanwhile.
  const lock = await acquireRunLock(dir);
  try {
    await fs.rm(dir, { recursive: true, force: true });
  } finally {
    await lock.release();
  }
}

export type { JsonObject };
