// One writer per run: whoever trains a run (the trainer process behind the CLI, the web host
// or the desktop app) holds `runs/<id>/run.lock`; everyone else only reads the run, and a
// second writer, or a delete, is refused with a message naming the holder.
//
// The lock file holds { pid, host, since, token } and its mtime is the heartbeat, refreshed
// every HEARTBEAT_MS while held. A lock is stale, and may be taken over, when its holder is
// on this host and its pid is gone, or when its heartbeat is old: STALE_MS for a holder on
// another machine sharing the folder (its pid cannot be checked from here), STALE_LOCAL_MS
// on this host (a live pid with a heartbeat that old is a reused pid, not the holder; a
// holder busy in one long computation must not lose its lock to that rule).
//
// Taking the lock is atomic: the holder's record is written to a private temp file, then
// hard-linked to run.lock, which fails if run.lock exists (O_EXCL semantics, and the lock
// never exists half-written). A stale lock is first renamed to a private name (only one of
// several breakers can win that rename) and re-checked there: if it turned out fresh (it
// was replaced between the check and the rename) it is linked back. The heartbeat checks the
// token, so a holder that lost its lock (taken over as stale) learns it and stops writing.
//
// proper-lockfile was considered: it keeps no pid or host in the lock (so it cannot tell a
// dead holder on this host from a busy one, nor name the holder in a refusal) and is built
// for mkdir locks on the file it protects; the above is ~150 lines with the properties needed.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { RunLockHolder } from '../shared/protocol';

export const LOCK_FILE = 'run.lock';
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 60_000;
export const STALE_LOCAL_MS = 10 * 60_000;

const LockRecordSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  since: z.string(),
  token: z.string(),
});
type LockRecord = z.infer<typeof LockRecordSchema>;

/** Thrown when another live process holds the run's lock. */
export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: RunLockHolder,
  ) {
    super(
      `Run ${path.basename(runDir)} is being trained by another process (${describeHolder(holder)}); one process at a time may train a run`,
    );
    this.name = 'RunLockedError';
  }
}

export function describeHolder(h: RunLockHolder): string {
  return `pid ${h.pid} on ${h.host}, since ${h.since}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readRecord(file: string): Promise<{ record: LockRecord; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    const r = LockRecordSchema.safeParse(JSON.parse(text));
    // An unreadable lock file still locks (it may be mid-replacement); its age decides.
    return {
      record: r.success
        ? r.data
        : { pid: -1, host: '?', since: new Date(st.mtimeMs).toISOString(), token: '' },
      mtimeMs: st.mtimeMs,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function isStale(r: { record: LockRecord; mtimeMs: number }, now = Date.now()): boolean {
  const age = now - r.mtimeMs;
  if (r.record.host === os.hostname() && r.record.pid > 0)
    return !pidAlive(r.record.pid) || age > STALE_LOCAL_MS;
  return age > STALE_MS;
}

function holderOf(r: LockRecord): RunLockHolder {
  return { pid: r.pid, host: r.host, since: r.since };
}

/** The live holder of a run's lock, or null when it is free or stale. */
export async function lockHolder(runDir: string): Promise<RunLockHolder | null> {
  const r = await readRecord(path.join(runDir, LOCK_FILE));
  return r && !isStale(r) ? holderOf(r.record) : null;
}

export interface RunLock {
  readonly runDir: string;
  /** Called once if the lock is found taken over by another process (this holder must stop writing). */
  onLost: ((holder: RunLockHolder | null) => void) | null;
  release(): Promise<void>;
}

/** Take the run's lock, or throw RunLockedError naming the live holder. `heartbeatMs`: for tests. */
export async function acquireRunLock(
  runDir: string,
  opts: { heartbeatMs?: number } = {},
): Promise<RunLock> {
  const file = path.join(runDir, LOCK_FILE);
  const record: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  const tmp = path.join(runDir, `.${LOCK_FILE}.${record.token}`);
  await fs.writeFile(tmp, JSON.stringify(record) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await createExclusive(tmp, file, record);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (attempt >= 5)
          throw new Error(
            `Could not take the lock of run ${path.basename(runDir)}: it keeps changing hands`,
          );
      }
      const current = await readRecord(file);
      if (!current) continue; // released meanwhile
      if (!isStale(current)) throw new RunLockedError(runDir, holderOf(current.record));
      await breakStale(file, current.record.token);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return heldLock(runDir, file, record.token, opts.heartbeatMs ?? HEARTBEAT_MS);
}

/** Create `file` only if it does not exist: a hard link of the complete temp file, or O_EXCL where links are unsupported. */
async function createExclusive(tmp: string, file: string, record: LockRecord): Promise<void> {
  try {
    await fs.link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    await fs.writeFile(file, JSON.stringify(record) + '\n', { flag: 'wx' });
  }
}

/** Move a stale lock out of the way; put it back if it turned out not to be the one judged stale. */
async function breakStale(file: string, staleToken: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readRecord(aside);
  if (moved && moved.record.token !== staleToken && !isStale(moved)) {
    // A fresh lock was taken between our check and the rename: restore it (unless yet another
    // process has locked since, in which case that one holds it and the restored one is lost).
    await fs.link(aside, file).catch(() => {});
  }
  await fs.rm(aside, { force: true });
}

function heldLock(runDir: string, file: string, token: string, heartbeatMs: number): RunLock {
  let released = false;
  const lock: RunLock = {
    runDir,
    onLost: null,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const cur = await readRecord(file).catch(() => null);
      if (cur?.record.token === token) await fs.rm(file, { force: true });
    },
  };
  const timer = setInterval(() => {
    void (async () => {
      // A read that fails (other than "no such file") proves nothing: try at the next beat.
      const cur = await readRecord(file).catch(() => undefined);
      if (released || cur === undefined) return;
      if (cur?.record.token !== token) {
        released = true;
        clearInterval(timer);
        lock.onLost?.(cur ? holderOf(cur.record) : null);
        return;
      }
      const now = new Date();
      await fs.utimes(file, now, now).catch(() => {});
    })();
  }, heartbeatMs);
  timer.unref();
  return lock;
}
