// Shared matter-js plumbing for the physics families: unit conversion between SI (what
// tasks, observations, rewards and scenes use) and matter-js's pixel/millisecond world,
// engine creation with per-env settings, and the joint machinery matter-js lacks (motor
// torques, joint damping and joint limits, all applied as equal and opposite torque pairs).
//
// Determinism: matter-js numbers bodies and constraints from one process-wide counter
// (Common.nextId). Every body and constraint made here gets an explicit id local to its env,
// so a trajectory never depends on how many other envs (or bodies) the process made before.
// Collision groups are plain negative constants for the same reason (each env has its own
// engine, so they cannot clash). Nothing here draws random numbers.
import Matter from 'matter-js';

export const { Engine, Bodies, Body, Composite, Constraint } = Matter;
/** matter-js keeps the previous pose (Verlet state) on each body; its typings omit it. */
export type MBody = Matter.Body & { positionPrev: Matter.Vector; anglePrev: number };
export type MConstraint = Matter.Constraint;
export type MEngine = Matter.Engine;

/** One physics update per env step, at matter-js's base delta (60 Hz). */
export const DELTA_MS = 1000 / 60;
export const DT = DELTA_MS / 1000;

/**
 * Conversion between SI and matter-js units for a chosen pixels-per-metre scale. Masses are
 * kept in kg (matter-js mass is just a number); time inside matter-js is in ms, so an
 * acceleration a m/s² is a·S·1e-6 px/ms², a force F N is F·S·1e-6, a torque τ N·m is τ·S²·1e-6
 * and a moment of inertia I kg·m² is I·S² kg·px².
 */
export class Units {
  readonly force: number;
  readonly torque: number;
  readonly inertia: number;
  constructor(readonly pxPerM: number) {
    this.force = pxPerM * 1e-6;
    this.torque = pxPerM * pxPerM * 1e-6;
    this.inertia = pxPerM * pxPerM;
  }
  /** matter-js `gravity.scale` such that `gravity.y` is in m/s². */
  get gravityScale(): number {
    return this.pxPerM * 1e-6;
  }
}

export interface EngineOptions {
  constraintIterations: number;
  positionIterations: number;
  velocityIterations: number;
  /** Downward gravity in m/s² (0 for top-down families). */
  gravity: number;
  units: Units;
}

export function createEngine(o: EngineOptions): MEngine {
  return Engine.create({
    constraintIterations: o.constraintIterations,
    positionIterations: o.positionIterations,
    velocityIterations: o.velocityIterations,
    enableSleeping: false,
    gravity: { x: 0, y: o.gravity, scale: o.units.gravityScale },
  });
}

export interface BoxOptions {
  id: number;
  /** Centre and size in px, angle in matter-js radians (clockwise on screen, y down). */
  x: number;
  y: number;
  w: number;
  h: number;
  angle?: number;
  massKg: number;
  friction?: number;
  isStatic?: boolean;
  /** Negative: never collides with bodies of the same group (a robot's own parts). */
  group?: number;
  /** 0 disables every collision (bodies that only interact through joints). */
  mask?: number;
}

export function box(o: BoxOptions): MBody {
  const b = Bodies.rectangle(o.x, o.y, o.w, o.h, {
    id: o.id,
    angle: o.angle ?? 0,
    isStatic: o.isStatic ?? false,
    friction: o.friction ?? 0.1,
    frictionAir: 0,
    frictionStatic: 0.5,
    restitution: 0,
    collisionFilter: { group: o.group ?? 0, category: 1, mask: o.mask ?? 0xffffffff },
  });
  if (!o.isStatic) Body.setMass(b, o.massKg);
  return b as MBody;
}

