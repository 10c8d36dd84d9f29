// The MAML paper's HalfCheetahVel and HalfCheetahDir on MuJoCo (the official WebAssembly
// build, envs/mujoco/), as defined by the paper's reference code (rllab's
// half_cheetah_env_rand.py and half_cheetah_env_rand_direc.py, run by its MAML-TRPO script):
// - `mujoco-cheetah-vel`: reward −|v − v_goal| − 0.05·‖a‖², v_goal ~ U[0, 2] m/s;
// - `mujoco-cheetah-dir`: reward d·v − 0.05·‖a‖², d = ±1 with probability ½ each (the code
//   draws U[0, 2] and takes −1 below 1);
// v is the x velocity of the robot's centre of mass (MuJoCo's subtree_linvel of the torso,
// what rllab's get_body_comvel computed). Model: envs/mujoco/models/halfCheetah.ts.
// Frame skip 1 with the model's 0.01 s timestep (rllab reads a `frame_skip` numeric from the
// MJCF and the half-cheetah has none; Gym's HalfCheetah instead uses frame skip 5), horizon
// 200 steps (2 s), no termination.
// Observation (20): qpos without root x (8), qvel (9), centre of mass (3), after the step.
// Action: a ∈ [−1, 1]⁶, clipped (NaN → 0), as rllab's normalize() wrapper clipped it.
// Initial state: qpos0 + 0.01·N(0, 1), qvel 0.1·N(0, 1), from the env's own Rng.
//
// Departures from the reference, all deliberate:
// - MuJoCo 3.14 instead of MuJoCo 1.31: same model, but the newer contact and limit solver
//   gives numerically different trajectories (returns comparable, not identical);
// - random numbers come from the project's seeded Rng, not numpy's global state;
// - the task distribution is split: 20% of velocities (by a hash of the value) are held out
//   for testing; cheetah-dir has only two tasks, so its splits share them (as in the paper).
import type { Env, TaskFamily, TaskParam } from '../../src/core/env';
import type { Rng } from '../../src/core/rng';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import type { JsonObject } from '../../src/shared/json';
import { MujocoEnv } from '../mujoco/mujocoEnv';
import { HALF_CHEETAH_XML } from '../mujoco/models/halfCheetah';
import { loadMujoco } from '../mujoco/runtime';

export type MujocoCheetahVelTask = { velocity: number };
export type MujocoCheetahDirTask = { direction: 1 | -1 };

export const CHEETAH_CTRL_COST = 0.05;
const HORIZON = 200;
const OBS_SIZE = 20;
/** Height of the task marker (pace-setter or beacon) above the floor (m). */
const MARKER_Z = 1.2;

const OBS_DOC =
  "qpos without the root x (root z, root pitch, 6 joint angles), qvel (root vx, vz, pitch rate, 6 joint velocities), centre of mass x, y, z (m) — rllab's half-cheetah observation; the task is not observed";
const ACT_DOC =
  'motor controls a ∈ [−1, 1]⁶ (clipped), gears 120, 90, 60, 120, 60, 30 N·m (back thigh, shin, foot, front thigh, shin, foot)';
const TERM_DOC =
  'none; truncated after 200 steps (frame skip 1, dt = 0.01 s: 2 s, as in the MAML reference code)';
const DEPARTURES =
  'MuJoCo 3.14 (WebAssembly) instead of MuJoCo 1.31: the same model, but the newer contact and joint-limit solver gives numerically different trajectories; random numbers from the seeded Rng, not numpy; v_goal splits: 20% held out for testing (cheetah-dir: the two directions are shared by both splits). Model written from the published half_cheetah.xml facts (MuJoCo 3 drops its `coordinate` and `nstack` settings).';

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

abstract class MujocoCheetahEnv<T extends JsonObject> extends MujocoEnv<T> {
  private readonly torso: number;

  constructor(family: string, task: T, seed: number, frameSkip: number) {
    super(
      {
        family,
        xml: HALF_CHEETAH_XML,
        frameSkip,
        horizon: HORIZON,
        observationSize: OBS_SIZE,
        qposNoise: 0.01,
        qvelNoise: 0.1,
        post: 'kinematics',
        follow: 'torso',
        trail: 'torso',
        bounds: { min: [-3, -1, 0], max: [3, 1, 1.5] },
        floor: { height: 0 },
        view2d: 'side',
        markers: [
          {
            name: 'target',
            geom: { type: 'sphere', radius: 0.06 },
            color: '#22c55e',
            opacity: 0.8,
          },
        ],
      },
      task,
      seed,
    );
    this.torso = this.bodyId('torso');
  }

  /** x velocity of the centre of mass (m/s): what the reward is about. */
  comVelocityX(): number {
    return this.views.subtreeLinvel[3 * this.torso];
  }

  /** Centre of mass x (m). */
  comX(): number {
    return this.views.subtreeCom[3 * this.torso];
  }

  protected writeObs(out: Float32Array): void {
    const v = this.views;
    for (let i = 1; i < 9; i++) out[i - 1] = v.qpos[i];
    for (let i = 0; i < 9; i++) out[8 + i] = v.qvel[i];
    for (let k = 0; k < 3; k++) out[17 + k] = v.subtreeCom[3 * this.torso + k];
  }

  protected isTerminal(): boolean {
    return false;
  }

