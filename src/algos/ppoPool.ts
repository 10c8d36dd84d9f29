// The main thread's side of RL²'s PPO gradient workers (ppoWorker.ts): the messages, and
// a channel to one worker that computes a part of a minibatch's gradients.
import * as tf from '@tensorflow/tfjs';
import { RequestWorker } from '../samplers/requestWorker';
import type { GruWeights, PpoLossSettings } from '../policies/gruPolicyJs';
import type { PpoGradients, PpoMinibatch, RemoteGradients } from './ppo';

export type PpoRequest = {
  id: number;
  kind: 'gradients';
  /** The main thread's tfjs backend (what 'tfjs' gradients compute on). */
  backend: string;
  gradients: PpoGradients;
  weights: GruWeights;
  minibatch: PpoMinibatch;
  loss: PpoLossSettings;
};

export type PpoReply = { id: number; kind: 'gradients'; grads: Float32Array[]; side: number[] };

/**
 * Threads the update can use: plain-JS gradients run anywhere; tfjs's pay off on worker
 * threads only where tfjs computes on this thread's CPU (wasm, cpu).
 */
export function ppoThreads(requested: number, gradients: PpoGradients): number {
  const backend = tf.getBackend();
  return gradients === 'js' || backend === 'wasm' || backend === 'cpu' ? requested : 1;
}

export class PpoWorker extends RequestWorker<PpoRequest, PpoReply> implements RemoteGradients {
  constructor() {
    super('ppoWorker', 'PPO gradient worker');
  }

  async gradients(
    weights: GruWeights,
    minibatch: PpoMinibatch,
    loss: PpoLossSettings,
    gradients: PpoGradients,
  ): Promise<{ grads: Float32Array[]; side: number[] }> {
    const r = await this.request(
      {
        kind: 'gradients',
        backend: tf.getBackend(),
        gradients,
        weights,
        minibatch,
        loss: { clip: loss.clip, valueCoef: loss.valueCoef, entropyCoef: loss.entropyCoef },
      },
      'gradients',
    );
    return { grads: r.grads, side: r.side };
  }
}
