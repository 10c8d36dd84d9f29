// A sampler worker thread: builds envs from the family registry and rolls out the range
// of episodes it is sent (see rollout.ts). No tfjs here: the policy forward is plain JS.
import { parentPort } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from './families';
import { type Episode, rolloutRange, type SampleRequest } from './rollout';

export interface WorkerJob {
  id: number;
  req: SampleRequest;
  g0: number;
  g1: number;
}

export type WorkerReply = { id: number; episodes: Episode[] } | { id: number; error: string };

if (!parentPort) throw new Error('samplerWorker must run in a worker thread');
const port = parentPort;
port.on('message', async (job: WorkerJob) => {
  try {
    const family = resolveFamily(job.req.familyId);
    // Loads a WebAssembly physics runtime on this thread's first job of such a family.
    await prepareFamily(family);
    const episodes = rolloutRange(family, job.req, job.g0, job.g1);
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
