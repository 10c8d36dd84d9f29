// RL²'s defaults per environment family: the meta-iterations `metarl train` runs and the
// hyper-parameters laid under the user's values, each with what it was measured against.
import type { JsonObject } from '../shared/json';

/**
 * Meta-iterations `metarl train --algo rl2` runs by default, per family. Point-nav, 600
 * with the defaults (`metarl train --env point-nav --algo rl2 --seed S`, then `metarl eval
 * <run> --tasks 40`, evaluation seed 0), episode 1 → 2: seeds 1–7 −2.64 → −0.92, −3.25 →
 * −1.13, −2.44 → −1.07, −2.72 → −0.86, −2.64 → −1.20, −2.65 → −0.93, −2.74 → −1.08 (oracle
 * −0.5; gain ratios 0.67–0.83), 7.4–9.1 minutes of training each. With 32 units and the
 * value-loss weight 0.5, at 400 seed 1 (then the slowest to learn to search) stood at −9.6 →
 * −3.3 and at 600 at −7.1 → −2.4.
 * Cart-pole, 250 with its defaults (rl2FamilyDefaults): seeds 1 / 2 / 3 177.0 → 191.2,
 * 140.5 → 187.4, 118.9 → 172.5 (gain ratios 0.67 / 0.96 / 0.69 against each seed's oracle)
 * in 20–21 minutes; with 32 units and 40 tasks 300 iterations reached 131.1 → 152.8 and 700
 * no better. Reacher, 600 with its defaults: seeds 1 / 2 / 3 −12.43 → −10.96, −13.00 →
 * −10.45, −12.41 → −11.85 in 27 minutes each; from the checkpoints at 400 and 500, seed 1's
 * episode 2 was 0.3 lower (−11.29, −11.21), and seed 3 trained on to 700 and 800 stayed short
 * (−12.30 → −11.70, −12.28 → −11.65). Other families: 200.
 */
const DEFAULT_ITERATIONS: Record<string, number> = {
  'point-nav': 600,
  reacher: 600,
  cartpole: 250,
};

export function rl2DefaultIterations(familyId: string): number {
  return DEFAULT_ITERATIONS[familyId] ?? 200;
}

/** Point-nav's PPO settings, which the reacher shares (rl2FamilyDefaults). */
const POINT_NAV_PPO: JsonObject = {
  gaeLambda: 1,
  hiddenSize: 64,
  gradients: 'tfjs',
  targetKl: 0.05,
  valueCoef: 0.1,
};

/**
 * RL²'s per-family defaults, laid under the user's values. Cart-pole takes 64 GRU units: with
 * 32 its training returns levelled off at episode 1 / 2 ≈ 135–147 / 151–161 (300–700
 * iterations), with 64 they reached 182–184 / 188–190 by iteration 210 (seed 1). At that
 * width the tfjs gradients are the faster ones: from the 250th iteration of a cart-pole run
 * (~60 k env steps an iteration), the update took 2.7 s with tfjs on two threads, 4.0 s on
 * one, and 7.6 s with the plain-JS gradients on two (medians of 3 iterations). And 80 tasks
 * per iteration rather than 40: with 40, how far episode 2 got depended on the seed (40
 * held-out tasks, 250 iterations, gain ratios 0.36 / 1.05 / 0.76 on seeds 1–3); with 80,
 * 0.67 / 0.96 / 0.69, in 20–21 minutes each.
 *
 * Point-nav takes GAE λ = 1: with 0.95 a reward of episode 2 reaches an action of episode 1
 * (~40 steps earlier) at weight (γλ)⁴⁰ ≈ 0.08, so the exploration that pays in episode 2 is
 * credited only as far as the value head predicts it; with 1, at γ⁴⁰ ≈ 0.67. Gain ratios on
 * seeds 1–4 (40 held-out tasks, 400 iterations): λ 0.95 0.18 / 0.16 / 0.48 / 0.66 (tfjs
 * gradients on one thread; the JS update gave 0.34 and 0.07 on seeds 1 and 3), λ 1 0.62 /
 * 0.54 / −0.20 / 0.71, and 0.67 / 0.65 / 0.74 on seeds 5–7 (README, RL²).
 *
 * Point-nav also clips the policy's inputs to ±1 (inputClip). Unclipped, an episode that
 * leaves the square (goals lie in [−0.5, 0.5]²) feeds the GRU positions and rewards it has
 * never seen, and a policy can settle into heading away for the rest of the episode: seed 3,
 * 400 iterations, sent 2 of 20 first and 4 of 20 second episodes of one corner goal to 2–4
 * units from the start (−197 to −352 each, against −2 to −36), and such episodes made its
 * training returns swing by up to 10 between iterations. Clipped, far away reads as the edge,
 * which training visits and penalises. Seeds 1–3 at 400 / 600 / 800 iterations, episode 2's
 * gap to the oracle: unclipped 1.97 / 1.69 / 6.81 at 400; clipped 2.77 / 1.48 / 1.96,
 * 1.89 / 1.61 / 1.28 and 1.57 / 1.72 / 1.16 (README, RL²).
 *
 * And point-nav weighs the value loss by 0.1, on 64 units with the tfjs gradients and a KL
 * stop at 0.05. The value head shares the GRU, and the gradient is clipped as a whole: a batch
 * with a few trials that wander off makes the value loss jump (0.05 → 5), the clipped step is
 * then mostly the value head's and moves the GRU under the policy. With the weight 0.5, seed
 * 2 (64 units, KL stop) stood at episode 1 / 2 = −3.2 / −1.6 on its training tasks over
 * iterations 481–520 and fell to −4.6 / −9.2 over the last 40 after two such batches (no
 * update's KL above 0.036); with 0.1 it ends at −3.3 / −1.2 (README, RL²).
 *
 * The reacher takes point-nav's PPO settings (λ 1, 64 units with the tfjs gradients, the KL
 * stop, the value weight 0.1; not the input clip: its joint velocities pass ±1) and 80 tasks
 * per iteration. With 40 tasks, seed 1 reached a gain ratio of 0.38 and seed 2 none (episode
 * 2 within 0.2 of episode 1 on its training tasks up to iteration 543); with 80, seed 2's
 * episode 2 stood 1.5–1.9 above episode 1 on its training tasks from iteration 100 on, and on
 * 40 held-out tasks episode 2 is above episode 1 on seeds 1–3 (gain ratios 0.54 / 0.70 /
 * 0.22; README, RL²).
 */
export function rl2FamilyDefaults(familyId: string): JsonObject {
  if (familyId === 'cartpole') return { hiddenSize: 64, gradients: 'tfjs', metaBatchSize: 80 };
  if (familyId === 'point-nav') return { ...POINT_NAV_PPO, inputClip: 1 };
  if (familyId === 'reacher') return { ...POINT_NAV_PPO, metaBatchSize: 80 };
  return {};
}
