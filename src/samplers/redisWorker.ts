// A rollout worker for the Redis sampler (`metarl worker`): takes jobs from the BullMQ queue,
// checks each payload (zod schema, app version, known family and learner, policy sizes),
// rolls the episode range out on one of its sampler threads (samplerWorker.ts; the event
// loop stays free, so BullMQ keeps renewing the job's lock) and writes the episodes to the
// job's result key. A heartbeat key per worker (expiring) tells trainers who is connected,
// at how many steps/s, and how many jobs failed.
//
// A killed worker's job is not lost: its lock expires and BullMQ's stalled-job check (run
// by every other worker) puts it back in the queue for someone else. Results are a pure
// function of the job, so a job that happens to run twice writes the same bytes twice.
import os from 'node:os';
import type { Worker as Thread } from 'node:worker_threads';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { formatIssues } from '../shared/config';
import { resolveFamily } from './families';
import type { Episode, SampleRequest } from './rollout';
import { startWorker } from './workers';
import type { WorkerJob, WorkerReply } from './samplerWorker';
import { numParams } from '../policies/gaussianMlp';
import { connectRedis, parseRedisUrl } from './redisConnection';
import {
  appVersion,
  DATA_TTL_MS,
  decodeParams,
  encodeEpisodes,
  KEY_PREFIX,
  QUEUE_NAME,
  type RolloutJob,
  type RolloutJobReturn,
  RolloutJobSchema,
} from './rolloutJob';
import type { ClusterWorkerInfo } from '../shared/cluster';

export interface RolloutWorkerOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Jobs at once, one sampler thread each (default: cores). */
  concurrency?: number;
  /** A job whose lock is not renewed for this long is given to another worker (ms). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (ms). */
  stalledIntervalMs?: number;
  /** Heartbeat period (ms); the heartbeat key lives three periods. */
  heartbeatMs?: number;
  /** The version this worker claims (default: the package's); a trainer's jobs must match it. */
  appVersion?: string;
  /** Called before each job runs (tests use it to make workers slow or uneven). */
  beforeJob?: (job: RolloutJob) => Promise<void>;
  log?: (line: string) => void;
}

/** Workers started by this process so far (part of each worker's id). */
let workerSerial = 0;

export class RolloutWorker {
  readonly id: string;
  readonly concurrency: number;
  private readonly redis: Redis;
  private readonly queueClient: Redis;
  private worker: Worker<RolloutJob, RolloutJobReturn> | null = null;
  private readonly threads: Thread[] = [];
  private readonly idle: Thread[] = [];
  private readonly waitingForThread: Array<(t: Thread) => void> = [];
  private readonly pending = new Map<
    number,
    { resolve: (e: Episode[]) => void; reject: (e: Error) => void; thread: Thread }
  >();
  private nextId = 1;
  private readonly paramsCache = new Map<string, Float32Array[]>();
  private readonly version: string;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly info: ClusterWorkerInfo;
  private lastBeat = { at: Date.now(), steps: 0 };
  private closed = false;
  private refusedResolve: ((reason: string) => void) | null = null;
  /** Resolves with a reason if this worker stops taking jobs because it was refused (app version). */
  readonly refused: Promise<string>;

