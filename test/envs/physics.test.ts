// The SI ↔ matter-js unit conversion the families rely on: gravity, forces and torques given
// in SI produce the SI accelerations, whatever the pixel scale; and the momentum keeper gives
// back what a position-level correction inside a group took from its momenta.
import { describe, expect, it } from 'vitest';
import {
  Composite,
  DELTA_MS,
  DT,
  Engine,
  Units,
  box,
  createEngine,
  placeBody,
  rotateAbout,
  type MBody,
} from '../../envs/common/physics';
import { MomentumKeeper } from '../../envs/common/momentum';
import { momenta } from '../helpers/momenta';

describe.each([100, 1000])('units at %i px/m', (pxPerM) => {
  const units = new Units(pxPerM);

  function world(gravity: number) {
    const engine = createEngine({
      constraintIterations: 2,
      positionIterations: 2,
      velocityIterations: 2,
      gravity,
      units,
    });
    const b = box({ id: 1, x: 0, y: 0, w: 0.1 * pxPerM, h: 0.1 * pxPerM, massKg: 2, mask: 0 });
    Composite.add(engine.world, b);
    return { engine, b };
  }

  it('free fall covers ½·g·t² in metres', () => {
    const { engine, b } = world(9.81);
    const steps = 60;
    for (let i = 0; i < steps; i++) Engine.update(engine, DELTA_MS);
    const fallen = b.position.y / pxPerM;
    const t = steps * DT;
    // Verlet with the force applied each step: exactly g·dt²·n(n+1)/2.
    expect(fallen).toBeCloseTo((9.81 * DT * DT * steps * (steps + 1)) / 2, 6);
    // … which is ½·g·t² up to the (n + 1)/n of the discrete sum.
    expect(fallen / (0.5 * 9.81 * t * t)).toBeCloseTo((steps + 1) / steps, 9);
  });

  it('a force of F newtons accelerates m kilograms at F/m, and a torque of τ N·m turns at τ/I', () => {
    const { engine, b } = world(0);
    const inertiaSi = b.inertia / units.inertia;
    for (let i = 0; i < 30; i++) {
      b.force.x += 4 * units.force; // 4 N on 2 kg: 2 m/s²
      b.torque += 0.01 * units.torque;
      Engine.update(engine, DELTA_MS);
    }
    const v =
      (b.position.x - (b as unknown as { positionPrev: { x: number } }).positionPrev.x) /
      pxPerM /
      DT;
    expect(v).toBeCloseTo(2 * 30 * DT, 6);
    const w = (b.angle - (b as unknown as { anglePrev: number }).anglePrev) / DT;
    expect(w).toBeCloseTo((0.01 / inertiaSi) * 30 * DT, 6);
    // A 0.1 m square of 2 kg: I = m·(a² + a²)/12, times matter-js's Body._inertiaScale of 4,
    // which its constraint solver needs to stay stable (see envs/cartpole).
    expect(inertiaSi).toBeCloseTo((4 * 2 * 0.02) / 12, 9);
  });
});

describe('MomentumKeeper', () => {
  it('gives back centre of mass and both momenta after a one-sided correction, keeping relative poses', () => {
    const bodies = [0, 1, 2].map(
      (i) => box({ id: i + 1, x: 0, y: 0, w: 30, h: 8 + 4 * i, massKg: 1 + i }) as MBody,
    );
    placeBody(bodies[0], 0, 0, 0.1, 0.3, -0.2, 0.01);
    placeBody(bodies[1], 25, 5, 0.4, -0.5, 0.1, -0.02);
    placeBody(bodies[2], 50, -3, -0.3, 0.2, 0.4, 0.03);
    const keeper = new MomentumKeeper(bodies);
    const before = momenta(bodies);
    keeper.record();
    // A joint-limit projection: turn the last two bodies about a pivot and stop them there.
    for (const b of bodies.slice(1)) rotateAbout(b, { x: 12, y: 2 }, 0.2, 0.05);
    const corrected = bodies.map((b) => ({
      angle: b.angle,
      w: b.angle - b.anglePrev,
      dx: b.position.x - bodies[0].position.x,
      dy: b.position.y - bodies[0].position.y,
    }));
    const moved = momenta(bodies);
    expect(Math.abs(moved.px - before.px) + Math.abs(moved.l - before.l)).toBeGreaterThan(0.01);
    keeper.restore();
    const after = momenta(bodies);
    for (const k of ['cx', 'cy', 'px', 'py', 'l'] as const)
      expect(after[k]).toBeCloseTo(before[k], 9);
    bodies.forEach((b, i) => {
      // Rigid shifts only: same angles and offsets; the relative turning rates stay as set.
      expect(b.angle).toBeCloseTo(corrected[i].angle, 12);
      expect(b.position.x - bodies[0].position.x).toBeCloseTo(corrected[i].dx, 9);
      expect(b.position.y - bodies[0].position.y).toBeCloseTo(corrected[i].dy, 9);
      const rel = b.angle - b.anglePrev - (bodies[0].angle - bodies[0].anglePrev);
      expect(rel).toBeCloseTo(corrected[i].w - corrected[0].w, 12);
    });
  });
});
