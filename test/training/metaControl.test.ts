// Meta-control: the meta-validation split is disjoint from the training and test tasks;
// early stopping fires on a scripted validation curve exactly when patience runs out; the
// schedules give their documented factors; bad settings are refused naming the field; and a
// run with meta-control (hill-climber test learner) records its best checkpoint on
// meta-validation, stops early, and resumes to the same metrics as an uninterrupted run; the
// trainer evaluates the best checkpoint when asked for "best" and refuses choices a run lacks.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { isValidationTask } from '../../src/core/tasks';
import type { MetaLearner } from '../../src/algos/metaLearner';
import type { JsonObject } from '../../src/shared/json';
import { parseRunConfig, type RunConfigInput } from '../../src/shared/config';
import { scheduleFactor } from '../../src/shared/metaControl';
import { parseCommand, type MetricsRow } from '../../src/shared/protocol';
import { checkpointDir, listCheckpoints } from '../../src/training/checkpoint';
import {
  MetaController,
  metaTrainingTasks,
  readBest,
  validationTasks,
} from '../../src/training/metaControl';
import { readMetrics } from '../../src/training/runDir';
import { resolveRunConfig } from '../../src/training/runConfig';
import { configFromFlags } from '../../src/cli/commands/train';
import { loadRunLearner } from '../../src/training/runLoader';
import { Trainer } from '../../src/training/trainer';
import './hillClimber';

const key = (t: JsonObject) => JSON.stringify(t);

describe('meta-validation split', () => {
  for (const id of ['point-nav', 'cheetah-vel', 'reacher', 'cartpole']) {
    it(`${id}: validation tasks are disjoint from training and test tasks, for any seeds`, () => {
      const family = getFamily(id);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (vSeed, trainSeed, testSeed) => {
            const val = validationTasks(family, 15, vSeed).tasks;
            const train = metaTrainingTasks(family, 30, new Rng(trainSeed));
            const test = family.sampleTasks(30, new Rng(testSeed), 'test');
            expect(val.every(isValidationTask)).toBe(true);
            expect(train.some(isValidationTask)).toBe(false);
            const valKeys = new Set(val.map(key));
            expect(train.filter((t) => valKeys.has(key(t)))).toEqual([]);
            expect(test.filter((t) => valKeys.has(key(t)))).toEqual([]);
          },
        ),
        { numRuns: 25, seed: 42 },
      );
    });
  }

  it('the same seed gives the same validation tasks', () => {
    const f = getFamily('point-nav');
    expect(validationTasks(f, 5, 3)).toEqual(validationTasks(f, 5, 3));
    expect(validationTasks(f, 5, 3).tasks).not.toEqual(validationTasks(f, 5, 4).tasks);
  });
});

