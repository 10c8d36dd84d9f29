// Faults the Redis sampler must survive without losing or double-counting an episode: a
// worker process killed with SIGKILL in the middle of a job, and Redis itself restarted
// (empty: no persistence) in the middle of a batch. And when Redis stays away, a clear error.
import { type ChildProcess, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { Sampler } from '../../src/samplers/sampler';
import { RedisSampler } from '../../src/samplers/redisSampler';
import { RolloutWorker } from '../../src/samplers/redisWorker';
import { connectRedis, parseRedisUrl } from '../../src/samplers/redisConnection';
import { QUEUE_NAME } from '../../src/samplers/rolloutJob';
import { firstDifference, request, sleep } from './helpers';
import { startRedis, type TestRedis } from './redisServer';

const bin = new URL('../../bin/metarl.js', import.meta.url).pathname;
const started: {
  redis: TestRedis[];
  procs: ChildProcess[];
  workers: RolloutWorker[];
  samplers: (RedisSampler | Sampler)[];
} = {
  redis: [],
  procs: [],
  workers: [],
  samplers: [],
};

afterEach(async () => {
  for (const p of started.procs)
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(started.samplers.map((s) => s.close()));
  await Promise.all(started.workers.map((w) => w.close(true)));
  await Promise.all(started.redis.map((r) => r.kill()));
  started.redis = [];
  started.procs = [];
  started.workers = [];
  started.samplers = [];
});

/** A `metarl worker` process; resolves once it takes jobs. */
function workerProcess(url: string): Promise<ChildProcess> {
  const p = spawn(
    process.execPath,
    [
      bin,
      'worker',
      '--redis',
      url,
      '--concurrency',
      '1',
      '--lock-duration',
      '1500',
      '--stalled-interval',
      '500',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.procs.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('taking jobs')) resolve(p);
    });
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before taking jobs: ${out}`)),
    );
  });
}

describe('Redis sampler faults', () => {
  it('a worker killed with SIGKILL mid-job: its job is done by another worker, nothing lost or counted twice', async () => {
    const redis = await startRedis();
    started.redis.push(redis);
    const [victim] = await Promise.all([workerProcess(redis.url), workerProcess(redis.url)]);
    // Four jobs long enough (thousands of steps each) to be caught in the middle.
    const req = request('cheetah-vel', { tasks: 4, episodes: 30 });
    const s = new RedisSampler({ url: redis.url, learner: 'maml', sweepMs: 200 });
    const local = new Sampler(0);
    started.samplers.push(s, local);
    const pending = s.sample(req);
    const conn = connectRedis(parseRedisUrl(redis.url), 'test-watch');
    const queue = new Queue(QUEUE_NAME, { connection: conn });
    let killed = false;
    for (let i = 0; i < 400 && !killed; i++) {
      const active = await queue.getJobs(['active']);
      if (active.some((j) => j.processedBy?.includes(`:${victim.pid}:`))) {
        victim.kill('SIGKILL');
        killed = true;
      } else await sleep(25);
    }
    expect(killed).toBe(true);
    const got = await pending;
    expect(victim.signalCode).toBe('SIGKILL');
    expect(got.episodes.flat()).toHaveLength(120);
    expect(firstDifference(got, await local.sample(req))).toBeNull();
    await queue.close();
    conn.disconnect();
  });

  it('Redis restarted (empty) mid-batch: the sampler waits, re-publishes and returns the exact batch', async () => {
    const redis = await startRedis();
    started.redis.push(redis);
    let done = 0;
    for (let i = 0; i < 2; i++) {
      started.workers.push(
        new RolloutWorker({
          url: redis.url,
          concurrency: 1,
          heartbeatMs: 200,
          beforeJob: () => sleep(60),
        }),
      );
    }
    const req = request('point-nav', { tasks: 12, episodes: 4, perTaskParams: true });
    const s = new RedisSampler({
      url: redis.url,
      learner: 'maml',
      sweepMs: 200,
      episodesPerJob: 2,
    });
    const local = new Sampler(0);
    started.samplers.push(s, local);
    const pending = s.sample(req);
    const counter = setInterval(
      () => (done = started.workers.reduce((a, w) => a + w.stats().jobs, 0)),
      20,
    );
    while (done < 4) await sleep(20);
    const jobsDone = () => started.workers.reduce((a, w) => a + w.stats().jobs, 0);
    const doneAtKill = jobsDone();
    await redis.kill();
    await sleep(700);
    await redis.start();
    const got = await pending;
    clearInterval(counter);
    // Redis went away mid-batch, and every one of the 24 jobs was rolled out at least once
    // (a job whose result Redis lost is rolled out again).
    expect(doneAtKill).toBeLessThan(24);
    expect(jobsDone()).toBeGreaterThanOrEqual(24);
    expect(got.episodes.flat()).toHaveLength(48);
    expect(firstDifference(got, await local.sample(req))).toBeNull();
  });

  it('Redis gone for longer than the limit: the batch fails with a clear message, never partially', async () => {
    const redis = await startRedis();
    started.redis.push(redis);
    const w = new RolloutWorker({ url: redis.url, concurrency: 1, beforeJob: () => sleep(100) });
    started.workers.push(w);
    const s = new RedisSampler({
      url: redis.url,
      learner: 'maml',
      sweepMs: 100,
      redisDownTimeoutMs: 1000,
      episodesPerJob: 1,
    });
    started.samplers.push(s);
    const pending = s.sample(request('point-nav', { tasks: 4, episodes: 4 }));
    const outcome = pending.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    while (w.stats().jobs < 2) await sleep(20);
    await redis.kill();
    expect(await outcome).toMatch(
      /lost Redis at redis:\/\/127\.0\.0\.1:\d+ for more than 1 s while sampling \(\d+ of 16 jobs unfinished\); no partial batch was used/,
    );
  });
});
