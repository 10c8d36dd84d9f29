// Two task families on the planar runner of ./body.ts, like the MAML paper's HalfCheetahVel
// and HalfCheetahDir:
// - `cheetah-vel`: run at a target forward velocity v_goal ~ U[0, 2] m/s;
//   reward −|v − v_goal| − 0.05·‖a‖².
// - `cheetah-dir`: run forwards (+1) or backwards (−1), each with probability ½;
//   reward direction·v − 0.05·‖a‖².
// v is the torso's forward velocity over the step (m/s). Neither the target velocity nor the
// direction is observed. Horizon 200 steps (3.3 s), no termination.
//
// Splits: cheetah-vel holds out 20% of velocities by a hash of the value (disjoint, see
// src/core/tasks.ts). cheetah-dir has only two tasks, so its train and test splits cannot be
// disjoint: both draw ±1 with equal odds (each split from its own stream of the given rng);
// meta-testing on it measures adaptation to a direction seen in training, as in the paper.
import type { Env, TaskFamily, TaskParam } from '../../src/core/env';
import type { Rng } from '../../src/core/rng';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import { CHEETAH_HORIZON, CTRL_COST, CheetahEnv } from './body';

export type CheetahVelTask = { velocity: number };
export type CheetahDirTask = { direction: 1 | -1 };

const OBS_DOC =
  'torso height (m), torso pitch (rad), 6 joint angles (rad: back thigh, shin, foot, front thigh, shin, foot), torso vx, vy (m/s), torso angular velocity (rad/s), 6 joint velocities (rad/s); the task is not observed';
const ACT_DOC =
  'joint torques a ∈ [−1, 1]⁶ (clipped), scaled to 90, 60, 45, 90, 45, 30 N·m (back thigh, shin, foot, front thigh, shin, foot)';
const TERM_DOC = 'none; truncated after 200 steps (dt = 1/60 s)';

const VEL_PARAMS: TaskParam[] = [
  {
    name: 'velocity',
    label: 'Target velocity',
    path: 'velocity',
    low: 0,
    high: 2,
    min: -2,
    max: 3,
    unit: 'm/s',
    kind: 'goal',
  },
];
const DIR_PARAMS: TaskParam[] = [
  {
    name: 'direction',
    label: 'Direction (−1 or +1)',
    path: 'direction',
    low: -1,
    high: 1,
    min: -1,
    max: 1,
    kind: 'goal',
  },
];

export class CheetahVelEnv extends CheetahEnv<CheetahVelTask> implements Env<CheetahVelTask> {
  constructor(task: CheetahVelTask, seed = 0) {
    super(
      'cheetah-vel',
      task,
      seed,
      (t, v, a2) => -Math.abs(v - t.velocity) - CTRL_COST * a2,
      // A pace-setter: where a body moving at the target velocity from the start would be.
      (t, _x, time) => t.velocity * time,
    );
  }
}

export class CheetahDirEnv extends CheetahEnv<CheetahDirTask> implements Env<CheetahDirTask> {
  constructor(task: CheetahDirTask, seed = 0) {
    super(
      'cheetah-dir',
      task,
      seed,
      (t, v, a2) => t.direction * v - CTRL_COST * a2,
      // A beacon one metre ahead of the torso in the rewarded direction.
      (t, x) => x + t.direction,
    );
  }
}

export const cheetahVel: TaskFamily<CheetahVelTask> = {
  id: 'cheetah-vel',
  title: 'Cheetah: target velocity',
  description:
    'A planar two-legged runner must reach and hold a forward velocity it is not told (HalfCheetahVel).',
  observationSize: 17,
  actionSize: 6,
  horizon: CHEETAH_HORIZON,
  params: VEL_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward: '−|v − v_goal| − 0.05·‖a‖², v = forward velocity of the torso (m/s)',
    termination: TERM_DOC,
    tasks: 'v_goal ~ U[0, 2] m/s; 20% of velocities (by a hash of the value) are the test split',
    oracle: {
      value: -93.8,
      source:
        'the oracle run of seed 1 (400 iterations) on 40 held-out test tasks, the benchmark’s figure',
    },
  },
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): CheetahVelTask[] {
    return sampleSplit(
      n,
      rng,
      split,
      (r) => ({ velocity: r.uniformRange(0, 2) }),
      (t) => [t.velocity],
    );
  },
  parseTask(value: unknown): CheetahVelTask {
    const o = readObject(value);
    return { velocity: readNumber(o.velocity, 'velocity', VEL_PARAMS[0].min, VEL_PARAMS[0].max) };
  },
  make(task: CheetahVelTask, seed = 0): CheetahVelEnv {
    return new CheetahVelEnv(this.parseTask(task), seed);
  },
};

export const cheetahDir: TaskFamily<CheetahDirTask> = {
  id: 'cheetah-dir',
  title: 'Cheetah: direction',
  description:
    'The same runner must run forwards or backwards, whichever the unseen task rewards (HalfCheetahDir).',
  observationSize: 17,
  actionSize: 6,
  horizon: CHEETAH_HORIZON,
  params: DIR_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward: 'direction·v − 0.05·‖a‖², v = forward velocity of the torso (m/s)',
    termination: TERM_DOC,
    tasks:
      'direction = +1 or −1 with probability ½ each; with only two tasks the train and test splits cannot be disjoint, so both draw from the same two',
    oracle: {
      value: 327.3,
      source:
        'the oracle run of seed 1 (400 iterations) on 40 held-out test tasks, the benchmark’s figure',
    },
  },
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): CheetahDirTask[] {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`sampleTasks: n must be a non-negative integer, got ${n}`);
    // A separate stream per split so that train and test draws differ for the same rng state.
    const r = split === 'train' ? rng : rng.split();
    const out: CheetahDirTask[] = [];
    for (let i = 0; i < n; i++) out.push({ direction: r.uniform() < 0.5 ? -1 : 1 });
    return out;
  },
  parseTask(value: unknown): CheetahDirTask {
    const o = readObject(value);
    const d = o.direction;
    if (d !== 1 && d !== -1)
      throw new Error(`task.direction must be 1 or -1, got ${JSON.stringify(d)}`);
    return { direction: d };
  },
  make(task: CheetahDirTask, seed = 0): CheetahDirEnv {
    return new CheetahDirEnv(this.parseTask(task), seed);
  },
};
