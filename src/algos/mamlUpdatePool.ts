// The main thread's side of MAML's outer-update workers (mamlUpdateWorker.ts): one request
// at a time per worker, replies matched by id. Used by MamlLearner when updateThreads > 1.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../samplers/workers';
import type { JsonObject } from '../shared/json';
import type { TaskData } from './maml';

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
    }
  | { id: number; kind: 'gradient' }
  | { id: number; kind: 'curvature'; v: Float64Array }
  | { id: number; kind: 'objective'; theta: Float32Array }
  | { id: number; kind: 'release' };

type Without<T> = T extends { id: number } ? Omit<T, 'id'> : never;

export type UpdateReply =
  | { id: number; kind: 'ok' }
  | { id: number; kind: 'gradient'; loss: number; grad: Float64Array }
  | { id: number; kind: 'vector'; v: Float64Array }
  | { id: number; kind: 'objective'; loss: number; kl: number }
  | { id: number; kind: 'error'; error: string };

export class UpdateWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: UpdateReply) => void; reject: (e: Error) => void }
  >();

  constructor() {
    this.worker = startWorker('mamlUpdateWorker');
    this.worker.on('message', (r: UpdateReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.kind === 'error') p.reject(new Error(`MAML update worker failed: ${r.error}`));
      else p.resolve(r);
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    this.worker.unref();
  }

  request<K extends UpdateReply['kind']>(
    msg: Without<UpdateRequest>,
    expect: K,
  ): Promise<Extract<UpdateReply, { kind: K }>> {
    const id = this.nextId++;
    return new Promise<UpdateReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...msg, id });
    })
      .then((r) => {
        if (r.kind !== expect)
          throw new Error(`MAML update worker: expected a ${expect} reply, got ${r.kind}`);
        return r as Extract<UpdateReply, { kind: K }>;
      })
      .finally(() => {
        if (this.pending.size === 0) this.worker.unref();
      });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
