// Nearest-task's second way to match a new task to a known one (src/algos/nearestTask.ts,
// `matchBy: 'policies'`): instead of a fixed exploration sweep, the exploration episodes run
// the known tasks' own policies on the new task, and the known task whose policy returned most
// is the nearest. The distance from the new task to known task k is the return per episode
// its policy gave up against the best known policy on those episodes (0 for the one chosen),
// so "nearest" means "the known task whose behaviour suits this task best".
//
// Why it exists: on the reacher the open-loop sweep says little about the goal. How far the
// arm swings under a fixed torque pattern depends on its masses and damping as much as on
// anything, so tasks whose sweeps look alike often have goals far apart (seed 2, 300
// iterations, 40 held-out tasks: the sweep picked the known goal nearest the new one on 12 of
// 40 tasks, 0.127 m from it on average, where the nearest known goal was 0.046 m away). The
// known policies are closed-loop: each steers the fingertip towards its own goal whatever the
// masses, so their returns on a new task say where its goal is. On cart-pole a known policy
// balances the pole only if the motor is wired as on its own task, so the probes tell at once
// which way it is (seeds 1–3, 300 iterations: 145.4 / 185.7 / 174.7 by the sweep, 192.5 /
// 191.9 / 198.6 by the policies, 40 held-out tasks). On cheetah-vel each known policy runs at
// its own speed, so their returns say which target speed is nearest (seed 1: −126.6 by the
// sweep, −114.1 by the policies).
import type { JsonObject } from '../shared/json';
import type { GaussianMlpSpec } from '../policies/gaussianMlp';
import type { RolloutSampler } from '../samplers/createSampler';
import type { Episode } from '../samplers/sampler';
import { episodeSeed } from '../samplers/rollout';

export interface ProbeResult {
  /** The known task whose policy returned most. */
  index: number;
  /** Per known task: the return per episode its policy gave up against the best (≥ 0). */
  distances: number[];
  /** Per known task: the mean return of its policy's probe episodes. */
  returns: number[];
  /** Per known task, its probe episodes. */
  episodes: Episode[][];
  steps: number;
}

/** Probe episodes per known policy for an exploration stage of `episodes`: ⌊E/K⌋, at least 1. */
export function probesPerPolicy(episodes: number, known: number): number {
  return Math.max(1, Math.floor(episodes / known));
}

/**
 * Runs each known policy `perPolicy` times on `task` (policy k's episodes seeded by
 * episodeSeed(seed, k), so the probes do not depend on how many policies there are) and ranks
 * the known tasks by those returns.
 */
export async function probeKnownPolicies(
  sampler: RolloutSampler,
  req: {
    familyId: string;
    task: JsonObject;
    thetas: Float32Array[];
    spec: GaussianMlpSpec;
    perPolicy: number;
    seed: number;
    normalizeActions: boolean;
    recordFrames?: boolean;
  },
): Promise<ProbeResult> {
  const K = req.thetas.length;
  const res = await sampler.sample({
    familyId: req.familyId,
    tasks: req.thetas.map(() => req.task),
    params: req.thetas,
    spec: req.spec,
    episodesPerTask: req.perPolicy,
    seed: 0,
    taskSeeds: req.thetas.map((_, k) => episodeSeed(req.seed, k)),
    normalizeActions: req.normalizeActions,
    ...(req.recordFrames ? { recordFrames: true } : {}),
  });
  const returns = res.episodes.map((eps) => eps.reduce((s, e) => s + e.return, 0) / eps.length);
  let index = 0;
  for (let k = 1; k < K; k++) if (returns[k] > returns[index]) index = k;
  return {
    index,
    distances: returns.map((r) => returns[index] - r),
    returns,
    episodes: res.episodes,
    steps: res.steps,
  };
}
