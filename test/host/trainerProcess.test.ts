// The trainer process itself (forked as in the CLI and web host): random junk sent straight
// over its IPC channel never kills it — it still answers a real call afterwards — and SIGINT
// (Ctrl-C reaching the process group) is left to the parent; --examples names the folder of
// the read-only example runs.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TRAINER_ENTRY } from '../../src/host/trainerHost';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-tp-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('trainer process', () => {
  it('survives random junk and SIGINT, then answers', async () => {
    const child = fork(TRAINER_ENTRY, ['--runs', dir], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let exited = false;
    child.on('exit', () => (exited = true));
    const replies: { id?: number; ok?: boolean; kind?: string; channel?: string }[] = [];
    child.on('message', (m) => replies.push(m as never));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once it answers, it is serving (a signal during its first instants, before any
    // handler can exist, would still end it — the host then reports a crash).
    child.send({ kind: 'call', id: 1, channel: 'mrl:trainer.status', payload: {} });
    for (let i = 0; i < 400 && !replies.some((r) => r.id === 1); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(replies.some((r) => r.id === 1)).toBe(true);
    // JSON-serialisable junk (what IPC can carry), including call-shaped messages.
    const junk = fc.sample(
      fc.oneof(
        fc.jsonValue(),
        fc.record({
          kind: fc.constant('call'),
          id: fc.nat(),
          channel: fc.constantFrom(
            'mrl:run.pause',
            'mrl:run.adapt',
            'mrl:run.open',
            'mrl:tasks.sample',
            'mrl:nope',
          ),
          payload: fc.jsonValue(),
        }),
      ),
      { numRuns: 300, seed: 42 },
    );
    for (const j of junk) child.send(j as never);
    child.kill('SIGINT');
    child.send({ kind: 'call', id: 999_999, channel: 'mrl:trainer.status', payload: {} });
    for (let i = 0; i < 300 && !replies.some((r) => r.id === 999_999); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(exited, stderr).toBe(false);
    expect(replies.find((r) => r.id === 999_999)).toMatchObject({ kind: 'reply', ok: true });
    // Junk without a usable id is reported as an error event, never answered with a made-up id.
    expect(replies.some((r) => r.kind === 'event' && r.channel === 'mrl:error.raised')).toBe(true);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});

describe('trainer process arguments', () => {
  it('lists the runs of --examples <dir> as read-only examples', async () => {
    const shipped = path.resolve(import.meta.dirname, '../../examples/runs');
    const [id] = (await fs.readdir(shipped, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    // Under an id of its own, so that only --examples can have listed it (the checkout's
    // example folder is the default).
    const examples = path.join(dir, 'examples');
    const copy = '20200101-000000-point-nav-maml-s9';
    await fs.cp(path.join(shipped, id), path.join(examples, copy), { recursive: true });
    const configFile = path.join(examples, copy, 'config.json');
    const meta = JSON.parse(await fs.readFile(configFile, 'utf8')) as { runId: string };
    await fs.writeFile(configFile, JSON.stringify({ ...meta, runId: copy }));
    const child = fork(TRAINER_ENTRY, ['--runs', path.join(dir, 'own'), '--examples', examples], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const replies: { id?: number; ok?: boolean; result?: { runs: { runId: string }[] } }[] = [];
    child.on('message', (m) => replies.push(m as never));
    child.send({ kind: 'call', id: 1, channel: 'mrl:runs.list', payload: {} });
    for (let i = 0; i < 600 && !replies.some((r) => r.id === 1); i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(replies.find((r) => r.id === 1)).toMatchObject({
      ok: true,
      result: { runs: [{ runId: copy, example: true }] },
    });
  }, 60_000);
});

describe('trainer process shutdown', () => {
  it('the shutdown message stops the live run with a checkpoint, then the process exits 0', async () => {
    const hill = path.resolve(import.meta.dirname, '../training/hillClimber.ts');
    const runs = path.join(dir, 'shutdown');
    const child = fork(TRAINER_ENTRY, ['--runs', runs, '--preload', hill], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const messages: {
      kind?: string;
      id?: number;
      ok?: boolean;
      result?: { runId?: string };
      channel?: string;
      payload?: { iteration?: number };
    }[] = [];
    child.on('message', (m) => messages.push(m as never));
    child.send({
      kind: 'call',
      id: 1,
      channel: 'mrl:run.start',
      payload: {
        config: {
          family: 'point-nav',
          algo: 'test-hill',
          backend: 'cpu',
          iterations: 1000,
          checkpointEvery: 1000,
          previewEvery: 0,
          workers: 1,
          hyper: { slowMs: 50 },
        },
      },
    });
    for (
      let i = 0;
      i < 600 &&
      !messages.some((m) => m.channel === 'mrl:metrics.added' && m.payload?.iteration === 2);
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    const runId = messages.find((m) => m.id === 1)!.result!.runId!;
    child.send({ kind: 'shutdown' });
    expect(await exited).toBe(0);
    const state = JSON.parse(await fs.readFile(path.join(runs, runId, 'state.json'), 'utf8'));
    expect(state.state).toBe('stopped');
    expect(await fs.readdir(path.join(runs, runId, 'checkpoints'))).toEqual([
      String(state.iteration),
    ]);
    await expect(fs.access(path.join(runs, runId, 'run.lock'))).rejects.toThrow();
  }, 60_000);

  it('watchParent reports a parent pid that is gone', async () => {
    const { watchParent } = await import('../../src/host/trainerProcess');
    // Any process we can end will do as the "parent".
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    await new Promise((r) => other.once('spawn', r));
    let gone = false;
    const stop = watchParent(() => (gone = true), other.pid!, 20);
    await new Promise((r) => setTimeout(r, 100));
    expect(gone).toBe(false);
    other.kill('SIGKILL');
    for (let i = 0; i < 100 && !gone; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gone).toBe(true);
    stop();
  });
});
