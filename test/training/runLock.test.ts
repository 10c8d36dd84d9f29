// One writer per run. The lock itself: a second taker is refused naming the holder; a lock
// whose pid is dead on this host, or whose heartbeat is old on another host, is taken over;
// a holder whose lock was taken over learns it. Then through trainers (as the CLI, the web
// host and the desktop app each run one): a second writer is refused and changes nothing,
// a run another process trains is listed as such and cannot be deleted, and becomes free
// again when that run ends.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireRunLock,
  lockHolder,
  LOCK_FILE,
  RunLockedError,
  STALE_MS,
} from '../../src/training/runLock';
import { Trainer } from '../../src/training/trainer';
import { readMetrics } from '../../src/training/runDir';
import { parseCommand, type StreamName, type StreamPayloads } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';
import './hillClimber';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-lock-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A pid that existed and is gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('run lock', () => {
  it('refuses a second taker, naming the holder, until released', async () => {
    const a = await acquireRunLock(root);
    const err = await acquireRunLock(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `being trained by another process \\(pid ${process.pid} on ${os.hostname()}, since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    expect(await lockHolder(root)).toMatchObject({ pid: process.pid, host: os.hostname() });
    await a.release();
    expect(await lockHolder(root)).toBeNull();
    const b = await acquireRunLock(root);
    await b.release();
    // No temp or stale files are left behind.
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('takes over a lock whose pid is dead on this host', async () => {
    await fs.writeFile(
      path.join(root, LOCK_FILE),
      JSON.stringify({
        pid: deadPid(),
        host: os.hostname(),
        since: new Date().toISOString(),
        token: 'old',
      }),
    );
    expect(await lockHolder(root)).toBeNull();
    const l = await acquireRunLock(root);
    expect(JSON.parse(await fs.readFile(path.join(root, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    await l.release();
  });

  it('on another host: refused while its heartbeat is fresh, taken over once it is old', async () => {
    const file = path.join(root, LOCK_FILE);
    await fs.writeFile(
      file,
      JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00.000Z', token: 'x' }),
    );
    await expect(acquireRunLock(root)).rejects.toThrow(/pid 1 on elsewhere, since 2026-01-01/);
    const old = new Date(Date.now() - STALE_MS - 5000);
    await fs.utimes(file, old, old);
    const l = await acquireRunLock(root);
    await l.release();
  });

  it('a holder whose lock was taken over is told so by its heartbeat', async () => {
    const l = await acquireRunLock(root, { heartbeatMs: 50 });
    const lost = new Promise((resolve) => (l.onLost = resolve));
    await fs.writeFile(
      path.join(root, LOCK_FILE),
      JSON.stringify({
        pid: 1,
        host: 'elsewhere',
        since: new Date().toISOString(),
        token: 'thief',
      }),
    );
    expect(await lost).toMatchObject({ pid: 1, host: 'elsewhere' });
    // Releasing a lost lock leaves the new holder's file alone.
    await l.release();
    expect(JSON.parse(await fs.readFile(path.join(root, LOCK_FILE), 'utf8')).token).toBe('thief');
  });
});

type Ev = { [S in StreamName]: { s: S; p: StreamPayloads[S] } }[StreamName];
const config: RunConfigInput = {
  family: 'point-nav',
  algo: 'test-hill',
  seed: 3,
  backend: 'cpu',
  iterations: 400,
  checkpointEvery: 2,
  previewEvery: 0,
  workers: 1,
  hyper: { slowMs: 20 },
};

describe('one writer per run, through trainers', () => {
  it('a second writer is refused and changes nothing; delete is refused while training; both work once the run ends', async () => {
    const events: Ev[] = [];
    // Two trainers on one runs folder: what a CLI and the web host (or desktop app) are.
    const a = new Trainer({ runsRoot: root, emit: (s, p) => events.push({ s, p } as Ev) });
    const b = new Trainer({ runsRoot: root, emit: () => {} });
    try {
      const { runId } = await a.dispatch(
        'mrl:run.start',
        parseCommand('mrl:run.start', { config }),
      );
      const metrics = async () => (await readMetrics(path.join(root, runId))).length;
      for (let i = 0; i < 400 && (await metrics()) < 3; i++)
        await new Promise((r) => setTimeout(r, 20));

      const holder = new RegExp(
        `being trained by another process \\(pid ${process.pid} on ${os.hostname()}, since `,
      );
      await expect(
        b.dispatch('mrl:run.resume', parseCommand('mrl:run.resume', { runId, iterations: 500 })),
      ).rejects.toThrow(holder);
      await expect(
        b.dispatch('mrl:run.delete', parseCommand('mrl:run.delete', { runId })),
      ).rejects.toThrow(holder);
      // The refused writer changed nothing: the live run's config still says 400.
      expect(
        JSON.parse(await fs.readFile(path.join(root, runId, 'config.json'), 'utf8')).config
          .iterations,
      ).toBe(400);

      const listed = (await b.dispatch('mrl:runs.list', {})).runs.find((r) => r.runId === runId)!;
      expect(listed.state).toBe('running');
      expect(listed.lockedBy).toMatchObject({ pid: process.pid, host: os.hostname() });
      expect(listed.message).toMatch(/^training \(in another process: pid \d+ on /);
      // The trainer that owns it lists it as its own live run.
      expect(
        (await a.dispatch('mrl:runs.list', {})).runs.find((r) => r.runId === runId),
      ).not.toHaveProperty('lockedBy');

      await a.dispatch('mrl:run.stop', { runId });
      expect(
        (await b.dispatch('mrl:runs.list', {})).runs.find((r) => r.runId === runId),
      ).toMatchObject({ state: 'stopped' });
      expect(
        (await b.dispatch('mrl:runs.list', {})).runs.find((r) => r.runId === runId),
      ).not.toHaveProperty('lockedBy');
      // The other process may now resume it, and, once that run ends, delete it.
      await b.dispatch('mrl:run.resume', parseCommand('mrl:run.resume', { runId }));
      await expect(
        a.dispatch('mrl:run.delete', parseCommand('mrl:run.delete', { runId })),
      ).rejects.toThrow(/being trained by another process/);
      await b.dispatch('mrl:run.stop', { runId });
      await expect(
        a.dispatch('mrl:run.delete', parseCommand('mrl:run.delete', { runId })),
      ).resolves.toMatchObject({ deleted: true });
      await expect(fs.access(path.join(root, runId))).rejects.toThrow();
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });
});
