// Recorded trajectories: a fixed task, seed and action sequence per family, rolled out and
// written to test/fixtures/envs/<family>.json by `npm run fixtures:envs`. The test replays
// the same inputs and compares. Regenerate deliberately (and say why in the commit) when a
// family's dynamics change on purpose.
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import type { JsonObject } from '../../src/shared/json';

export interface Recording {
  family: string;
  task: JsonObject;
  seed: number;
  actionSeed: number;
  steps: number;
  /** Node version that recorded it (V8's Math functions are the same everywhere, but say where it came from). */
  node: string;
  actions: number[][];
  obs: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

/** The fixed inputs of each family's recording. */
export const RECORDING_INPUTS: Record<
  string,
  { task: JsonObject; seed: number; actionSeed: number; steps: number }
> = {
  'point-nav': { task: { goal: [0.3, -0.2] }, seed: 7, actionSeed: 101, steps: 150 },
  reacher: {
    task: { goal: [0.08, 0.15], masses: [0.12, 0.08], damping: [0.01, 0.005] },
    seed: 7,
    actionSeed: 102,
    steps: 150,
  },
  cartpole: {
    task: { poleMass: 0.2, poleLength: 0.8, gravity: 9.81, cartFriction: 0.05, gain: -10 },
    seed: 7,
    actionSeed: 103,
    steps: 150,
  },
  'cheetah-vel': { task: { velocity: 1.2 }, seed: 7, actionSeed: 104, steps: 250 },
  'cheetah-dir': { task: { direction: -1 }, seed: 7, actionSeed: 105, steps: 250 },
  'mujoco-cheetah-vel': { task: { velocity: 1.2 }, seed: 7, actionSeed: 106, steps: 250 },
  'mujoco-cheetah-dir': { task: { direction: -1 }, seed: 7, actionSeed: 107, steps: 250 },
  'mujoco-ant-dir': { task: { direction: 1 }, seed: 7, actionSeed: 108, steps: 250 },
  'mujoco-ant-goal': { task: { goal: [1.5, -2] }, seed: 7, actionSeed: 109, steps: 250 },
};

/**
 * Roll out `steps` uniformly random actions (from their own Rng), resetting (without a new
 * seed) whenever an episode ends, as a sampler would.
 */
export function record(familyId: string): Recording {
  const input = RECORDING_INPUTS[familyId];
  if (!input) throw new Error(`no recording inputs for family ${familyId}`);
  const family = getFamily(familyId);
  const env = family.make(family.parseTask(input.task), input.seed);
  const rng = new Rng(input.actionSeed);
  const out: Recording = {
    family: familyId,
    task: input.task,
    seed: input.seed,
    actionSeed: input.actionSeed,
    steps: input.steps,
    node: process.version,
    actions: [],
    obs: [],
    rewards: [],
    terminated: [],
    truncated: [],
  };
  out.obs.push(Array.from(env.reset({ seed: input.seed }).obs));
  const a = new Float32Array(family.actionSize);
  for (let t = 0; t < input.steps; t++) {
    env.actionSpace.sample(rng, a);
    const r = env.step(a);
    out.actions.push(Array.from(a));
    out.obs.push(Array.from(r.obs));
    out.rewards.push(r.reward);
    out.terminated.push(r.terminated);
    out.truncated.push(r.truncated);
    if (r.terminated || r.truncated) out.obs.push(Array.from(env.reset().obs));
  }
  return out;
}
