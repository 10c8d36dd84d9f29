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
//
// Inertia: matter-js gives every body 4× its polygon's moment of inertia (Body._inertiaScale)
// because its position-based pin solver diverges with the true value for thin links. We keep
// that (measured: true inertia blows up at every iteration count), so links and poles turn as
// if 4× as heavy about their centres; each family's header says what that does to it.
import Matter from 'matter-js';

export const { Engine, Bodies, Body, Bounds, Composite, Constraint, Events, Pairs } = Matter;
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

/**
 * A snapshot of a freshly built world that `restore()` puts back exactly, so an env can start
 * each episode from the same state without rebuilding its engine (a rebuild costs ~100 µs,
 * more than ten steps of the smaller families). Everything matter-js carries from step to step
 * is restored: poses, previous poses (velocity), vertices and axes, accumulated forces and
 * impulses, constraint anchors, contact pairs, the broadphase's body order and the clock. A
 * used env reset to a seed therefore behaves bit for bit like a fresh one (tested).
 */
export class WorldTemplate {
  private readonly saved: {
    b: MBody;
    x: number;
    y: number;
    angle: number;
    verts: Float64Array;
    axes: Float64Array;
  }[];
  private readonly anchors: {
    c: MConstraint;
    ax: number;
    ay: number;
    bx: number;
    by: number;
    angleA: number;
    angleB: number;
  }[];

  constructor(
    private readonly engine: MEngine,
    bodies: readonly MBody[],
    constraints: readonly MConstraint[],
  ) {
    this.saved = bodies.map((b) => {
      const verts = new Float64Array(b.vertices.length * 2);
      b.vertices.forEach((v, i) => {
        verts[2 * i] = v.x;
        verts[2 * i + 1] = v.y;
      });
      const axes = new Float64Array(b.axes.length * 2);
      b.axes.forEach((v, i) => {
        axes[2 * i] = v.x;
        axes[2 * i + 1] = v.y;
      });
      return { b, x: b.position.x, y: b.position.y, angle: b.angle, verts, axes };
    });
    this.anchors = constraints.map((c) => {
      const k = c as MConstraint & { angleA: number; angleB: number };
      return {
        c,
        ax: c.pointA.x,
        ay: c.pointA.y,
        bx: c.pointB.x,
        by: c.pointB.y,
        angleA: k.angleA,
        angleB: k.angleB,
      };
    });
  }

  restore(): void {
    for (const s of this.saved) {
      const b = s.b as unknown as Omit<MBody, 'angularVelocity' | 'speed' | 'angularSpeed'> & {
        angularVelocity: number;
        speed: number;
        angularSpeed: number;
        positionImpulse: Matter.Vector;
        constraintImpulse: { x: number; y: number; angle: number };
        totalContacts: number;
        deltaTime: number;
        motion: number;
        sleepCounter: number;
      };
      b.position.x = b.positionPrev.x = s.x;
      b.position.y = b.positionPrev.y = s.y;
      b.angle = b.anglePrev = s.angle;
      b.velocity.x = b.velocity.y = 0;
      b.angularVelocity = b.speed = b.angularSpeed = 0;
      b.force.x = b.force.y = 0;
      b.torque = 0;
      b.positionImpulse.x = b.positionImpulse.y = 0;
      b.constraintImpulse.x = b.constraintImpulse.y = b.constraintImpulse.angle = 0;
      b.totalContacts = 0;
      b.deltaTime = DELTA_MS;
      b.motion = 0;
      b.sleepCounter = 0;
      for (let i = 0; i < b.vertices.length; i++) {
        b.vertices[i].x = s.verts[2 * i];
        b.vertices[i].y = s.verts[2 * i + 1];
      }
      for (let i = 0; i < b.axes.length; i++) {
        b.axes[i].x = s.axes[2 * i];
        b.axes[i].y = s.axes[2 * i + 1];
      }
      Bounds.update(b.bounds, b.vertices, b.velocity);
    }
    for (const a of this.anchors) {
      const k = a.c as MConstraint & { angleA: number; angleB: number };
      a.c.pointA.x = a.ax;
      a.c.pointA.y = a.ay;
      a.c.pointB.x = a.bx;
      a.c.pointB.y = a.by;
      k.angleA = a.angleA;
      k.angleB = a.angleB;
    }
    Pairs.clear(this.engine.pairs);
    // The broadphase sorts its body list in place every step; a fresh order keeps the
    // collision (and so the solver) order the same as in a new world.
    (
      Composite as unknown as {
        setModified(c: Matter.Composite, v: boolean, parents: boolean, children: boolean): void;
      }
    ).setModified(this.engine.world, true, false, false);
    const timing = this.engine.timing as Matter.IEngineTimingOptions & {
      lastDelta: number;
      lastElapsed: number;
    };
    timing.timestamp = 0;
    timing.lastDelta = 0;
    timing.lastElapsed = 0;
  }
}

