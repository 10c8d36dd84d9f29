// The sampler: rolls out tasks × episodes of a Gaussian MLP policy, spread over worker
// threads (one per core by default). Episodes are split into contiguous ranges, one per
// worker; per-episode seeds (rollout.ts) make the result identical for any worker count.
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

export class Sampler {
  private readonly workers: Worker[] = [];
  private nextId = 1;
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
    let flat: Episode[];
    if (this.workers.length === 0) {
      flat = rolloutRange(family, req, 0, total);
    } else {
      const W = Math.min(this.workers.length, total);
      const parts: Promise<Episode[]>[] = [];
      for (let w = 0; w < W; w++) {
        const g0 = Math.floor((w * total) / W);
        const g1 = Math.floor(((w + 1) * total) / W);
        const id = this.nextId++;
        const job: WorkerJob = { id, req, g0, g1 };
        parts.push(
          new Promise<Episode[]>((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.workers[w].ref();
            this.workers[w].postMessage(job);
          }).finally(() => this.workers[w].unref()),
        );
      }
      flat = (await Promise.all(parts)).flat();
    }
    const episodes: Episode[][] = req.tasks.map(() => []);
    let steps = 0;
    for (const e of flat) {
      episodes[e.task][e.index] = e;
      steps += e.length;
    }
    return { episodes, steps };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('Sampler closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
