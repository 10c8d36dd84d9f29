// reacher: a two-link planar arm seen from above (up = 'z'), driven by joint torques, that
// must bring its fingertip to a goal it cannot see. Tasks vary the goal (within reach) and
// the dynamics: both link masses and both joint dampings. Modelled on Gym's Reacher (links
// 0.1 m and 0.11 m, goals uniform in the disc of radius 0.2 m, reward −distance − control
// cost), except that the goal is NOT in the observation: for meta-RL the learner must infer
// it from rewards.
//
// Physics: matter-js, two boxes pinned end to end and to a world anchor at the origin, no
// gravity, no collisions, one update per step at 60 Hz (dt = 1/60 s), 1000 px per metre
// (a link is 100 px long). Joint damping is integrated implicitly with the motor torque (see
// envs/common/physics.ts), so it is stable for every mass/damping in the allowed ranges and
// a constant torque τ spins a joint up to τ/damping. Joint 2 is limited to ±3 rad (as
// in Gym) so the forearm cannot fold through the upper arm.
//
// Links have matter-js's 4× moment of inertia about their centres (see envs/common/physics.ts);
// the torques above are sized for the arm as simulated.
// Joint gaps over 3000 random steps: < 0.5 mm within the train ranges; at the corner of the
// allowed ranges (a 0.025 kg upper arm carrying a 0.4 kg forearm, no damping) the pins stretch
// up to ~1 cm at moments, which is why the masses are capped at a 16× ratio.
//
// Observation (8): cos q1, sin q1, cos q2, sin q2, q̇1, q̇2 (rad/s), fingertip x, y (m).
//   q1 is the upper arm's angle from +x, q2 the forearm's angle relative to the upper arm,
//   both counter-clockwise seen from above.
// Action (2): a ∈ [−1, 1]² (clipped); joint torques 0.15·a₁ and 0.075·a₂ N·m.
// Reward: −‖fingertip − goal‖₂ − 0.1·‖a‖² (Gym's weight on the control cost is 1, but its
//   arm has ~10× our torque scale; 0.1 keeps the distance term in charge).
// Torques are sized so the task is solvable within the horizon: an inverse-kinematics + PD
// controller brings the fingertip within 1 cm of every goal of 30 sampled train tasks in 60
// steps (tested); with a third of this torque it could not reach the far side in time.
// Termination: none; truncated after 60 steps (1 s).
// Initial state: q1, q2 ~ U[−0.1, 0.1], q̇ ~ U[−0.005, 0.005] from the env's own Rng.
// Tasks: { goal: [x, y], masses: [m1, m2], damping: [d1, d2] }: goal uniform in the disc of
//   radius 0.2 m; masses ~ U[0.05, 0.2] kg; damping ~ U[0.002, 0.02] N·m·s/rad.
import type { Env, ResetResult, StepResult, TaskFamily, TaskParam } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import { Box } from '../../src/core/spaces';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import {
  GOAL_COLOR,
  POSE_SIZE,
  type SceneDescription,
  writePlanarPose,
} from '../../src/shared/scene';
import {
  Composite,
  DELTA_MS,
  DT,
  Engine,
  Joint,
  Units,
  WorldTemplate,
  box,
  createEngine,
  jointGap,
  pin,
  placeBody,
  type MBody,
  type MConstraint,
  type MEngine,
} from '../common/physics';

export type ReacherTask = {
  goal: [number, number];
  masses: [number, number];
  damping: [number, number];
};

const HORIZON = 60;
const UNITS = new Units(1000);
const L1 = 0.1;
const L2 = 0.11;
// L1 + L2, written out so the CLI prints 0.21 rather than a rounding tail.
const REACH = 0.21;
const LINK_W = 0.02;
const GOAL_RADIUS = 0.2;
const GEAR: [number, number] = [0.15, 0.075];
const CTRL_COST = 0.1;
const Q2_LIMIT = 3;

