// Strict checkpoints. The manifest is covered by the hash (an edited iteration, RNG state or
// optimiser scalar is rejected), and its iteration must match its folder. Resuming: a skipped
// damaged checkpoint is reported as an event (what the CLI and UI show), not only logged;
// when checkpoints exist but none loads, resume refuses and leaves every file as it was; a
// stored config that no longer validates is refused in plain words naming the field.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointDir,
  loadLatestCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type StoredCheckpoint,
} from '../../src/training/checkpoint';
import { Trainer } from '../../src/training/trainer';
import { readMetrics } from '../../src/training/runDir';
import { parseCommand, type StreamName, type StreamPayloads } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';
import './hillClimber';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-strict-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function ckpt(it: number): StoredCheckpoint {
  return {
    learner: {
      algo: 'x',
      iteration: it,
      params: { w: { shape: [4], data: Float32Array.of(it, 1, 2, 3) } },
      optimizerTensors: {},
      optimizerState: { steps: it, lr: 0.1 },
      rng: { bits: [1, 2, 3, 4], spare: 0.25 },
    },
    trainer: { rng: { bits: [9, 8, 7, 6], spare: null }, elapsedMs: 12.5 },
  };
}

async function editManifest(
  it: number,
  edit: (
    m: Record<string, unknown> & {
      trainer: { rng: { bits: number[] } };
      optimizerState: Record<string, unknown>;
    },
  ) => void,
): Promise<void> {
  const file = path.join(checkpointDir(dir, it), 'manifest.json');
  const m = JSON.parse(await fs.readFile(file, 'utf8'));
  edit(m);
  await fs.writeFile(file, JSON.stringify(m, null, 1));
}

describe('manifest integrity', () => {
  it('a checkpoint as written loads', async () => {
    await writeCheckpoint(dir, ckpt(4));
    expect(await readCheckpoint(checkpointDir(dir, 4))).toEqual(ckpt(4));
  });

  it.each([
    [
      'the RNG state',
      (m: { trainer: { rng: { bits: number[] } } }) => (m.trainer.rng.bits[0] += 1),
    ],
    [
      'an optimiser scalar',
      (m: { optimizerState: Record<string, unknown> }) => (m.optimizerState.lr = 10),
    ],
    [
      'the elapsed time',
      (m: Record<string, unknown> & { trainer: { elapsedMs?: number } }) =>
        (m.trainer.elapsedMs = 0),
    ],
  ])('an edited manifest (%s) is rejected', async (_what, edit) => {
    await writeCheckpoint(dir, ckpt(4));
    await editManifest(4, edit as never);
    await expect(readCheckpoint(checkpointDir(dir, 4))).rejects.toThrow(
      /manifest\.json was modified \(digest mismatch\)/,
    );
  });

  it('an edited iteration is rejected, whether or not the folder is renamed to match', async () => {
    await writeCheckpoint(dir, ckpt(4));
    await editManifest(4, (m) => (m.iteration = 6));
    await expect(readCheckpoint(checkpointDir(dir, 4))).rejects.toThrow(/digest mismatch/);
    await fs.rename(checkpointDir(dir, 4), checkpointDir(dir, 6));
    await expect(readCheckpoint(checkpointDir(dir, 6))).rejects.toThrow(/digest mismatch/);
  });

  it("a checkpoint in another iteration's folder is rejected", async () => {
    await writeCheckpoint(dir, ckpt(4));
    await fs.cp(checkpointDir(dir, 4), checkpointDir(dir, 8), { recursive: true });
    await expect(readCheckpoint(checkpointDir(dir, 8))).rejects.toThrow(
      /says iteration 4, but it is in folder "8"/,
    );
    const skipped: number[] = [];
    expect(
      (await loadLatestCheckpoint(dir, Infinity, (it) => skipped.push(it)))?.learner.iteration,
    ).toBe(4);
    expect(skipped).toEqual([8]);
  });

  it('a removed digest is rejected (format 2 requires it)', async () => {
    await writeCheckpoint(dir, ckpt(4));
    await editManifest(4, (m) => delete m.digest);
    await expect(readCheckpoint(checkpointDir(dir, 4))).rejects.toThrow(/has no digest/);
  });
});

