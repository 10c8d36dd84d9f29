// The main thread's side of MAML's outer-update workers (mamlUpdateWorker.ts): how the
// TRPO step's tasks are shared between this thread and the workers (each worker building
// its share stage by stage from the episodes, or given it whole), the step's oracle that
// sums the shares, and the request/reply channel to one worker (one request at a time per
// worker, replies matched by id). Used by MamlLearner when updateThreads > 1.
import * as tf from '@tensorflow/tfjs';
import { RequestWorker } from '../samplers/requestWorker';
import type { JsonObject } from '../shared/json';
import type { MamlConfig } from './mamlConfig';
import type { Episode } from '../samplers/sampler';
import type { TaskData } from './taskData';
import type { TrpoOracle, Vec } from './trpo';

export type UpdateRequest =
  | {
      id: number;
      kind: 'setup';
      backend: string;
      familyId: string;
      config: JsonObject;
      inner: TaskData[][];
      outer: TaskData[];
      paths: Float32Array[][];
      /** A per-parameter inner step size (Meta-SGD's α), instead of the config's innerLr. */
      stepSizes?: Float32Array;
    }
  | {
      id: number;
      kind: 'begin';
      backend: string;
      familyId: string;
      config: JsonObject;
      /** θ_0, shared by the worker's tasks. */
      theta: Float32Array;
      tasks: number;
    }
  /** An inner stage: the worker's tasks' episodes, sampled with their latest parameters. */
  | { id: number; kind: 'inner'; episodes: Episode[][] }
  /** The outer stage: the worker's tasks' episodes, sampled with their adapted parameters. */
  | { id: number; kind: 'outer'; episodes: Episode[][] }
  | { id: number; kind: 'gradient' }
  | { id: number; kind: 'curvature'; v: Float64Array }
  | { id: number; kind: 'objective'; theta: Float32Array }
  | { id: number; kind: 'release' };

export type UpdateReply =
  | { id: number; kind: 'ok' }
  | { id: number; kind: 'params'; params: Float32Array[] }
  | { id: number; kind: 'gradient'; loss: number; grad: Float64Array }
  | { id: number; kind: 'vector'; v: Float64Array }
  | { id: number; kind: 'objective'; loss: number; kl: number };

/** The channel to one MAML update worker. */
export class UpdateWorker extends RequestWorker<UpdateRequest, UpdateReply> {
  constructor() {
    super('mamlUpdateWorker', 'MAML update worker');
  }
}

/** The TRPO step's split of a meta-batch's tasks between this thread and update workers. */
export interface TaskShare {
  /** Tasks [bounds[0], bounds[1]) here, [bounds[w + 1], bounds[w + 2]) on remotes[w]. */
  bounds: number[];
  remotes: UpdateWorker[];
  /** Resolves once every remote holds its share. */
  setupDone: Promise<unknown>;
}

/** Task bounds of the update's threads: [bounds[0], bounds[1]) here, then one range per worker. */
export function shareBounds(T: number, config: MamlConfig): number[] {
  const backend = tf.getBackend();
  const threads =
    config.outer === 'trpo' && (backend === 'wasm' || backend === 'cpu')
      ? Math.max(1, Math.min(config.updateThreads, T))
      : 1;
  return Array.from({ length: threads + 1 }, (_, i) => Math.floor((i * T) / threads));
}

/**
 * The update's split of the tasks, with each worker building its share of the meta-batch
 * stage by stage from the episodes: it computes its tasks' advantages and inner steps (in
 * parallel with this thread, which does its own share's) and sends back their adapted
 * parameters for the next sampling stage. This thread then holds only its own tasks'
 * batch. Same numbers as the whole batch built here (the same kernels on the same inputs).
 */
export class StagedShare {
  readonly bounds: number[];
  readonly remotes: UpdateWorker[] = [];
  private readonly ready: Promise<unknown>[] = [];
  private outerDone: Promise<unknown> = Promise.resolve();

  constructor(
    pool: UpdateWorker[],
    T: number,
    familyId: string,
    config: MamlConfig,
    theta: Float32Array,
  ) {
    this.bounds = shareBounds(T, config);
    const backend = tf.getBackend();
    while (pool.length < this.bounds.length - 2) pool.push(new UpdateWorker());
    for (let w = 0; w + 2 < this.bounds.length; w++) {
      this.remotes.push(pool[w]);
      const tasks = this.bounds[w + 2] - this.bounds[w + 1];
      const begin = pool[w].request(
        { kind: 'begin', backend, familyId, config: config as unknown as JsonObject, theta, tasks },
        'ok',
      );
      begin.catch(() => {});
      this.ready.push(begin);
    }
  }

  /** Tasks [0, local) are this thread's. */
  get local(): number {
    return this.bounds[1];
  }

  private slice(episodes: Episode[][], w: number): Episode[][] {
    return episodes.slice(this.bounds[w + 1], this.bounds[w + 2]);
  }

