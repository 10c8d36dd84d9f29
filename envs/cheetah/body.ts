// The planar runner shared by `cheetah-vel` and `cheetah-dir` (a 2-D "half cheetah" built
// from matter-js bodies): a torso and two legs of three segments (thigh, shin, foot), six
// torque-driven revolute joints with limits, on flat ground. Side view, up = 'y'.
//
// Physics: 100 px per metre, one matter-js update per step at 60 Hz (dt = 1/60 s),
// constraint/position/velocity iterations 3/2/2 (joint gaps < 1 mm on average and ~2 cm at
// worst under bang-bang torques; more iterations cost speed below the 60k steps/s target).
// Joints are pins with motor torques plus HalfCheetah's joint springs
// (240/180/120/180/120/60 N·m/rad) and dampers (6/4.5/3/4.5/3/1.5 N·m·s/rad), as torque pairs
// (envs/common/physics.ts); each leg segment carries HalfCheetah's armature (0.1 kg·m² of
// rotor inertia), without which the light segments cannot take those springs stably. With
// zero torque the runner stands. Joint limits are a torque before the update plus a rigid
// projection of the leg below the joint back onto the limit after integration (see
// projectLimits), whose reaction goes to the whole runner (MomentumKeeper): the projection
// keeps the runner's centre of mass and momenta, so hitting the limits cannot push it along
// (without that, a learned policy found a reactionless drive that sped the runner up to
// 49 m/s in one episode, twice the acceleration ground friction allows). The robot's parts
// share a negative collision group, so they only collide with the ground.
// Pitch stop: the torso's pitch is limited to ±1 rad (57°) relative to the world, like the
// boom that keeps a planar robot in its plane. Without it, white-noise actions do not flip
// the runner but held or periodic ones flip it about once per episode, and a flipped runner
// cannot get up; with it no policy, random or learned, can exploit running on its back.
//
// Dimensions (m): torso 1.0 × 0.1 (6 kg); thighs 0.3, shins 0.3, feet 0.2, all 0.08 thick
// (1.5, 1.2, 0.8 kg). Legs hang from the torso's ends. Joint ranges (rad, counter-clockwise
// relative to the parent, zero = segment hanging straight down) are HalfCheetah's:
//   back thigh [−0.52, 1.05], shin [−0.785, 0.785], foot [−0.4, 0.785],
//   front thigh [−1, 0.7], shin [−1.2, 0.87], foot [−0.5, 0.5];
// peak torques 90, 60, 45, 90, 45, 30 N·m (HalfCheetah's gears × ¾).
//
// Observation (17, as HalfCheetah's without the x position): torso height y (m), torso pitch
// (rad, counter-clockwise), 6 joint angles (rad), torso velocity vx, vy (m/s), torso angular
// velocity (rad/s), 6 joint velocities (rad/s).
// Action (6): a ∈ [−1, 1]⁶ (clipped), joint torque = peak·a.
// Forward velocity v = (x_torso after − x_torso before) / dt, as in Gym. (The observed vx is
// the torso's velocity state after contact resolution, which can differ from v while the
// torso touches the ground, as Gym's qvel differs from Δx/dt.)
// Initial state: joint angles and torso pitch ~ U[−0.1, 0.1] rad, a common velocity
// ~ U[−0.1, 0.1]² m/s, from the env's own Rng. No termination; truncated after 200 steps.
// Measured: an open-loop sine gait tuned by the cross-entropy method (frequency, 6
// amplitudes, 6 phases; 25 generations of 40, two rollouts each; three searches) sustains
// 1.7 / 3.1 / 1.9 m/s forwards and 1.9 / 1.4 / 2.1 m/s backwards on fresh starts, so the
// velocity tasks (0–2 m/s) and both directions are within reach of a learned, closed-loop
// policy.
// Ground contact is soft by metric standards: matter-js resolves contacts to about a pixel,
// which is 1 cm here, so standing feet sink ~2 cm and hard landings briefly dip 10–20 cm.
import type { ResetResult, StepResult } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import { Box } from '../../src/core/spaces';
import { POSE_SIZE, type SceneDescription, writePlanarPose } from '../../src/shared/scene';
import type { JsonObject } from '../../src/shared/json';
import {
  Body,
  Composite,
  DELTA_MS,
  DT,
  Engine,
  Events,
  Joint,
  Units,
  WorldTemplate,
  box,
  placeBody,
  createEngine,
  jointGap,
  pin,
  type MBody,
  type MConstraint,
  type MEngine,
} from '../common/physics';
import { MomentumKeeper } from '../common/momentum';