type Ev = { [S in StreamName]: { s: S; p: StreamPayloads[S] } }[StreamName];
const config: RunConfigInput = {
  family: 'point-nav',
  algo: 'test-hill',
  seed: 5,
  backend: 'cpu',
  iterations: 4,
  checkpointEvery: 2,
  previewEvery: 0,
  workers: 1,
};

/** Every file under `root` with its content (the run directory's exact state). */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(root, p)] = (await fs.readFile(p)).toString('base64');
  }
  return out;
}

async function corrupt(runDir: string, it: number): Promise<void> {
  const file = path.join(runDir, 'checkpoints', String(it), 'tensors.bin');
  const buf = await fs.readFile(file);
  buf[0] ^= 0xff;
  await fs.writeFile(file, buf);
}

describe('resume with damaged checkpoints', () => {
  let events: Ev[];
  let trainer: Trainer;
  let runId: string;
  let runDir: string;
  beforeEach(async () => {
    events = [];
    trainer = new Trainer({ runsRoot: dir, emit: (s, p) => events.push({ s, p } as Ev) });
    runId = (await trainer.dispatch('mrl:run.start', parseCommand('mrl:run.start', { config })))
      .runId;
    await trainer.whenIdle();
    runDir = path.join(dir, runId);
  });
  afterEach(async () => {
    await trainer.shutdown();
  });
  const resume = (iterations = 6) =>
    trainer.dispatch('mrl:run.resume', parseCommand('mrl:run.resume', { runId, iterations }));

  it('all checkpoints corrupt: resume refuses, naming each, and changes nothing', async () => {
    expect((await readMetrics(runDir)).length).toBe(4);
    await corrupt(runDir, 2);
    await corrupt(runDir, 4);
    const before = await snapshot(runDir);
    await expect(resume()).rejects.toThrow(
      /none of its 2 checkpoints \(2, 4\) loads.*nothing was changed\.\n {2}checkpoint 4: .*corrupt.*\n {2}checkpoint 2: .*corrupt/s,
    );
    expect(await snapshot(runDir)).toEqual(before);
    // Still the earlier session's end: no run was started.
    expect(trainer.status().state).toBe('finished');
  });

  it('a skipped damaged checkpoint is reported as an event, and the run resumes from the one before', async () => {
    await corrupt(runDir, 4);
    events.length = 0;
    await resume();
    await trainer.whenIdle();
    const notices = events.filter(
      (e): e is Extract<Ev, { s: 'mrl:error.raised' }> => e.s === 'mrl:error.raised',
    );
    expect(notices).toHaveLength(1);
    expect(notices[0].p).toMatchObject({ runId, iteration: 4, fatal: false });
    expect(notices[0].p.message).toMatch(
      /Checkpoint 4 of .* is damaged and was skipped \(.*corrupt.*\); resuming from checkpoint 2/,
    );
    expect((await readMetrics(runDir)).map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a stored config that no longer validates is refused naming the field, not as a raw ZodError', async () => {
    const file = path.join(runDir, 'config.json');
    const meta = JSON.parse(await fs.readFile(file, 'utf8'));
    meta.config.hyper.lr = 99;
    await fs.writeFile(file, JSON.stringify(meta));
    const err = (await resume().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^Cannot resume .*: its stored config \(config\.json\) is not valid for test-hill:\nconfig\.hyper\.lr: .*10.* \(got 99\)$/,
    );
    expect(err.message).not.toMatch(/"code"|ZodError|\[\s*\{/);
    meta.config.hyper.lr = 0.02;
    meta.config.seed = 'one';
    await fs.writeFile(file, JSON.stringify(meta));
    await expect(resume()).rejects.toThrow(
      /not a valid run config:\nconfig\.seed: must be an integer in \[0, 2147483647\] \(got "one"\)/,
    );
  });
});
