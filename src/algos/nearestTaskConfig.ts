// Nearest-task's settings and per-family defaults (the learner: ./nearestTask.ts).
import { z } from 'zod';
import type { JsonObject } from '../shared/json';

/**
 * The defaults, measured with `bench:meta-quality` (40 held-out tasks, eval seed 0; 150
 * iterations on point-nav, 300 elsewhere), exploration → nearest policy, against the
 * pretrained baseline after one tuned step (trained 60 iterations on point-nav, 30 elsewhere)
 * and the oracle:
 *   point-nav seed 1  −53.2 → −6.0  (pretrained −13.4, oracle −0.48; 2.6 min, 2.04 M env steps)
 *   point-nav seed 2  −53.2 → −5.8  (pretrained −14.5, oracle −0.49; 1.7 min, 2.00 M)
 *   point-nav seed 3  −53.2 → −7.3  (pretrained −12.0, oracle −0.49; 1.9 min, 2.04 M)
 *   cart-pole seed 1  131.0 → 192.5 (pretrained 134.7, oracle 154.1; 3.3 min, 17.5 M)
 *   cart-pole seed 2  120.9 → 191.9 (pretrained 108.9, oracle 188.9; 3.1 min, 16.4 M)
 *   cart-pole seed 3  122.5 → 198.6 (pretrained 117.0, oracle 190.9; 3.0 min, 17.5 M)
 *   reacher seed 1    −15.7 → −11.2 (pretrained −12.5, oracle −11.6; 1.8 min, 6.30 M)
 *   reacher seed 2    −15.2 → −10.5 (pretrained −12.0, oracle −11.9; 1.9 min, 6.30 M)
 *   reacher seed 3    −15.5 → −10.9 (pretrained −12.3, oracle −11.7; 1.6 min, 6.30 M)
 * (point-nav on a 2-core machine shared with other jobs, load average 7–8; the others run
 * alone, load 1.3–3.5; the reacher rows by `metarl train` and `metarl eval`, the same
 * protocol.) The reacher and cart-pole match by the known policies (matchBy 'policies'): by
 * the sweep the reacher gave −21.5 → −14.3 / −13.0 / −13.0, cart-pole 60.2 → 145.4 / 185.7 /
 * 174.7. Each known task's policy trains
 * on its cell, not its own task alone: alone, a policy whose task is solved by running at full
 * speed and terminating never learns to stop (point-nav seed 3: −22.1, one held-out task −600).
 */
export const nearestTaskConfigSchema = z
  .object({
    /** Known tasks in the library (K), each with its own policy. */
    prototypes: z.number().int().min(1).max(200).default(40),
    /**
     * Tasks in each meta-batch: the first is the candidate pool the K prototypes are picked
     * from (farthest-point sampling on exploration features); at least `prototypes`.
     */
    candidates: z.number().int().min(1).max(2000).default(160),
    /** Tasks of each later meta-batch run as query tasks for the live curves. */
    queryTasks: z.number().int().min(1).max(200).default(5),
    /** Hidden layer widths of each prototype's policy MLP. */
    hidden: z.array(z.number().int().min(1).max(1024)).min(1).max(4).default([32, 32]),
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    /** The policies act in [-1, 1] per action dimension, rescaled to the env's bounds. */
    normalizeActions: z.boolean().default(true),
    /** Initial action standard deviation (policy units). */
    initStd: z.number().positive().max(10).default(1),
    /** Episodes per prototype per meta-iteration (and per query task for the live curves). */
    episodesPerTask: z.number().int().min(1).max(1000).default(5),
    /** TRPO: the KL radius of each prototype's step. */
    maxKl: z.number().positive().max(1).default(0.01),
    /** TRPO: conjugate-gradient iterations. */
    cgIters: z.number().int().min(1).max(100).default(10),
    /** TRPO: damping added to the Fisher matrix (F + δI). */
    cgDamping: z.number().min(0).max(1).default(1e-5),
    /** TRPO: line-search tries and the factor the step shrinks by at each. */
    lsMaxSteps: z.number().int().min(1).max(50).default(15),
    lsBacktrack: z.number().gt(0).lt(1).default(0.8),
    gamma: z.number().min(0).max(1).default(0.99),
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Period (steps) of the exploration sweep. */
    sweepPeriod: z.number().int().min(2).max(10_000).default(20),
    /**
     * How a new task finds its nearest known task. 'sweep': by the features of the open-loop
     * exploration sweep (./taskEmbedding.ts). 'policies': the exploration episodes run every
     * known task's policy on it (⌊E/K⌋ episodes each of a stage of E, at least one), and the
     * nearest known task is the one whose policy returned most (./policyProbe.ts). The
     * library is picked by the sweep either way.
     */
    matchBy: z.enum(['sweep', 'policies']).default('sweep'),
    /** Step size of the policy-gradient steps after the nearest policy's episodes (stage 2 on). */
    adaptLr: z.number().positive().max(100).default(0.1),
  })
  .strict()
  .refine((c) => c.candidates >= c.prototypes, {
    path: ['candidates'],
    message: 'must be at least prototypes (the library is picked from the candidates)',
  });

