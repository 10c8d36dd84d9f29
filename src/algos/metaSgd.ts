// Meta-SGD for reinforcement learning (Li et al. 2017): MAML whose inner step size is a
// learned vector α, one entry per policy parameter, meta-trained together with θ:
//   inner loop   θ_{k+1} = θ_k − α ∘ ∇θ L_in(θ_k), per task (MAML's inner loop, vector α);
//   outer loop   minimise mean_t L_out(φ_t(θ, α)) over θ and α.
// θ takes MAML's outer step (TRPO, or the PPO option) through the exact second-order
// meta-gradient with the vector α. α takes an Adam step on its own exact meta-gradient
// ∂L_out/∂α = −Σ_k ∇L_in(θ_k) ∘ w_{k+1} (metaGradient.ts, stepSizeGradient), taken on the
// same meta-batch at the θ the batch was sampled with. Adam rather than TRPO for α: the
// trust region measures the policy's KL, which α moves only through the adaptation, and α's
// entries share no natural scale with θ's; Adam's per-entry normalisation keeps every α
// moving at the rate stepSizeLr whatever the size of its gradient.
//
// α starts at the MAML inner step size (innerLr; a latent's entries latentInnerLr) and is
// what adaptation uses at evaluation and in the viewer: the first step is α scaled by
// adaptLr / innerLr (1 unless adaptLr or the budget's stepSize is given), later steps a
// quarter of that (or as told).
// The metrics report α per layer: alpha/<layer>/mean, min and max, and a histogram.
import { z } from 'zod';
import { paramLayout } from '../policies/gaussianMlp';
import type { JsonObject } from '../shared/json';
import { Adam } from './adam';
import type { StepSize } from './derivatives';
import { MamlLearner, type MamlArgs } from './maml';
import { innerStepSizeOf, mamlConfigSchema } from './mamlConfig';
import type { TaskShare } from './mamlUpdatePool';
import type { MetaBatch } from './metaBatch';
import { stepSizeGradient } from './metaGradient';
import type { Checkpoint, Metrics } from './metaLearner';

export const metaSgdConfigSchema = mamlConfigSchema
  .extend({
    /**
     * Adam learning rate of the per-parameter inner step sizes α. 0.01 let α move by up to
     * about its own size within 60 meta-iterations (point-nav, α from 0.5); at 0.003 it
     * stayed within a third of it and Meta-SGD hardly differed from MAML.
     */
    stepSizeLr: z.number().positive().max(1).default(0.01),
  })
  .strict();

export type MetaSgdConfig = z.infer<typeof metaSgdConfigSchema>;

/** Bins of the per-layer α histograms in the metrics (alpha/<layer>/hist_<bin>). */
export const ALPHA_HIST_BINS = 8;

export class MetaSgdLearner extends MamlLearner {
  /** The learned inner step sizes α, one per entry of θ. */
  alpha: Float32Array;
  private readonly alphaAdam: Adam;

  constructor(args: MamlArgs & { config: MetaSgdConfig }) {
    const { stepSizeLr, ...maml } = args.config;
    super({ ...args, config: maml, algo: args.algo ?? 'meta-sgd' });
    const start = innerStepSizeOf(this.spec, this.config);
    this.alpha =
      typeof start === 'number'
        ? new Float32Array(this.theta.length).fill(start)
        : Float32Array.from(start);
    this.alphaAdam = new Adam([[this.theta.length]], stepSizeLr);
  }

  protected override innerStepSize(): StepSize {
    return this.alpha;
  }

  protected override readonly buildsWholeBatch = true;

  protected override adaptStepShape(): Float32Array {
    const lr = this.config.innerLr;
    return this.alpha.map((a) => a / lr);
  }

  /** θ's outer step as MAML's; α's Adam step on its meta-gradient at the batch's θ. */
  protected override async outerStep(mb: MetaBatch, share: TaskShare): Promise<Metrics> {
    const gAlpha = stepSizeGradient(this.derivatives, mb, this.gradientOptions);
    const metrics = await super.outerStep(mb, share);
    this.alpha = this.alphaAdam.applyFlat(this.alpha, gAlpha);
    let n2 = 0;
    for (const g of gAlpha) n2 += g * g;
    metrics['losses/alpha_grad_norm'] = Math.sqrt(n2);
    return metrics;
  }

  override async metaTrainStep(tasks: JsonObject[]): Promise<Metrics> {
    const metrics = await super.metaTrainStep(tasks);
    return Object.assign(metrics, alphaSummary(this.alpha, this.spec));
  }

  override async saveState(): Promise<Checkpoint> {
    const c = await super.saveState();
    const P = this.alpha.length;
    const { m, v } = this.alphaAdam.moments();
    c.params.alpha = { shape: [P], data: new Float32Array(this.alpha) };
    c.optimizerTensors.alphaAdamM = { shape: [P], data: m };
    c.optimizerTensors.alphaAdamV = { shape: [P], data: v };
    c.optimizerState.alphaAdamStep = this.alphaAdam.step;
    return c;
  }

  override async loadState(c: Checkpoint): Promise<void> {
    await super.loadState(c);
    const P = this.theta.length;
    const a = c.params.alpha;
    if (!a || a.data.length !== P)
      throw new Error(
        `checkpoint params.alpha has ${a ? a.data.length : 'no'} values; this meta-sgd policy needs ${P}`,
      );
    if (!Array.from(a.data).every(Number.isFinite))
      throw new Error('checkpoint params.alpha holds non-finite values');
    const m = c.optimizerTensors.alphaAdamM;
    const v = c.optimizerTensors.alphaAdamV;
    const step = c.optimizerState.alphaAdamStep;
    if (!m || !v || typeof step !== 'number')
      throw new Error(
        'checkpoint has no optimiser state for alpha (alphaAdamM, alphaAdamV, alphaAdamStep)',
      );
    this.alpha = new Float32Array(a.data);
    this.alphaAdam.setMoments(0, m.data, v.data, step);
  }
}

/**
 * α per layer of the policy (W0, b0, …, logStd): mean, min, max, and a histogram of
 * ALPHA_HIST_BINS equal bins over [min, max] of that layer (alpha/<layer>/hist_<bin>, counts
 * as fractions of the layer's entries).
 */
export function alphaSummary(alpha: Float32Array, spec: MamlLearner['spec']): Metrics {
  const out: Metrics = {};
  for (const e of paramLayout(spec)) {
    const xs = alpha.subarray(e.offset, e.offset + e.size);
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    for (const x of xs) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      sum += x;
    }
    out[`alpha/${e.name}/mean`] = sum / xs.length;
    out[`alpha/${e.name}/min`] = lo;
    out[`alpha/${e.name}/max`] = hi;
    const counts = new Array<number>(ALPHA_HIST_BINS).fill(0);
    const width = (hi - lo) / ALPHA_HIST_BINS;
    for (const x of xs) {
      const b = width > 0 ? Math.min(ALPHA_HIST_BINS - 1, Math.floor((x - lo) / width)) : 0;
      counts[b]++;
    }
    counts.forEach((c, b) => (out[`alpha/${e.name}/hist_${b}`] = c / xs.length));
  }
  return out;
}