describe('early stopping and best selection', () => {
  it('stops when patience validations in a row fail to beat the reference by the threshold', () => {
    const c = new MetaController(getFamily('point-nav'), {
      validationTasks: 2,
      earlyStopping: { patience: 3, threshold: 0.5 },
    });
    // Validation curve: rises, then creeps up by less than the threshold, then dips.
    const curve = [-30, -20, -15, -14.8, -14.6, -16];
    const out = curve.map((v, i) => c.record(v, (i + 1) * 10));
    expect(out.map((o) => o.stop)).toEqual([false, false, false, false, false, true]);
    // The best is the highest value, even when it improved by less than the threshold.
    expect(out.map((o) => o.isBest)).toEqual([true, true, true, true, true, false]);
    expect(c.state).toMatchObject({ best: -14.6, bestIteration: 50, reference: -15 });
    expect(out[5].metrics).toEqual({ 'validation/return': -16, 'validation/best': -14.6 });
  });

  it('never stops without earlyStopping, and an improvement resets the count', () => {
    const c = new MetaController(getFamily('point-nav'), { validationTasks: 2 });
    expect([-1, -2, -3, -4, -5].map((v, i) => c.record(v, i).stop).some(Boolean)).toBe(false);
    const d = new MetaController(getFamily('point-nav'), {
      validationTasks: 2,
      earlyStopping: { patience: 2 },
    });
    expect([-5, -6, -4, -7, -8].map((v, i) => d.record(v, i).stop)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });
});

describe('schedules', () => {
  it('step: gamma every `every` iterations', () => {
    const s = { kind: 'step', every: 10, gamma: 0.5 } as const;
    expect([1, 10, 11, 20, 21, 31].map((it) => scheduleFactor(s, it, 100))).toEqual([
      1, 1, 0.5, 0.5, 0.25, 0.125,
    ]);
  });

  it('cosine: 1 at the start, minFactor at the end, the midpoint halfway', () => {
    const s = { kind: 'cosine', minFactor: 0.1 } as const;
    expect(scheduleFactor(s, 1, 101)).toBeCloseTo(1, 12);
    expect(scheduleFactor(s, 51, 101)).toBeCloseTo(0.55, 12);
    expect(scheduleFactor(s, 101, 101)).toBeCloseTo(0.1, 12);
    expect(scheduleFactor(s, 500, 101)).toBeCloseTo(0.1, 12);
    // An explicit length overrides the run's.
    expect(scheduleFactor({ ...s, iterations: 11 }, 11, 101)).toBeCloseTo(0.1, 12);
    expect(scheduleFactor({ kind: 'none' }, 7, 10)).toBe(1);
  });

  it('a learner with no outer step size to schedule is refused, not silently left alone', () => {
    const c = new MetaController(getFamily('point-nav'), {
      validationTasks: 2,
      schedule: { kind: 'step', every: 1, gamma: 0.5 },
    });
    const learner = { algo: 'test-hill' } as unknown as MetaLearner;
    expect(() => c.applySchedule(learner, 1, 10)).toThrow(
      /metaControl\.schedule: the test-hill learner has no outer step size/,
    );
    const none = new MetaController(getFamily('point-nav'), { validationTasks: 2 });
    expect(none.applySchedule(learner, 1, 10)).toEqual({});
  });
});

describe('bad meta-control settings', () => {
  const config = (metaControl: unknown) => ({ family: 'point-nav', algo: 'maml', metaControl });
  it.each([
    [
      { earlyStopping: { patience: 0 } },
      /metaControl\.earlyStopping\.patience: must be an integer in \[1, 10000\]/,
    ],
    [
      { earlyStopping: { patience: 2, threshold: -1 } },
      /metaControl\.earlyStopping\.threshold: .*\[0, 1000000000\]/,
    ],
    [
      { schedule: { kind: 'linear' } },
      /metaControl\.schedule\.kind: must be one of none, step, cosine/,
    ],
    [
      { schedule: { kind: 'step', every: 5, gamma: -0.5 } },
      /metaControl\.schedule\.gamma: must be a positive finite number in \(0, 1\]/,
    ],
    [
      { schedule: { kind: 'step', every: 5, gamma: Infinity } },
      /metaControl\.schedule\.gamma: not finite/,
    ],
    [{ validateEvery: NaN }, /metaControl\.validateEvery: not finite/],
    [{ validationTasks: 0 }, /metaControl\.validationTasks: must be an integer in \[1, 1000\]/],
    [{ patience: 3 }, /metaControl: unknown field "patience"/],
  ])('%j is refused naming the field', (mc, re) => {
    expect(() => parseRunConfig(config(mc))).toThrow(re);
  });

  it('a family without a disjoint validation split is refused before training', () => {
    expect(() =>
      resolveRunConfig(parseRunConfig({ family: 'cheetah-dir', algo: 'maml', metaControl: {} })),
    ).toThrow(/config\.metaControl: cheetah-dir's training and test tasks are the same few tasks/);
  });
});

describe("a learner's default meta-control for a family", () => {
  const resolved = (c: RunConfigInput) => resolveRunConfig(parseRunConfig(c)).config;
  const vel = { family: 'mujoco-cheetah-vel', algo: 'maml' } as const;

  it('fills in when the config leaves it out, with every field explicit', () => {
    expect(resolved(vel).metaControl).toEqual({
      validateEvery: 10,
      validationTasks: 40,
      validationSeed: 0,
      steps: 1,
      episodesPerStage: 20,
      schedule: { kind: 'cosine', minFactor: 0.1 },
    });
    expect(resolved(vel).hyper).toMatchObject({ outer: 'ppo', metaBatchSize: 40 });
  });

  it('null turns it off, and a config of its own replaces it whole', () => {
    expect(resolved({ ...vel, metaControl: null })).not.toHaveProperty('metaControl');
    expect(resolved({ ...vel, metaControl: { validateEvery: 5 } }).metaControl).toEqual(
      expect.objectContaining({
        validateEvery: 5,
        validationTasks: 20,
        schedule: { kind: 'none' },
      }),
    );
  });

  it('metarl train --meta-control off turns it off; bad JSON is named', () => {
    const flags = { out: 'runs', env: 'mujoco-cheetah-vel', algo: 'maml' };
    expect(configFromFlags({ ...flags, metaControl: 'off' }).metaControl).toBeNull();
    expect(configFromFlags(flags)).not.toHaveProperty('metaControl');
    expect(() => configFromFlags({ ...flags, metaControl: 'of' })).toThrow(
      /--meta-control is not valid JSON \(nor off\)/,
    );
  });

  it('is off for families and learners without one', () => {
    expect(resolved({ family: 'point-nav', algo: 'maml' })).not.toHaveProperty('metaControl');
    expect(resolved({ ...vel, algo: 'pretrained' })).not.toHaveProperty('metaControl');
    expect(resolved({ ...vel, algo: 'rl2' })).not.toHaveProperty('metaControl');
  });
});

describe('a run with meta-control', () => {
  let root: string;
  let trainer: Trainer;
  const make = () => new Trainer({ runsRoot: root, examplesRoot: null, emit: () => {} });
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-metactl-'));
    trainer = make();
  });
  afterEach(async () => {
    await trainer.shutdown();
    await fs.rm(root, { recursive: true, force: true });
  });
  const start = (t: Trainer, config: RunConfigInput) =>
    t.dispatch('mrl:run.start', parseCommand('mrl:run.start', { config }));
  const strip = (rows: MetricsRow[]) =>
    rows.map((r) => ({
      it: r.iteration,
      m: Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('time/'))),
    }));
  const base: RunConfigInput = {
    family: 'point-nav',
    algo: 'test-hill',
    seed: 3,
    backend: 'cpu',
    iterations: 12,
    checkpointEvery: 5,
    previewEvery: 0,
    workers: 1,
    metaControl: { validateEvery: 2, validationTasks: 3, episodesPerStage: 2 },
  };

  it('validates every N iterations, checkpoints the best, and resumes exactly', async () => {
    const a = await start(trainer, base);
    await trainer.whenIdle();
    const dir = path.join(root, a.runId);
    const rows = await readMetrics(dir);
    const val = rows.filter((r) => 'validation/return' in r.metrics);
    expect(val.map((r) => r.iteration)).toEqual([2, 4, 6, 8, 10, 12]);
    const top = val.reduce((b, r) =>
      r.metrics['validation/return'] > b.metrics['validation/return'] ? r : b,
    );
    const best = await readBest(dir);
    expect(best).toEqual({
      iteration: top.iteration,
      validationReturn: top.metrics['validation/return'],
    });
    expect(await listCheckpoints(dir)).toContain(best.iteration);
    const loaded = await loadRunLearner(root, a.runId, 'best');
    expect(loaded.iteration).toBe(best.iteration);
    await loaded.learner.dispose();
    const full = strip(rows);

    // Crash after the end with only checkpoints up to 5 (or the best, if earlier) on disk.
    for (const it of await listCheckpoints(dir))
      if (it > 5) await fs.rm(checkpointDir(dir, it), { recursive: true });
    trainer = make();
    await trainer.dispatch('mrl:run.resume', { runId: a.runId });
    await trainer.whenIdle();
    expect(strip(await readMetrics(dir))).toEqual(full);
    expect(await readBest(dir)).toEqual(best);
  });

  it('early stopping ends the run before its length, with the best checkpointed', async () => {
    // lr 0 freezes the learner: every validation returns the same value, so with patience 2
    // the run stops at the third validation (iteration 6 of 40).
    const a = await start(trainer, {
      ...base,
      iterations: 40,
      hyper: { lr: 0 },
      metaControl: { ...base.metaControl, earlyStopping: { patience: 2 } },
    });
    await trainer.whenIdle();
    expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 6 });
    const dir = path.join(root, a.runId);
    expect((await readMetrics(dir)).length).toBe(6);
    expect(await readBest(dir)).toMatchObject({ iteration: 2 });
    expect(await listCheckpoints(dir)).toEqual([2, 5, 6]);
    expect(await fs.readFile(path.join(dir, 'events.log'), 'utf8')).toMatch(
      /early stopping at iteration 6/,
    );
  });

  it('mrl:run.evaluate of "best" scores the best checkpoint and says so; unknown choices are refused', async () => {
    const a = await start(trainer, { ...base, iterations: 6, checkpointEvery: 2 });
    await trainer.whenIdle();
    const best = await readBest(path.join(root, a.runId));
    const how = { runId: a.runId, tasks: 3, steps: 1, episodesPerStage: 2, seed: 4 };
    const evaluate = (iteration: unknown) =>
      trainer.dispatch('mrl:run.evaluate', parseCommand('mrl:run.evaluate', { ...how, iteration }));
    const byBest = await evaluate('best');
    expect(byBest).toMatchObject({
      iteration: best.iteration,
      checkpoint: 'best',
      validationReturn: best.validationReturn,
    });
    // The same numbers as that iteration asked for by number, which is not the latest here.
    const byNumber = await evaluate(best.iteration);
    expect(byNumber.checkpoint).toBe('iteration');
    expect(byNumber.returns).toEqual(byBest.returns);
    const latest = await evaluate('latest');
    expect(latest).toMatchObject({ iteration: 6, checkpoint: 'latest' });
    expect(best.iteration).not.toBe(6);
    expect(latest.returns).not.toEqual(byBest.returns);
    // Saved with the run, each saying which checkpoint it scored; the run offers its best.
    const opened = await trainer.dispatch('mrl:run.open', { runId: a.runId });
    expect(opened.evaluations.map((e) => [e.iteration, e.checkpoint])).toEqual([
      [best.iteration, 'best'],
      [best.iteration, 'iteration'],
      [6, 'latest'],
    ]);
    expect(opened.summary.bestCheckpoint).toEqual(best);
    // The viewer's adapt takes the same choice.
    const adapted = await trainer.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', {
        runId: a.runId,
        iteration: 'best',
        steps: 1,
        episodesPerStage: 2,
      }),
    );
    expect(adapted.iteration).toBe(best.iteration);
    // An iteration never saved: refused naming the field and the run's choices.
    const saved = await listCheckpoints(path.join(root, a.runId));
    const reply = await trainer.handle({
      kind: 'call',
      id: 1,
      channel: 'mrl:run.evaluate',
      payload: { ...how, iteration: 3 },
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(reply && !reply.ok && reply.error.message).toBe(
      `payload.iteration: run ${a.runId} has no checkpoint at iteration 3. Choices: "latest", ` +
        `"best" (iteration ${best.iteration}, validation return ${best.validationReturn.toFixed(2)}), ` +
        `a saved iteration: ${saved.join(', ')}`,
    );
  });

  it('eval --iteration best needs a run with meta-control', async () => {
    const { metaControl: _, ...plain } = base;
    const a = await start(trainer, { ...plain, iterations: 2 });
    await trainer.whenIdle();
    await expect(loadRunLearner(root, a.runId, 'best')).rejects.toThrow(/has no best checkpoint/);
    // The same refusal from the trainer, naming the field and what the run offers.
    await expect(
      trainer.dispatch(
        'mrl:run.evaluate',
        parseCommand('mrl:run.evaluate', { runId: a.runId, iteration: 'best', tasks: 1 }),
      ),
    ).rejects.toThrow(
      /^payload\.iteration: run \S+ has no best checkpoint: best\.json is written by runs trained with meta-control .*\. Choices: "latest", a saved iteration: 2$/,
    );
    expect((await trainer.dispatch('mrl:run.open', { runId: a.runId })).summary).not.toHaveProperty(
      'bestCheckpoint',
    );
  });
});
