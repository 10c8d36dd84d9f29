// Example runs and saved evaluations through the trainer (hill-climber test learner): an
// example folder's runs are listed as examples, open, adapt and evaluate, but refuse resume
// and delete and are never written to; every evaluation is kept with its run and returned by
// `mrl:run.open` in a new trainer (a reload), with the spread across tasks.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import { parseCommand } from '../../src/shared/protocol';
import { loadEvaluations, MAX_KEPT, saveEvaluation } from '../../src/training/savedEvaluations';
import './hillClimber';

let examples: string;
let runs: string;
const trainers: Trainer[] = [];

function make(runsRoot: string, examplesRoot: string | null): Trainer {
  const t = new Trainer({ runsRoot, examplesRoot, emit: () => {} });
  trainers.push(t);
  return t;
}

/** Every file under a folder with its size and modification time, to prove nothing was written. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    const st = await fs.stat(p);
    out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

beforeEach(async () => {
  examples = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-examples-'));
  runs = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-runs-'));
});
afterEach(async () => {
  for (const t of trainers.splice(0)) await t.shutdown();
  await fs.rm(examples, { recursive: true, force: true });
  await fs.rm(runs, { recursive: true, force: true });
});

const config = {
  family: 'point-nav',
  algo: 'test-hill',
  seed: 3,
  backend: 'cpu',
  iterations: 3,
  checkpointEvery: 3,
  previewEvery: 0,
  workers: 1,
} as const;

describe('example runs', () => {
  it('are listed, opened, adapted and evaluated, but never resumed, deleted or written to', async () => {
    const maker = make(examples, null);
    const { runId } = await maker.dispatch(
      'mrl:run.start',
      parseCommand('mrl:run.start', { config: { ...config, name: 'Example: hill' } }),
    );
    await maker.whenIdle();
    const before = await snapshot(examples);

    const t = make(runs, examples);
    const list = (await t.dispatch('mrl:runs.list', {})).runs;
    expect(list.map((r) => [r.runId, r.example, r.name])).toEqual([[runId, true, 'Example: hill']]);
    const adapted = await t.dispatch(
      'mrl:run.adapt',
      parseCommand('mrl:run.adapt', { runId, steps: 1, episodesPerStage: 2 }),
    );
    expect(adapted.returns).toHaveLength(2);
    await expect(t.dispatch('mrl:run.resume', { runId, iterations: 5 })).rejects.toThrow(
      /example run .* read-only: it cannot be resumed/,
    );
    await expect(t.dispatch('mrl:run.delete', { runId })).rejects.toThrow(
      /read-only: it cannot be deleted/,
    );
    const ev = await t.dispatch(
      'mrl:run.evaluate',
      parseCommand('mrl:run.evaluate', { runId, tasks: 3, steps: 1, episodesPerStage: 2 }),
    );
    expect(ev.stderr).toHaveLength(2);
    expect(await snapshot(examples)).toEqual(before);

    // A reload (a new trainer on the same folders) shows the evaluation again.
    const again = make(runs, examples);
    const opened = await again.dispatch('mrl:run.open', { runId });
    expect(opened.summary.example).toBe(true);
    expect(opened.evaluations).toHaveLength(1);
    expect(opened.evaluations[0]).toMatchObject({
      returns: ev.returns,
      stderr: ev.stderr,
      tasks: 3,
      episodesPerStage: 2,
      seed: 0,
    });
    // A user's own run of the same id takes precedence and is writable.
    expect((await make(runs, null).dispatch('mrl:runs.list', {})).runs).toEqual([]);
  });

  it("a user's run keeps its evaluations, with baselines, across a reload", async () => {
    const t = make(runs, null);
    const { runId } = await t.dispatch('mrl:run.start', parseCommand('mrl:run.start', { config }));
    await t.whenIdle();
    expect((await t.dispatch('mrl:run.open', { runId })).evaluations).toEqual([]);
    await t.dispatch(
      'mrl:run.evaluate',
      parseCommand('mrl:run.evaluate', {
        runId,
        tasks: 2,
        steps: 1,
        episodesPerStage: 2,
        baselines: ['random'],
      }),
    );
    const opened = await make(runs, null).dispatch('mrl:run.open', { runId });
    expect(opened.evaluations).toHaveLength(1);
    expect(opened.evaluations[0].baselines!.random).toHaveLength(2);
    expect(opened.evaluations[0].stderr!.every((x) => x >= 0)).toBe(true);
  });

  it('keeps the newest evaluations and reads a damaged file as none', async () => {
    const reply = {
      runId: 'r',
      iteration: 1,
      stageUnit: 'step' as const,
      tasks: 1,
      returns: [-1, -0.5],
    };
    for (let i = 0; i < MAX_KEPT + 3; i++)
      await saveEvaluation(runs, { ...reply, iteration: i }, { episodesPerStage: 1, seed: 0 });
    const kept = await loadEvaluations(runs);
    expect(kept.map((e) => e.iteration)).toEqual(Array.from({ length: MAX_KEPT }, (_, i) => i + 3));
    await fs.writeFile(path.join(runs, 'evaluations.json'), '{not json');
    expect(await loadEvaluations(runs)).toEqual([]);
  });
});