export const CHEETAH_HORIZON = 200;
export const CTRL_COST = 0.05;
const UNITS = new Units(100);
const S = UNITS.pxPerM;
const GROUP = -1;
const FRICTION = 1;
const TORSO = { len: 1.0, thick: 0.1, mass: 6 };
const THICK = 0.08;
/** Per leg segment: length (m), mass (kg). */
const SEGMENTS = [
  { name: 'thigh', len: 0.3, mass: 1.5 },
  { name: 'shin', len: 0.3, mass: 1.2 },
  { name: 'foot', len: 0.2, mass: 0.8 },
];
/** Joint order: back thigh, shin, foot, front thigh, shin, foot. World (counter-clockwise) limits. */
const LIMITS: [number, number][] = [
  [-0.52, 1.05],
  [-0.785, 0.785],
  [-0.4, 0.785],
  [-1, 0.7],
  [-1.2, 0.87],
  [-0.5, 0.5],
];
/** Peak motor torques (N·m), HalfCheetah's 120/90/60/120/60/30 scaled by ¾ for this lighter body. */
const PEAK = [90, 60, 45, 90, 45, 30];
/** Joint springs towards the rest pose (N·m/rad) and dampers (N·m·s/rad): HalfCheetah's values. */
const STIFFNESS = [240, 180, 120, 180, 120, 60];
const DAMPING = [6, 4.5, 3, 4.5, 3, 1.5];
/** Rotor inertia added to every leg segment (kg·m²), as HalfCheetah's armature 0.1. */
const ARMATURE = 0.1;
/** The torso's pitch stays within ±PITCH_STOP rad. */
const PITCH_STOP = 1.0;
/** Solver iterations: constraint 3 keeps joint gaps < 1 mm (mean) at ≥ 60k steps/s. */
const ITERATIONS = { constraint: 3, position: 2, velocity: 2 };
const LEG_LEN = SEGMENTS.reduce((s, g) => s + g.len, 0);

const START_HEIGHT = LEG_LEN + 0.02;
const GROUND_HALF_WIDTH = 500;
const INIT_NOISE = 0.1;
/** Height of the task marker above the ground (m). */
const MARKER_Y = 1.3;

/** Per-step reward of a family given forward velocity v (m/s) and the action's squared norm. */
export type CheetahReward<T> = (task: T, v: number, actionSq: number) => number;

export class CheetahEnv<T extends JsonObject> {
  readonly observationSpace = new Box(-Infinity, Infinity, 17);
  readonly actionSpace = new Box(-1, 1, 6);
  readonly horizon = CHEETAH_HORIZON;
  task: T;
  protected built: T;
  private rng: Rng;
  private engine!: MEngine;
  private torso!: MBody;
  /** Back thigh, shin, foot, front thigh, shin, foot. */
  private segs: MBody[] = [];
  private joints: Joint[] = [];
  /** Keeps the torso's pitch within ±PITCH_STOP (see the module header). */
  private pitchStop!: Joint;
  private pins: MConstraint[] = [];
  /** Per joint, its child and the segments below it. */
  private subtrees: MBody[][] = [];
  private template!: WorldTemplate;
  /** Hands the reaction of the limit projection to the whole runner (see projectLimits). */
  private keeper!: MomentumKeeper;
  private readonly q = new Float64Array(6);
  private readonly pivot = { x: 0, y: 0 };
  private t = 0;
  private readonly obs = new Float32Array(17);

  constructor(
    private readonly family: string,
    task: T,
    seed: number,
    private readonly reward: CheetahReward<T>,
    /** Marker x for the renderer, from task, torso x (m) and elapsed time (s). */
    private readonly markerX: (task: T, torsoX: number, time: number) => number,
  ) {
    this.task = structuredClone(task);
    this.built = this.task;
    this.rng = new Rng(seed);
    this.buildWorld();
    this.writeObs();
  }

  setTask(task: T): void {
    this.task = structuredClone(task);
  }

