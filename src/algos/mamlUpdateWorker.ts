// An outer-update worker thread for MAML: holds a share of the meta-batch's tasks (their
// tensors and derivative points, on its own tfjs wasm backend) and answers the TRPO
// step's requests — the meta-gradient, curvature products and line-search objectives —
// as sums over its tasks. The main thread adds the shares (mamlUpdatePool.ts).
import { parentPort } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from '../samplers/families';
import { initBackend } from '../tf/backend';
import { createDerivatives, type PolicyDerivatives, type StepSize } from './derivatives';
import { type MamlConfig, mamlConfigSchema, policySpecOf } from './mamlConfig';
import { type MetaBatch, curvatureView, disposeMetaBatch, metaBatchAt } from './metaBatch';
import { curvatureVp, metaGradient, metaObjective } from './metaGradient';
import type { UpdateReply, UpdateRequest } from './mamlUpdatePool';
import { outerTensors, toTensors } from './taskData';

if (!parentPort) throw new Error('mamlUpdateWorker must run in a worker thread');
const port = parentPort;
let ready: Promise<unknown> | null = null;
let batch: {
  config: MamlConfig;
  innerLr: StepSize;
  derivatives: PolicyDerivatives;
  mb: MetaBatch;
  curv: { view: MetaBatch; dispose: () => void };
  n: number;
} | null = null;

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
    const spec = policySpecOf(family, config);
    const derivatives = createDerivatives(config.derivatives, spec);
    const innerLr = m.stepSizes ?? config.innerLr;
    const opts = { innerLr, curvature: !config.firstOrder };
    const mb = metaBatchAt(
      derivatives,
      opts,
      m.inner.map((ds) => ds.map((d) => toTensors(d, spec.obsSize, spec.actSize))),
      m.outer.map((d, t) => outerTensors(spec, d, m.paths[t][m.paths[t].length - 1])),
      m.paths,
    );
    const curv = curvatureView(derivatives, opts, mb, config.cgSubsample);
    batch = { config, innerLr, derivatives, mb, curv, n: m.outer.length };
    return { id: m.id, kind: 'ok' };
  }
  if (m.kind === 'release') {
    release();
    return { id: m.id, kind: 'ok' };
  }
  if (!batch) throw new Error('mamlUpdateWorker: no batch (setup first)');
  const { n, config } = batch;
  const opts = { innerLr: batch.innerLr, firstOrder: config.firstOrder };
  if (m.kind === 'gradient') {
    const { loss, grad } = metaGradient(batch.mb, opts);
    return { id: m.id, kind: 'gradient', loss: loss * n, grad: grad.map((x) => x * n) };
  }
  if (m.kind === 'curvature') {
    const r = curvatureVp(batch.curv.view, m.v, 0, opts);
    return { id: m.id, kind: 'vector', v: r.map((x) => x * n) };
  }
  const o = metaObjective(batch.derivatives, m.theta, batch.mb, opts);
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
