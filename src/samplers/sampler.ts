// The sampler: rolls out tasks × episodes of a Gaussian MLP policy, spread over worker
// threads (one per core by default). Episodes are split into contiguous ranges of about one
// task each, handed to whichever worker is free; per-episode seeds (rollout.ts) make the
// result identical for any worker count and any split.
// `workers: 0` runs in the calling thread (tests, tiny jobs). Where a worker's file is, from
// the sources or from the bundle, is decided in workers.ts.
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from './families';
import { type Episode, rolloutRange, type SampleRequest, validateRequest } from './rollout';
import type { WorkerJob, WorkerReply } from './samplerWorker';
import { startWorker } from './workers';

export type { Episode, SampleRequest } from './rollout';

/** One episode of an adaptation, as the viewer replays it. */
export interface EpisodeRecord {
  /** 0 = before adaptation; MAML: after gradient step k; RL²: episode k+1 of the trial. */
  stage: number;
  /** Index of the episode within its stage. */
  index: number;
  /** The learner's own name for the stage, e.g. 'exploration' (default: the viewer's by stage unit). */
  label?: string;
  return: number;
  length: number;
  /**
   * Per-step observations, actions and rewards (length × size, row-major). Actions are in the
   * env's units, as the learner sent them (before the env clips them to its bounds).
   */
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  /** Scene frames, one per state (length + 1 of them, the reset state first), when recording was asked for. */
  frames?: Float32Array[];
}

export interface SampleResult {
  /** episodes[task][index] */
  episodes: Episode[][];
  /** Environment steps taken. */
  steps: number;
}

/** One per core; at least 1. */
export function defaultWorkerCount(): number {
  return Math.max(
    1,
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  );
}

/**
 * Episode ranges [g0, g1) covering [0, total): one task's episodes each (a vector env of one
 * task's episodes keeps its physics in cache better than one of all of a thread's episodes),
 * cut smaller when there are fewer ranges than workers, so every worker has work.
 */
export function chunkRanges(
  total: number,
  episodesPerTask: number,
  workers: number,
): [number, number][] {
  const size = Math.max(1, Math.min(episodesPerTask, Math.ceil(total / workers)));
  const out: [number, number][] = [];
  for (let g0 = 0; g0 < total; g0 += size) out.push([g0, Math.min(total, g0 + size)]);
  return out;
}

export class Sampler {
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private nextReqId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (e: Episode[]) => void; reject: (err: Error) => void }
  >();
  private closed = false;

  constructor(readonly numWorkers: number = defaultWorkerCount()) {
    if (!Number.isInteger(numWorkers) || numWorkers < 0)
      throw new Error(`Sampler: workers must be a non-negative integer, got ${numWorkers}`);
    for (let i = 0; i < numWorkers; i++) {
      let w: Worker;
      try {
        w = startWorker('samplerWorker');
      } catch (err) {
        for (const started of this.workers) void started.terminate();
        throw err;
      }
      w.on('message', (m: WorkerReply) => this.onReply(m));
      w.on('error', (err) => this.failAll(err));
      // Idle workers must not keep the process alive.
      w.unref();
      this.workers.push(w);
    }
  }

  private onReply(m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('error' in m) p.reject(new Error(`sampler worker failed: ${m.error}`));
    else p.resolve(m.episodes);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async sample(req: SampleRequest): Promise<SampleResult> {
    if (this.closed) throw new Error('Sampler is closed');
    validateRequest(req);
    const total = req.tasks.length * req.episodesPerTask;
    const family = resolveFamily(req.familyId);
    await prepareFamily(family);
    const chunks = chunkRanges(total, req.episodesPerTask, Math.max(1, this.workers.length));
    let flat: Episode[];
    if (this.workers.length === 0) {
      flat = chunks.flatMap(([g0, g1]) => rolloutRange(family, req, g0, g1));
    } else {
      flat = (await this.runChunks(req, chunks)).flat();
    }
    const episodes: Episode[][] = req.tasks.map(() => []);
    let steps = 0;
    for (const e of flat) {
      episodes[e.task][e.index] = e;
      steps += e.length;
    }
    return { episodes, steps };
  }

  /**
   * The chunks go to the workers one at a time, each worker taking the next as soon as it
   * has finished one, so a worker whose episodes end early (terminations) takes more of them.
   */
  private async runChunks(req: SampleRequest, chunks: [number, number][]): Promise<Episode[][]> {
    const reqId = this.nextReqId++;
    const out: Episode[][] = new Array(chunks.length);
    let next = 0;
    let failed = false;
    const W = Math.min(this.workers.length, chunks.length);
    await Promise.all(
      Array.from({ length: W }, async (_, w) => {
        let sent = false;
        while (next < chunks.length && !failed) {
          const c = next++;
          const [g0, g1] = chunks[c];
          const last = next >= chunks.length;
          const job: WorkerJob = {
            id: this.nextId++,
            reqId,
            g0,
            g1,
            ...(sent ? {} : { req }),
            ...(last ? { last } : {}),
          };
          sent = true;
          try {
            out[c] = await this.post(w, job);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      }),
    );
    return out;
  }

  private post(w: number, job: WorkerJob): Promise<Episode[]> {
    return new Promise<Episode[]>((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.workers[w].ref();
      this.workers[w].postMessage(job);
    }).finally(() => this.workers[w].unref());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('Sampler closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