  constructor(private readonly opts: RolloutWorkerOptions) {
    const target = parseRedisUrl(opts.url);
    this.concurrency =
      opts.concurrency ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 256) {
      throw new Error(`worker concurrency must be an integer in [1, 256], got ${this.concurrency}`);
    }
    this.version = opts.appVersion ?? appVersion();
    // The serial keeps two workers started in the same millisecond by one process apart.
    this.id = `${os.hostname()}:${process.pid}:${Date.now().toString(36)}:${++workerSerial}`;
    // Reconnects on its own; the queue connection reports lasting trouble.
    this.redis = connectRedis(target, `metarl-worker-state:${this.id}`);
    this.info = {
      id: this.id,
      host: os.hostname(),
      pid: process.pid,
      version: this.version,
      concurrency: this.concurrency,
      jobs: 0,
      steps: 0,
      stepsPerSec: 0,
      failures: 0,
      lastError: null,
      startedAt: Date.now(),
      seenAt: Date.now(),
    };
    this.refused = new Promise((resolve) => (this.refusedResolve = resolve));
    for (let i = 0; i < this.concurrency; i++) this.addThread();
    this.queueClient = connectRedis(target, `metarl-worker:${this.id}`);
    this.worker = new Worker<RolloutJob, RolloutJobReturn>(
      QUEUE_NAME,
      (job, token) => this.process(job, token),
      {
        connection: this.queueClient,
        concurrency: this.concurrency,
        lockDuration: opts.lockDurationMs ?? 30_000,
        stalledInterval: opts.stalledIntervalMs ?? 15_000,
        // A job can stall a few times (machines die) before the trainer is told it failed.
        maxStalledCount: 5,
        name: this.id,
      },
    );
    this.worker.on('error', (err) => this.log(`queue connection: ${err.message}`));
    this.worker.on('failed', (job, err) => {
      if (err instanceof DelayedError || err.name === 'DelayedError') return;
      this.info.failures++;
      this.info.lastError = err.message.slice(0, 300);
      this.log(`job ${job?.id ?? '?'} failed: ${err.message}`);
    });
    const period = opts.heartbeatMs ?? 1000;
    this.heartbeat = setInterval(() => void this.beat(period * 3), period);
    void this.beat(period * 3);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private addThread(): void {
    const t = startWorker('samplerWorker');
    t.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.episodes);
    });
    t.on('error', (err) => {
      // A crashed thread fails only its own job (retried by BullMQ) and is replaced.
      for (const [id, p] of this.pending) {
        if (p.thread === t) {
          this.pending.delete(id);
          p.reject(err);
        }
      }
      this.threads.splice(this.threads.indexOf(t), 1);
      if (!this.closed) this.addThread();
    });
    this.threads.push(t);
    this.release(t);
  }

  private release(t: Thread): void {
    const waiter = this.waitingForThread.shift();
    if (waiter) waiter(t);
    else this.idle.push(t);
  }

  private acquire(): Promise<Thread> {
    const t = this.idle.pop();
    return t ? Promise.resolve(t) : new Promise((resolve) => this.waitingForThread.push(resolve));
  }

  private async runOnThread(req: SampleRequest, g0: number, g1: number): Promise<Episode[]> {
    const t = await this.acquire();
    try {
      const id = this.nextId++;
      return await new Promise<Episode[]>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, thread: t });
        t.postMessage({ id, req, g0, g1 } satisfies WorkerJob);
      });
    } finally {
      if (this.threads.includes(t)) this.release(t);
    }
  }

  private async params(job: RolloutJob, P: number): Promise<Float32Array> {
    let all = this.paramsCache.get(job.paramsKey);
    if (!all) {
      const buf = await this.redis.getBuffer(job.paramsKey);
      // Retried by BullMQ: the trainer puts the parameters back after a Redis restart.
      if (!buf) throw new Error(`parameters ${job.paramsKey} are not in Redis (yet)`);
      all = decodeParams(buf, job.paramsCount, P);
      this.paramsCache.set(job.paramsKey, all);
      // Parameters change every sampling stage: a few versions are enough.
      while (this.paramsCache.size > 4)
        this.paramsCache.delete(this.paramsCache.keys().next().value!);
    }
    return all[job.paramsIndex];
  }

  private async process(
    job: Job<RolloutJob, RolloutJobReturn>,
    token?: string,
  ): Promise<RolloutJobReturn> {
    const version = (job.data as { appVersion?: unknown } | null)?.appVersion;
    if (typeof version === 'string' && version !== this.version) {
      // Give the job back untouched for a worker of the right version, and stop taking jobs.
      const reason = `refused a job from a trainer of app version ${version}; this worker is ${this.version}. Install the same version of Meta-RL Studio on every machine.`;
      await job.moveToDelayed(Date.now() + 200, token);
      this.info.lastError = reason;
      this.info.failures++;
      this.refusedResolve?.(reason);
      void this.worker?.pause(true);
      throw new DelayedError();
    }
    const parsed = RolloutJobSchema.safeParse(job.data, { reportInput: true });
    if (!parsed.success)
      throw new UnrecoverableError(
        `refused job ${job.id}: invalid payload\n${formatIssues(parsed.error, 'job')}`,
      );
    const j = parsed.data;
    let family;
    try {
      family = resolveFamily(j.familyId);
    } catch (err) {
      throw new UnrecoverableError(`refused job ${job.id}: ${(err as Error).message}`);
    }
    let task;
    try {
      task = family.parseTask(j.task);
    } catch (err) {
      throw new UnrecoverableError(`refused job ${job.id}: task ${(err as Error).message}`);
    }
    const latent = j.spec.latentSize ?? 0;
    if (
      j.spec.obsSize !== family.observationSize + latent ||
      j.spec.actSize !== family.actionSize
    ) {
      throw new UnrecoverableError(
        `refused job ${job.id}: policy ${j.spec.obsSize}→${j.spec.actSize}${latent > 0 ? ` (latent ${latent})` : ''} does not fit family ${family.id} (${family.observationSize}→${family.actionSize})`,
      );
    }
    await this.opts.beforeJob?.(j);
    const theta = await this.params(j, numParams(j.spec));
    // The same request the trainer's local sampler would build, seen from episode t·E + e0:
    // task t at its own index (the others are never read), its θ shared, its seeds intact.
    const tasks = new Array(j.taskIndex + 1).fill(task);
    const req: SampleRequest = {
      familyId: j.familyId,
      tasks,
      params: [theta],
      spec: j.spec,
      episodesPerTask: j.episodesPerTask,
      seed: j.seed,
      ...(j.taskSeed !== undefined
        ? { taskSeeds: new Array(j.taskIndex + 1).fill(j.taskSeed) }
        : {}),
      deterministic: j.deterministic,
      normalizeActions: j.normalizeActions,
      recordFrames: j.recordFrames,
    };
    const base = j.taskIndex * j.episodesPerTask;
    const episodes = await this.runOnThread(req, base + j.e0, base + j.e1);
    const steps = episodes.reduce((s, e) => s + e.length, 0);
    await this.redis.set(
      j.resultKey,
      encodeEpisodes(episodes, j.spec.obsSize, j.spec.actSize),
      'PX',
      DATA_TTL_MS,
    );
    this.info.jobs++;
    this.info.steps += steps;
    return { steps, worker: this.id };
  }

  private async beat(ttlMs: number): Promise<void> {
    const now = Date.now();
    const dt = (now - this.lastBeat.at) / 1000;
    if (dt > 0) {
      const rate = (this.info.steps - this.lastBeat.steps) / dt;
      // Smoothed over a few seconds so the dashboard does not flicker between jobs.
      this.info.stepsPerSec =
        this.info.stepsPerSec === 0 ? rate : 0.7 * this.info.stepsPerSec + 0.3 * rate;
    }
    this.lastBeat = { at: now, steps: this.info.steps };
    this.info.seenAt = now;
    try {
      await this.redis.set(
        `${KEY_PREFIX}:worker:${this.id}`,
        JSON.stringify(this.info),
        'PX',
        ttlMs,
      );
    } catch {
      // Redis is down; the next beat tries again.
    }
  }

  /** Current counters (what the heartbeat publishes). */
  stats(): ClusterWorkerInfo {
    return { ...this.info };
  }

  /** Resolves once the queue connection is up. */
  async ready(): Promise<void> {
    await this.worker!.waitUntilReady();
  }

  /** Stop taking jobs, let running ones finish (or drop them with force), free threads. */
  async close(force = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // BullMQ's close waits for Redis; a Redis that is gone must not keep the worker alive.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.worker?.close(force),
      new Promise((resolve) => (timer = setTimeout(resolve, force ? 2000 : 60_000))),
    ]);
    clearTimeout(timer);
    for (const p of this.pending.values()) p.reject(new Error('worker closed'));
    this.pending.clear();
    await Promise.all(this.threads.map((t) => t.terminate()));
    // Only if Redis is there: otherwise the heartbeat key expires on its own.
    if (this.redis.status === 'ready')
      await this.redis.del(`${KEY_PREFIX}:worker:${this.id}`).catch(() => 0);
    this.redis.disconnect();
    this.queueClient.disconnect();
  }
}
