// A small but genuine MetaLearner for testing the runtime without tfjs learners: a
// zeroth-order hill-climber over a constant-velocity policy on point-nav (any family with a
// continuous action). Meta-training: an evolution-strategies gradient estimate of the mean
// return over the meta-batch, with momentum (real optimiser state). Adaptation: the same
// estimate on one task, a few steps. Every number comes from the seeded Rng, so runs are
// reproducible and resumable from a checkpoint.
//
// Test switches in its hyper-parameters: `nanAt` makes the loss NaN at that iteration,
// `nanParamsAt` poisons the parameters (with finite metrics), `slowMs` stretches an iteration.
// Importing this module registers it as the algo 'test-hill'.
import { z } from 'zod';
import type { TaskFamily } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import type {
  AdaptBudget,
  AdaptResult,
  Checkpoint,
  EpisodeRecord,
  Metrics,
  MetaLearner,
} from '../../src/algos/metaLearner';
import { ALGOS, type AlgoSpec } from '../../src/algos/registry';
import type { JsonObject } from '../../src/shared/json';

const HyperSchema = z.strictObject({
  lr: z.number().min(0).max(10).default(0.02),
  sigma: z.number().min(1e-4).max(1).default(0.03),
  perturbations: z.number().int().min(1).max(64).default(4),
  metaBatch: z.number().int().min(1).max(100).default(4),
  adaptLr: z.number().min(0).max(10).default(0.03),
  nanAt: z.number().int().optional(),
  nanParamsAt: z.number().int().optional(),
  slowMs: z.number().int().min(0).max(60_000).default(0),
});
type Hyper = z.infer<typeof HyperSchema>;

export class HillClimber implements MetaLearner {
  readonly algo = 'test-hill';
  onProgress: ((phase: string, fraction: number) => void) | null = null;
  private theta: Float32Array;
  private momentum: Float32Array;
  private steps = 0;
  private rng: Rng;

  constructor(
    private readonly family: TaskFamily,
    private readonly hp: Hyper,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.theta = new Float32Array(family.actionSize);
    this.momentum = new Float32Array(family.actionSize);
  }

  /** Return of one rollout of the constant action `a` (plus optional per-step noise). */
  private rollout(
    task: JsonObject,
    a: Float32Array,
    noise: Rng | null,
    record: boolean,
    stage: number,
    index: number,
  ): EpisodeRecord {
    const env = this.family.make(task, 0);
    const obsSize = this.family.observationSize;
    const actSize = this.family.actionSize;
    let obs = env.reset({ seed: 0 }).obs;
    const observations: number[] = [];
    const actions: number[] = [];
    const rewards: number[] = [];
    const frames: Float32Array[] | undefined = record ? [env.frame()] : undefined;
    const act = new Float32Array(actSize);
    let ret = 0;
    for (let t = 0; t < env.horizon; t++) {
      for (let i = 0; i < actSize; i++) act[i] = a[i] + (noise ? 0.01 * noise.normal() : 0);
      for (let i = 0; i < obsSize; i++) observations.push(obs[i]);
      for (let i = 0; i < actSize; i++) actions.push(act[i]);
      const s = env.step(act);
      obs = s.obs;
      rewards.push(s.reward);
      ret += s.reward;
      frames?.push(env.frame());
      if (s.terminated || s.truncated) break;
    }
    return {
      stage,
      index,
      return: ret,
      length: rewards.length,
      observations: Float32Array.from(observations),
      actions: Float32Array.from(actions),
      rewards: Float32Array.from(rewards),
      ...(frames ? { frames } : {}),
    };
  }

  private score(tasks: JsonObject[], a: Float32Array): number {
    let s = 0;
    for (const t of tasks) s += this.rollout(t, a, null, false, 0, 0).return;
    return s / tasks.length;
  }

