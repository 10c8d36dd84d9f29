// Meta-training through rollout workers, as a user runs it: the trainer with
// `sampler: redis://…` gives the same metrics and parameters as with local threads, and its
// status lists the connected workers; `metarl train --sampler` with a password-protected
// Redis and a `metarl worker` process finishes a run whose config.json holds no password.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer';
import { readMetrics } from '../../src/training/runDir';
import { checkpointDir, readCheckpoint, listCheckpoints } from '../../src/training/checkpoint';
import { parseCommand, type MetricsRow, type TrainerStatus } from '../../src/shared/protocol';
import type { RunConfigInput } from '../../src/shared/config';
import { RolloutWorker } from '../../src/samplers/redisWorker';
import { sleep } from './helpers';
import { startRedis, type TestRedis } from './redisServer';

let root: string;
let redis: TestRedis;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-cluster-'));
  redis = await startRedis();
});
afterAll(async () => {
  await redis.kill();
  await fs.rm(root, { recursive: true, force: true });
});

const hyper = { metaBatchSize: 4, episodesPerTask: 5, cgIters: 3, updateThreads: 1 };
const strip = (rows: MetricsRow[]) =>
  rows.map((r) =>
    Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('time/'))),
  );

async function train(config: RunConfigInput, onStatus?: (s: TrainerStatus) => void) {
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const trainer = new Trainer({
    runsRoot: root,
    emit: (s, p) => {
      if (s !== 'mrl:status.changed') return;
      const st = p as TrainerStatus;
      onStatus?.(st);
      if (['finished', 'failed', 'stopped'].includes(st.state)) done();
    },
  });
  const { runId } = await trainer.dispatch(
    'mrl:run.start',
    parseCommand('mrl:run.start', { config }),
  );
  await finished;
  const status = trainer.status();
  await trainer.shutdown();
  const dir = path.join(root, runId);
  const ckpt = await readCheckpoint(checkpointDir(dir, (await listCheckpoints(dir)).at(-1)!));
  return { status, metrics: await readMetrics(dir), theta: ckpt.learner.params.theta.data };
}

describe('training through rollout workers', () => {
  it('MAML with sampler redis:// equals MAML with local threads, and the status shows the workers', async () => {
    const base: RunConfigInput = {
      family: 'point-nav',
      algo: 'maml',
      seed: 3,
      backend: 'cpu',
      iterations: 2,
      previewEvery: 0,
      workers: 1,
      hyper,
    };
    const local = await train(base);
    const workers = [
      new RolloutWorker({ url: redis.url, concurrency: 1, heartbeatMs: 200 }),
      new RolloutWorker({ url: redis.url, concurrency: 1, heartbeatMs: 200 }),
    ];
    let seen: TrainerStatus['cluster'] | undefined;
    try {
      const remote = await train({ ...base, sampler: redis.url }, (s) => {
        if (s.cluster && s.cluster.workers.length === 2) seen = s.cluster;
      });
      expect(remote.status.state).toBe('finished');
      expect(strip(remote.metrics)).toEqual(strip(local.metrics));
      expect(Buffer.from(remote.theta.buffer).equals(Buffer.from(local.theta.buffer))).toBe(true);
      expect(seen?.url).toBe(redis.url);
      expect(seen?.workers.map((w) => w.id).sort()).toEqual(workers.map((w) => w.id).sort());
      expect(workers.reduce((a, w) => a + w.stats().jobs, 0)).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((w) => w.close(true)));
    }
  });

  it('metarl train --sampler with a password and a metarl worker process', async () => {
    const secured = await startRedis({ password: 'pw-123' });
    const url = `redis://default:pw-123@127.0.0.1:${secured.port}`;
    const bin = new URL('../../bin/metarl.js', import.meta.url).pathname;
    const worker = spawn(process.execPath, [bin, 'worker', '--redis', url, '--concurrency', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerOut = '';
    worker.stdout.on('data', (d: Buffer) => (workerOut += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (workerOut += d.toString()));
    try {
      const out = path.join(root, 'cli');
      const args = [
        bin,
        'train',
        '--env',
        'point-nav',
        '--algo',
        'pretrained',
        '--iterations',
        '1',
        '--backend',
        'cpu',
        '--preview-every',
        '0',
        '--quiet',
        '--out',
        out,
        '--sampler',
        url,
      ];
      for (const [k, v] of Object.entries(hyper))
        if (k !== 'updateThreads') args.push('--hp', `${k}=${v}`);
      const train = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      train.stdout.on('data', (d: Buffer) => (text += d.toString()));
      train.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const code = await new Promise<number | null>((r) => train.once('exit', r));
      expect(code, text).toBe(0);
      const [runId] = await fs.readdir(out);
      const stored = await fs.readFile(path.join(out, runId, 'config.json'), 'utf8');
      expect(stored).toContain(`redis://default@127.0.0.1:${secured.port}`);
      expect(stored).not.toContain('pw-123');
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      expect(workerOut).toMatch(/stopped after [1-9]\d* job\(s\)/);
      expect(workerOut).not.toContain('pw-123');
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await sleep(50);
      await secured.kill();
    }
  });
});
