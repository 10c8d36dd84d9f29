// The MAML paper's ant tasks on MuJoCo (the official WebAssembly build, envs/mujoco/), as
// defined by its reference code (rllab's ant_env_rand_direc.py and ant_env_rand_goal.py, run
// by its MAML-TRPO ant script):
// - `mujoco-ant-dir`: reward d·v_x − ctrl − contact + 0.05, d = ±1 with probability ½ each
//   (the code draws U[0, 3] and takes −1 below 1.5), v_x the centre of mass's x velocity;
// - `mujoco-ant-goal`: reward −(|x − g_x| + |y − g_y|) + 4 − ctrl − contact + 0.05, goal
//   g ~ U[−3, 3]², (x, y) the centre of mass;
// with ctrl = 0.005·‖a‖² (a the normalised action) and contact = 0.0005·‖clip(cfrc_ext, −1, 1)‖²
// (the external contact wrenches of every body).
// Model: envs/mujoco/models/ant.ts (timestep 0.02 s, RK4), frame skip 1, horizon 200 steps
// (4 s). Termination: the state is not finite or the torso's height leaves [0.2, 1.0] m.
// Observation (125): qpos (15), qvel (14), clip(cfrc_ext, −1, 1) (14 bodies × 6), the torso's
// rotation matrix (9), the centre of mass (3), after the step.
// Action: a ∈ [−1, 1]⁸, clipped (NaN → 0), times gear 150 (rllab: ctrl range ±150 reached
// through its normalize() wrapper — the same torques).
// Initial state: rllab's init_qpos (torso at 0.55 m, ankles at ±1 rad) + 0.01·N(0, 1) on every
// qpos, qvel 0.1·N(0, 1), from the env's own Rng; the free joint's quaternion is renormalised
// after the noise (MuJoCo 1.31 normalised it inside the first step).
//
// Departures from the reference, all deliberate:
// - MuJoCo 3.14 instead of 1.31: same model, numerically different contacts. MuJoCo 3 only
//   computes cfrc_ext on request, so every step runs mj_rnePostConstraint (1.31 always did);
// - random numbers come from the project's seeded Rng, not numpy's global state;
// - ant-goal holds out 20% of goals (by a hash of the position) for testing; ant-dir has two
//   tasks, so its splits share them (as in the paper).
import type { Env, TaskFamily, TaskParam } from '../../src/core/env';
import type { Rng } from '../../src/core/rng';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import type { JsonObject } from '../../src/shared/json';
import { MujocoEnv } from '../mujoco/mujocoEnv';
import { ANT_XML } from '../mujoco/models/ant';
import { loadMujoco } from '../mujoco/runtime';

export type MujocoAntDirTask = { direction: 1 | -1 };
export type MujocoAntGoalTask = { goal: [number, number] };

export const ANT_CTRL_COST = 0.005;
export const ANT_CONTACT_COST = 0.0005;
export const ANT_SURVIVE = 0.05;
const HORIZON = 200;
const OBS_SIZE = 125;
const GOAL_RANGE = 3;
const GOAL_LIMIT = 8;

const OBS_DOC =
  "qpos (torso x, y, z, quaternion w, x, y, z, 8 joint angles), qvel (14), contact wrenches clip(cfrc_ext, −1, 1) of the 14 bodies (84), torso rotation matrix (9), centre of mass (3) — rllab's ant observation; the task is not observed";
const ACT_DOC =
  'motor controls a ∈ [−1, 1]⁸ (clipped) × 150 N·m: hip/ankle of the back-right, front-left, front-right, back-left legs';
const TERM_DOC =
  'terminated when the state is not finite or the torso height leaves [0.2, 1.0] m; truncated after 200 steps (frame skip 1, dt = 0.02 s: 4 s)';
const DEPARTURES =
  'MuJoCo 3.14 (WebAssembly) instead of MuJoCo 1.31: the same model, but the newer contact solver gives numerically different trajectories; MuJoCo 3 computes cfrc_ext only on request, so each step runs mj_rnePostConstraint; motors written as gear 150 with controls in [−1, 1] (rllab: gear 1, controls ±150 via normalize(): the same torques and the same control cost); the free joint quaternion is renormalised after the reset noise; random numbers from the seeded Rng, not numpy; ant-goal holds out 20% of goals for testing (ant-dir: the two directions are shared by both splits).';

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
const GOAL_PARAMS: TaskParam[] = [
  {
    name: 'goalX',
    label: 'Goal x',
    path: 'goal.0',
    low: -GOAL_RANGE,
    high: GOAL_RANGE,
    min: -GOAL_LIMIT,
    max: GOAL_LIMIT,
    unit: 'm',
    kind: 'goal',
  },
  {
    name: 'goalY',
    label: 'Goal y',
    path: 'goal.1',
    low: -GOAL_RANGE,
    high: GOAL_RANGE,
    min: -GOAL_LIMIT,
    max: GOAL_LIMIT,
    unit: 'm',
    kind: 'goal',
  },
];

