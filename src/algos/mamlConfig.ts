// MAML's hyper-parameters (and those of the paper's baselines, which MamlLearner also
// trains): one zod schema, one line of documentation per field. Defaults are the MAML
// paper's 2-D navigation budget; each field says where it differs.
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import { type GaussianMlpSpec, numParams, paramLayout } from '../policies/gaussianMlp';

export const mamlConfigSchema = z
  .object({
    /** Hidden layer widths of the policy MLP (pytorch-maml-rl: 64-64; the paper: 100-100). */
    hidden: z.array(z.number().int().min(1).max(1024)).min(1).max(4).default([64, 64]),
    /** Hidden activation (pytorch-maml-rl: tanh; the paper: ReLU). */
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    /**
     * The policy acts in [-1, 1] per action dimension, rescaled to the family's action bounds
     * (rllab's `normalize`, as in the MAML paper's reference code; for point-nav, whose
     * velocity is bounded by ±0.1, a policy unit is 0.1). false: the policy's output is the
     * env's action as is (pytorch-maml-rl). Families with ±1 bounds are the same either way.
     */
    normalizeActions: z.boolean().default(true),
    /** Initial action standard deviation (in the policy's units). */
    initStd: z.number().positive().max(10).default(1),
    /**
     * Scale of the output layer's initial weights (Glorot-uniform × this). 0.01 starts the
     * mean action near 0 from every state; MAML and Meta-SGD take it on point-nav
     * (POINT_NAV_MAML_SETTINGS).
     */
    outputInitScale: z.number().positive().max(1).default(1),
    /** Tasks per meta-iteration (the paper: 20; MAML and Meta-SGD on mujoco-cheetah-vel: 40). */
    metaBatchSize: z.number().int().min(1).max(1000).default(20),
    /** Episodes per task and stage (the paper's K = 20; MAML, Meta-SGD on mujoco-cheetah-vel: 10). */
    episodesPerTask: z.number().int().min(1).max(1000).default(20),
    /** Inner gradient steps during meta-training (the paper: 1). 0 = no adaptation (pretrained / oracle). */
    innerSteps: z.number().int().min(0).max(10).default(1),
    /**
     * Inner step size α. 0.1 as in the paper's text and its locomotion code, on every family
     * but cart-pole, where MAML takes 0.3 (mamlSpecs.ts: familyDefaults says why point-nav does
     * not take its code's 0.5, mamlFamilyDefaults why cart-pole takes 0.3).
     */
    innerLr: z.number().positive().max(100).default(0.1),
    /** Step size of the first adaptation step at evaluation / in the viewer; defaults to innerLr. */
    adaptLr: z.number().positive().max(100).optional(),
    /**
     * Step size of adaptation steps 2, 3, … at evaluation / in the viewer; defaults to a quarter
     * of the first step's. Meta-training only ever takes the first step, and later steps start
     * closer to the solution with a gradient of the same size (advantages are normalised), so
     * they want a smaller step: the paper's evaluation script halves it; on point-nav training
     * tasks a quarter did better than a half at α = 0.5 and at α = 1 (README, Meta-learners).
     * Meta-SGD on the reacher takes 0.003 (metaSgdFamilyDefaults says why).
     */
    adaptLrLater: z.number().positive().max(100).optional(),
    /**
     * How a task's steps are averaged in the losses and the KL: 'step' = every step of the
     * task's episodes counts the same (the mean over all steps, as the MAML paper's rllab
     * code), 'episode' = each episode's steps average, then episodes average
     * (pytorch-maml-rl's weighted_mean; short episodes that reach the goal weigh more per step).
     */
    lossWeighting: z.enum(['step', 'episode']).default('step'),
    /**
     * true: a task's advantages are centred and divided by their standard deviation (the MAML
     * paper's rllab code, pytorch-maml-rl), so the inner step has the same size on every task.
     * false: centred only, so a task whose advantages are larger takes a larger inner step (the
     * outer TRPO step does not depend on their scale).
     */
    normalizeAdvantages: z.boolean().default(true),
    /**
     * The inner loss's curvature in the meta-gradient (derivatives.ts InnerCurvature): 'vpg'
     * as the MAML paper, or 'lvc', ProMP's low-variance curvature, which also credits the
     * policy before adaptation for what its episodes let the inner step learn.
     */
    innerCurvature: z.enum(['vpg', 'lvc']).default('vpg'),
    /**
     * Weight w of the policy's own return before adaptation in the meta-objective:
     * mean_t [L_out(φ_t(θ)) + w L_pre(θ)], L_pre the importance-weighted surrogate on the first
     * inner batch. 0 = the MAML paper's objective, which leaves where the policy before
     * adaptation goes to the adaptation alone. (With the PPO option both surrogates are clipped.)
     */
    preAdaptWeight: z.number().min(0).max(10).default(0),
    /** First-order MAML (drop the second-order terms of the meta-gradient). */
    firstOrder: z.boolean().default(false),
    /**
     * Size k of a per-episode latent (MAESN, Gupta et al. 2018; 0 = none, the paper's policy).
     * The policy draws z ~ N(μ_z, σ_z²) once per episode, starting from N(0, 1), and sees it
     * beside every observation; the inner step adapts μ_z and log σ_z with the rest. Episodes
     * before adaptation can then differ as wholes (a gaussian policy's per-step noise averages
     * out over an episode), and the step moves the latent towards the episodes that did well.
     */
    latentSize: z.number().int().min(0).max(16).default(0),
    /**
     * Inner step size of μ_z and log σ_z (with a latent; every other parameter takes innerLr).
     * A latent entry's gradient is about one episode's advantage per unit of z, so it takes a
     * larger step than the weights, as MAESN's separate latent step sizes do.
     */
    latentInnerLr: z.number().positive().max(100).default(1),
    /**
     * How derivatives are computed: 'manual' (hand-written backprop and R-operator products,
     * fast) or 'autodiff' (tfjs nested gradients through the higher-order-safe ops). Both are
     * exact and agree to float precision (tests); 'autodiff' is the reference.
     */
    derivatives: z.enum(['manual', 'autodiff']).default('manual'),
    /**
     * Threads for the outer update: the tasks' gradient and curvature products are split
     * between this thread and (updateThreads − 1) worker threads, each with its own tfjs
     * backend (wasm has no threads of its own in Node). 1 = all in this thread.
     */
    updateThreads: z.number().int().min(1).max(16).default(2),
    /** Discount. */
    gamma: z.number().min(0).max(1).default(0.99),
    /**
     * GAE λ. 1 = Monte-Carlo returns minus the baseline, as in the paper; 0.95 gives the
     * inner step a less noisy gradient from its 20 episodes (point-nav, 200 iterations: the
     * return after one step on training tasks went from −12.6 to −11.6).
     */
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Outer optimiser: TRPO (the paper) or a PPO-style clipped objective with Adam. */
    outer: z.enum(['trpo', 'ppo']).default('trpo'),
    /** TRPO: KL radius. */
    maxKl: z.number().positive().max(1).default(0.01),
    /** TRPO: conjugate-gradient iterations. */
    cgIters: z.number().int().min(1).max(100).default(10),
    /** TRPO: damping added to the curvature (H + δI). */
    cgDamping: z.number().min(0).max(1).default(1e-5),
    /**
     * TRPO: fraction of each task's episodes used for the curvature products of the
     * conjugate-gradient solve (rllab's subsample_factor; 1 = all, as pytorch-maml-rl). A
     * quarter makes the update ~2× faster and trains as well on point-nav (bench:maml);
     * the gradient and the line search (which enforces the KL bound) always use all.
     */
    cgSubsample: z.number().gt(0).max(1).default(0.25),
    /** TRPO: line-search tries and backtracking ratio. */
    lsMaxSteps: z.number().int().min(1).max(50).default(15),
    lsBacktrack: z.number().gt(0).lt(1).default(0.8),
    /** PPO: clip range, epochs over the batch, Adam learning rate. */
    ppoClip: z.number().positive().max(1).default(0.2),
    ppoEpochs: z.number().int().min(1).max(100).default(5),
    ppoLr: z.number().positive().max(1).default(3e-3),
  })
  .strict();

