// The distributed sampler: the same `sample(req)` as the local one, with the episodes rolled
// out by `metarl worker` processes on any number of machines through a BullMQ queue.
//
// One sampling call = one parameter version: θ (one vector, or one per task after inner
// adaptation) is written once to a Redis key, then one job per (task, episode range) names
// that key, the task, the range and the seeds. Workers write each job's episodes to the job's
// result key; the sampler collects them by job and assembles them in job order. Episode
// seeds depend only on (seed, task, episode index) (rollout.ts), so the batch is
// bit-identical to the local sampler's whatever the number, speed or order of workers.
//
// Faults: BullMQ retries a job that failed and re-queues one whose worker died (stalled
// lock). If Redis goes away mid-batch the sampler waits for it; on reconnection it puts the
// parameters back and re-adds every job that is neither done nor queued (a restart without
// persistence loses the queue), so the batch completes with exactly one result per job.
// If Redis stays away, a job is refused, or no worker is alive for too long, the call
// rejects with a message saying so: a partial batch is never returned.
import os from 'node:os';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ClusterWorkerInfoSchema, type ClusterWorkerInfo } from '../shared/cluster';
import { resolveFamily } from './families';
import { type Episode, type SampleRequest, validateRequest } from './rollout';
import type { SampleResult } from './sampler';
import { connectRedis, parseRedisUrl, type RedisTarget } from './redisConnection';
import {
  appVersion,
  DATA_TTL_MS,
  decodeEpisodes,
  encodeParams,
  KEY_PREFIX,
  QUEUE_NAME,
  REMOTE_LEARNERS,
  type RolloutJob,
} from './rolloutJob';

export interface RedisSamplerOptions {
  url: string;
  /** The learner whose policy is sampled (workers refuse learners they do not know). */
  learner: string;
  /** Episodes per job (default: all of a task's episodes in one job). */
  episodesPerJob?: number;
  /** Give up on a batch when Redis has been unreachable this long (ms). */
  redisDownTimeoutMs?: number;
  /** Give up on a batch when no worker has been alive this long (ms). */
  noWorkerTimeoutMs?: number;
  /** How often outstanding jobs are checked besides the completion events (ms). */
  sweepMs?: number;
  /** BullMQ attempts per job before the batch fails. */
  attempts?: number;
  log?: (line: string) => void;
}

interface PlannedJob {
  id: string;
  index: number;
  data: RolloutJob;
}

interface Batch {
  paramsKey: string;
  params: Buffer;
  jobs: PlannedJob[];
  byId: Map<string, PlannedJob>;
  results: (Episode[] | undefined)[];
  outstanding: Set<string>;
  collecting: Set<string>;
  resolve: () => void;
  reject: (err: Error) => void;
  failed: boolean;
}