/**
 * The physics an ant env runs: by default the reference's (ANT_XML, frame skip 1). Benchmarks
 * pass Gym's Ant settings (ANT_GYM_PHYSICS_XML, frame skip 5) to compare speed like for like.
 */
export interface AntPhysics {
  xml?: string;
  frameSkip?: number;
}

abstract class MujocoAntEnv<T extends JsonObject> extends MujocoEnv<T> {
  protected readonly torso: number;

  constructor(family: string, task: T, seed: number, goal: boolean, physics: AntPhysics) {
    super(
      {
        family,
        xml: physics.xml ?? ANT_XML,
        frameSkip: physics.frameSkip ?? 1,
        horizon: HORIZON,
        observationSize: OBS_SIZE,
        qposNoise: 0.01,
        qvelNoise: 0.1,
        post: 'contacts',
        // A goal is placed with a click on the floor: keep that view still.
        ...(goal ? {} : { follow: 'torso_geom' }),
        trail: 'torso_geom',
        bounds: goal ? { min: [-4, -4, 0], max: [4, 4, 1] } : { min: [-3, -2, 0], max: [3, 2, 1] },
        floor: goal ? { height: 0, goalParams: ['goal.0', 'goal.1'] } : { height: 0 },
        view2d: 'top',
        markers: [
          {
            name: 'target',
            geom: { type: 'sphere', radius: 0.15 },
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

  /** Centre of mass (m) and its velocity (m/s), component k. */
  com(k: number): number {
    return this.views.subtreeCom[3 * this.torso + k];
  }
  comVelocity(k: number): number {
    return this.views.subtreeLinvel[3 * this.torso + k];
  }

  /** 0.0005·‖clip(cfrc_ext, −1, 1)‖², over every body. */
  contactCost(): number {
    const f = this.views.cfrcExt;
    let s = 0;
    for (let i = 0; i < f.length; i++) {
      const c = f[i] > 1 ? 1 : f[i] < -1 ? -1 : f[i];
      s += c * c;
    }
    return ANT_CONTACT_COST * s;
  }

  /** The terms every ant task shares: −ctrl − contact + survive. */
  protected commonReward(): number {
    return -ANT_CTRL_COST * this.actionSq() - this.contactCost() + ANT_SURVIVE;
  }

  protected writeObs(out: Float32Array): void {
    const v = this.views;
    let o = 0;
    for (let i = 0; i < v.qpos.length; i++) out[o++] = v.qpos[i];
    for (let i = 0; i < v.qvel.length; i++) out[o++] = v.qvel[i];
    for (let i = 0; i < v.cfrcExt.length; i++) {
      const c = v.cfrcExt[i];
      out[o++] = c > 1 ? 1 : c < -1 ? -1 : c;
    }
    for (let k = 0; k < 9; k++) out[o++] = v.xmat[9 * this.torso + k];
    for (let k = 0; k < 3; k++) out[o++] = v.subtreeCom[3 * this.torso + k];
  }

  protected isTerminal(): boolean {
    const v = this.views;
    for (let i = 0; i < v.qpos.length; i++) if (!Number.isFinite(v.qpos[i])) return true;
    for (let i = 0; i < v.qvel.length; i++) if (!Number.isFinite(v.qvel[i])) return true;
    const z = v.qpos[2];
    return !(z >= 0.2 && z <= 1.0);
  }
}

export class MujocoAntDirEnv
  extends MujocoAntEnv<MujocoAntDirTask>
  implements Env<MujocoAntDirTask>
{
  /** `physics` other than the default (the reference's) is for speed comparisons with Gym's settings. */
  constructor(task: MujocoAntDirTask, seed = 0, physics: AntPhysics = {}) {
    super('mujoco-ant-dir', task, seed, false, physics);
  }
  protected reward(task: MujocoAntDirTask): number {
    return task.direction * this.comVelocity(0) + this.commonReward();
  }
  /** A beacon one metre ahead of the centre of mass in the rewarded direction. */
  protected markerPose(_i: number, task: MujocoAntDirTask, out: Float32Array, o: number): void {
    out[o] = this.com(0) + task.direction;
    out[o + 1] = this.com(1);
    out[o + 2] = 0.8;
  }
}

export class MujocoAntGoalEnv
  extends MujocoAntEnv<MujocoAntGoalTask>
  implements Env<MujocoAntGoalTask>
{
  /** `physics` other than the default (the reference's) is for speed comparisons with Gym's settings. */
  constructor(task: MujocoAntGoalTask, seed = 0, physics: AntPhysics = {}) {
    super('mujoco-ant-goal', task, seed, true, physics);
  }
  protected reward(task: MujocoAntGoalTask): number {
    return (
      -(Math.abs(this.com(0) - task.goal[0]) + Math.abs(this.com(1) - task.goal[1])) +
      4 +
      this.commonReward()
    );
  }
  protected markerPose(_i: number, task: MujocoAntGoalTask, out: Float32Array, o: number): void {
    out[o] = task.goal[0];
    out[o + 1] = task.goal[1];
    out[o + 2] = 0.15;
  }
}

export const mujocoAntDir: TaskFamily<MujocoAntDirTask> = {
  id: 'mujoco-ant-dir',
  title: 'MuJoCo ant: direction',
  description:
    "The MAML paper's ant forward/backward task on MuJoCo: walk along +x or −x, whichever the unseen task rewards.",
  observationSize: OBS_SIZE,
  actionSize: 8,
  horizon: HORIZON,
  params: DIR_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward:
      'd·v_x − 0.005·‖a‖² − 0.0005·‖clip(cfrc_ext, −1, 1)‖² + 0.05, v_x = x velocity of the centre of mass (m/s)',
    termination: TERM_DOC,
    tasks: `direction d = +1 or −1 with probability ½ each, as in the MAML reference code; with only two tasks the train and test splits share them`,
    departures: DEPARTURES,
  },
  prepare: () => loadMujoco().then(() => undefined),
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): MujocoAntDirTask[] {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`sampleTasks: n must be a non-negative integer, got ${n}`);
    const r = split === 'train' ? rng : rng.split();
    const out: MujocoAntDirTask[] = [];
    for (let i = 0; i < n; i++) out.push({ direction: r.uniform() < 0.5 ? -1 : 1 });
    return out;
  },
  parseTask(value: unknown): MujocoAntDirTask {
    const o = readObject(value);
    const d = o.direction;
    if (d !== 1 && d !== -1)
      throw new Error(`task.direction must be 1 or -1, got ${JSON.stringify(d)}`);
    return { direction: d };
  },
  make(task: MujocoAntDirTask, seed = 0): MujocoAntDirEnv {
    return new MujocoAntDirEnv(this.parseTask(task), seed);
  },
};

export const mujocoAntGoal: TaskFamily<MujocoAntGoalTask> = {
  id: 'mujoco-ant-goal',
  title: 'MuJoCo ant: goal position',
  description:
    "The MAML paper's ant goal-position task on MuJoCo: walk to a point on the floor the agent is not told.",
  observationSize: OBS_SIZE,
  actionSize: 8,
  horizon: HORIZON,
  params: GOAL_PARAMS,
  docs: {
    observation: OBS_DOC,
    action: ACT_DOC,
    reward:
      '−(|x − g_x| + |y − g_y|) + 4 − 0.005·‖a‖² − 0.0005·‖clip(cfrc_ext, −1, 1)‖² + 0.05, (x, y) = centre of mass (m)',
    termination: TERM_DOC,
    tasks: `goal g ~ U[−3, 3]² m as in the MAML reference code; 20% of goals (by a hash of the position) are the test split`,
    departures: DEPARTURES,
  },
  prepare: () => loadMujoco().then(() => undefined),
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): MujocoAntGoalTask[] {
    return sampleSplit(
      n,
      rng,
      split,
      (r) => ({
        goal: [
          r.uniformRange(-GOAL_RANGE, GOAL_RANGE),
          r.uniformRange(-GOAL_RANGE, GOAL_RANGE),
        ] as [number, number],
      }),
      (t) => t.goal,
    );
  },
  parseTask(value: unknown): MujocoAntGoalTask {
    const o = readObject(value);
    if (!Array.isArray(o.goal) || o.goal.length !== 2)
      throw new Error(`task.goal must be an array [x, y], got ${JSON.stringify(o.goal)}`);
    return {
      goal: [
        readNumber(o.goal[0], 'goal.0', -GOAL_LIMIT, GOAL_LIMIT),
        readNumber(o.goal[1], 'goal.1', -GOAL_LIMIT, GOAL_LIMIT),
      ],
    };
  },
  make(task: MujocoAntGoalTask, seed = 0): MujocoAntGoalEnv {
    return new MujocoAntGoalEnv(this.parseTask(task), seed);
  },
};
