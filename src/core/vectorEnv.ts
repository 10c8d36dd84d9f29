// A synchronous vector of envs (Gymnasium's SyncVectorEnv) with next-step auto-reset:
// after a sub-env ends, the *next* step() resets it (its action is ignored) and reports
// the reset observation with reward 0. Each sub-env may hold a different task, which is
// what meta-RL samplers need. Buffers are allocated once.
import type { Env } from './env';

export interface VectorStep {
  obs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSize: number;
  readonly singleActionSize: number;
  /** Reset all; sub-env i is seeded `seed + i`. Returns the batched observations (numEnvs × obsSize). */
  reset(seed: number): Float32Array;
  /** `actions` is numEnvs × actSize, row-major. Returned buffers are reused by the next call. */
  step(actions: Float32Array): VectorStep;
}

export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSize: number;
  readonly singleActionSize: number;
  private readonly obs: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly needsReset: Uint8Array;
  private readonly actionViews: Float32Array[];
  private readonly steps: Uint32Array;
  private episodeSeeds: number[] = [];

  constructor(readonly envs: Env[]) {
    if (envs.length === 0) throw new Error('SyncVectorEnv needs at least one env');
    this.numEnvs = envs.length;
    this.singleObservationSize = envs[0].observationSpace.size;
    this.singleActionSize = envs[0].actionSpace.size;
    for (const e of envs) {
      if (
        e.observationSpace.size !== this.singleObservationSize ||
        e.actionSpace.size !== this.singleActionSize
      ) {
        throw new Error('SyncVectorEnv: all envs must share observation and action sizes');
      }
    }
    this.obs = new Float32Array(this.numEnvs * this.singleObservationSize);
    this.rewards = new Float32Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    this.needsReset = new Uint8Array(this.numEnvs);
    this.steps = new Uint32Array(this.numEnvs);
    this.actionViews = [];
    const scratch = new Float32Array(this.numEnvs * this.singleActionSize);
    for (let i = 0; i < this.numEnvs; i++) {
      this.actionViews.push(
        scratch.subarray(i * this.singleActionSize, (i + 1) * this.singleActionSize),
      );
    }
  }

  reset(seed: number): Float32Array {
    this.episodeSeeds = [];
    for (let i = 0; i < this.numEnvs; i++) {
      // Later auto-resets draw no new seed: each env's own generator carries on.
      const { obs } = this.envs[i].reset({ seed: seed + i });
      this.obs.set(obs, i * this.singleObservationSize);
      this.needsReset[i] = 0;
      this.steps[i] = 0;
      this.episodeSeeds.push(seed + i);
    }
    return this.obs;
  }

  step(actions: Float32Array): VectorStep {
    const A = this.singleActionSize;
    const O = this.singleObservationSize;
    if (actions.length !== this.numEnvs * A) {
      throw new Error(
        `SyncVectorEnv.step: expected ${this.numEnvs * A} action values, got ${actions.length}`,
      );
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      if (this.needsReset[i]) {
        const { obs } = env.reset();
        this.obs.set(obs, i * O);
        this.rewards[i] = 0;
        this.terminated[i] = 0;
        this.truncated[i] = 0;
        this.needsReset[i] = 0;
        continue;
      }
      const a = this.actionViews[i];
      for (let k = 0; k < A; k++) a[k] = actions[i * A + k];
      const r = env.step(a);
      this.obs.set(r.obs, i * O);
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) this.needsReset[i] = 1;
    }
    return {
      obs: this.obs,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
    };
  }
}
