// The SI ↔ matter-js unit conversion the families rely on: gravity, forces and torques given
// in SI produce the SI accelerations, whatever the pixel scale.
import { describe, expect, it } from 'vitest';
import {
  Composite,
  DELTA_MS,
  DT,
  Engine,
  Units,
  box,
  createEngine,
} from '../../envs/common/physics';

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