  /** Evolution-strategies gradient of the mean return at `a`. */
  private gradient(
    tasks: JsonObject[],
    a: Float32Array,
    rng: Rng,
    base: number,
    report?: (f: number) => void,
  ): Float32Array {
    const g = new Float32Array(a.length);
    const eps = new Float32Array(a.length);
    const probe = new Float32Array(a.length);
    for (let k = 0; k < this.hp.perturbations; k++) {
      rng.fillNormal(eps, 0, this.hp.sigma);
      for (let i = 0; i < a.length; i++) probe[i] = a[i] + eps[i];
      const d = this.score(tasks, probe) - base;
      for (let i = 0; i < a.length; i++)
        g[i] += (d * eps[i]) / (this.hp.perturbations * this.hp.sigma * this.hp.sigma);
      report?.((k + 1) / this.hp.perturbations);
    }
    // Normalised ascent direction: returns over 100 steps make raw ES gradients huge.
    const norm = Math.hypot(...g);
    if (norm > 0) for (let i = 0; i < g.length; i++) g[i] /= norm;
    return g;
  }

  async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    const t0 = performance.now();
    if (this.hp.slowMs > 0) await new Promise((r) => setTimeout(r, this.hp.slowMs));
    const pre = this.score(tasks, this.theta);
    // Post-adaptation return: one adaptation step per task from the current meta-parameters.
    let post = 0;
    for (const t of tasks) {
      const g = this.gradient([t], this.theta, this.rng, this.score([t], this.theta));
      const adapted = this.theta.map((v, i) => v + this.hp.adaptLr * g[i]);
      post += this.score([t], adapted) / tasks.length;
    }
    const g = this.gradient(tasks, this.theta, this.rng, pre, (f) =>
      this.onProgress?.('sampling', 0.9 * f),
    );
    for (let i = 0; i < this.theta.length; i++) {
      this.momentum[i] = 0.5 * this.momentum[i] + g[i];
      this.theta[i] += this.hp.lr * this.momentum[i];
    }
    this.steps++;
    this.onProgress?.('outer', 1);
    if (this.hp.nanParamsAt === this.steps) this.theta[0] = Number.NaN;
    const loss = this.hp.nanAt === this.steps ? Number.NaN : -pre;
    return {
      'returns/pre': pre,
      'returns/post_1': post,
      'losses/loss': loss,
      'time/total': (performance.now() - t0) / 1000,
    };
  }

  async adapt(
    task: JsonObject,
    budget: AdaptBudget,
    onEpisode?: (ep: EpisodeRecord) => void,
  ): Promise<AdaptResult> {
    const parsed = this.family.parseTask(task);
    const rng = new Rng(budget.seed);
    let a = Float32Array.from(this.theta);
    const returns: number[] = [];
    const episodes: EpisodeRecord[] = [];
    for (let stage = 0; stage <= budget.steps; stage++) {
      if (stage > 0) {
        const g = this.gradient([parsed], a, rng, this.score([parsed], a));
        a = a.map((v, i) => v + this.hp.adaptLr * g[i]);
      }
      let sum = 0;
      for (let e = 0; e < budget.episodesPerStage; e++) {
        const ep = this.rollout(parsed, a, rng, budget.recordFrames ?? false, stage, e);
        sum += ep.return;
        episodes.push(ep);
        onEpisode?.(ep);
      }
      returns.push(sum / budget.episodesPerStage);
    }
    return { returns, episodes };
  }

  async saveState(): Promise<Checkpoint> {
    return {
      algo: this.algo,
      iteration: this.steps,
      params: { theta: { shape: [this.theta.length], data: Float32Array.from(this.theta) } },
      optimizerTensors: {
        momentum: { shape: [this.momentum.length], data: Float32Array.from(this.momentum) },
      },
      optimizerState: { steps: this.steps },
      rng: this.rng.getState(),
    };
  }

  async loadState(c: Checkpoint): Promise<void> {
    this.theta = Float32Array.from(c.params.theta.data);
    this.momentum = Float32Array.from(c.optimizerTensors.momentum.data);
    this.steps = Number(c.optimizerState.steps);
    this.rng = Rng.fromState(c.rng);
  }

  async dispose(): Promise<void> {}
}

export const hillClimberSpec: AlgoSpec = {
  id: 'test-hill',
  title: 'Hill-climber (test double)',
  description: 'Zeroth-order meta-learner used to test the training runtime.',
  stageUnit: 'step',
  configSchema: HyperSchema as unknown as z.ZodType<JsonObject>,
  metaBatchSize: (c) => Number(c.metaBatch),
  defaultIterations: () => 6,
  async create({ family, config, seed }) {
    return new HillClimber(family, HyperSchema.parse(config), seed);
  },
};

if (!ALGOS.some((a) => a.id === hillClimberSpec.id)) ALGOS.push(hillClimberSpec);