/** Put a body at pose (x, y, angle) in px / matter-js radians with velocity (vx, vy) px per step and angular velocity w rad per step. */
export function placeBody(
  b: MBody,
  x: number,
  y: number,
  angle: number,
  vx = 0,
  vy = 0,
  w = 0,
): void {
  // The third argument (keep velocity) is missing from the typings.
  const B = Body as unknown as {
    setPosition(b: MBody, p: Matter.Vector, v: boolean): void;
    setAngle(b: MBody, a: number, v: boolean): void;
  };
  B.setPosition(b, { x, y }, false);
  B.setAngle(b, angle, false);
  Body.setVelocity(b, { x: vx, y: vy });
  Body.setAngularVelocity(b, w);
}

/** Move a body by (dx, dy) px keeping its velocity (matter-js moves its previous position along). */
export function shiftBody(b: MBody, dx: number, dy: number): void {
  // The third argument (update velocity) is missing from the typings.
  const B = Body as unknown as { translate(b: MBody, t: Matter.Vector, v: boolean): void };
  B.translate(b, { x: dx, y: dy }, false);
}

/** A pin joint: `pointA` on `bodyA` (or a world point if bodyA is null) held on `pointB` of `bodyB`. */
export function pin(
  id: number,
  bodyA: MBody | null,
  pointA: { x: number; y: number },
  bodyB: MBody,
  pointB: { x: number; y: number },
  length = 0,
): MConstraint {
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

/**
 * A revolute joint between `parent` (null: the world) and `child`, driven by torques.
 * Joint angle = child.angle − parent.angle − rest, in matter-js's sense (clockwise on screen).
 * Damping and limits are computed as the torque pair that produces a chosen change of the
 * relative angular velocity in one step, using the combined inverse inertia of the two sides.
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
    /**
     * Effective inertias (kg·m²) the joint turns on its two sides, e.g. the whole distal chain
     * about the joint (parallel-axis theorem). Defaults to the two bodies about their own
     * centres, which underestimates a chain's inertia and so weakens springs and damping.
     */
    inertias?: { child: number; parent: number },
  ) {
    if (inertias) this.invI = 1 / inertias.child + (parent ? 1 / inertias.parent : 0);
    else {
      const s = this.units.inertia;
      this.invI = s / this.child.inertia + (this.parent ? s / this.parent.inertia : 0);
    }
  }

  angle(): number {
    return this.child.angle - (this.parent ? this.parent.angle : 0) - this.rest;
  }

  /** Relative angular velocity in rad/s. */
  velocity(): number {
    return (
      (this.child.angle -
        this.child.anglePrev -
        (this.parent ? this.parent.angle - this.parent.anglePrev : 0)) /
      DT
    );
  }

  /**
   * Add this step's torques for a joint driven by a motor against a damper, with no other
   * sustained load (a free-swinging arm): the motor torque `tau` (N·m) and damping `damping`
   * (N·m·s/rad) are integrated implicitly (backward Euler on the relative velocity), so any
   * damping is stable and the terminal velocity is exactly tau/damping; then the limit.
   * Call once before each update (matter-js clears body.torque after every update).
   */
  applyDamped(tau: number, damping: number): void {
    const w = this.velocity();
    let total = tau;
    if (damping > 0) {
      const h = DT * this.invI;
      total = ((w + h * tau) / (1 + h * damping) - w) / h;
    }
    this.push(this.limit(total, w));
  }

  /**
   * Add this step's torques for a joint under sustained load (a leg carrying a body): motor
   * torque `tau` (N·m) plus an explicit spring (N·m/rad, towards angle 0) and damper
   * (N·m·s/rad), then the limit. Explicit so that a spring holds its full torque against
   * gravity (an implicit one would give way by 1 + h·d); the coefficients are capped at what
   * an explicit step can integrate stably for this joint's inertia.
   */
  applyPD(tau: number, stiffness: number, damping: number): void {
    const w = this.velocity();
    const h = DT * this.invI;
    // A segment sits between two joints whose torques add up, hence the margins below the
    // single-joint limits (k·h·dt < 4, d·h < 2).
    const k = Math.min(stiffness, 0.25 / (h * DT));
    const d = Math.min(damping, 0.5 / h);
    this.push(this.limit(tau - k * this.angle() - d * w, w));
  }

  /**
   * Enforce the limits on positions after an update: when the joint is past a limit, turn
   * `subtree` (the child and every body hanging from it) rigidly about `pivot` (px) back onto
   * the limit, and drop the relative velocity that was carrying it further. The pre-step limit
   * torque alone cannot hold a joint whose neighbours push hard (each body is driven by two
   * joints), so legs need this pass; rotating the whole subtree keeps its pins together.
   */
  project(pivot: Matter.Vector, subtree: readonly MBody[]): void {
    const th = this.angle();
    let delta = 0;
    if (th > this.upper) delta = this.upper - th;
    else if (th < this.lower) delta = this.lower - th;
    else return;
    const step =
      th - (this.child.anglePrev - (this.parent ? this.parent.anglePrev : 0) - this.rest);
    // Moving further past the limit: also turn the previous pose so the relative velocity is 0.
    const extra = (delta < 0 && step > 0) || (delta > 0 && step < 0) ? step : 0;
    for (const b of subtree) rotateAbout(b, pivot, delta, extra);
  }

  /** Add the torque needed to keep the joint within its limits to `total` (N·m). */
  private limit(total: number, w: number): number {
    if (this.lower === -Infinity && this.upper === Infinity) return total;
    const invI = this.invI;
    const th = this.angle();
    // Relative velocity the torques so far would produce, and where it would put the joint.
    const wPred = w + total * invI * DT;
    const next = th + wPred * DT;
    let target = NaN;
    if (next > this.upper)
      target =
        th > this.upper ? (LIMIT_BAUMGARTE * (this.upper - th)) / DT : (this.upper - th) / DT;
    else if (next < this.lower)
      target =
        th < this.lower ? (LIMIT_BAUMGARTE * (this.lower - th)) / DT : (this.lower - th) / DT;
    return target === target ? total + (target - wPred) / (invI * DT) : total;
  }

  /** Apply `total` N·m to the child and the opposite to the parent. */
  private push(total: number): void {
    const t = total * this.units.torque;
    this.child.torque += t;
    if (this.parent) this.parent.torque -= t;
  }
}

/**
 * Turn a body rigidly by `delta` rad about `pivot` (px), keeping its velocity, then turn its
 * previous pose by a further `extraPrev` rad about the same point (which changes its angular
 * velocity by −extraPrev per step and its linear velocity to match).
 */
export function rotateAbout(b: MBody, pivot: Matter.Vector, delta: number, extraPrev = 0): void {
  const c = Math.cos(delta);
  const s = Math.sin(delta);
  const dx = b.position.x - pivot.x;
  const dy = b.position.y - pivot.y;
  Body.setPosition(b, { x: pivot.x + c * dx - s * dy, y: pivot.y + s * dx + c * dy });
  Body.setAngle(b, b.angle + delta);
  if (extraPrev !== 0) {
    const ce = Math.cos(extraPrev);
    const se = Math.sin(extraPrev);
    const px = b.positionPrev.x - pivot.x;
    const py = b.positionPrev.y - pivot.y;
    b.positionPrev.x = pivot.x + ce * px - se * py;
    b.positionPrev.y = pivot.y + se * px + ce * py;
    b.anglePrev += extraPrev;
  }
}

/** Fraction of a limit violation removed per step. */
const LIMIT_BAUMGARTE = 0.2;
