// cheetah-vel / cheetah-dir: the runner stands, torques move it, it cannot flip, joint limits
// hold, and the rewards are the documented formulas of the forward velocity.
import { describe, expect, it } from 'vitest';
import { CheetahDirEnv, CheetahVelEnv, cheetahDir, cheetahVel } from '../../envs/cheetah';
import { DT, shiftBody, type MBody } from '../../envs/common/physics';
import { Rng } from '../../src/core/rng';
import { momenta } from '../helpers/momenta';

/** A periodic open-loop gait: each joint a phase-shifted sine at 3 Hz. */
function gait(t: number, a: Float32Array, phase = 1): void {
  const w = (2 * Math.PI * 3 * t) / 60;
  for (let i = 0; i < 6; i++) a[i] = Math.sin(w + i * phase);
}

describe('cheetah runner', () => {
  it('stands under zero torque', () => {
    const env = new CheetahVelEnv({ velocity: 1 }, 0);
    env.reset({ seed: 4 });
    let r = env.step(new Float32Array(6));
    for (let t = 0; t < 150; t++) r = env.step(new Float32Array(6));
    expect(r.obs[0]).toBeGreaterThan(0.7);
    expect(Math.abs(r.obs[1])).toBeLessThan(0.2);
  });

  it('moves under torque: a periodic gait carries it more than a metre in one episode', () => {
    const env = new CheetahVelEnv({ velocity: 1 }, 0);
    env.reset({ seed: 1 });
    const x0 = env.torsoX();
    const a = new Float32Array(6);
    for (let t = 0; t < 200; t++) {
      gait(t, a);
      env.step(a);
    }
    expect(Math.abs(env.torsoX() - x0)).toBeGreaterThan(1);
  });

  it('cannot push itself along in the air: its centre of mass keeps its horizontal velocity', () => {
    // Lifted 100 m, the runner has nothing to push against for the episode, so whatever its
    // torques and however often its joints hit their limits, the horizontal momentum stays.
    const rng = new Rng(5);
    const a = new Float32Array(6);
    for (const mode of ['bang-bang', 'gait', 'held']) {
      const env = new CheetahVelEnv({ velocity: 1 }, 0);
      env.reset({ seed: 3 });
      const parts = env as unknown as { torso: MBody; segs: MBody[] };
      const bodies = [parts.torso, ...parts.segs];
      for (const b of bodies) shiftBody(b, 0, -100 * 100);
      const com = () => {
        const { mass, cx, px } = momenta(bodies);
        return { x: cx / 100, v: px / mass / 100 / DT };
      };
      const start = com();
      for (let t = 0; t < 200; t++) {
        if (mode === 'gait') gait(t, a);
        else for (let i = 0; i < 6; i++) a[i] = mode === 'held' ? 1 : rng.uniform() < 0.5 ? -1 : 1;
        env.step(a);
      }
      const end = com();
      expect(end.v, mode).toBeCloseTo(start.v, 3);
      expect(end.x - start.x, mode).toBeCloseTo(start.v * 200 * DT, 2);
    }
  });

  it('never flips and keeps its joints within their limits under held random torques', () => {
    const env = new CheetahDirEnv({ direction: 1 }, 0);
    env.reset({ seed: 2 });
    const rng = new Rng(8);
    const a = new Float32Array(6);
    const limits = [
      [-0.52, 1.05],
      [-0.785, 0.785],
      [-0.4, 0.785],
      [-1, 0.7],
      [-1.2, 0.87],
      [-0.5, 0.5],
    ];
    let maxPitch = 0;
    let worstExcess = 0;
    let minHeight = Infinity;
    let beyond = 0;
    for (let t = 0; t < 3000; t++) {
      // Bang-bang actions held for 15 steps: the kind of input that flips a runner with no stop.
      if (t % 15 === 0) for (let i = 0; i < 6; i++) a[i] = rng.uniform() < 0.5 ? -1 : 1;
      const r = env.step(a);
      maxPitch = Math.max(maxPitch, Math.abs(r.obs[1]));
      minHeight = Math.min(minHeight, r.obs[0]);
      for (let j = 0; j < 6; j++) {
        const q = r.obs[2 + j];
        const excess = Math.max(limits[j][0] - q, q - limits[j][1]);
        worstExcess = Math.max(worstExcess, excess);
        if (excess > 0.15) beyond++;
      }
      if (r.truncated) env.reset();
    }
    expect(maxPitch).toBeLessThan(1.2);
    expect(maxPitch).toBeGreaterThan(0.3);
    // Limits are soft for a step or two after a hard kick (see body.ts), never by much.
    expect(worstExcess).toBeLessThan(0.4);
    expect(beyond / (3000 * 6)).toBeLessThan(0.02);
    expect(minHeight).toBeGreaterThan(0);
  });

  it('rewards −|v − v_goal| − 0.05‖a‖² (vel) and direction·v − 0.05‖a‖² (dir), v = Δx/dt of the torso', () => {
    const vel = new CheetahVelEnv({ velocity: 0.7 }, 0);
    const fwd = new CheetahDirEnv({ direction: 1 }, 0);
    const back = new CheetahDirEnv({ direction: -1 }, 0);
    for (const e of [vel, fwd, back]) e.reset({ seed: 3 });
    const a = new Float32Array(6);
    for (let t = 0; t < 60; t++) {
      gait(t, a);
      a[0] = 2; // clipped to 1 in both the dynamics and the cost
      let a2 = 1;
      for (let i = 1; i < 6; i++) a2 += a[i] * a[i];
      const x0 = vel.torsoX();
      const rv = vel.step(a);
      const rf = fwd.step(a);
      const rb = back.step(a);
      const v = (vel.torsoX() - x0) / DT;
      expect(rv.reward).toBeCloseTo(-Math.abs(v - 0.7) - 0.05 * a2, 9);
      expect(rf.reward).toBeCloseTo(v - 0.05 * a2, 9);
      expect(rb.reward).toBeCloseTo(-v - 0.05 * a2, 9);
    }
  });

  it('cheetah-dir samples both directions in each split, reproducibly; cheetah-vel draws U[0, 2]', () => {
    for (const split of ['train', 'test'] as const) {
      const tasks = cheetahDir.sampleTasks(100, new Rng(5), split);
      const plus = tasks.filter((t) => t.direction === 1).length;
      expect(plus).toBeGreaterThan(25);
      expect(plus).toBeLessThan(75);
    }
    expect(() => cheetahDir.parseTask({ direction: 0.5 })).toThrow(/direction/);
    const v = cheetahVel.sampleTasks(500, new Rng(5), 'train').map((t) => t.velocity);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(2);
    expect(Math.max(...v)).toBeGreaterThan(1.9);
  });
});
