// The runtime with the real tfjs learners (small settings): a resumed run reproduces the
// uninterrupted one, metrics stream every iteration with a live preview, and the trainer's
// own work (preview adaptation, checkpoints) leaks no tensors across iterations.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import { readMetrics } from '../../src/training/runDir';
import { checkpointDir } from '../../src/training/checkpoint';
import { parseCommand, type MetricsRow } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';

let root: string;
let trainer: Trainer;
let previews = 0;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-real-'));
  previews = 0;
  trainer = new Trainer({
    runsRoot: root,
    emit: (s) => void (s === 'mrl:preview.added' && previews++),
  });
});
afterEach(async () => {
  await trainer.shutdown();
  await fs.rm(root, { recursive: true, force: true });
});

const strip = (rows: MetricsRow[]) =>
  rows.map((r) =>
    Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('time/'))),
  );
const start = (t: Trainer, config: RunConfigInput) =>
  t.dispatch('mrl:run.start', parseCommand('mrl:run.start', { config }));

async function resumeEqualsUninterrupted(
  config: RunConfigInput,
  firstKey: string,
): Promise<Record<string, number>[]> {
  const a = await start(trainer, config);
  await trainer.whenIdle();
  expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 4 });
  expect(previews).toBeGreaterThan(0);
  const full = strip(await readMetrics(path.join(root, a.runId)));
  expect(full).toHaveLength(4);
  expect(Object.keys(full[0])).toContain(firstKey);

  // The same run "crashes" after iteration 4 with only checkpoint 2 on disk; resume recomputes 3 and 4.
  const tensorsAfterFirstRun = tf.memory().numTensors;
  const dir = path.join(root, a.runId);
  await fs.rm(checkpointDir(dir, 4), { recursive: true });
  trainer = new Trainer({ runsRoot: root, emit: () => {} });
  await trainer.dispatch('mrl:run.resume', { runId: a.runId });
  await trainer.whenIdle();
  expect(strip(await readMetrics(dir))).toEqual(full);
  // Learners are disposed when runs end: nothing of either run stays behind.
  expect(tf.memory().numTensors).toBe(tensorsAfterFirstRun);
  return full;
}

describe('runtime with MAML', () => {
  it('resumes from a checkpoint to the same metrics, with no tensor leak', async () => {
    await resumeEqualsUninterrupted(
      {
        family: 'point-nav',
        algo: 'maml',
        seed: 5,
        backend: 'wasm',
        iterations: 4,
        workers: 1,
        checkpointEvery: 2,
        previewEvery: 2,
        preview: { episodesPerStage: 2, steps: 1 },
        hyper: { metaBatchSize: 2, episodesPerTask: 2, hidden: [8], cgIters: 2 },
      },
      'returns/post_1',
    );
  });
});

describe('runtime with MAML and meta-control', () => {
  it('resumes to the same metrics with validation, best checkpoint and a KL schedule', async () => {
    const full = await resumeEqualsUninterrupted(
      {
        family: 'point-nav',
        algo: 'maml',
        seed: 6,
        backend: 'wasm',
        iterations: 4,
        workers: 1,
        checkpointEvery: 2,
        previewEvery: 2,
        preview: { episodesPerStage: 2, steps: 1 },
        hyper: { metaBatchSize: 2, episodesPerTask: 2, hidden: [8], cgIters: 2 },
        metaControl: {
          validateEvery: 1,
          validationTasks: 2,
          episodesPerStage: 2,
          schedule: { kind: 'cosine', minFactor: 0.2 },
        },
      },
      'validation/return',
    );
    // Cosine from 1 to 0.2 over the 4 iterations, on TRPO's KL radius (default 0.01).
    expect(full.map((m) => m['optim/maxKl'])).toEqual(
      [1, 0.8, 0.4, 0.2].map((f) => expect.closeTo(0.01 * f, 12)),
    );
  });
});

describe('runtime with nearest-task', () => {
  it('resumes from a checkpoint to the same metrics, with no tensor leak', async () => {
    await resumeEqualsUninterrupted(
      {
        family: 'point-nav',
        algo: 'nearest-task',
        seed: 5,
        backend: 'wasm',
        iterations: 4,
        workers: 1,
        checkpointEvery: 2,
        previewEvery: 2,
        preview: { episodesPerStage: 2 },
        hyper: { prototypes: 3, candidates: 6, queryTasks: 3, episodesPerTask: 2, hidden: [8] },
      },
      'returns/prototypes',
    );
  });
});

describe('runtime with RL²', () => {
  const config: RunConfigInput = {
    family: 'point-nav',
    algo: 'rl2',
    seed: 5,
    backend: 'wasm',
    iterations: 4,
    workers: 1,
    checkpointEvery: 2,
    previewEvery: 2,
    preview: { episodesPerStage: 2 },
    hyper: { metaBatchSize: 2, trialsPerTask: 1, hiddenSize: 8, epochs: 1, minibatches: 1 },
  };

  it('resumes from a checkpoint to the same metrics, with no tensor leak', async () => {
    await resumeEqualsUninterrupted(config, 'returns/episode_1');
  });
});

describe('runtime with Reptile and Meta-SGD', () => {
  const base: RunConfigInput = {
    family: 'point-nav',
    seed: 5,
    backend: 'wasm',
    iterations: 4,
    workers: 1,
    checkpointEvery: 2,
    previewEvery: 2,
    preview: { episodesPerStage: 2, steps: 1 },
    algo: 'reptile',
  };

  it('Reptile (ε annealed) resumes from a checkpoint to the same metrics, with no tensor leak', async () => {
    await resumeEqualsUninterrupted(
      {
        ...base,
        algo: 'reptile',
        hyper: { metaBatchSize: 2, episodesPerTask: 2, hidden: [8], annealIterations: 6 },
      },
      'returns/post_2',
    );
  });

  // The schedule's factors 1, 1, ½, ½ on each learner's outer step; Reptile's own metric
  // shows the ε its update used.
  it.each([
    ['reptile', { outerStepSize: 0.4 }, 'optim/outerStepSize', 0.4, 'optim/outer_step_size'],
    ['meta-sgd', { cgIters: 2 }, 'optim/maxKl', 0.01, 'optim/maxKl'],
  ] as const)(
    'a step schedule scales %s’s outer step, and resumes the same',
    async (algo, hyper, key, value, used) => {
      const full = await resumeEqualsUninterrupted(
        {
          ...base,
          algo,
          hyper: { metaBatchSize: 2, episodesPerTask: 2, hidden: [8], ...hyper },
          metaControl: {
            validateEvery: 2,
            validationTasks: 2,
            episodesPerStage: 2,
            schedule: { kind: 'step', every: 2, gamma: 0.5 },
          },
        },
        key,
      );
      const expected = [1, 1, 0.5, 0.5].map((f) => expect.closeTo(value * f, 12));
      expect(full.map((m) => m[key])).toEqual(expected);
      expect(full.map((m) => m[used])).toEqual(expected);
    },
  );

  it('Meta-SGD (θ, α and α’s optimiser) resumes from a checkpoint to the same metrics, with no tensor leak', async () => {
    await resumeEqualsUninterrupted(
      {
        ...base,
        algo: 'meta-sgd',
        hyper: { metaBatchSize: 2, episodesPerTask: 2, hidden: [8], cgIters: 2 },
      },
      'alpha/W0/mean',
    );
  });
});