  /** Build the world for the current task, standing straight at rest, and remember that state. */
  private buildWorld(): void {
    this.built = this.task;
    this.engine = createEngine({
      constraintIterations: ITERATIONS.constraint,
      positionIterations: ITERATIONS.position,
      velocityIterations: ITERATIONS.velocity,
      gravity: 9.81,
      units: UNITS,
    });
    const ground = box({
      id: 1,
      x: 0,
      y: 0.5 * S,
      w: 2 * GROUND_HALF_WIDTH * S,
      h: 1 * S,
      massKg: 0,
      isStatic: true,
      friction: FRICTION,
    });
    this.torso = box({
      id: 2,
      x: 0,
      y: -START_HEIGHT * S,
      w: TORSO.len * S,
      h: TORSO.thick * S,
      massKg: TORSO.mass,
      group: GROUP,
      friction: FRICTION,
    });
    this.segs = [];
    this.joints = [];
    this.pins = [];
    let id = 3;
    for (let leg = 0; leg < 2; leg++) {
      const hipX = (leg === 0 ? -1 : 1) * (TORSO.len / 2);
      let parent: MBody = this.torso;
      let parentX = 0;
      let parentY = START_HEIGHT;
      let jy = START_HEIGHT;
      for (let k = 0; k < 3; k++) {
        const g = SEGMENTS[k];
        const j = leg * 3 + k;
        const cy = jy - g.len / 2;
        const seg = box({
          id: id++,
          x: hipX * S,
          y: -cy * S,
          w: THICK * S,
          h: g.len * S,
          massKg: g.mass,
          group: GROUP,
          friction: FRICTION,
        });
        // Anchors are offsets from each body's centre, in px (y down).
        const c = pin(id++, parent, { x: (hipX - parentX) * S, y: -(jy - parentY) * S }, seg, {
          x: 0,
          y: -(jy - cy) * S,
        });
        // Armature (rotor inertia, as in MuJoCo's HalfCheetah) makes the light segments turn
        // less violently under full torque and lets the joint springs be stiff yet stable.
        Body.setInertia(seg, seg.inertia + ARMATURE * UNITS.inertia);
        const [lo, hi] = LIMITS[j];
        // matter-js angles are clockwise: the world range [lo, hi] is [−hi, −lo] there.
        this.joints.push(new Joint(parent, seg, UNITS, 0, -hi, -lo));
        this.segs.push(seg);
        this.pins.push(c);
        parent = seg;
        parentX = hipX;
        parentY = cy;
        jy -= g.len;
      }
    }
    this.pitchStop = new Joint(null, this.torso, UNITS, 0, -PITCH_STOP, PITCH_STOP);
    this.subtrees = this.segs.map((_, j) => this.segs.slice(j, (Math.floor(j / 3) + 1) * 3));
    this.keeper = new MomentumKeeper([this.torso, ...this.segs]);
    // Limits are projected after integration and before the constraint and contact solvers,
    // so that pins and ground contacts settle the corrected pose within the same step. (A
    // second pass after the solvers would hold the limits exactly but tear the pins apart by
    // centimetres whenever a foot is pressed into the ground; this way a hard kick can leave
    // a joint up to ~0.3 rad past its limit for a step or two, and the pins stay within mm.)
    Events.on(this.engine, 'beforeSolve', this.projectLimits);
    Composite.add(this.engine.world, [ground, this.torso, ...this.segs, ...this.pins]);
    this.template = new WorldTemplate(this.engine, [this.torso, ...this.segs], this.pins);
  }

  /** Pose the runner: torso pitch and joint angles (world sense, rad), all moving at (vx, vy) m/s. */
  private pose(pitch: number, q: ArrayLike<number>, vx: number, vy: number): void {
    const ty = START_HEIGHT + (TORSO.len / 2) * Math.abs(Math.sin(pitch));
    const v = { x: vx * S * DT, y: -vy * S * DT };
    placeBody(this.torso, 0, -ty * S, -pitch, v.x, v.y, 0);
    for (let leg = 0; leg < 2; leg++) {
      const side = leg === 0 ? -1 : 1;
      // Hip in world metres (y up): the torso's end.
      let jx = side * (TORSO.len / 2) * Math.cos(pitch);
      let jy = ty + side * (TORSO.len / 2) * Math.sin(pitch);
      let phi = pitch;
      for (let k = 0; k < 3; k++) {
        const g = SEGMENTS[k];
        phi += q[leg * 3 + k];
        // A segment at world angle φ hangs along (sin φ, −cos φ) from its upper joint.
        const dx = Math.sin(phi);
        const dy = -Math.cos(phi);
        placeBody(
          this.segs[leg * 3 + k],
          (jx + (dx * g.len) / 2) * S,
          -(jy + (dy * g.len) / 2) * S,
          -phi,
          v.x,
          v.y,
          0,
        );
        jx += dx * g.len;
        jy += dy * g.len;
      }
    }
  }

  reset(opts?: { seed?: number }): ResetResult {
    if (opts?.seed !== undefined) this.rng = new Rng(opts.seed);
    const r = this.rng;
    const pitch = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    for (let j = 0; j < 6; j++) this.q[j] = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    const vx = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    const vy = r.uniformRange(-INIT_NOISE, INIT_NOISE);
    this.t = 0;
    if (this.task !== this.built) this.buildWorld();
    else this.template.restore();
    this.pose(pitch, this.q, vx, vy);
    this.writeObs();
    return { obs: this.obs, info: {} };
  }

