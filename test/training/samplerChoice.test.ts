// The run config's sampler choice as the trainer checks it (no Redis needed here; the
// distributed runs themselves are in test/cluster).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import { parseCommand } from '../../src/shared/protocol';
import { configFromFlags } from '../../src/cli/commands/train';

let root: string;
let trainer: Trainer;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-sampler-'));
  trainer = new Trainer({ runsRoot: root, emit: () => {} });
});
afterEach(async () => {
  await trainer.shutdown();
  await fs.rm(root, { recursive: true, force: true });
});

describe('sampler choice', () => {
  it('keeps a Redis sampler for MAML-family learners and refuses it for RL², naming the field', () => {
    const ok = trainer.resolveConfig(
      parseCommand('mrl:run.start', {
        config: { family: 'point-nav', algo: 'maml', sampler: 'redis://10.0.0.5:6379' },
      }).config,
    );
    expect(ok.config.sampler).toBe('redis://10.0.0.5:6379');
    expect(() =>
      trainer.resolveConfig(
        parseCommand('mrl:run.start', {
          config: { family: 'point-nav', algo: 'rl2', sampler: 'redis://10.0.0.5:6379' },
        }).config,
      ),
    ).toThrow(
      /config\.sampler: RL² samples in the trainer; rollout workers serve maml, pretrained, oracle/,
    );
    expect(
      trainer.resolveConfig(
        parseCommand('mrl:run.start', {
          config: { family: 'point-nav', algo: 'rl2', sampler: 'local' },
        }).config,
      ).config.sampler,
    ).toBe('local');
  });

  it('metarl train --sampler moves a password out of the stored config into the trainer environment', () => {
    const before = process.env.METARL_REDIS_PASSWORD;
    try {
      const config = configFromFlags({
        out: 'runs',
        env: 'point-nav',
        algo: 'maml',
        sampler: 'redis://default:s3cret@10.0.0.5:6379',
      });
      expect(config.sampler).toBe('redis://default@10.0.0.5:6379');
      expect(process.env.METARL_REDIS_PASSWORD).toBe('s3cret');
      expect(() => configFromFlags({ out: 'runs', sampler: 'tcp://x' })).toThrow(
        /config\.sampler: must be "local" or a URL starting with redis:\/\//,
      );
    } finally {
      if (before === undefined) delete process.env.METARL_REDIS_PASSWORD;
      else process.env.METARL_REDIS_PASSWORD = before;
    }
  });
});

describe('cluster status on the wire', () => {
  it('the status event schema keeps the rollout workers for the dashboard', async () => {
    const { StreamSchemas } = await import('../../src/shared/protocol');
    const worker = {
      id: 'h:1:x',
      host: 'h',
      pid: 1,
      version: '0.1.0',
      concurrency: 2,
      jobs: 3,
      steps: 600,
      stepsPerSec: 1500,
      failures: 1,
      lastError: 'boom',
      startedAt: 1,
      seenAt: 2,
    };
    const status = {
      state: 'running',
      runId: 'r',
      family: 'point-nav',
      algo: 'maml',
      iteration: 1,
      iterations: 2,
      backend: 'wasm',
      elapsedMs: 0,
      etaMs: null,
    };
    const parsed = StreamSchemas['mrl:status.changed'].parse({
      ...status,
      cluster: { url: 'redis://h:6379', connected: true, workers: [worker] },
    });
    expect(parsed.cluster?.workers[0]).toEqual(worker);
    expect(
      StreamSchemas['mrl:status.changed'].safeParse({
        ...status,
        cluster: { url: 'x', connected: true, workers: [{ id: 1 }] },
      }).success,
    ).toBe(false);
  });
});
