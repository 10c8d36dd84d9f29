// A trial sampler worker thread: rebuilds the family from the registry and rolls out the
// range of trials it is sent (see trialSampler.ts). No tfjs here: the GRU forward is plain JS.
import { parentPort } from 'node:worker_threads';
import { resolveFamily } from './families';
import { runTrials, type TrialJob, type TrialReply } from './trialSampler';

if (!parentPort) throw new Error('trialSamplerWorker must run in a worker thread');
const port = parentPort;
port.on('message', (job: TrialJob) => {
  try {
    const parts = runTrials(resolveFamily(job.req.familyId), job.req, job.i0, job.i1);
    // A Set: a family's frame() may hand out views of one buffer, which can move only once.
    const transfer = new Set<ArrayBuffer>();
    for (const p of parts) {
      for (const a of [
        p.inputs,
        p.actions,
        p.logProbs,
        p.values,
        p.rewards,
        p.episodeOf,
        p.episodeReturns,
        p.episodeLengths,
      ])
        transfer.add(a.buffer as ArrayBuffer);
      for (const r of p.records ?? []) {
        for (const a of [r.observations, r.actions, r.rewards, ...(r.frames ?? [])])
          transfer.add(a.buffer as ArrayBuffer);
      }
    }
    port.postMessage({ id: job.id, parts } satisfies TrialReply, [...transfer]);
  } catch (err) {
    port.postMessage({
      id: job.id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    } satisfies TrialReply);
  }
});