export const REACHER_PARAMS: TaskParam[] = [
  {
    name: 'goalX',
    label: 'Goal x',
    path: 'goal.0',
    low: -GOAL_RADIUS,
    high: GOAL_RADIUS,
    min: -REACH,
    max: REACH,
    unit: 'm',
    kind: 'goal',
  },
  {
    name: 'goalY',
    label: 'Goal y',
    path: 'goal.1',
    low: -GOAL_RADIUS,
    high: GOAL_RADIUS,
    min: -REACH,
    max: REACH,
    unit: 'm',
    kind: 'goal',
  },
  {
    name: 'mass1',
    label: 'Upper arm mass',
    path: 'masses.0',
    low: 0.05,
    high: 0.2,
    min: 0.025,
    max: 0.4,
    unit: 'kg',
    kind: 'dynamics',
  },
  {
    name: 'mass2',
    label: 'Forearm mass',
    path: 'masses.1',
    low: 0.05,
    high: 0.2,
    min: 0.025,
    max: 0.4,
    unit: 'kg',
    kind: 'dynamics',
  },
  {
    name: 'damping1',
    label: 'Shoulder damping',
    path: 'damping.0',
    low: 0.002,
    high: 0.02,
    min: 0,
    max: 0.1,
    unit: 'N·m·s/rad',
    kind: 'dynamics',
  },
  {
    name: 'damping2',
    label: 'Elbow damping',
    path: 'damping.1',
    low: 0.002,
    high: 0.02,
    min: 0,
    max: 0.1,
    unit: 'N·m·s/rad',
    kind: 'dynamics',
  },
];

export class ReacherEnv implements Env<ReacherTask> {
  readonly observationSpace = new Box(
    [-1, -1, -1, -1, -Infinity, -Infinity, -REACH, -REACH],
    [1, 1, 1, 1, Infinity, Infinity, REACH, REACH],
  );
  readonly actionSpace = new Box(-1, 1, 2);
  readonly horizon = HORIZON;
  task: ReacherTask;
  private built: ReacherTask;
  private template!: WorldTemplate;
  private rng: Rng;
  private engine!: MEngine;
  private link1!: MBody;
  private link2!: MBody;
  private shoulder!: Joint;
  private elbow!: Joint;
  private pins: MConstraint[] = [];
  private t = 0;
  private tipX = 0;
  private tipY = 0;
  private readonly obs = new Float32Array(8);

  constructor(task: ReacherTask, seed = 0) {
    this.task = copyTask(task);
    this.built = this.task;
    this.rng = new Rng(seed);
    this.buildWorld();
    this.writeObs();
  }

  setTask(task: ReacherTask): void {
    this.task = copyTask(task);
  }

  /** Build the world for the current task with the arm straight along +x, at rest, and remember that state. */
  private buildWorld(): void {
    const task = this.task;
    this.built = task;
    const S = UNITS.pxPerM;
    this.engine = createEngine({
      constraintIterations: 4,
      positionIterations: 1,
      velocityIterations: 1,
      gravity: 0,
      units: UNITS,
    });
    this.link1 = box({
      id: 1,
      x: (L1 / 2) * S,
      y: 0,
      w: L1 * S,
      h: LINK_W * S,
      massKg: task.masses[0],
      mask: 0,
    });
    this.link2 = box({
      id: 2,
      x: (L1 + L2 / 2) * S,
      y: 0,
      w: L2 * S,
      h: LINK_W * S,
      massKg: task.masses[1],
      mask: 0,
    });
    // Anchors are offsets from each link's centre (matter-js turns them with the link).
    const root = pin(3, null, { x: 0, y: 0 }, this.link1, { x: (-L1 / 2) * S, y: 0 });
    const elbow = pin(4, this.link1, { x: (L1 / 2) * S, y: 0 }, this.link2, {
      x: (-L2 / 2) * S,
      y: 0,
    });
    this.pins = [root, elbow];
    Composite.add(this.engine.world, [this.link1, this.link2, root, elbow]);
    // Damping torques are sized with each link's own inertia about its centre: matter-js turns
    // a torque into rotation about the centre, and the pins couple the links afterwards.
    this.shoulder = new Joint(null, this.link1, UNITS);
    this.elbow = new Joint(this.link1, this.link2, UNITS, 0, -Q2_LIMIT, Q2_LIMIT);
    this.template = new WorldTemplate(this.engine, [this.link1, this.link2], this.pins);
  }

  /** Pose the arm at joint angles q1, q2 (world sense) turning at w1, w2 rad/s. */
  private pose(q1: number, q2: number, w1: number, w2: number): void {
    const S = UNITS.pxPerM;
    // matter-js has y down, so a counter-clockwise world angle q is a matter angle −q.
    const a1 = q1;
    const a2 = q1 + q2;
    const wa2 = w1 + w2;
    const c1x = (L1 / 2) * Math.cos(a1);
    const c1y = (L1 / 2) * Math.sin(a1);
    const ex = L1 * Math.cos(a1);
    const ey = L1 * Math.sin(a1);
    const c2x = ex + (L2 / 2) * Math.cos(a2);
    const c2y = ey + (L2 / 2) * Math.sin(a2);
    // Velocities: rigid rotation of each link about its joint, in px per step.
    const v2x = -ey * w1 - (c2y - ey) * wa2;
    const v2y = ex * w1 + (c2x - ex) * wa2;
    placeBody(this.link1, c1x * S, -c1y * S, -a1, -c1y * w1 * S * DT, -c1x * w1 * S * DT, -w1 * DT);
    placeBody(this.link2, c2x * S, -c2y * S, -a2, v2x * S * DT, -v2y * S * DT, -wa2 * DT);
  }