/** A pin joint: `pointA` on `bodyA` (or a world point if bodyA is null) held on `pointB` of `bodyB`. */
export function pin(id: number, bodyA: MBody | null, pointA: { x: number; y: number }, bodyB: MBody, pointB: { x: number; y: number }, length = 0): MConstraint {
  return Constraint.create({
    id,
    ...(bodyA ? { bodyA } : {}),
    pointA: { ...pointA },
    bodyB,
    pointB: { ...pointB },
    length,
    stiffness: 1,
    damping: 0,
  } as Matter.IConstraintDefinition);
}

/** Distance in px between the two ends of a constraint minus its rest length: how far a joint has come apart. */
export function jointGap(c: MConstraint): number {
  const a = Constraint.pointAWorld(c);
  const b = Constraint.pointBWorld(c);
  return Math.abs(Math.hypot(a.x - b.x, a.y - b.y) - c.length);
}

/** Angular velocity in rad/s (matter-js sense) from the last update. */
export function angularVelocity(b: MBody): number {
  return (b.angle - b.anglePrev) / DT;
}

/**
 * A revolute joint between `parent` (null: the world) and `child`, driven by torques.
 * Joint angle = child.angle − parent.angle − rest, in matter-js's sense (clockwise on screen).
 * Damping and limits are computed as the torque pair that produces a chosen change of the
 * relative angular velocity in one step, using the pair's combined inverse inertia, so they
 * stay stable for any damping coefficient (an explicit −d·ω torque blows up on light links).
 */
export class Joint {
  /** Combined inverse inertia of the pair in 1/(kg·m²). */
  private invI = 0;
  constructor(
    readonly parent: MBody | null,
    readonly child: MBody,
    private readonly units: Units,
    readonly rest = 0,
    readonly lower = -Infinity,
    readonly upper = Infinity,
  ) {
    this.refreshInertia();
  }

  /** Call after changing a body's mass. */
  refreshInertia(): void {
    const s = this.units.inertia;
    this.invI = s / this.child.inertia + (this.parent ? s / this.parent.inertia : 0);
  }

  angle(): number {
    return this.child.angle - (this.parent ? this.parent.angle : 0) - this.rest;
  }

  /** Relative angular velocity in rad/s. */
  velocity(): number {
    return (this.child.angle - this.child.anglePrev - (this.parent ? this.parent.angle - this.parent.anglePrev : 0)) / DT;
  }

  /**
   * Add this step's joint torques: the motor torque `tau` (N·m), exponential damping with
   * coefficient `damping` (N·m·s/rad) and the limit. Must be called once before each update
   * (matter-js clears body.torque after every update).
   */
  apply(tau: number, damping: number): void {
    const invI = this.invI;
    const w = this.velocity();
    let total = tau;
    if (damping > 0) {
      // Torque that multiplies ω_rel by exp(−d·invI·dt) over one step.
      const dw = -w * (1 - Math.exp(-damping * invI * DT));
      total += dw / (invI * DT);
    }
    if (this.lower > -Infinity || this.upper < Infinity) {
      const th = this.angle();
      // Relative velocity the torques so far would produce, and where it would put the joint.
      const wPred = w + total * invI * DT;
      const next = th + wPred * DT;
      let target = NaN;
      if (next > this.upper) target = th > this.upper ? (LIMIT_BAUMGARTE * (this.upper - th)) / DT : (this.upper - th) / DT;
      else if (next < this.lower) target = th < this.lower ? (LIMIT_BAUMGARTE * (this.lower - th)) / DT : (this.lower - th) / DT;
      if (target === target) total += (target - wPred) / (invI * DT);
    }
    const t = total * this.units.torque;
    this.child.torque += t;
    if (this.parent) this.parent.torque -= t;
  }
}

/** Fraction of a limit violation removed per step. */
const LIMIT_BAUMGARTE = 0.2;

/** World pose of a matter-js body in a side view (up = 'y'): metres, y up, angle counter-clockwise. */
export function sideX(b: MBody, units: Units): number {
  return b.position.x / units.pxPerM;
}
export function sideY(b: MBody, units: Units): number {
  return -b.position.y / units.pxPerM;
}