  protected markerPose(_i: number, task: T, out: Float32Array, o: number): void {
    out[o] = this.markerX(task);
    out[o + 1] = 0;
    out[o + 2] = MARKER_Z;
  }

  protected abstract markerX(task: T): number;
}

export class MujocoCheetahVelEnv
  extends MujocoCheetahEnv<MujocoCheetahVelTask>
  implements Env<MujocoCheetahVelTask>
{
  /** `frameSkip` other than the reference's 1 is for benchmarks against Gym's setting (5). */
  constructor(task: MujocoCheetahVelTask, seed = 0, frameSkip = 1) {
    super('mujoco-cheetah-vel', task, seed, frameSkip);
  }
  protected reward(task: MujocoCheetahVelTask): number {
    return -Math.abs(this.comVelocityX() - task.velocity) - CHEETAH_CTRL_COST * this.actionSq();
  }
  /** A pace-setter: where a body moving at the target velocity from the start would be. */
  protected markerX(task: MujocoCheetahVelTask): number {
    return task.velocity * this.t * this.dt;
  }
}

export class MujocoCheetahDirEnv
  extends MujocoCheetahEnv<MujocoCheetahDirTask>
  implements Env<MujocoCheetahDirTask>
{
  /** `frameSkip` other than the reference's 1 is for benchmarks against Gym's setting (5). */
  constructor(task: MujocoCheetahDirTask, seed = 0, frameSkip = 1) {
    super('mujoco-cheetah-dir', task, seed, frameSkip);
  }
  protected reward(task: MujocoCheetahDirTask): number {
    return task.direction * this.comVelocityX() - CHEETAH_CTRL_COST * this.actionSq();
  }
  /** A beacon one metre ahead of the centre of mass in the rewarded direction. */
  protected markerX(task: MujocoCheetahDirTask): number {
    return this.comX() + task.direction;
  }
}

export const mujocoCheetahVel: TaskFamily<MujocoCheetahVelTask> = {
  id: 'mujoco-cheetah-vel',
  title: 'MuJoCo half-cheetah: target velocity',
  description:
    "The MAML paper's HalfCheetahVel on MuJoCo: run at a forward velocity the agent is not told.",
  observationSize: OBS_SIZE,
  actionSize: 6,
  horizon: HORIZON,
  params: VEL_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward: '−|v − v_goal| − 0.05·‖a‖², v = x velocity of the centre of mass (m/s)',
    termination: TERM_DOC,
    tasks: `v_goal ~ U[0, 2] m/s as in the MAML reference code; 20% of velocities (by a hash of the value) are the test split`,
    departures: DEPARTURES,
    oracle: {
      value: -44,
      source:
        'oracle runs of seeds 1 and 2 (300 iterations): −45.8 and −41.4 on 40 held-out test tasks, the benchmark’s figure; the MAML paper’s oracle: −54.5',
    },
  },
  prepare: () => loadMujoco().then(() => undefined),
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): MujocoCheetahVelTask[] {
    return sampleSplit(
      n,
      rng,
      split,
      (r) => ({ velocity: r.uniformRange(0, 2) }),
      (t) => [t.velocity],
    );
  },
  parseTask(value: unknown): MujocoCheetahVelTask {
    const o = readObject(value);
    return { velocity: readNumber(o.velocity, 'velocity', VEL_PARAMS[0].min, VEL_PARAMS[0].max) };
  },
  make(task: MujocoCheetahVelTask, seed = 0): MujocoCheetahVelEnv {
    return new MujocoCheetahVelEnv(this.parseTask(task), seed);
  },
};

export const mujocoCheetahDir: TaskFamily<MujocoCheetahDirTask> = {
  id: 'mujoco-cheetah-dir',
  title: 'MuJoCo half-cheetah: direction',
  description:
    "The MAML paper's HalfCheetahDir on MuJoCo: run forwards or backwards, whichever the unseen task rewards.",
  observationSize: OBS_SIZE,
  actionSize: 6,
  horizon: HORIZON,
  params: DIR_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward: 'd·v − 0.05·‖a‖², v = x velocity of the centre of mass (m/s)',
    termination: TERM_DOC,
    tasks: `direction d = +1 or −1 with probability ½ each, as in the MAML reference code; with only two tasks the train and test splits share them`,
    departures: DEPARTURES,
    oracle: {
      value: 420,
      source:
        'oracle runs of seeds 1 and 2 (300 iterations): 379.7 and 460.6 on 40 held-out test tasks, the benchmark’s figure; the MAML paper’s oracle: 442.7',
    },
  },
  prepare: () => loadMujoco().then(() => undefined),
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): MujocoCheetahDirTask[] {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`sampleTasks: n must be a non-negative integer, got ${n}`);
    // A separate stream per split so that train and test draws differ for the same rng state.
    const r = split === 'train' ? rng : rng.split();
    const out: MujocoCheetahDirTask[] = [];
    for (let i = 0; i < n; i++) out.push({ direction: r.uniform() < 0.5 ? -1 : 1 });
    return out;
  },
  parseTask(value: unknown): MujocoCheetahDirTask {
    const o = readObject(value);
    const d = o.direction;
    if (d !== 1 && d !== -1)
      throw new Error(`task.direction must be 1 or -1, got ${JSON.stringify(d)}`);
    return { direction: d };
  },
  make(task: MujocoCheetahDirTask, seed = 0): MujocoCheetahDirEnv {
    return new MujocoCheetahDirEnv(this.parseTask(task), seed);
  },
};
