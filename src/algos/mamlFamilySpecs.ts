// Registry entries of the learners that build on MAML's pieces: Reptile and Meta-SGD. Both
// take MAML's per-family defaults (point-nav: inner step 0.5) and default iterations.
import type { AlgoSpec, CreateLearnerArgs } from './registry';
import { asJsonSchema, familyDefaults, iterationsFor } from './mamlSpecs';
import { MetaSgdLearner, metaSgdConfigSchema } from './metaSgd';
import { ReptileLearner, reptileConfigSchema } from './reptile';

export const reptileSpec: AlgoSpec = {
  id: 'reptile',
  title: 'Reptile',
  description:
    'Reptile (Nichol et al. 2018): on each task take a few policy-gradient steps from the initialisation, then move the initialisation part of the way towards the adapted parameters. First order, no trust region; adapts like MAML.',
  stageUnit: 'step',
  configSchema: asJsonSchema(reptileConfigSchema),
  metaBatchSize: (c) => reptileConfigSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  familyDefaults,
  remoteSampling: true,
  create: async (a: CreateLearnerArgs) =>
    new ReptileLearner({
      family: a.family,
      config: reptileConfigSchema.parse(a.config),
      seed: a.seed,
      workers: a.workers,
      sampler: a.sampler,
    }),
};

export const metaSgdSpec: AlgoSpec = {
  id: 'meta-sgd',
  title: 'Meta-SGD',
  description:
    'Meta-SGD (Li et al. 2017): MAML that also learns the inner step size of every policy parameter. θ takes MAML’s TRPO step through the exact second-order meta-gradient; the step sizes take an Adam step on theirs.',
  stageUnit: 'step',
  configSchema: asJsonSchema(metaSgdConfigSchema),
  metaBatchSize: (c) => metaSgdConfigSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  familyDefaults,
  remoteSampling: true,
  create: async (a: CreateLearnerArgs) =>
    new MetaSgdLearner({
      family: a.family,
      config: metaSgdConfigSchema.parse(a.config),
      seed: a.seed,
      workers: a.workers,
      sampler: a.sampler,
    }),
};