  /** The returned `obs` is this env's own buffer: valid until the next reset/step. */
  step(action: Float32Array): StepResult {
    let actionSq = 0;
    for (let j = 0; j < 6; j++) {
      let a = action[j];
      a = a > 1 ? 1 : a < -1 ? -1 : a === a ? a : 0;
      actionSq += a * a;
      // World (counter-clockwise) torque is clockwise-negative in matter-js.
      this.joints[j].applyPD(-PEAK[j] * a, STIFFNESS[j], DAMPING[j]);
    }
    this.pitchStop.applyDamped(0, 0);
    const x0 = this.torso.position.x;
    Engine.update(this.engine, DELTA_MS);
    this.t++;
    this.writeObs();
    const v = (this.torso.position.x - x0) / S / DT;
    const reward = this.reward(this.built, v, actionSq);
    return {
      obs: this.obs,
      reward,
      terminated: false,
      truncated: this.t >= CHEETAH_HORIZON,
      info: {},
    };
  }

  /**
   * Put leg joints that went past their limits back on them, hip to foot. (The torso's pitch
   * stop stays a torque: turning the whole runner would drive its feet into the ground.)
   */
  private readonly projectLimits = (): void => {
    this.keeper.record();
    for (let leg = 0; leg < 2; leg++) {
      for (let k = 0; k < 3; k++) {
        const j = leg * 3 + k;
        // The joint's pivot: the anchor on the parent (as Constraint.pointAWorld, without allocating).
        const c = this.pins[j];
        const parent = c.bodyA as MBody;
        this.pivot.x = parent.position.x + c.pointA.x;
        this.pivot.y = parent.position.y + c.pointA.y;
        this.joints[j].project(this.pivot, this.subtrees[j]);
      }
    }
    this.keeper.restore();
  };

  private writeObs(): void {
    const o = this.obs;
    const tr = this.torso;
    o[0] = -tr.position.y / S;
    o[1] = -tr.angle;
    for (let j = 0; j < 6; j++) {
      o[2 + j] = -this.joints[j].angle();
      o[11 + j] = -this.joints[j].velocity();
    }
    o[8] = (tr.position.x - tr.positionPrev.x) / S / DT;
    o[9] = -(tr.position.y - tr.positionPrev.y) / S / DT;
    o[10] = -(tr.angle - tr.anglePrev) / DT;
  }

  /** Torso x position in metres (for tests and the follow camera). */
  torsoX(): number {
    return this.torso.position.x / S;
  }

  /** How far each of the six joints has come apart, in metres (for tests). */
  jointGaps(): number[] {
    return this.pins.map((c) => jointGap(c) / S);
  }

  scene(): SceneDescription {
    const seg = (leg: string, k: number) => ({
      name: `${leg}${SEGMENTS[k].name[0].toUpperCase()}${SEGMENTS[k].name.slice(1)}`,
      geom: {
        type: 'box' as const,
        size: [THICK, SEGMENTS[k].len, THICK] as [number, number, number],
      },
      color: leg === 'back' ? '#f97316' : '#fb923c',
    });
    return {
      family: this.family,
      up: 'y',
      bodies: [
        {
          name: 'ground',
          geom: { type: 'plane', size: [2 * GROUND_HALF_WIDTH, 4] },
          color: '#e9edf2',
          static: true,
        },
        {
          name: 'torso',
          geom: { type: 'box', size: [TORSO.len, TORSO.thick, 0.3] },
          color: '#ea580c',
        },
        seg('back', 0),
        seg('back', 1),
        seg('back', 2),
        seg('front', 0),
        seg('front', 1),
        seg('front', 2),
      ],
      markers: [
        { name: 'target', geom: { type: 'sphere', radius: 0.06 }, color: '#22c55e', opacity: 0.8 },
      ],
      bounds: { min: [-3, 0, -1], max: [3, 1.5, 1] },
      follow: 'torso',
      stepSeconds: DT,
      trail: 'torso',
      floor: { height: 0 },
    };
  }

  /** Poses of ground, torso, the six segments, then the task marker (metres, y up). */
  frame(out = new Float32Array(9 * POSE_SIZE)): Float32Array {
    writePlanarPose(out, 0, 0, 0, 0);
    const tr = this.torso;
    writePlanarPose(out, 1, tr.position.x / S, -tr.position.y / S, -tr.angle);
    for (let j = 0; j < 6; j++) {
      const s = this.segs[j];
      writePlanarPose(out, 2 + j, s.position.x / S, -s.position.y / S, -s.angle);
    }
    writePlanarPose(out, 8, this.markerX(this.built, tr.position.x / S, this.t * DT), MARKER_Y, 0);
    return out;
  }
}