export type NearestTaskConfig = z.infer<typeof nearestTaskConfigSchema>;

/**
 * Per-family defaults. Point-nav: 40 known tasks, 5 episodes each per meta-iteration (its
 * goals are spread over the plane, and a point's policy learns from few episodes). The robot
 * families: 10 known tasks, 20 episodes each (as many episodes per meta-iteration): an arm or
 * a pole needs more episodes per update than a point, and what tells their tasks apart (a
 * motor's sign, the goal's side) is coarser. Cart-pole seed 1, 300 iterations, 40 held-out
 * tasks: 40 × 5 gave 60.2 → 123.3, 10 × 20 gave 60.2 → 145.4 (pretrained after one tuned
 * step 134.7); on reacher the two were level (−14.4 and −14.3).
 *
 * The reacher, cart-pole and cheetah-vel match a new task by the known policies' returns
 * (./policyProbe.ts says why); point-nav keeps the sweep (its 40 known policies would need 40
 * exploration episodes, twice an evaluation stage), cheetah-dir too (the two were level: the
 * sweep's rewards, d·v, give the direction away), and the MuJoCo families were not measured
 * with the policies. Seed 1, 300 iterations, 40 held-out tasks, exploration → nearest policy:
 * cheetah-vel −171.2 → −114.1 by the policies, −194.7 → −126.6 by the sweep (pretrained after
 * one tuned step −118.6, oracle −93.8, both 400 iterations; 6.4 and 6.1 minutes), seed 2
 * −168.1 → −117.4 and −194.7 → −129.3;
 * cheetah-dir −39.7 → 180.0 by the policies, −31.4 → 179.9 by the sweep (pretrained 25.6,
 * oracle 327.3; 6.7 and 6.2 minutes). On the cheetahs the gradient steps after the nearest
 * policy keep 0.1 (not measured).
 * The reacher's gradient steps after the nearest policy are 0.003: its known policies end with a
 * small action noise (entropy −1.3 after 300 iterations), and a step of 0.1 undid the nearest
 * policy's return (seeds 1–3, 40 training tasks, after 1 / 2 steps: −9.5 / −19.6, −9.1 / −20.7,
 * −9.2 / −18.6). Of 0.1, 0.03, 0.01, 0.003 and 0.001, 0.003 gave the best mean return after 2
 * and 3 steps there (−8.8 / −8.4, −9.1 / −8.6, −9.1 / −8.7). Cart-pole's are 0.01, the best
 * mean after 2 and 3 steps of 0.1, 0.03, 0.01 and 0.003 on its training tasks (0.1: 192.1 /
 * 194.0, 150.9 / 177.2, 196.6 / 195.2; 0.01: 193.3 / 192.7, 188.0 / 189.1, 197.6 / 197.0).
 */
export function nearestTaskFamilyDefaults(familyId: string): JsonObject {
  if (familyId === 'point-nav') return {};
  const robot = { prototypes: 10, episodesPerTask: 20 };
  if (familyId === 'reacher') return { ...robot, matchBy: 'policies', adaptLr: 0.003 };
  if (familyId === 'cartpole') return { ...robot, matchBy: 'policies', adaptLr: 0.01 };
  if (familyId === 'cheetah-vel') return { ...robot, matchBy: 'policies' };
  return robot;
}
