// An outer-update worker thread for MAML: holds a share of the meta-batch's tasks (their
// tensors and cached policy batches, on its own tfjs wasm backend) and answers the TRPO
// step's requests — the meta-gradient, curvature products and line-search objectives —
// as sums over its tasks. The main thread adds the shares (mamlUpdatePool.ts).
import { parentPort } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from '../samplers/families';
import { initBackend } from '../tf/backend';
import { disposeMetaBatch, mamlConfigSchema, MamlLearner, type MetaBatch } from './maml';
import type { UpdateReply, UpdateRequest } from './mamlUpdatePool';

if (!parentPort) throw new Error('mamlUpdateWorker must run in a worker thread');
const port = parentPort;
let ready: Promise<unknown> | null = null;
let learner: MamlLearner | null = null;
let batch: { mb: MetaBatch; curv: { view: MetaBatch; dispose: () => void }; n: number } | null =
  null;

function release(): void {
  if (batch) {
    batch.curv.dispose();
    disposeMetaBatch(batch.mb);
    batch = null;
  }
}

async function handle(m: UpdateRequest): Promise<UpdateReply> {
  if (m.kind === 'setup') {
    // The same backend as the main thread (wasm or cpu), so the shares compute alike.
    ready ??= initBackend(m.backend === 'cpu' ? 'cpu' : 'wasm');
    await ready;
    release();
    const config = mamlConfigSchema.parse({ ...m.config, updateThreads: 1 });
    const family = resolveFamily(m.familyId);
    await prepareFamily(family);
    learner = new MamlLearner({ family, config, seed: 0, workers: 0 });
    const mb = learner.prepareFromData(m.inner, m.outer, m.paths);
    batch = { mb, curv: learner.curvatureView(mb), n: m.outer.length };
    return { id: m.id, kind: 'ok' };
  }
  if (m.kind === 'release') {
    release();
    return { id: m.id, kind: 'ok' };
  }
  if (!learner || !batch) throw new Error('mamlUpdateWorker: no batch (setup first)');
  const n = batch.n;
  if (m.kind === 'gradient') {
    const { loss, grad } = learner.metaGradient(batch.mb, false);
    return { id: m.id, kind: 'gradient', loss: loss * n, grad: grad.map((x) => x * n) };
  }
  if (m.kind === 'curvature') {
    const r = learner.curvatureVp(batch.curv.view, m.v, 0);
    return { id: m.id, kind: 'vector', v: r.map((x) => x * n) };
  }
  const o = learner.metaObjective(m.theta, batch.mb);
  return { id: m.id, kind: 'objective', loss: o.loss * n, kl: o.kl * n };
}

// Requests are handled one after another in arrival order, so the main thread can queue a
// gradient request right behind the setup without waiting for the setup's reply.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: UpdateRequest) => {
  queue = queue.then(() =>
    handle(m).then(
      (r) => port.postMessage(r),
      (err: unknown) =>
        port.postMessage({
          id: m.id,
          kind: 'error',
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies UpdateReply),
    ),
  );
});
