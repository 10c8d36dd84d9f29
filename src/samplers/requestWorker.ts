// A request/reply channel to one worker thread, and the worker side's loop that answers
// it. Requests carry an id; the worker handles them one after another in arrival order
// (so a caller may queue a request right behind another without waiting for its reply)
// and answers each with the same id, or with an 'error' reply that rejects the caller's
// promise. The thread is unref'd while nothing is pending, so an idle worker never keeps
// the process alive.
import type { MessagePort, Worker } from 'node:worker_threads';
import { type WorkerName, startWorker } from './workers';

/** What every request and reply carries. */
export interface Tagged {
  id: number;
  kind: string;
}

export type ErrorReply = { id: number; kind: 'error'; error: string };

/** A request as the caller writes it (the channel assigns the id). */
export type Untagged<T> = T extends { id: number } ? Omit<T, 'id'> : never;

export class RequestWorker<Req extends Tagged, Rep extends Tagged> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Rep) => void; reject: (e: Error) => void }
  >();

  /** `label` names the worker in errors ("MAML update worker"). */
  constructor(
    name: WorkerName,
    private readonly label: string,
  ) {
    this.worker = startWorker(name);
    this.worker.on('message', (r: Rep | ErrorReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.kind === 'error') p.reject(new Error(`${label} failed: ${(r as ErrorReply).error}`));
      else p.resolve(r as Rep);
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    this.worker.unref();
  }

  request<K extends Rep['kind']>(
    msg: Untagged<Req>,
    expect: K,
  ): Promise<Extract<Rep, { kind: K }>> {
    const id = this.nextId++;
    return new Promise<Rep>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...msg, id });
    })
      .then((r) => {
        if (r.kind !== expect)
          throw new Error(`${this.label}: expected a ${expect} reply, got ${r.kind}`);
        return r as Extract<Rep, { kind: K }>;
      })
      .finally(() => {
        if (this.pending.size === 0) this.worker.unref();
      });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The worker side: answer every request on `port` with `handle`, one at a time, in order. */
export function serveRequests<Req extends Tagged, Rep extends Tagged>(
  port: MessagePort,
  handle: (m: Req) => Promise<Rep>,
): void {
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: Req) => {
    queue = queue.then(() =>
      handle(m).then(
        (r) => port.postMessage(r),
        (err: unknown) =>
          port.postMessage({
            id: m.id,
            kind: 'error',
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies ErrorReply),
      ),
    );
  });
}
