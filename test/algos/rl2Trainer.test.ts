// RL² inside the real trainer runtime (run directory, checkpoints on disk, resume, adapt):
// the product must treat it exactly like MAML. A run resumed from its on-disk checkpoint
// must reproduce the uninterrupted run's metrics (params, Adam moments and Rng restored).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import { readMetrics } from '../../src/training/runDir';
import { parseCommand, type MetricsRow } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';

let root: string;
let trainer: Trainer;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-rl2-'));
  trainer = new Trainer({ runsRoot: root, emit: () => {} });
});
afterEach(async () => {
  await trainer.shutdown();
  await fs.rm(root, { recursive: true, force: true });
});

const base: RunConfigInput = {
  family: 'point-nav',
  algo: 'rl2',
  seed: 3,
  backend: 'cpu',
  iterations: 3,
  checkpointEvery: 1,
  previewEvery: 0,
  workers: 1,
  hyper: { metaBatchSize: 2, trialsPerTask: 2, hiddenSize: 8, epochs: 1, minibatches: 1 },
};
const strip = (rows: MetricsRow[]) =>
  rows.map((r) => ({
    it: r.iteration,
    m: Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('time/'))),
  }));

describe('RL² in the trainer', () => {
  it('trains, reports per-episode returns, resumes from disk identically, and adapts by episodes', async () => {
    const full = await trainer.dispatch(
      'mrl:run.start',
      parseCommand('mrl:run.start', { config: base }),
    );
    await trainer.whenIdle();
    expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 3 });
    const fullRows = strip(await readMetrics(path.join(root, full.runId)));
    expect(Object.keys(fullRows[0].m)).toEqual(
      expect.arrayContaining([
        'returns/episode_1',
        'returns/episode_2',
        'losses/policy',
        'losses/approx_kl',
      ]),
    );

    // Two iterations, then a fresh trainer resumes from the checkpoint on disk to three.
    const part = await trainer.dispatch(
      'mrl:run.start',
      parseCommand('mrl:run.start', { config: { ...base, iterations: 2 } }),
    );
    await trainer.whenIdle();
    await trainer.shutdown();
    trainer = new Trainer({ runsRoot: root, emit: () => {} });
    await trainer.dispatch('mrl:run.resume', { runId: part.runId, iterations: 3 });
    await trainer.whenIdle();
    expect(strip(await readMetrics(path.join(root, part.runId)))).toEqual(fullRows);

    const r = await trainer.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', {
        runId: full.runId,
        task: { goal: [0.3, -0.2] },
        steps: 2,
        episodesPerStage: 2,
        framesPerStage: 1,
      }),
    );
    expect(r).toMatchObject({ algo: 'rl2', stageUnit: 'episode', iteration: 3 });
    expect(r.returns).toHaveLength(3);
    expect(r.episodes.map((e) => e.stage)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});