export type MamlConfig = z.infer<typeof mamlConfigSchema>;

/**
 * A MAML-family schema that also refuses what its fields allow one by one but the learner
 * cannot run: 'lvc' curvature with the PPO outer option, whose epochs re-adapt from moving
 * parameters without the surrogate's sample weights.
 */
export function withSupportedCombinations<T extends z.ZodType<MamlConfig>>(schema: T) {
  return schema.superRefine((c, ctx) => {
    if (c.innerCurvature === 'lvc' && c.outer !== 'trpo')
      ctx.addIssue({
        code: 'custom',
        path: ['innerCurvature'],
        input: c.innerCurvature,
        message: `'lvc' runs with outer 'trpo' only, not '${c.outer}' (the PPO option's epochs would need its weights)`,
      });
    if (c.preAdaptWeight > 0 && c.innerSteps === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['preAdaptWeight'],
        input: c.preAdaptWeight,
        message:
          'preAdaptWeight > 0 needs innerSteps ≥ 1 (there is no return before adaptation without one)',
      });
  });
}

/** The Gaussian MLP policy a config describes, for a family's observation and action sizes. */
export function policySpecOf(
  family: Pick<TaskFamily, 'observationSize' | 'actionSize'>,
  config: MamlConfig,
): GaussianMlpSpec {
  return {
    obsSize: family.observationSize + config.latentSize,
    actSize: family.actionSize,
    hidden: [...config.hidden],
    activation: config.activation,
    initStd: config.initStd,
    ...(config.latentSize > 0 ? { latentSize: config.latentSize } : {}),
  };
}

/**
 * The inner step size per entry of θ a config describes: innerLr, with the latent's μ_z and
 * log σ_z at latentInnerLr (one number when the policy has no latent).
 */
export function innerStepSizeOf(spec: GaussianMlpSpec, config: MamlConfig): number | Float32Array {
  if (config.latentSize === 0) return config.innerLr;
  const alpha = new Float32Array(numParams(spec)).fill(config.innerLr);
  for (const e of paramLayout(spec))
    if (e.name.startsWith('latent')) alpha.fill(config.latentInnerLr, e.offset, e.offset + e.size);
  return alpha;
}
