// Momentum bookkeeping for position-level corrections inside a group of matter-js bodies (a
// robot): see MomentumKeeper.
import { shiftBody, type MBody } from './physics';

/**
 * Keeps a group of bodies' centre of mass, linear momentum and angular momentum (about the
 * centre of mass) through a position-level correction made inside the group, such as
 * Joint.project in ./physics: call `record()` before the correction and `restore()` after it.
 * A correction that moves or slows some bodies of a robot without the equal and opposite
 * reaction on the rest acts as a reactionless drive: by hitting a joint limit over and over,
 * a policy could push the robot along (or spin it) without touching anything. `restore()`
 * hands the reaction to the whole group: a rigid translation of every body (current and
 * previous positions alike, so velocities stay) that puts the centre of mass back, then one
 * common change of the velocity field (a translation plus a rotation about the centre of
 * mass) that gives back the recorded momenta. Joint angles and the relative velocities the
 * correction set are left as they are.
 */
export class MomentumKeeper {
  private readonly mass: number;
  private cx = 0;
  private cy = 0;
  private px = 0;
  private py = 0;
  private l = 0;
  private cx0 = 0;
  private cy0 = 0;
  private px0 = 0;
  private py0 = 0;
  private l0 = 0;

  constructor(private readonly bodies: readonly MBody[]) {
    this.mass = bodies.reduce((m, b) => m + b.mass, 0);
  }

  record(): void {
    this.measure();
    this.cx0 = this.cx;
    this.cy0 = this.cy;
    this.px0 = this.px;
    this.py0 = this.py;
    this.l0 = this.l;
  }

  restore(): void {
    const bodies = this.bodies;
    this.measure();
    // Centre of mass back where it was.
    const sx = this.cx0 - this.cx;
    const sy = this.cy0 - this.cy;
    if (sx !== 0 || sy !== 0) {
      for (const b of bodies) shiftBody(b, sx, sy);
      this.measure();
    }
    // Velocities are per step (position − positionPrev, px) and angular ones rad per step.
    const dvx = (this.px0 - this.px) / this.mass;
    const dvy = (this.py0 - this.py) / this.mass;
    // The common velocity change dv + ω × r alters L about the centre of mass by I_total·ω
    // (the translation dv adds nothing there, since the mass-weighted offsets sum to 0).
    let iTotal = 0;
    for (const b of bodies) {
      const rx = b.position.x - this.cx;
      const ry = b.position.y - this.cy;
      iTotal += b.inertia + b.mass * (rx * rx + ry * ry);
    }
    const w = (this.l0 - this.l) / iTotal;
    for (const b of bodies) {
      const rx = b.position.x - this.cx;
      const ry = b.position.y - this.cy;
      b.positionPrev.x -= dvx - w * ry;
      b.positionPrev.y -= dvy + w * rx;
      b.anglePrev -= w;
    }
  }

  /** Centre of mass (px), linear momentum (kg·px/step) and angular momentum about the centre of mass. */
  private measure(): void {
    let cx = 0;
    let cy = 0;
    let px = 0;
    let py = 0;
    for (const b of this.bodies) {
      cx += b.mass * b.position.x;
      cy += b.mass * b.position.y;
      px += b.mass * (b.position.x - b.positionPrev.x);
      py += b.mass * (b.position.y - b.positionPrev.y);
    }
    cx /= this.mass;
    cy /= this.mass;
    let l = 0;
    for (const b of this.bodies) {
      const vx = b.position.x - b.positionPrev.x;
      const vy = b.position.y - b.positionPrev.y;
      l +=
        b.mass * ((b.position.x - cx) * vy - (b.position.y - cy) * vx) +
        b.inertia * (b.angle - b.anglePrev);
    }
    this.cx = cx;
    this.cy = cy;
    this.px = px;
    this.py = py;
    this.l = l;
  }
}
