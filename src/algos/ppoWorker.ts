// A PPO gradient worker thread for RL²: given the policy's weights and a part of a
// minibatch of trials, it answers with that part's gradients (plain-JS BPTT, or the tfjs
// reference on its own backend), so the update runs on two cores. The main thread adds
// the parts and takes the optimiser step (ppo.ts, ppoUpdate).
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { serveRequests } from '../samplers/requestWorker';
import { initBackend } from '../tf/backend';
import { GRU_PARAM_NAMES, type GruParams } from '../policies/gruPolicy';
import { gruParamShapes, ppoGradientsJs } from '../policies/gruPolicyJs';
import { minibatchGradients } from './ppo';
import type { PpoReply, PpoRequest } from './ppoPool';

if (!parentPort) throw new Error('ppoWorker must run in a worker thread');
let ready: Promise<unknown> | null = null;

async function handle(m: PpoRequest): Promise<PpoReply> {
  if (m.gradients === 'js') {
    const { grads, side } = ppoGradientsJs(m.weights, m.minibatch, m.loss);
    return { id: m.id, kind: 'gradients', grads, side };
  }
  // The same backend as the main thread (wasm or cpu), so the parts compute alike.
  ready ??= initBackend(m.backend === 'cpu' ? 'cpu' : 'wasm');
  await ready;
  const shapes = gruParamShapes(m.weights);
  const params = Object.fromEntries(
    GRU_PARAM_NAMES.map((n, j) => [n, tf.tensor(m.weights.data[n], shapes[j])]),
  ) as GruParams;
  try {
    const { grads, side } = minibatchGradients(params, m.minibatch, m.loss);
    return { id: m.id, kind: 'gradients', grads, side };
  } finally {
    for (const t of Object.values(params)) t.dispose();
  }
}

serveRequests(parentPort, handle);