  reset(opts?: { seed?: number }): ResetResult {
    if (opts?.seed !== undefined) this.rng = new Rng(opts.seed);
    const r = this.rng;
    const q1 = r.uniformRange(-0.1, 0.1);
    const q2 = r.uniformRange(-0.1, 0.1);
    const w1 = r.uniformRange(-0.005, 0.005);
    const w2 = r.uniformRange(-0.005, 0.005);
    this.t = 0;
    if (this.task !== this.built) this.buildWorld();
    else this.template.restore();
    this.pose(q1, q2, w1, w2);
    this.writeObs();
    return { obs: this.obs, info: {} };
  }

  /** The returned `obs` is this env's own buffer: valid until the next reset/step. */
  step(action: Float32Array): StepResult {
    let a0 = action[0];
    let a1 = action[1];
    a0 = a0 > 1 ? 1 : a0 < -1 ? -1 : a0 === a0 ? a0 : 0;
    a1 = a1 > 1 ? 1 : a1 < -1 ? -1 : a1 === a1 ? a1 : 0;
    const task = this.built;
    // World (counter-clockwise) torques are clockwise-negative in matter-js's frame.
    this.shoulder.applyDamped(-GEAR[0] * a0, task.damping[0]);
    this.elbow.applyDamped(-GEAR[1] * a1, task.damping[1]);
    Engine.update(this.engine, DELTA_MS);
    this.t++;
    this.writeObs();
    const dx = this.tipX - task.goal[0];
    const dy = this.tipY - task.goal[1];
    const reward = -Math.sqrt(dx * dx + dy * dy) - CTRL_COST * (a0 * a0 + a1 * a1);
    return { obs: this.obs, reward, terminated: false, truncated: this.t >= HORIZON, info: {} };
  }

  private writeObs(): void {
    const S = UNITS.pxPerM;
    const q1 = -this.shoulder.angle();
    const q2 = -this.elbow.angle();
    const l2 = this.link2;
    // Fingertip: the far end of the forearm.
    const ang = -l2.angle;
    this.tipX = l2.position.x / S + (L2 / 2) * Math.cos(ang);
    this.tipY = -l2.position.y / S + (L2 / 2) * Math.sin(ang);
    const o = this.obs;
    o[0] = Math.cos(q1);
    o[1] = Math.sin(q1);
    o[2] = Math.cos(q2);
    o[3] = Math.sin(q2);
    o[4] = -this.shoulder.velocity();
    o[5] = -this.elbow.velocity();
    o[6] = this.tipX;
    o[7] = this.tipY;
  }

  /** How far the shoulder and elbow pins have come apart, in metres (for tests). */
  jointGaps(): number[] {
    return this.pins.map((c) => jointGap(c) / UNITS.pxPerM);
  }

  scene(): SceneDescription {
    return {
      family: 'reacher',
      up: 'z',
      bodies: [
        // The training range of the goal's x and y (±GOAL_RADIUS each): off it is out of distribution.
        {
          name: 'floor',
          geom: { type: 'plane', size: [2 * GOAL_RADIUS, 2 * GOAL_RADIUS] },
          color: '#e9edf2',
          static: true,
        },
        {
          name: 'base',
          geom: { type: 'cylinder', radius: 0.015, length: 0.02 },
          color: '#475569',
          static: true,
        },
        { name: 'upperArm', geom: { type: 'box', size: [L1, LINK_W, LINK_W] }, color: '#3b82f6' },
        { name: 'forearm', geom: { type: 'box', size: [L2, LINK_W, LINK_W] }, color: '#60a5fa' },
        { name: 'fingertip', geom: { type: 'sphere', radius: 0.012 }, color: '#1d4ed8' },
      ],
      markers: [{ name: 'goal', geom: { type: 'sphere', radius: 0.012 }, color: GOAL_COLOR }],
      bounds: { min: [-0.25, -0.25, 0], max: [0.25, 0.25, 0.05] },
      trail: 'fingertip',
      floor: { height: 0, goalParams: ['goal.0', 'goal.1'] },
    };
  }

