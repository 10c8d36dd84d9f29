// Centre of mass and momenta of a group of matter-js bodies, measured independently of
// envs/common/momentum.ts so that tests of the runner's momentum bookkeeping have their own
// yardstick.
import type { MBody } from '../../envs/common/physics';

/**
 * Centre of mass (px), linear momentum (kg·px per step) and angular momentum about the
 * centre of mass, from the bodies' Verlet state (velocity = position − positionPrev).
 */
export function momenta(bodies: readonly MBody[]) {
  let m = 0;
  let cx = 0;
  let cy = 0;
  let px = 0;
  let py = 0;
  for (const b of bodies) {
    m += b.mass;
    cx += b.mass * b.position.x;
    cy += b.mass * b.position.y;
    px += b.mass * (b.position.x - b.positionPrev.x);
    py += b.mass * (b.position.y - b.positionPrev.y);
  }
  cx /= m;
  cy /= m;
  let l = 0;
  for (const b of bodies) {
    const vx = b.position.x - b.positionPrev.x;
    const vy = b.position.y - b.positionPrev.y;
    l += b.mass * ((b.position.x - cx) * vy - (b.position.y - cy) * vx);
    l += b.inertia * (b.angle - b.anglePrev);
  }
  return { mass: m, cx, cy, px, py, l };
}
