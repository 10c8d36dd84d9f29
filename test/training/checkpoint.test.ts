// Atomic checkpoints: a writer killed (SIGKILL) in the middle of a write, or failing between
// the temp directory and the rename, leaves the previous checkpoint loadable; a corrupted data
// file is detected by its hash and skipped.
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointDir,
  cleanTempCheckpoints,
  listCheckpoints,
  loadLatestCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type StoredCheckpoint,
} from '../../src/training/checkpoint';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-ckpt-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function ckpt(it: number, n = 1000): StoredCheckpoint {
  return {
    learner: {
      algo: 'x',
      iteration: it,
      params: {
        w: { shape: [n / 10, 10], data: new Float32Array(n).fill(it) },
        b: { shape: [3], data: Float32Array.of(it, -it, 0.5) },
      },
      optimizerTensors: { m: { shape: [2], data: Float32Array.of(1, 2) } },
      optimizerState: { steps: it, lr: 0.1 },
      rng: { bits: [1, 2, 3, 4], spare: 0.25 },
    },
    trainer: { rng: { bits: [9, 8, 7, 6], spare: null }, elapsedMs: 12.5 },
  };
}

/** Start the writer child and SIGKILL it when it prints `killOn`; resolves once it is dead. */
function killWriterAt(killOn: RegExp, mode = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(import.meta.dirname, 'checkpointWriter.ts'), [dir, mode], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (killOn.test(out)) child.kill('SIGKILL');
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve(out)
        : reject(new Error(`writer exited without being killed: ${out}`)),
    );
  });
}

describe('checkpoints', () => {
  it('round-trips every field', async () => {
    const c = ckpt(5);
    const res = await writeCheckpoint(dir, c);
    expect(res.bytes).toBeGreaterThan(4 * 1005);
    expect(await readCheckpoint(checkpointDir(dir, 5))).toEqual(c);
  });

  it('a writer SIGKILLed mid-write leaves the previous checkpoint loadable', async () => {
    // Killed as soon as it starts writing checkpoint 3 (a 8 MB data file, fsynced): the kill
    // lands mid-write unless the machine stalls; either way every checkpoint directory that
    // exists must be complete, and the newest one must be the last that finished.
    const out = await killWriterAt(/writing 3\n/);
    expect(out).toMatch(/wrote 2/);
    const finished = Math.max(...[...out.matchAll(/wrote (\d+)/g)].map((m) => Number(m[1])));
    for (const it of await listCheckpoints(dir)) {
      const c = await readCheckpoint(checkpointDir(dir, it));
      expect(c.learner.params.w.data.every((v) => v === it)).toBe(true);
    }
    const latest = await loadLatestCheckpoint(dir);
    // The rename may have happened just before the kill, after the last "wrote".
    expect([finished, finished + 1]).toContain(latest?.learner.iteration);
    expect(latest!.learner.params.w.data.every((v) => v === latest!.learner.iteration)).toBe(true);
  });

  it('a writer SIGKILLed between the complete temp directory and the rename leaves the previous one', async () => {
    const out = await killWriterAt(/renaming 2\n/, 'pause-before-rename');
    expect(out).toMatch(/wrote 1/);
    const names = await fs.readdir(path.join(dir, 'checkpoints'));
    expect(names.some((n) => n.startsWith('.tmp-2-'))).toBe(true);
    expect((await loadLatestCheckpoint(dir))?.learner.iteration).toBe(1);
    await cleanTempCheckpoints(dir);
    expect(await fs.readdir(path.join(dir, 'checkpoints'))).toEqual(['1']);
  });

  it('a failure before the rename (and when re-writing the same iteration) keeps the old one', async () => {
    await writeCheckpoint(dir, ckpt(3));
    await expect(
      writeCheckpoint(dir, ckpt(4), {
        beforeRename: () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect((await loadLatestCheckpoint(dir))?.learner.iteration).toBe(3);
    const again = ckpt(3);
    again.learner.optimizerState = { steps: 33 };
    await writeCheckpoint(dir, again);
    expect((await readCheckpoint(checkpointDir(dir, 3))).learner.optimizerState).toEqual({
      steps: 33,
    });
  });

  it('detects a corrupted data file and falls back to the previous checkpoint', async () => {
    await writeCheckpoint(dir, ckpt(1));
    await writeCheckpoint(dir, ckpt(2));
    const file = path.join(checkpointDir(dir, 2), 'tensors.bin');
    const buf = await fs.readFile(file);
    buf[10] ^= 0xff;
    await fs.writeFile(file, buf);
    await expect(readCheckpoint(checkpointDir(dir, 2))).rejects.toThrow(/corrupt/);
    const skipped: number[] = [];
    expect(
      (await loadLatestCheckpoint(dir, Infinity, (it) => skipped.push(it)))?.learner.iteration,
    ).toBe(1);
    expect(skipped).toEqual([2]);
    await fs.writeFile(path.join(checkpointDir(dir, 1), 'manifest.json'), '{"format":1');
    expect(await loadLatestCheckpoint(dir)).toBeNull();
  });
});