  /** Poses of floor, base, upper arm, forearm, fingertip, then the goal (metres, z up). */
  frame(out = new Float32Array(6 * POSE_SIZE)): Float32Array {
    const S = UNITS.pxPerM;
    const z = LINK_W / 2;
    writePlanarPose(out, 0, 0, 0, 0);
    // Cylinders lie along local x: turn the base upright (a quarter turn about y is not
    // planar, so write that quaternion by hand).
    out[7] = 0;
    out[8] = 0;
    out[9] = z;
    out[10] = Math.SQRT1_2;
    out[11] = 0;
    out[12] = Math.SQRT1_2;
    out[13] = 0;
    writePlanarPose(
      out,
      2,
      this.link1.position.x / S,
      -this.link1.position.y / S,
      -this.link1.angle,
      z,
    );
    writePlanarPose(
      out,
      3,
      this.link2.position.x / S,
      -this.link2.position.y / S,
      -this.link2.angle,
      z,
    );
    writePlanarPose(out, 4, this.tipX, this.tipY, 0, z);
    writePlanarPose(out, 5, this.built.goal[0], this.built.goal[1], 0, z);
    return out;
  }
}

function copyTask(t: ReacherTask): ReacherTask {
  return {
    goal: [t.goal[0], t.goal[1]],
    masses: [t.masses[0], t.masses[1]],
    damping: [t.damping[0], t.damping[1]],
  };
}

function drawTask(r: Rng): ReacherTask {
  let gx = 0;
  let gy = 0;
  // Gym's rejection sampling: uniform in the square, kept if inside the disc.
  do {
    gx = r.uniformRange(-GOAL_RADIUS, GOAL_RADIUS);
    gy = r.uniformRange(-GOAL_RADIUS, GOAL_RADIUS);
  } while (gx * gx + gy * gy >= GOAL_RADIUS * GOAL_RADIUS);
  const u = (i: number) => r.uniformRange(REACHER_PARAMS[i].low, REACHER_PARAMS[i].high);
  return { goal: [gx, gy], masses: [u(2), u(3)], damping: [u(4), u(5)] };
}

function readPair(o: Record<string, unknown>, field: string, i0: number): [number, number] {
  const v = o[field];
  if (!Array.isArray(v) || v.length !== 2)
    throw new Error(`task.${field} must be a pair [a, b], got ${JSON.stringify(v)}`);
  const p0 = REACHER_PARAMS[i0];
  const p1 = REACHER_PARAMS[i0 + 1];
  return [readNumber(v[0], p0.path, p0.min, p0.max), readNumber(v[1], p1.path, p1.min, p1.max)];
}

export const reacher: TaskFamily<ReacherTask> = {
  id: 'reacher',
  title: 'Two-link reacher',
  description:
    'A planar two-link arm driven by joint torques must bring its fingertip to an unseen goal; tasks also change the link masses and joint damping.',
  observationSize: 8,
  actionSize: 2,
  horizon: HORIZON,
  params: REACHER_PARAMS,
  docs: {
    observation:
      'cos q1, sin q1, cos q2, sin q2, q̇1, q̇2 (rad/s), fingertip x, y (m); q1 = upper arm angle from +x, q2 = elbow angle, counter-clockwise seen from above. The goal, masses and damping are not observed',
    action: 'joint torques a ∈ [−1, 1]² (clipped), scaled to 0.15 and 0.075 N·m',
    reward: '−‖fingertip − goal‖₂ − 0.1·‖a‖²',
    termination: 'none; truncated after 60 steps (dt = 1/60 s)',
    tasks:
      'goal uniform in the disc of radius 0.2 m (the arm reaches 0.21 m); masses ~ U[0.05, 0.2] kg each; joint damping ~ U[0.002, 0.02] N·m·s/rad each; 20% of the task space (by a hash of the parameters) is the test split',
    oracle: {
      value: -9.6,
      source:
        'oracle runs of seeds 1–3 (500 iterations): −9.4 to −9.8 on 40 held-out test tasks, the benchmark’s figure',
    },
  },
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): ReacherTask[] {
    return sampleSplit(n, rng, split, drawTask, (t) => [...t.goal, ...t.masses, ...t.damping]);
  },
  parseTask(value: unknown): ReacherTask {
    const o = readObject(value);
    const goal = readPair(o, 'goal', 0);
    if (Math.hypot(goal[0], goal[1]) > REACH) {
      throw new Error(
        `task.goal = [${goal.join(', ')}] is out of reach: its distance from the base must be at most ${REACH} m`,
      );
    }
    return { goal, masses: readPair(o, 'masses', 2), damping: readPair(o, 'damping', 4) };
  },
  make(task: ReacherTask, seed = 0): ReacherEnv {
    return new ReacherEnv(this.parseTask(task), seed);
  },
};