  /** Sends an inner stage's episodes to the workers; resolves to their tasks' next parameters, in task order. */
  inner(episodes: Episode[][]): Promise<Float32Array[]> {
    const replies = this.remotes.map((r, w) =>
      r.request({ kind: 'inner', episodes: this.slice(episodes, w) }, 'params'),
    );
    for (const p of replies) p.catch(() => {});
    const next = Promise.all([...this.ready, ...replies]).then(() =>
      Promise.all(replies).then((rs) => rs.flatMap((r) => r.params)),
    );
    // Awaited by the caller after its own share; this only keeps a failure meanwhile from going unhandled.
    next.catch(() => {});
    return next;
  }

  /** Sends the outer stage's episodes to the workers (they then build their share of the batch). */
  outer(episodes: Episode[][]): void {
    const replies = this.remotes.map((r, w) =>
      r.request({ kind: 'outer', episodes: this.slice(episodes, w) }, 'ok'),
    );
    this.outerDone = Promise.all([...this.ready, ...replies]);
    this.outerDone.catch(() => {});
  }

  get share(): TaskShare {
    return { bounds: this.bounds, remotes: this.remotes, setupDone: this.outerDone };
  }
}

/**
 * How the TRPO step splits the tasks of `raw` (their flattened data and adaptation paths):
 * [bounds[0], bounds[1]) in this thread, the rest over update workers (taken from `pool`, started as needed), each set up with its share
 * as soon as this is called (so the workers build their tensors while this thread is still
 * busy). Workers run their own backend; the native tfjs-node cannot load in a second
 * thread (tfjs #8388), so with it (it is multi-threaded anyway) the update stays here.
 */
export function shareTasks(
  pool: UpdateWorker[],
  raw: { inner: TaskData[][]; outer: TaskData[]; paths: Float32Array[][] },
  familyId: string,
  config: MamlConfig,
  innerLr: number | Float32Array = config.innerLr,
): TaskShare {
  const T = raw.outer.length;
  const backend = tf.getBackend();
  const bounds = shareBounds(T, config);
  const threads = bounds.length - 1;
  const share: TaskShare = { bounds, remotes: [], setupDone: Promise.resolve() };
  if (threads === 1) return share;
  while (pool.length < threads - 1) pool.push(new UpdateWorker());
  share.setupDone = Promise.all(
    Array.from({ length: threads - 1 }, (_, w) => {
      const [a, b] = [bounds[w + 1], bounds[w + 2]];
      share.remotes.push(pool[w]);
      return pool[w].request(
        {
          kind: 'setup',
          backend,
          familyId,
          config: config as unknown as JsonObject,
          inner: raw.inner.slice(a, b),
          outer: raw.outer.slice(a, b),
          paths: raw.paths.slice(a, b),
          ...(typeof innerLr === 'number' ? {} : { stepSizes: innerLr }),
        },
        'ok',
      );
    }),
  );
  // Awaited by the first request that needs it; this only keeps an early failure elsewhere from leaving it unhandled.
  share.setupDone.catch(() => {});
  return share;
}

/** This thread's share of the TRPO step's quantities: means over its own tasks. */
export interface LocalTrpoShare {
  gradient(): { loss: number; grad: Float64Array };
  /** Undamped. */
  curvature(v: Vec): Float64Array;
  objective(theta: Float32Array): { loss: number; kl: number };
}

/**
 * The TRPO oracle over all T tasks of a share. Each request goes to the workers first,
 * then this thread computes its share while they compute theirs, and the shares are
 * summed in task order. A worker handles its requests in order, so the first one can
 * follow its setup at once. `release()` frees the workers' batches.
 */
export function sharedTrpoOracle(
  share: TaskShare,
  T: number,
  local: LocalTrpoShare,
  damping: number,
): TrpoOracle & { release(): Promise<void> } {
  const { bounds, remotes, setupDone } = share;
  const nLocal = bounds[1] - bounds[0];
  return {
    gradient: async () => {
      const pending = remotes.map((w) => w.request({ kind: 'gradient' }, 'gradient'));
      for (const p of pending) p.catch(() => {});
      const lg = local.gradient();
      await setupDone;
      const P = lg.grad.length;
      let loss = lg.loss * nLocal;
      const g = lg.grad.map((x) => x * nLocal);
      for (const r of await Promise.all(pending)) {
        loss += r.loss;
        for (let i = 0; i < P; i++) g[i] += r.grad[i];
      }
      return { loss: loss / T, grad: g.map((x) => x / T) };
    },
    curvature: async (v: Vec) => {
      const pending = remotes.map((w) => w.request({ kind: 'curvature', v }, 'vector'));
      const out = local.curvature(v).map((x) => x * nLocal);
      const P = out.length;
      for (const r of await Promise.all(pending)) for (let i = 0; i < P; i++) out[i] += r.v[i];
      for (let i = 0; i < P; i++) out[i] = out[i] / T + damping * v[i];
      return out;
    },
    objective: async (theta: Float32Array) => {
      const pending = remotes.map((w) => w.request({ kind: 'objective', theta }, 'objective'));
      const o = local.objective(theta);
      let loss = o.loss * nLocal;
      let kl = o.kl * nLocal;
      for (const r of await Promise.all(pending)) {
        loss += r.loss;
        kl += r.kl;
      }
      return { loss: loss / T, kl: kl / T };
    },
    release: async () => {
      await Promise.all(remotes.map((w) => w.request({ kind: 'release' }, 'ok')));
    },
  };
}
