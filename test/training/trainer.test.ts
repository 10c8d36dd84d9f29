// The trainer, in-process, with the hill-climber test learner: a full run leaves a complete
// run directory and streams metrics, progress and preview frames; pause/resume/stop work
// between iterations; a resumed run reproduces the uninterrupted one; the NaN guard stops a
// run naming the iteration and keeps the last good checkpoint; junk never crashes it.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEP_SIZE_GRID } from '../../src/algos/evaluate';
import fc from 'fast-check';
import { Trainer } from '../../src/training/trainer';
import { listCheckpoints, readCheckpoint, checkpointDir } from '../../src/training/checkpoint';
import { readMetrics } from '../../src/training/runDir';
import type { MetricsRow, StreamName, StreamPayloads } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';
import { parseCommand } from '../../src/shared/protocol';
import './hillClimber';

type Ev = { [S in StreamName]: { s: S; p: StreamPayloads[S] } }[StreamName];

let root: string;
let events: Ev[];
let trainer: Trainer;

function make(): Trainer {
  return new Trainer({
    runsRoot: root,
    examplesRoot: null,
    emit: (s, p) => events.push({ s, p } as Ev),
  });
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-trainer-'));
  events = [];
  trainer = make();
});
afterEach(async () => {
  await trainer.shutdown();
  await fs.rm(root, { recursive: true, force: true });
});

const base: RunConfigInput = {
  family: 'point-nav',
  algo: 'test-hill',
  seed: 7,
  backend: 'cpu',
  iterations: 8,
  checkpointEvery: 3,
  previewEvery: 4,
  workers: 1,
};

async function start(t: Trainer, config: RunConfigInput) {
  return t.dispatch('mrl:run.start', parseCommand('mrl:run.start', { config }));
}
const strip = (rows: MetricsRow[]) =>
  rows.map((r) => ({
    it: r.iteration,
    m: Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('time/'))),
  }));

