// A sampler worker thread: builds envs from the family registry and rolls out the range
// of episodes it is sent (see rollout.ts). No tfjs here: the policy forward is plain JS.
import { parentPort } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from './families';
import { type Episode, rolloutRange, type SampleRequest } from './rollout';

export interface WorkerJob {
  id: number;
  /**
   * The request, or nothing when this thread was sent it before under `reqId` (a request's
   * chunks go to the thread one after another, and its parameters cross only once).
   */
  req?: SampleRequest;
  reqId?: number;
  /** The last chunk of request `reqId` this thread gets: it may forget the request after it. */
  last?: boolean;
  g0: number;
  g1: number;
}

export type WorkerReply = { id: number; episodes: Episode[] } | { id: number; error: string };

if (!parentPort) throw new Error('samplerWorker must run in a worker thread');
const port = parentPort;
/**
 * Requests sent with a reqId, until their last chunk here (oldest first). A thread that
 * finishes a request on a chunk not marked last (another thread took the final one), or
 * whose sampling call failed elsewhere, keeps it until 16 newer ones have come.
 */
const held = new Map<number, SampleRequest>();
port.on('message', async (job: WorkerJob) => {
  try {
    let req = job.req;
    if (req && job.reqId !== undefined && !job.last) {
      held.set(job.reqId, req);
      for (const id of held.keys()) if (held.size > 16) held.delete(id);
    }
    if (!req) {
      req = job.reqId === undefined ? undefined : held.get(job.reqId);
      if (!req)
        throw new Error(`sampler worker: job ${job.id} names request ${job.reqId}, not held here`);
    }
    if (job.last && job.reqId !== undefined) held.delete(job.reqId);
    const family = resolveFamily(req.familyId);
    // Loads a WebAssembly physics runtime on this thread's first job of such a family.
    await prepareFamily(family);
    const episodes = rolloutRange(family, req, job.g0, job.g1);
    const transfer: ArrayBuffer[] = [];
    for (const e of episodes) {
      transfer.push(
        e.obs.buffer as ArrayBuffer,
        e.actions.buffer as ArrayBuffer,
        e.rewards.buffer as ArrayBuffer,
      );
      if (e.frames) for (const f of e.frames) transfer.push(f.buffer as ArrayBuffer);
    }
    port.postMessage({ id: job.id, episodes } satisfies WorkerReply, transfer);
  } catch (err) {
    port.postMessage({
      id: job.id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    } satisfies WorkerReply);
  }
});
