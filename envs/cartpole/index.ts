// cartpole: a cart on a straight track with a hinged pole, pushed by a continuous force
// (side view, up = 'y'). Tasks vary the dynamics, not a goal: pole mass, pole length,
// gravity, cart friction and actuator gain, so a meta-learner has to adapt to the physics.
// The gain's sign is part of the task (a motor wired either way round, 50/50): were the gain
// always positive, one non-adaptive policy would balance most tasks and adaptation would
// measure nothing. With the sign unknown, any fixed policy pushes the wrong way on about half
// the tasks and drops the pole there; a learner that notices which way the cart
// responds (an RL² agent within its first steps, MAML after a gradient step) can balance
// every task, as the oracle, which sees the sign, does.
//
// Physics: matter-js, two bodies and two constraints, one update per step at 60 Hz
// (dt = 1/60 s), 100 px per metre. The pole is a thin box pinned at its lower end to the
// cart's centre. matter-js has no prismatic joint, so the track is a rigid constraint from
// the cart to a world anchor 10 km overhead: the cart then moves on a circle so large that it
// deviates from the track by < 0.03 mm over ±2.4 m, and the solver treats track and hinge
// together. The cart cannot rotate (infinite inertia). Cart friction is Coulomb friction
// μ·(m_cart + m_pole)·g against the cart's motion (Barto et al. 1983), never strong enough to
// reverse the velocity within a step (so a resting cart sticks until the push exceeds it).
// Fidelity: matter-js multiplies every body's moment of inertia by 4 (Body._inertiaScale),
// which its position-based constraint solver needs: with a thin rod's true inertia the hinge
// diverges at any iteration count (tried 1–20). So the pole behaves like a rod with 4× its
// inertia about the centre (7/12·m·L² about the hinge instead of 1/3·m·L²). Measured against
// the analytic cart-pole (Florian 2007) at the same dt, its small-angle fall rate is about
// 0.74× the ideal rod's (0.72–0.77 over pole lengths 0.5–1.5 m and masses 0.05–0.5 kg), as
// that inertia predicts. Every task parameter still moves the dynamics the way physics says
// (tested), which is what dynamics adaptation needs, and matter-js reaches the 200k steps/s
// target, so the family stays on matter-js as designed.
//
// Observation (4): cart position x (m), cart velocity (m/s), pole angle θ from upright (rad,
//   positive when the pole leans towards +x), pole angular velocity (rad/s).
// Action (1): a ∈ [−1, 1] (clipped), horizontal force = gain · a newtons (gain may be negative).
// Reward: +1 for every step taken (including the one that ends the episode), as in Gym's CartPole.
// Termination: |θ| > 12° or |x| > 2.4 m; truncated after 200 steps (3.3 s).
// Initial state: x, ẋ, θ, θ̇ each ~ U[−0.05, 0.05] from the env's own Rng.
// Tasks: { poleMass, poleLength, gravity, cartFriction, gain }: the first four uniform over
//   their train ranges; gain = ±U[5, 15] N, each sign with probability 1/2.
import type { Env, ResetResult, StepResult, TaskFamily, TaskParam } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import { Box } from '../../src/core/spaces';
import { readNumber, readObject, sampleSplit } from '../../src/core/tasks';
import { POSE_SIZE, type SceneDescription, writePlanarPose } from '../../src/shared/scene';
import {
  Body,
  Composite,
  DELTA_MS,
  DT,
  Engine,
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

export type CartPoleTask = {
  poleMass: number;
  poleLength: number;
  gravity: number;
  cartFriction: number;
  gain: number;
};

const HORIZON = 200;
const UNITS = new Units(100);
const CART_MASS = 1;
const CART_W = 0.4;
const CART_H = 0.2;
const POLE_W = 0.04;
const THETA_LIMIT = (12 * Math.PI) / 180;
const X_LIMIT = 2.4;
const RAIL_RADIUS_PX = 1e6;
const INIT_NOISE = 0.05;
/** |gain| of training tasks (N); the sign is drawn separately. */
const GAIN_LOW = 5;
const GAIN_HIGH = 15;

export const CARTPOLE_PARAMS: TaskParam[] = [
  {
    name: 'poleMass',
    label: 'Pole mass',
    path: 'poleMass',
    low: 0.05,
    high: 0.5,
    min: 0.01,
    max: 2,
    unit: 'kg',
    kind: 'dynamics',
  },
  {
    name: 'poleLength',
    label: 'Pole length',
    path: 'poleLength',
    low: 0.5,
    high: 1.5,
    min: 0.2,
    max: 2,
    unit: 'm',
    kind: 'dynamics',
  },
  {
    name: 'gravity',
    label: 'Gravity',
    path: 'gravity',
    low: 4.9,
    high: 14.7,
    min: 1,
    max: 25,
    unit: 'm/s²',
    kind: 'dynamics',
  },
  {
    name: 'cartFriction',
    label: 'Cart friction μ',
    path: 'cartFriction',
    low: 0,
    high: 0.2,
    min: 0,
    max: 0.5,
    kind: 'dynamics',
  },
  // Training draws |gain| in [5, 15] with either sign; the slider spans both signs.
  {
    name: 'gain',
    label: 'Actuator gain (signed)',
    path: 'gain',
    low: -15,
    high: 15,
    min: -40,
    max: 40,
    unit: 'N',
    kind: 'dynamics',
  },
];

/** The classic (Barto/Gym) cart-pole as one task: 0.1 kg, 1 m pole, Earth gravity, no friction, 10 N. */
export const CLASSIC_CARTPOLE: CartPoleTask = {
  poleMass: 0.1,
  poleLength: 1,
  gravity: 9.81,
  cartFriction: 0,
  gain: 10,
};

export class CartPoleEnv implements Env<CartPoleTask> {
  readonly observationSpace = new Box(
    [-X_LIMIT * 2, -Infinity, -Math.PI, -Infinity],
    [X_LIMIT * 2, Infinity, Math.PI, Infinity],
  );
  readonly actionSpace = new Box(-1, 1, 1);
  readonly horizon = HORIZON;
  task: CartPoleTask;
  private rng: Rng;
  private engine!: MEngine;
  private cart!: MBody;
  private pole!: MBody;
  /** [hinge, rail] */
  private joints: MConstraint[] = [];
  private built: CartPoleTask;
  private template!: WorldTemplate;
  private t = 0;
  private readonly obs = new Float32Array(4);

  constructor(task: CartPoleTask, seed = 0) {
    this.task = { ...task };
    this.built = this.task;
    this.rng = new Rng(seed);
    this.buildWorld();
    this.writeObs();
  }

  setTask(task: CartPoleTask): void {
    this.task = { ...task };
  }

  /** Build the world for the current task, upright and at rest, and remember that state. */
  private buildWorld(): void {
    const task = this.task;
    this.built = task;
    const S = UNITS.pxPerM;
    const half = (task.poleLength / 2) * S;
    this.engine = createEngine({
      constraintIterations: 2,
      positionIterations: 1,
      velocityIterations: 1,
      gravity: task.gravity,
      units: UNITS,
    });
    this.cart = box({
      id: 1,
      x: 0,
      y: 0,
      w: CART_W * S,
      h: CART_H * S,
      massKg: CART_MASS,
      mask: 0,
    });
    Body.setInertia(this.cart, Infinity);
    this.pole = box({
      id: 2,
      x: 0,
      y: -half,
      w: POLE_W * S,
      h: task.poleLength * S,
      massKg: task.poleMass,
      mask: 0,
    });
    // pointB is the hinge's offset from the pole's centre (matter-js turns it with the pole).
    const hinge = pin(3, this.cart, { x: 0, y: 0 }, this.pole, { x: 0, y: half });
    const rail = pin(
      4,
      null,
      { x: 0, y: -RAIL_RADIUS_PX },
      this.cart,
      { x: 0, y: 0 },
      RAIL_RADIUS_PX,
    );
    this.joints = [hinge, rail];
    Composite.add(this.engine.world, [this.cart, this.pole, hinge, rail]);
    this.template = new WorldTemplate(this.engine, [this.cart, this.pole], this.joints);
  }

  reset(opts?: { seed?: number }): ResetResult {
    if (opts?.seed !== undefined) this.rng = new Rng(opts.seed);
    const r = this.rng;
    const x = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    const v = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    const th = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    const w = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    this.t = 0;
    if (this.task !== this.built) this.buildWorld();
    else this.template.restore();
    // Start state: cart at x with velocity v, pole at θ turning at ω (its centre moves with
    // the cart plus its rotation about the hinge). Velocities in px per step.
    const S = UNITS.pxPerM;
    const half = (this.built.poleLength / 2) * S;
    placeBody(this.cart, x * S, 0, 0, v * S * DT, 0, 0);
    placeBody(
      this.pole,
      x * S + half * Math.sin(th),
      -half * Math.cos(th),
      th,
      v * S * DT + half * Math.cos(th) * w * DT,
      half * Math.sin(th) * w * DT,
      w * DT,
    );
    this.writeObs();
    return { obs: this.obs, info: {} };
  }

  /** The returned `obs` is this env's own buffer: valid until the next reset/step. */
  step(action: Float32Array): StepResult {
    const task = this.built;
    let a = action[0];
    a = a > 1 ? 1 : a < -1 ? -1 : a === a ? a : 0;
    const cart = this.cart;
    const mTotal = CART_MASS + task.poleMass;
    const push = task.gain * a;
    if (task.cartFriction > 0) {
      // Velocity the push alone would give this step; friction opposes it but cannot reverse it.
      const v = (cart.position.x - cart.positionPrev.x) / UNITS.pxPerM / DT;
      const vPred = v + (push / mTotal) * DT;
      const maxFriction = task.cartFriction * mTotal * task.gravity;
      const stop = (Math.abs(vPred) * mTotal) / DT;
      const f = Math.min(maxFriction, stop);
      cart.force.x += (push - (vPred > 0 ? f : vPred < 0 ? -f : 0)) * UNITS.force;
    } else {
      cart.force.x += push * UNITS.force;
    }
    Engine.update(this.engine, DELTA_MS);
    this.t++;
    this.writeObs();
    const x = this.obs[0];
    const th = this.obs[2];
    const terminated = !(Math.abs(th) <= THETA_LIMIT && Math.abs(x) <= X_LIMIT);
    const truncated = !terminated && this.t >= HORIZON;
    return { obs: this.obs, reward: 1, terminated, truncated, info: {} };
  }

  private writeObs(): void {
    const S = UNITS.pxPerM;
    const c = this.cart;
    const p = this.pole;
    this.obs[0] = c.position.x / S;
    this.obs[1] = (c.position.x - c.positionPrev.x) / S / DT;
    this.obs[2] = p.angle;
    this.obs[3] = (p.angle - p.anglePrev) / DT;
  }

  /** How far the hinge and the track have come apart, in metres (for tests). */
  jointGaps(): number[] {
    return this.joints.map((j) => jointGap(j) / UNITS.pxPerM);
  }

  scene(): SceneDescription {
    const L = this.built.poleLength;
    return {
      family: 'cartpole',
      up: 'y',
      bodies: [
        {
          name: 'track',
          geom: { type: 'box', size: [2 * X_LIMIT + CART_W, 0.02, 0.1] },
          color: '#94a3b8',
          static: true,
        },
        { name: 'cart', geom: { type: 'box', size: [CART_W, CART_H, 0.2] }, color: '#3b82f6' },
        { name: 'pole', geom: { type: 'box', size: [POLE_W, L, POLE_W] }, color: '#f59e0b' },
      ],
      markers: [],
      bounds: { min: [-X_LIMIT - 0.4, -0.3, -0.3], max: [X_LIMIT + 0.4, L + 0.3, 0.3] },
      trail: 'pole',
    };
  }

  /** Poses of track, cart, pole (metres, y up); a fresh array unless `out` is given. */
  frame(out = new Float32Array(3 * POSE_SIZE)): Float32Array {
    const S = UNITS.pxPerM;
    writePlanarPose(out, 0, 0, -CART_H / 2 - 0.01, 0);
    writePlanarPose(out, 1, this.cart.position.x / S, -this.cart.position.y / S, 0);
    writePlanarPose(out, 2, this.pole.position.x / S, -this.pole.position.y / S, -this.pole.angle);
    return out;
  }
}

function drawTask(r: Rng): CartPoleTask {
  const u = (i: number) => r.uniformRange(CARTPOLE_PARAMS[i].low, CARTPOLE_PARAMS[i].high);
  const task = {
    poleMass: u(0),
    poleLength: u(1),
    gravity: u(2),
    cartFriction: u(3),
    gain: r.uniformRange(GAIN_LOW, GAIN_HIGH),
  };
  if (r.uniform() < 0.5) task.gain = -task.gain;
  return task;
}

export const cartpole: TaskFamily<CartPoleTask> = {
  id: 'cartpole',
  title: 'Cart-pole (dynamics)',
  description:
    'Balance a pole on a cart pushed by a continuous force, where each task changes the physics: pole mass and length, gravity, cart friction and actuator gain, including its sign (a motor wired either way round), so a policy that does not adapt fails on half the tasks.',
  observationSize: 4,
  actionSize: 1,
  horizon: HORIZON,
  params: CARTPOLE_PARAMS,
  docs: {
    observation:
      'cart position x (m), cart velocity (m/s), pole angle from upright (rad, + leaning to +x), pole angular velocity (rad/s); the task parameters are not observed',
    action:
      'force command a ∈ [−1, 1] (clipped); force = gain·a N on the cart, gain of either sign',
    reward: '+1 per step, including the step that ends the episode',
    termination: '|pole angle| > 12° or |x| > 2.4 m; truncated after 200 steps (dt = 1/60 s)',
    tasks:
      'poleMass ~ U[0.05, 0.5] kg, poleLength ~ U[0.5, 1.5] m, gravity ~ U[4.9, 14.7] m/s², cartFriction μ ~ U[0, 0.2], gain = ±U[5, 15] N (each sign with probability 1/2: the direction the motor pushes is unknown until tried); 20% of the task space (by a hash of the parameters) is the test split',
    oracle: {
      value: 197,
      source:
        'oracle runs of seeds 1–3 (300 iterations): 196.8 to 197.7 on 40 held-out test tasks, the benchmark’s figure; 200 is the most an episode returns',
    },
  },
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): CartPoleTask[] {
    return sampleSplit(n, rng, split, drawTask, (t) => [
      t.poleMass,
      t.poleLength,
      t.gravity,
      t.cartFriction,
      t.gain,
    ]);
  },
  parseTask(value: unknown): CartPoleTask {
    const o = readObject(value);
    const read = (i: number) =>
      readNumber(
        o[CARTPOLE_PARAMS[i].name],
        CARTPOLE_PARAMS[i].path,
        CARTPOLE_PARAMS[i].min,
        CARTPOLE_PARAMS[i].max,
      );
    return {
      poleMass: read(0),
      poleLength: read(1),
      gravity: read(2),
      cartFriction: read(3),
      gain: read(4),
    };
  },
  make(task: CartPoleTask, seed = 0): CartPoleEnv {
    return new CartPoleEnv(this.parseTask(task), seed);
  },
};
