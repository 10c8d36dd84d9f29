// The sampler a learner uses, by the run's choice: worker threads in this process, or
// rollout workers on other machines behind a Redis URL. Learners see one interface and
// never know which; the Redis client is loaded only when a run asks for it.
import { isRemoteSampler } from '../shared/cluster';
import { type SampleRequest, type SampleResult, Sampler } from './sampler';
import type { RedisSampler } from './redisSampler';

export interface RolloutSampler {
  sample(req: SampleRequest): Promise<SampleResult>;
  close(): Promise<void>;
}

export interface SamplerChoice {
  /** Local worker threads (ignored by the Redis sampler). */
  workers: number;
  /** 'local' (default) or a redis:// / rediss:// URL. */
  sampler?: string;
  /** The learner whose policy is sampled. */
  learner: string;
}

class LazyRedisSampler implements RolloutSampler {
  private inner: Promise<RedisSampler> | null = null;

  constructor(
    private readonly url: string,
    private readonly learner: string,
  ) {}

  private get(): Promise<RedisSampler> {
    this.inner ??= import('./redisSampler').then(
      (m) => new m.RedisSampler({ url: this.url, learner: this.learner }),
    );
    return this.inner;
  }

  async sample(req: SampleRequest): Promise<SampleResult> {
    return (await this.get()).sample(req);
  }

  async close(): Promise<void> {
    if (this.inner) await (await this.inner).close();
  }
}

export function createSampler(choice: SamplerChoice): RolloutSampler {
  return isRemoteSampler(choice.sampler)
    ? new LazyRedisSampler(choice.sampler, choice.learner)
    : new Sampler(choice.workers);
}
