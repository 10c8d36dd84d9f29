// The Redis sampler against a real redis-server: the same episodes as the local sampler,
// bit for bit, for 1, 2 and 3 workers of uneven speed; malformed jobs and workers of another
// app version refused; a password-protected Redis.
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Sampler } from '../../src/samplers/sampler';
import { RedisSampler, listWorkers } from '../../src/samplers/redisSampler';
import { RolloutWorker } from '../../src/samplers/redisWorker';
import { connectRedis, parseRedisUrl } from '../../src/samplers/redisConnection';
import { QUEUE_NAME } from '../../src/samplers/rolloutJob';
import { firstDifference, request, sleep } from './helpers';
import { startRedis, type TestRedis } from './redisServer';

let redis: TestRedis;
const local = new Sampler(0);
let workers: RolloutWorker[] = [];
let samplers: RedisSampler[] = [];

function worker(opts: Partial<ConstructorParameters<typeof RolloutWorker>[0]> = {}): RolloutWorker {
  const w = new RolloutWorker({ url: redis.url, concurrency: 1, heartbeatMs: 200, ...opts });
  workers.push(w);
  return w;
}
function sampler(opts: Partial<ConstructorParameters<typeof RedisSampler>[0]> = {}): RedisSampler {
  const s = new RedisSampler({ url: redis.url, learner: 'maml', sweepMs: 200, ...opts });
  samplers.push(s);
  return s;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(samplers.map((s) => s.close()));
  await Promise.all(workers.map((w) => w.close(true)));
  samplers = [];
  workers = [];
});
afterAll(async () => {
  await local.close();
  await redis.kill();
});

describe('RedisSampler', () => {
  it.each([1, 2, 3])(
    'returns the local sampler’s episodes bit for bit with %i worker(s) of uneven speed',
    async (n) => {
      // Per-task θ (as after inner adaptation), several jobs per task, uneven job times.
      const req = request('point-nav', { tasks: 5, episodes: 6, perTaskParams: true });
      for (let i = 0; i < n; i++) {
        worker({ beforeJob: (j) => sleep(((i * 7 + j.taskIndex * 3 + j.e0) % 5) * 15) });
      }
      const s = sampler({ episodesPerJob: 2 });
      const [want, got] = await Promise.all([local.sample(req), s.sample(req)]);
      expect(got.episodes.flat()).toHaveLength(30);
      expect(firstDifference(got, want)).toBeNull();
      // Every worker's heartbeat is visible while it runs.
      const conn = connectRedis(parseRedisUrl(redis.url), 'test');
      const seen = await listWorkers(conn);
      conn.disconnect();
      expect(seen.map((w) => w.id).sort()).toEqual(workers.map((w) => w.id).sort());
      expect(seen.reduce((a, w) => a + w.steps, 0)).toBeGreaterThanOrEqual(0);
      expect(workers.reduce((a, w) => a + w.stats().steps, 0)).toBe(want.steps);
    },
  );

  it('matches on a robot family with per-task seeds and recorded frames (adaptation / viewer requests)', async () => {
    const req = request('cheetah-vel', { tasks: 3, episodes: 2, taskSeeds: true, frames: true });
    worker({ concurrency: 2 });
    const s = sampler();
    // Two overlapping calls (two parameter versions) on the same sampler.
    const req2 = { ...req, seed: 99, taskSeeds: undefined, recordFrames: false };
    const [got, again] = await Promise.all([s.sample(req), s.sample(req2)]);
    expect(firstDifference(got, await local.sample(req))).toBeNull();
    expect(firstDifference(again, await local.sample(req2))).toBeNull();
  });

  it('refuses a malformed job (no retries), fails the batch clearly, and keeps working', async () => {
    const w = worker();
    await w.ready();
    const conn = connectRedis(parseRedisUrl(redis.url), 'test-producer');
    const queue = new Queue(QUEUE_NAME, { connection: conn });
    const events = new QueueEvents(QUEUE_NAME, {
      connection: connectRedis(parseRedisUrl(redis.url), 'test-events'),
    });
    await events.waitUntilReady();
    const failed = new Promise<string>((resolve) =>
      events.on('failed', ({ failedReason }) => resolve(failedReason)),
    );
    const good = request('point-nav', { tasks: 1, episodes: 1 });
    const job = await queue.add(
      'rollout',
      {
        protocol: 1,
        appVersion: (await import('../../src/samplers/rolloutJob')).appVersion(),
        learner: 'maml',
        familyId: 'point-nav',
        code: 'process.exit(1)',
        spec: good.spec,
      },
      { attempts: 5 },
    );
    const reason = await failed;
    expect(reason).toMatch(/refused job .*invalid payload/s);
    expect(reason).toMatch(/unknown field "code"/);
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
    // Unknown families and learners are refused the same way, by the schema / registry.
    const s = sampler();
    await expect(s.sample({ ...good, familyId: 'no-such-family' })).rejects.toThrow(
      /Unknown environment family/,
    );
    expect(() => new RedisSampler({ url: redis.url, learner: 'rl2' })).toThrow(/serves maml/);
    // The worker still takes good jobs.
    expect(firstDifference(await s.sample(good), await local.sample(good))).toBeNull();
    await events.close();
    await queue.close();
    conn.disconnect();
  });

  it('a worker of another app version refuses the job and stops; a matching worker does it', async () => {
    const stale = worker({ appVersion: '0.0.0-old' });
    const req = request('point-nav', { tasks: 2, episodes: 3 });
    const s = sampler();
    const pending = s.sample(req);
    const reason = await stale.refused;
    expect(reason).toMatch(/app version .* this worker is 0\.0\.0-old/);
    worker();
    const got = await pending;
    expect(firstDifference(got, await local.sample(req))).toBeNull();
    expect(stale.stats().jobs).toBe(0);
  });

  it('fails a batch clearly when no worker of this version is alive', async () => {
    const s = sampler({ noWorkerTimeoutMs: 600 });
    await expect(s.sample(request('point-nav', { tasks: 1, episodes: 1 }))).rejects.toThrow(
      /no rollout worker of app version .*`metarl worker --redis redis:\/\/127\.0\.0\.1/,
    );
  });
});

describe('RedisSampler with a password', () => {
  it('logs in with user:pass@ in the URL and reports a wrong password', async () => {
    const secured = await startRedis({ password: 's3cret' });
    try {
      const url = `redis://default:s3cret@127.0.0.1:${secured.port}`;
      const w = new RolloutWorker({ url, concurrency: 1 });
      const s = new RedisSampler({ url, learner: 'pretrained' });
      const req = request('reacher', { tasks: 2, episodes: 2 });
      expect(firstDifference(await s.sample(req), await local.sample(req))).toBeNull();
      expect(s.target.display).not.toContain('s3cret');
      await s.close();
      await w.close();
      const bad = new RedisSampler({
        url: `redis://default:wrong@127.0.0.1:${secured.port}`,
        learner: 'maml',
        redisDownTimeoutMs: 1500,
      });
      await expect(bad.sample(req)).rejects.toThrow(
        /cannot reach Redis at redis:\/\/default:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/,
      );
      await bad.close();
    } finally {
      await secured.kill();
    }
  });
});
