// An outer-update worker thread for MAML: holds a share of the meta-batch's tasks (their
// tensors and derivative points, on its own tfjs wasm backend) and answers the TRPO
// step's requests — the meta-gradient, curvature products and line-search objectives —
// as sums over its tasks. The main thread adds the shares (mamlUpdatePool.ts). Its share
// comes either whole ('setup': the main thread's data and adaptation paths) or stage by
// stage as episodes ('begin', 'inner', 'outer': it takes its tasks' inner steps itself).
import { parentPort } from 'node:worker_threads';
import { prepareFamily } from '../core/env';
import { resolveFamily } from '../samplers/families';
import { serveRequests } from '../samplers/requestWorker';
import { initBackend } from '../tf/backend';
import { createDerivatives, type PolicyDerivatives, type StepSize } from './derivatives';
import { innerStepSizeOf, type MamlConfig, mamlConfigSchema, policySpecOf } from './mamlConfig';
import {
  type MetaBatch,
  MetaBatchBuilder,
  type MetaBatchOptions,
  curvatureView,
  disposeMetaBatch,
  metaBatchAt,
} from './metaBatch';
import { curvatureVp, metaGradient, metaObjective } from './metaGradient';
import type { UpdateReply, UpdateRequest } from './mamlUpdatePool';
import { outerTensors, taskDataOf, toTensors } from './taskData';
import type { GaussianMlpSpec } from '../policies/gaussianMlp';
import type { JsonObject } from '../shared/json';

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
  if (staged) {
    disposeMetaBatch(staged.builder.mb);
    staged = null;
  }
}

/** A batch being built stage by stage (StagedShare): its builder until the outer stage. */
let staged: {
  config: MamlConfig;
  spec: GaussianMlpSpec;
  derivatives: PolicyDerivatives;
  builder: MetaBatchBuilder;
} | null = null;

async function start(backend: string, familyId: string, configIn: JsonObject) {
  // The same backend as the main thread (wasm or cpu), so the shares compute alike.
  ready ??= initBackend(backend === 'cpu' ? 'cpu' : 'wasm');
  await ready;
  release();
  const config = mamlConfigSchema.parse({ ...configIn, updateThreads: 1 });
  const family = resolveFamily(familyId);
  await prepareFamily(family);
  const spec = policySpecOf(family, config);
  return {
    config,
    spec,
    derivatives: createDerivatives(config.derivatives, spec, config.innerCurvature),
  };
}

/** The batch options of MamlLearner.batchOptions. */
function batchOptions(config: MamlConfig, innerLr: StepSize): MetaBatchOptions {
  return { innerLr, curvature: !config.firstOrder, preWeight: config.preAdaptWeight };
}

async function handleStaged(m: UpdateRequest): Promise<UpdateReply | null> {
  if (m.kind === 'begin') {
    const s = await start(m.backend, m.familyId, m.config);
    const opts = batchOptions(s.config, innerStepSizeOf(s.spec, s.config));
    const thetas = Array.from({ length: m.tasks }, () => m.theta);
    staged = { ...s, builder: new MetaBatchBuilder(s.derivatives, opts, thetas) };
    return { id: m.id, kind: 'ok' };
  }
  if (m.kind !== 'inner' && m.kind !== 'outer') return null;
  if (!staged) throw new Error(`mamlUpdateWorker: ${m.kind} stage without a begin`);
  const { config, spec, derivatives, builder } = staged;
  const data = m.episodes.map((eps) => taskDataOf(eps, spec, config));
  if (m.kind === 'inner') {
    const params = builder.innerStage(data.map((d) => toTensors(d, spec.obsSize, spec.actSize)));
    return { id: m.id, kind: 'params', params };
  }
  staged = null;
  const paths = builder.mb.paths;
  const mb = builder.outerStage(
    data.map((d, t) => outerTensors(spec, d, paths[t][paths[t].length - 1])),
  );
  const innerLr = innerStepSizeOf(spec, config);
  const opts = batchOptions(config, innerLr);
  const curv = curvatureView(derivatives, opts, mb, config.cgSubsample);
  batch = { config, innerLr, derivatives, mb, curv, n: data.length };
  return { id: m.id, kind: 'ok' };
}

async function handle(m: UpdateRequest): Promise<UpdateReply> {
  const reply = await handleStaged(m);
  if (reply) return reply;
  if (m.kind === 'setup') {
    const { config, spec, derivatives } = await start(m.backend, m.familyId, m.config);
    const innerLr = m.stepSizes ?? innerStepSizeOf(spec, config);
    const opts = batchOptions(config, innerLr);
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
  const opts = {
    innerLr: batch.innerLr,
    firstOrder: config.firstOrder,
    preWeight: config.preAdaptWeight,
  };
  if (m.kind === 'gradient') {
    const { loss, grad } = metaGradient(batch.mb, opts);
    return { id: m.id, kind: 'gradient', loss: loss * n, grad: grad.map((x) => x * n) };
  }
  if (m.kind === 'curvature') {
    const r = curvatureVp(batch.curv.view, m.v, 0, opts);
    return { id: m.id, kind: 'vector', v: r.map((x) => x * n) };
  }
  if (m.kind !== 'objective') throw new Error(`mamlUpdateWorker: unexpected ${m.kind} request`);
  const o = metaObjective(batch.derivatives, m.theta, batch.mb, opts);
  return { id: m.id, kind: 'objective', loss: o.loss * n, kl: o.kl * n };
}

// Requests are handled one after another in arrival order, so the main thread can queue a
// gradient request right behind the setup without waiting for the setup's reply.
serveRequests(port, handle);
