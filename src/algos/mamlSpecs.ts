// Registry entries for MAML and the MAML paper's baselines, all trained by MamlLearner:
//   maml        meta-trained through the inner update (the paper's method);
//   pretrained  one policy trained with TRPO on all tasks (innerSteps fixed at 0), then
//               fine-tuned at evaluation with the same inner steps;
//   oracle      TRPO with the task's parameters appended to the observation.
// The "random init" baseline needs no training: createRandomInit (below) builds an
// untrained MAML learner, which evaluation fine-tunes from its fresh initialisation.
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import type { JsonObject } from '../shared/json';
import { withTaskInObservation } from '../samplers/taskInObservation';
import { defaultWorkerCount } from '../samplers/sampler';
import { type MamlConfig, mamlConfigSchema, MamlLearner } from './maml';
import type { AlgoSpec, CreateLearnerArgs } from './registry';

const baselineSchema = mamlConfigSchema.extend({
  /** Baselines train without an inner update; evaluation still fine-tunes them. */
  innerSteps: z.literal(0).default(0),
});

/** Default meta-iterations per family: point-nav reaches the paper's figures well within this. */
function iterationsFor(familyId: string): number {
  return familyId === 'point-nav' ? 200 : 500;
}

function asJsonSchema(s: z.ZodType): z.ZodType<JsonObject> {
  return s as unknown as z.ZodType<JsonObject>;
}

export const mamlSpec: AlgoSpec = {
  id: 'maml',
  title: 'MAML',
  description: 'Model-agnostic meta-learning (Finn et al. 2017): meta-trains an initialisation that adapts to a new task in a few policy-gradient steps. Exact second-order meta-gradient, TRPO outer step.',
  stageUnit: 'step',
  configSchema: asJsonSchema(mamlConfigSchema),
  metaBatchSize: (c) => mamlConfigSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  create: async (a: CreateLearnerArgs) =>
    new MamlLearner({ family: a.family, config: mamlConfigSchema.parse(a.config), seed: a.seed, workers: a.workers, algo: 'maml' }),
};

export const pretrainedSpec: AlgoSpec = {
  id: 'pretrained',
  title: 'Pretrained (baseline)',
  description: 'The MAML paper’s "pretrained" baseline: one policy trained with TRPO on all tasks, fine-tuned on a new task with the same gradient steps.',
  stageUnit: 'step',
  configSchema: asJsonSchema(baselineSchema),
  metaBatchSize: (c) => baselineSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  create: async (a: CreateLearnerArgs) =>
    new MamlLearner({ family: a.family, config: baselineSchema.parse(a.config) as MamlConfig, seed: a.seed, workers: a.workers, algo: 'pretrained' }),
};

export const oracleSpec: AlgoSpec = {
  id: 'oracle',
  title: 'Oracle (baseline)',
  description: 'The MAML paper’s oracle: TRPO with the task parameters (e.g. the goal) appended to the observation, an upper bound on what adaptation can reach.',
  stageUnit: 'step',
  configSchema: asJsonSchema(baselineSchema),
  metaBatchSize: (c) => baselineSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  create: async (a: CreateLearnerArgs) =>
    new MamlLearner({
      family: withTaskInObservation(a.family),
      config: baselineSchema.parse(a.config) as MamlConfig,
      seed: a.seed,
      workers: a.workers,
      algo: 'oracle',
    }),
};

/**
 * The "random init" baseline: an untrained policy (MAML's defaults, or `config`), to be
 * fine-tuned by evaluation. Deterministic given the seed.
 */
export function createRandomInit(family: TaskFamily, seed: number, workers = defaultWorkerCount(), config: JsonObject = {}): MamlLearner {
  return new MamlLearner({ family, config: mamlConfigSchema.parse(config), seed, workers, algo: 'random' });
}