/** Live workers, from their heartbeat keys. */
export async function listWorkers(redis: Redis): Promise<ClusterWorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}:worker:*`, 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(keys);
  const out: ClusterWorkerInfo[] = [];
  for (const v of values) {
    if (!v) continue;
    try {
      const parsed = ClusterWorkerInfoSchema.safeParse(JSON.parse(v));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // A malformed heartbeat is not a worker.
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Samplers made by this process so far (part of each sampler's instance name). */
let samplerSerial = 0;

export class RedisSampler {
  readonly target: RedisTarget;
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly clients: Redis[];
  private readonly instance: string;
  private version = 0;
  private batch: Batch | null = null;
  private queueTail: Promise<void> = Promise.resolve();
  private downSince: number | null = null;
  private lastError = '';
  private ready: Promise<void> | null = null;
  private closed = false;
  private readonly appVersion = appVersion();

  constructor(private readonly opts: RedisSamplerOptions) {
    if (!(REMOTE_LEARNERS as readonly string[]).includes(opts.learner)) {
      throw new Error(
        `the Redis sampler serves ${REMOTE_LEARNERS.join(', ')}; "${opts.learner}" samples in the trainer`,
      );
    }
    if (
      opts.episodesPerJob !== undefined &&
      !(Number.isInteger(opts.episodesPerJob) && opts.episodesPerJob >= 1)
    ) {
      throw new Error(`episodesPerJob must be a positive integer, got ${opts.episodesPerJob}`);
    }
    this.target = parseRedisUrl(opts.url);
    // The serial keeps two samplers made in the same millisecond by one process apart.
    this.instance = `${os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${process.pid}-${Date.now().toString(36)}-${++samplerSerial}`;
    const onError = (err: Error) => (this.lastError = err.message);
    this.redis = connectRedis(this.target, `metarl-trainer:${this.instance}`, onError);
    this.redis.on('close', () => (this.downSince ??= Date.now()));
    this.redis.on('ready', () => {
      const wasDown = this.downSince !== null;
      this.downSince = null;
      if (wasDown && this.batch) {
        this.opts.log?.(`Redis at ${this.target.display} is back: checking the batch's jobs`);
        void this.sweep(true);
      }
    });
    const queueClient = connectRedis(this.target, `metarl-trainer-queue:${this.instance}`, onError);
    const eventsClient = connectRedis(
      this.target,
      `metarl-trainer-events:${this.instance}`,
      onError,
    );
    this.clients = [this.redis, queueClient, eventsClient];
    this.queue = new Queue(QUEUE_NAME, { connection: queueClient });
    this.queue.on('error', (err) => (this.lastError = err.message));
    this.events = new QueueEvents(QUEUE_NAME, { connection: eventsClient });
    this.events.on('error', (err) => (this.lastError = err.message));
    this.events.on('completed', ({ jobId }) => void this.collect(jobId));
    this.events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
  }

  private connect(): Promise<void> {
    this.ready ??= (async () => {
      const timeout = this.opts.redisDownTimeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `cannot reach Redis at ${this.target.display} within ${Math.round(timeout / 1000)} s${this.lastError ? ` (${this.lastError})` : ''}`,
              ),
            ),
          timeout,
        );
      });
      try {
        await Promise.race([
          Promise.all([
            this.redis.ping(),
            this.queue.waitUntilReady(),
            this.events.waitUntilReady(),
          ]),
          giveUp,
        ]);
      } catch (err) {
        const msg = (err as Error).message;
        throw new Error(
          msg.startsWith('cannot reach')
            ? msg
            : `cannot reach Redis at ${this.target.display}: ${msg}`,
        );
      } finally {
        clearTimeout(timer);
      }
    })();
    this.ready.catch(() => (this.ready = null));
    return this.ready;
  }

  /** Calls overlap safely: each waits for the one before (one batch in flight at a time). */
  sample(req: SampleRequest): Promise<SampleResult> {
    const run = this.queueTail.then(() => this.sampleOne(req));
    this.queueTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async sampleOne(req: SampleRequest): Promise<SampleResult> {
    if (this.closed) throw new Error('Sampler is closed');
    validateRequest(req);
    const family = resolveFamily(req.familyId);
    await this.connect();
    const E = req.episodesPerTask;
    const chunk = Math.min(E, this.opts.episodesPerJob ?? E);
    const v = ++this.version;
    const tag = `${this.instance}.${v}`;
    const paramsKey = `${KEY_PREFIX}:params:${tag}`;
    const jobs: PlannedJob[] = [];
    req.tasks.forEach((task, t) => {
      for (let e0 = 0; e0 < E; e0 += chunk) {
        const id = `${tag}.${t}.${e0}`;
        const data: RolloutJob = {
          protocol: 1,
          appVersion: this.appVersion,
          learner: this.opts.learner as RolloutJob['learner'],
          familyId: family.id,
          paramsKey,
          paramsCount: req.params.length,
          paramsIndex: req.params.length === 1 ? 0 : t,
          spec: { ...req.spec, hidden: [...req.spec.hidden] },
          task,
          taskIndex: t,
          episodesPerTask: E,
          e0,
          e1: Math.min(E, e0 + chunk),
          seed: req.seed,
          ...(req.taskSeeds ? { taskSeed: req.taskSeeds[t] } : {}),
          deterministic: req.deterministic === true,
          normalizeActions: req.normalizeActions === true,
          recordFrames: req.recordFrames === true,
          resultKey: `${KEY_PREFIX}:result:${id}`,
        };
        jobs.push({ id, index: jobs.length, data });
      }
    });
    const batch: Batch = {
      paramsKey,
      params: encodeParams(req.params),
      jobs,
      byId: new Map(jobs.map((j) => [j.id, j])),
      results: new Array(jobs.length),
      outstanding: new Set(jobs.map((j) => j.id)),
      collecting: new Set(),
      resolve: () => {},
      reject: () => {},
      failed: false,
    };
    const done = new Promise<void>((resolve, reject) => {
      batch.resolve = resolve;
      batch.reject = reject;
    });
    this.batch = batch;
    let watchdog: NodeJS.Timeout | undefined;
    try {
      await this.publish(batch, jobs);
      watchdog = this.watch(batch);
      await done;
    } catch (err) {
      batch.failed = true;
      // Not awaited: with Redis away these wait for the reconnection, the caller must not.
      void this.cancel(batch).catch(() => {});
      throw err;
    } finally {
      clearInterval(watchdog);
      this.batch = null;
      void this.redis.del(paramsKey).catch(() => {});
    }
    // Job order is task order, then episode order: the local sampler's layout.
    const episodes: Episode[][] = req.tasks.map(() => []);
    let steps = 0;
    for (const part of batch.results) {
      for (const e of part!) {
        episodes[e.task][e.index] = e;
        steps += e.length;
      }
    }
    return { episodes, steps };
  }

  private async publish(batch: Batch, jobs: PlannedJob[]): Promise<void> {
    await this.redis.set(batch.paramsKey, batch.params, 'PX', DATA_TTL_MS);
    await this.queue.addBulk(
      jobs.map((j) => ({
        name: 'rollout',
        data: j.data,
        opts: {
          jobId: j.id,
          attempts: this.opts.attempts ?? 8,
          backoff: { type: 'exponential', delay: 200 },
          removeOnComplete: true,
          removeOnFail: { age: 3600 },
        },
      })),
    );
  }

  /** Periodic checks: Redis down too long, no live worker too long, completions missed. */
  private watch(batch: Batch): NodeJS.Timeout {
    const sweepMs = this.opts.sweepMs ?? 2000;
    const downLimit = this.opts.redisDownTimeoutMs ?? 60_000;
    const noWorkerLimit = this.opts.noWorkerTimeoutMs ?? 300_000;
    let lastWorkerSeen = Date.now();
    let ticks = 0;
    return setInterval(() => {
      if (batch.failed || this.batch !== batch) return;
      const now = Date.now();
      if (this.downSince !== null) {
        if (now - this.downSince > downLimit) {
          this.fail(
            batch,
            `lost Redis at ${this.target.display} for more than ${Math.round(downLimit / 1000)} s while sampling (${batch.outstanding.size} of ${batch.jobs.length} jobs unfinished); no partial batch was used${this.lastError ? ` (${this.lastError})` : ''}`,
          );
        }
        return;
      }
      ticks++;
      void this.sweep(ticks % 5 === 0);
      void listWorkers(this.redis)
        .then((ws) => {
          if (ws.some((w) => w.version === this.appVersion)) lastWorkerSeen = Date.now();
          else if (Date.now() - lastWorkerSeen > noWorkerLimit) {
            const other = ws.length
              ? ` (connected workers run app version ${[...new Set(ws.map((w) => w.version))].join(', ')}, this trainer ${this.appVersion})`
              : '';
            this.fail(
              batch,
              `no rollout worker of app version ${this.appVersion} connected to ${this.target.display} for ${Math.round(noWorkerLimit / 1000)} s${other}: start one with \`metarl worker --redis ${this.target.display}\``,
            );
          }
        })
        .catch(() => {});
    }, sweepMs);
  }

  /**
   * Collect results whose completion event was missed; with `full`, also put back the
   * parameters and every job that Redis no longer holds (after a restart).
   */
  private async sweep(full: boolean): Promise<void> {
    const batch = this.batch;
    if (!batch || batch.failed) return;
    try {
      if (full) {
        await this.redis.set(batch.paramsKey, batch.params, 'PX', DATA_TTL_MS);
        const lost: PlannedJob[] = [];
        for (const id of [...batch.outstanding]) {
          // The job first, then its result: a worker writes the result before completing.
          const state = await this.queue.getJobState(id);
          if (state !== 'unknown' || batch.collecting.has(id)) continue;
          if ((await this.redis.exists(batch.byId.get(id)!.data.resultKey)) === 1)
            await this.collect(id);
          // Collected meanwhile through its completion event: not lost.
          else if (batch.outstanding.has(id) && !batch.collecting.has(id))
            lost.push(batch.byId.get(id)!);
        }
        if (lost.length && this.batch === batch && !batch.failed) {
          this.opts.log?.(`re-queueing ${lost.length} job(s) that Redis lost`);
          await this.publish(batch, lost);
        }
      } else {
        const ids = [...batch.outstanding];
        if (ids.length === 0) return;
        const exists = await this.redis.exists(
          ...ids.map((id) => batch.byId.get(id)!.data.resultKey),
        );
        if (exists > 0) {
          const flags = await Promise.all(
            ids.map((id) => this.redis.exists(batch.byId.get(id)!.data.resultKey)),
          );
          await Promise.all(ids.filter((_, i) => flags[i] === 1).map((id) => this.collect(id)));
        }
      }
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  private async collect(jobId: string): Promise<void> {
    const batch = this.batch;
    if (!batch || !batch.outstanding.has(jobId) || batch.collecting.has(jobId)) return;
    const job = batch.byId.get(jobId)!;
    batch.collecting.add(jobId);
    try {
      const buf = await this.redis.getBuffer(job.data.resultKey);
      if (!buf) return; // not there (yet): a later event or sweep finds it
      const episodes = decodeEpisodes(buf);
      const n = job.data.e1 - job.data.e0;
      if (
        episodes.length !== n ||
        episodes.some((e, i) => e.task !== job.data.taskIndex || e.index !== job.data.e0 + i)
      ) {
        throw new Error(`job ${jobId} returned episodes that do not match its range`);
      }
      if (batch.failed || !batch.outstanding.has(jobId)) return;
      batch.results[job.index] = episodes;
      batch.outstanding.delete(jobId);
      await this.redis.del(job.data.resultKey).catch(() => {});
      if (batch.outstanding.size === 0) batch.resolve();
    } catch (err) {
      this.fail(batch, (err as Error).message);
    } finally {
      batch.collecting.delete(jobId);
    }
  }

  private onFailed(jobId: string, reason: string): void {
    const batch = this.batch;
    const job = batch?.byId.get(jobId);
    if (!batch || !job || !batch.outstanding.has(jobId)) return;
    this.fail(
      batch,
      `rollout job for task ${job.data.taskIndex}, episodes ${job.data.e0}–${job.data.e1 - 1} failed on a worker: ${reason}`,
    );
  }

  private fail(batch: Batch, message: string): void {
    if (batch.failed) return;
    batch.failed = true;
    batch.reject(new Error(`distributed sampling failed: ${message}`));
  }

  private async cancel(batch: Batch): Promise<void> {
    await Promise.all(
      [...batch.outstanding].map(async (id) => {
        await this.queue.remove(id).catch(() => 0);
        await this.redis.del(batch.byId.get(id)!.data.resultKey).catch(() => 0);
      }),
    );
  }

  /** Live workers (for the dashboard). */
  workers(): Promise<ClusterWorkerInfo[]> {
    return listWorkers(this.redis);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.batch) this.fail(this.batch, 'sampler closed');
    // BullMQ's close waits for its connections; a Redis that is gone must not hang the trainer.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.events.close(), this.queue.close()]),
      new Promise((resolve) => (timer = setTimeout(resolve, 2000))),
    ]);
    clearTimeout(timer);
    for (const c of this.clients) c.disconnect();
  }
}
