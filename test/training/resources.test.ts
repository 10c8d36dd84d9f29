// Resource bounds: the memory a config asks for is estimated before anything trains and a
// config far beyond the machine is refused with the estimate in the message (unless it says
// allowLarge); every learner's defaults fit easily; coefficients have upper bounds; a
// non-finite value is reported as such with the field's range.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import {
  estimateTrainingMemory,
  formatBytes,
  memoryLimitBytes,
  memoryRefusal,
} from '../../src/training/resources';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { listFamilies } from '../../envs/registry';
import { parseCommand } from '../../src/shared/protocol';
import { parseRunConfig } from '../../src/shared/config';

let root: string;
let trainer: Trainer;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-res-'));
  trainer = new Trainer({ runsRoot: root, emit: () => {} });
});
afterEach(async () => {
  await trainer.shutdown();
  await fs.rm(root, { recursive: true, force: true });
});

const bomb = {
  family: 'point-nav',
  algo: 'maml',
  backend: 'cpu',
  hyper: { hidden: [1024, 1024, 1024, 1024], metaBatchSize: 1000, episodesPerTask: 1000 },
} as const;

describe('memory estimate', () => {
  it('refuses the memory-bomb config before creating anything, with the estimate in the message', async () => {
    const err = (await trainer
      .dispatch('mrl:run.start', parseCommand('mrl:run.start', { config: bomb }))
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^Run config refused: This run would need about [\d.]+ TB of memory \(1000 tasks × 1000 episodes × 100 steps × 2 stages = 200,000,000 steps held, .*\), above the limit of [\d.]+ GB .*--allow-large/,
    );
    expect(await fs.readdir(root)).toEqual([]);
    // On a machine that has it, the config says so.
    expect(() =>
      trainer.resolveConfig(parseRunConfig({ ...bomb, allowLarge: true })),
    ).not.toThrow();
  });

  it('the estimate grows with tasks, episodes, horizon, stages and width, and every default fits', () => {
    const maml = getAlgo('maml');
    const fam = { observationSize: 2, actionSize: 2, horizon: 100 };
    const base = estimateTrainingMemory(fam, maml, resolveHyper(maml, 'point-nav'));
    expect(base.steps).toBe(20 * 20 * 100 * 2);
    const more = (h: Record<string, unknown>) =>
      estimateTrainingMemory(fam, maml, resolveHyper(maml, 'point-nav', h as never)).bytes;
    expect(more({ metaBatchSize: 40 })).toBeGreaterThan(1.9 * base.bytes);
    expect(more({ episodesPerTask: 40 })).toBeGreaterThan(1.9 * base.bytes);
    expect(more({ innerSteps: 3 })).toBeGreaterThan(1.9 * base.bytes);
    expect(more({ hidden: [256, 256] })).toBeGreaterThan(1.9 * base.bytes);
    expect(
      estimateTrainingMemory({ ...fam, horizon: 200 }, maml, resolveHyper(maml, 'point-nav')).bytes,
    ).toBeGreaterThan(1.9 * base.bytes);
    for (const algo of ['maml', 'rl2', 'pretrained', 'oracle', 'nearest-task']) {
      const spec = getAlgo(algo);
      for (const f of listFamilies()) {
        const e = estimateTrainingMemory(f, spec, resolveHyper(spec, f.id));
        expect(e.bytes, `${algo} on ${f.id}: ${formatBytes(e.bytes)}`).toBeLessThan(1024 ** 3);
        expect(memoryRefusal(e, false, 2 * 1024 ** 3)).toBeNull();
      }
    }
    expect(memoryLimitBytes()).toBe(Math.floor(os.totalmem() / 2));
  });
});

describe('hyper-parameter bounds', () => {
  it('RL² coefficients that had no upper bound are refused above one, naming the range', () => {
    for (const [field, max] of [
      ['valueCoef', 100],
      ['entropyCoef', 10],
      ['maxGradNorm', 1000],
      ['targetKl', 10],
      ['rewardInputScale', 100],
      ['inputClip', 1000],
    ] as const) {
      expect(() =>
        trainer.resolveConfig(
          parseRunConfig({ family: 'point-nav', algo: 'rl2', hyper: { [field]: 1e308 } }),
        ),
      ).toThrow(
        new RegExp(
          `config\\.hyper\\.${field}: Too big: expected number to be <=${max} \\(got 1e\\+308\\)`,
        ),
      );
    }
  });

  it('a non-finite value is reported as not finite, with the range (not as "got null")', () => {
    const err = () =>
      trainer.resolveConfig(parseRunConfig({ family: 'point-nav', algo: 'maml', hyper: {} }));
    expect(err).not.toThrow();
    expect(() =>
      trainer.resolveConfig({
        ...parseRunConfig({ family: 'point-nav', algo: 'maml' }),
        hyper: { innerLr: Infinity },
      }),
    ).toThrow(
      /config\.hyper\.innerLr: not finite \(got Infinity\); must be a finite number in \[0, 100\]/,
    );
    expect(() =>
      trainer.resolveConfig({
        ...parseRunConfig({ family: 'point-nav', algo: 'maml' }),
        hyper: { hidden: [64, -Infinity] },
      }),
    ).toThrow(
      /config\.hyper\.hidden\.1: not finite \(got -Infinity\); must be a finite number in \[1, 1024\]/,
    );
    expect(() => parseRunConfig({ family: 'point-nav', algo: 'maml', seed: NaN })).toThrow(
      /config\.seed: not finite \(got NaN\); must be a finite number in \[0, 2147483647\]/,
    );
  });
});