function waitFor<S extends StreamName>(
  stream: S,
  pred: (p: StreamPayloads[S]) => boolean,
): Promise<StreamPayloads[S]> {
  return new Promise((resolve) => {
    const check = () => {
      const hit = events.find((e) => e.s === stream && pred(e.p as StreamPayloads[S]));
      if (hit) resolve(hit.p as StreamPayloads[S]);
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('Trainer', () => {
  it('runs to the end and leaves a complete run directory', async () => {
    const { runId, config } = await start(trainer, base);
    expect(config.iterations).toBe(8);
    expect(config.hyper).toMatchObject({ lr: 0.02, metaBatch: 4 });
    await trainer.whenIdle();
    expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 8, runId });
    const dir = path.join(root, runId);
    const meta = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(meta.config).toMatchObject({
      family: 'point-nav',
      algo: 'test-hill',
      seed: 7,
      iterations: 8,
    });
    expect(meta.backend.name).toBe('cpu');
    expect(meta.versions.node).toBe(process.version);
    expect((await readMetrics(dir)).map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await listCheckpoints(dir)).toEqual([3, 6, 8]);
    const ck = await readCheckpoint(checkpointDir(dir, 8));
    expect(ck.learner.iteration).toBe(8);
    expect(ck.learner.optimizerState).toEqual({ steps: 8 });
    expect(await fs.readFile(path.join(dir, 'events.log'), 'utf8')).toMatch(/checkpoint 8 written/);
    // Streams: a metrics event per iteration, progress within iterations, preview at 4 and 8.
    expect(events.filter((e) => e.s === 'mrl:metrics.added').map((e) => e.p.iteration)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(
      events.some(
        (e) => e.s === 'mrl:progress.changed' && e.p.phase === 'sampling' && e.p.fraction > 0,
      ),
    ).toBe(true);
    const previews = events
      .filter((e) => e.s === 'mrl:preview.added')
      .map((e) => e.p as StreamPayloads['mrl:preview.added']);
    expect(previews.map((p) => `${p.iteration}:${p.episode.stage}`)).toEqual([
      '4:0',
      '4:1',
      '4:2',
      '4:3',
      '8:0',
      '8:1',
      '8:2',
      '8:3',
    ]);
    const p0 = previews[0];
    expect(p0.scene.family).toBe('point-nav');
    expect(p0.episode.frames!.length).toBe(p0.episode.length + 1);
    expect(p0.episode.frames![0].length).toBe(21);
    // The preview task is a fixed held-out task: the same at every preview.
    expect(previews[4].task).toEqual(p0.task);
    const list = await trainer.dispatch('mrl:runs.list', {});
    expect(list.runs[0]).toMatchObject({
      runId,
      state: 'finished',
      iteration: 8,
      checkpoints: [3, 6, 8],
    });
    expect(list.runs[0].bestReturn).not.toBeNull();
  });

  it('a resumed run reproduces the uninterrupted metrics (after a stop and after a crash)', async () => {
    const a = await start(trainer, base);
    await trainer.whenIdle();
    const full = strip(await readMetrics(path.join(root, a.runId)));

    // Stopped by the user mid-run, then resumed (slowMs only stretches wall time, so the
    // stop surely lands before the end; it changes no number).
    const b = await start(trainer, { ...base, hyper: { slowMs: 40 } });
    await waitFor('mrl:metrics.added', (p) => p.runId === b.runId && p.iteration >= 4);
    const stopped = await trainer.dispatch('mrl:run.stop', { runId: b.runId });
    expect(stopped.status.state).toBe('stopped');
    expect(stopped.checkpoint).toBe(stopped.status.iteration);
    expect(stopped.status.iteration).toBeLessThan(8);
    // A fresh trainer (a new process in real life) resumes it from disk.
    await trainer.shutdown();
    trainer = make();
    await trainer.dispatch('mrl:run.resume', { runId: b.runId });
    await trainer.whenIdle();
    expect(strip(await readMetrics(path.join(root, b.runId)))).toEqual(full);

    // Crash after iteration 7 with only the periodic checkpoints on disk (3 and 6).
    const c = await start(trainer, base);
    await trainer.whenIdle();
    const cdir = path.join(root, c.runId);
    await fs.rm(checkpointDir(cdir, 8), { recursive: true });
    await fs.writeFile(
      path.join(cdir, 'state.json'),
      JSON.stringify({ state: 'running', iteration: 7 }),
    );
    trainer = make();
    const summary = (await trainer.dispatch('mrl:runs.list', {})).runs.find(
      (r) => r.runId === c.runId,
    )!;
    expect(summary.state).toBe('stopped');
    expect(summary.message).toMatch(/interrupted/);
    await trainer.dispatch('mrl:run.resume', { runId: c.runId });
    await trainer.whenIdle();
    expect(strip(await readMetrics(cdir))).toEqual(full);
    expect(await fs.readFile(path.join(cdir, 'events.log'), 'utf8')).toMatch(
      /resumed from checkpoint 6/,
    );
  });

  it('pauses and resumes between iterations, and resumes a finished run to a longer length', async () => {
    const { runId } = await start(trainer, { ...base, iterations: 6, hyper: { slowMs: 20 } });
    await waitFor('mrl:metrics.added', (p) => p.iteration >= 2);
    const paused = await trainer.dispatch('mrl:run.pause', { runId });
    expect(paused.status.state).toBe('paused');
    const at = paused.status.iteration;
    await new Promise((r) => setTimeout(r, 150));
    expect(trainer.status().iteration).toBe(at);
    await trainer.dispatch('mrl:run.resume', { runId });
    await trainer.whenIdle();
    expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 6 });
    await expect(trainer.dispatch('mrl:run.resume', { runId })).rejects.toThrow(
      /already has 6 iterations/,
    );
    await trainer.dispatch('mrl:run.resume', { runId, iterations: 9 });
    await trainer.whenIdle();
    expect(trainer.status()).toMatchObject({ state: 'finished', iteration: 9 });
    expect((await readMetrics(path.join(root, runId))).length).toBe(9);
  });

  it('stops a run with a non-finite loss, naming the iteration, and keeps the last good checkpoint', async () => {
    const { runId } = await start(trainer, { ...base, checkpointEvery: 2, hyper: { nanAt: 5 } });
    await trainer.whenIdle();
    const st = trainer.status();
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(/iteration 5: non-finite metric losses\/loss = NaN/);
    expect(st.message).toMatch(/last good checkpoint is iteration 4/);
    const err = events.find((e) => e.s === 'mrl:error.raised');
    expect(err?.p).toMatchObject({ runId, iteration: 5, fatal: true });
    const dir = path.join(root, runId);
    expect(await listCheckpoints(dir)).toEqual([2, 4]);
    expect((await readCheckpoint(checkpointDir(dir, 4))).learner.iteration).toBe(4);
    expect((await readMetrics(dir)).length).toBe(4);
    // The failed run still adapts from its last good checkpoint.
    const adapted = await trainer.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', { runId, steps: 1, episodesPerStage: 2 }),
    );
    expect(adapted.iteration).toBe(4);

    const p = await start(trainer, { ...base, checkpointEvery: 2, hyper: { nanParamsAt: 3 } });
    await trainer.whenIdle();
    expect(trainer.status().message).toMatch(
      /iteration 3: non-finite parameter "theta"\[0\] = NaN/,
    );
    expect(await listCheckpoints(path.join(root, p.runId))).toEqual([2]);
  });

  it('adapts a checkpoint to a chosen task with frames, and rejects a bad task naming the field', async () => {
    const { runId } = await start(trainer, { ...base, iterations: 3 });
    await trainer.whenIdle();
    const r = await trainer.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', {
        runId,
        task: { goal: [0.3, 0.2] },
        steps: 2,
        episodesPerStage: 3,
        framesPerStage: 1,
      }),
    );
    expect(r).toMatchObject({
      iteration: 3,
      algo: 'test-hill',
      family: 'point-nav',
      stageUnit: 'step',
      inDistribution: true,
      task: { goal: [0.3, 0.2] },
    });
    expect(r.returns).toHaveLength(3);
    expect(r.episodes).toHaveLength(9);
    expect(r.episodes.filter((e) => e.frames).map((e) => e.stage)).toEqual([0, 1, 2]);
    const far = await trainer.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', {
        runId,
        task: { goal: [1.5, 0] },
        steps: 1,
        episodesPerStage: 1,
      }),
    );
    expect(far.inDistribution).toBe(false);
    await expect(
      trainer.dispatch(
        'mrl:run.adapt',
        parseCommand('mrl:run.adapt', { runId, task: { goal: [9, 0] } }),
      ),
    ).rejects.toThrow(/goal\.0 = 9 is outside \[-2, 2\]/);
    const ev = await trainer.dispatch(
      'mrl:run.evaluate',
      parseCommand('mrl:run.evaluate', { runId, tasks: 3, steps: 2, episodesPerStage: 2 }),
    );
    expect(ev.returns).toHaveLength(3);
    // Each test task with its returns per stage; their mean is the stage's mean return.
    expect(ev.perTask).toHaveLength(3);
    expect(new Set(ev.perTask!.map((p) => JSON.stringify(p.task))).size).toBe(3);
    for (let s = 0; s < 3; s++) {
      const mean = ev.perTask!.reduce((a, p) => a + p.returns[s], 0) / 3;
      expect(mean).toBeCloseTo(ev.returns[s], 9);
    }
    const withBase = await trainer.dispatch(
      'mrl:run.evaluate',
      parseCommand('mrl:run.evaluate', {
        runId,
        tasks: 3,
        steps: 2,
        episodesPerStage: 2,
        baselines: ['random'],
      }),
    );
    expect(withBase.returns).toEqual(ev.returns);
    expect(withBase.baselines!.random).toHaveLength(3);
    expect(withBase.baselines!.random).not.toEqual(ev.returns);
    // Random init is fine-tuned with a step size chosen on training tasks, reported with it.
    expect(STEP_SIZE_GRID).toContain(withBase.baselineStepSizes!.random);
    await expect(
      trainer.dispatch(
        'mrl:run.evaluate',
        parseCommand('mrl:run.evaluate', { runId, tasks: 1, baselines: ['nope'] }),
      ),
    ).rejects.toThrow(/Baseline "nope"/);
    await trainer.dispatch('mrl:run.delete', { runId });
    expect((await trainer.dispatch('mrl:runs.list', {})).runs).toEqual([]);
  });

  it('rejects invalid configs naming the field', async () => {
    await expect(start(trainer, { ...base, family: 'moon-walk' })).rejects.toThrow(
      /Unknown environment family "moon-walk"/,
    );
    await expect(start(trainer, { ...base, hyper: { lr: -1 } })).rejects.toThrow(
      /config\.hyper\.lr/,
    );
    await expect(start(trainer, { ...base, hyper: { lrr: 1 } })).rejects.toThrow(
      /config\.hyper: unknown field "lrr"/,
    );
    await expect(start(trainer, { ...base, preview: { task: { goal: [5, 5] } } })).rejects.toThrow(
      /config\.preview\.task\.goal\.0/,
    );
  });

  it('lists families with a scene and learners with their schema', async () => {
    const f = await trainer.dispatch('mrl:families.list', {});
    const pn = f.families.find((x) => x.id === 'point-nav')!;
    expect(pn.scene.family).toBe('point-nav');
    expect(pn.previewFrame.length).toBe(21);
    const a = await trainer.dispatch('mrl:algos.list', {});
    const hill = a.algos.find((x) => x.id === 'test-hill')!;
    expect(hill.defaults).toMatchObject({ lr: 0.02 });
    expect(
      (hill.schema as { properties: Record<string, { maximum?: number }> }).properties.lr.maximum,
    ).toBe(10);
  });

  it('random junk never throws out of the message handler', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            kind: fc.constant('call'),
            id: fc.nat(),
            channel: fc.constantFrom(
              'mrl:run.pause',
              'mrl:run.adapt',
              'mrl:run.open',
              'mrl:run.delete',
              'mrl:tasks.sample',
              'mrl:bogus',
            ),
            payload: fc.anything(),
          }),
        ),
        async (junk) => {
          const reply = await trainer.handle(junk);
          if (reply) expect(reply.ok === false || reply.ok === true).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    // And it still works afterwards.
    const r = await trainer.handle({
      kind: 'call',
      id: 9,
      channel: 'mrl:trainer.status',
      payload: {},
    });
    expect(r).toMatchObject({ id: 9, ok: true, result: { status: { state: 'idle' } } });
  });
});
