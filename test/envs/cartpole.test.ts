// cartpole: +1 per step until the pole falls or the cart leaves the track, each task
// parameter really changes the dynamics, and the actuator's sign is part of the task, so a
// fixed controller balances one sign and drops the pole under the other.
import { describe, expect, it } from 'vitest';
import { CLASSIC_CARTPOLE, CartPoleEnv, cartpole, type CartPoleTask } from '../../envs/cartpole';
import { Rng } from '../../src/core/rng';

function stepsUntilFall(task: CartPoleTask): number {
  const env = new CartPoleEnv(task, 0);
  env.reset({ seed: 1 });
  for (let t = 1; t <= 200; t++) {
    const r = env.step(new Float32Array([0]));
    expect(r.reward).toBe(1);
    if (r.terminated) {
      expect(Math.abs(r.obs[2])).toBeGreaterThan((12 * Math.PI) / 180);
      return t;
    }
  }
  return 201;
}

function pushVelocity(task: CartPoleTask, a: number, steps = 10): number {
  const env = new CartPoleEnv(task, 0);
  env.reset({ seed: 1 });
  let v = 0;
  for (let t = 0; t < steps; t++) v = env.step(new Float32Array([a])).obs[1];
  return v;
}

/** Steps a fixed linear controller (sign +1: pushes towards the lean) keeps the pole up, at most 200. */
function balanced(task: CartPoleTask, sign: 1 | -1, seed = 3): number {
  const env = new CartPoleEnv(task, 0);
  let obs = env.reset({ seed }).obs;
  for (let t = 1; t <= 200; t++) {
    const u = sign * Math.max(-1, Math.min(1, 20 * obs[2] + obs[3] + 0.1 * obs[0] + 0.2 * obs[1]));
    const r = env.step(new Float32Array([u]));
    obs = r.obs;
    if (r.terminated) return t;
  }
  return 200;
}

describe('cartpole', () => {
  it('rewards +1 per step and terminates once the pole passes 12°', () => {
    const n = stepsUntilFall(CLASSIC_CARTPOLE);
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(200);
  });

  it('a balancing controller survives to the horizon (truncated, not terminated)', () => {
    const env = new CartPoleEnv(CLASSIC_CARTPOLE, 0);
    let obs = env.reset({ seed: 3 }).obs;
    let last = { terminated: false, truncated: false };
    for (let t = 0; t < 200; t++) {
      const u = Math.max(-1, Math.min(1, 20 * obs[2] + obs[3] + 0.1 * obs[0] + 0.2 * obs[1]));
      const r = env.step(new Float32Array([u]));
      obs = r.obs;
      last = r;
      if (r.terminated) break;
    }
    expect(last.terminated).toBe(false);
    expect(last.truncated).toBe(true);
  });

  it('terminates when the cart leaves the track', () => {
    const env = new CartPoleEnv(
      { ...CLASSIC_CARTPOLE, gain: 40, poleLength: 2, poleMass: 0.01, gravity: 1 },
      0,
    );
    env.reset({ seed: 1 });
    let r;
    do r = env.step(new Float32Array([1]));
    while (!r.terminated && !r.truncated);
    expect(r.terminated).toBe(true);
  });

  it('falls sooner under stronger gravity and later with a longer pole', () => {
    const classic = stepsUntilFall(CLASSIC_CARTPOLE);
    expect(stepsUntilFall({ ...CLASSIC_CARTPOLE, gravity: 14.7 })).toBeLessThan(classic);
    expect(stepsUntilFall({ ...CLASSIC_CARTPOLE, poleLength: 1.5 })).toBeGreaterThan(classic);
  });

  it('the push scales with the actuator gain and is lighter for a lighter pole', () => {
    const v10 = pushVelocity(CLASSIC_CARTPOLE, 1);
    const v20 = pushVelocity({ ...CLASSIC_CARTPOLE, gain: 20 }, 1);
    expect(v20 / v10).toBeGreaterThan(1.8);
    expect(v20 / v10).toBeLessThan(2.2);
    expect(pushVelocity({ ...CLASSIC_CARTPOLE, poleMass: 0.5 }, 1)).toBeLessThan(v10);
  });

  it('cart friction holds the cart against a push weaker than μ·N and slows a stronger one', () => {
    // μ·(m_cart + m_pole)·g = 0.3 · 1.1 · 9.81 ≈ 3.2 N.
    const sticky = { ...CLASSIC_CARTPOLE, cartFriction: 0.3, gain: 2 };
    expect(Math.abs(pushVelocity(sticky, 1, 5))).toBeLessThan(0.01);
    expect(pushVelocity({ ...sticky, cartFriction: 0 }, 1, 5)).toBeGreaterThan(0.1);
    expect(pushVelocity({ ...CLASSIC_CARTPOLE, cartFriction: 0.3 }, 1)).toBeLessThan(
      pushVelocity(CLASSIC_CARTPOLE, 1),
    );
  });

  it('draws the gain with either sign, |gain| in [5, 15], in both splits', () => {
    for (const split of ['train', 'test'] as const) {
      const tasks = cartpole.sampleTasks(400, new Rng(5), split);
      const negative = tasks.filter((t) => t.gain < 0).length;
      expect(negative).toBeGreaterThan(150);
      expect(negative).toBeLessThan(250);
      for (const t of tasks) {
        expect(Math.abs(t.gain)).toBeGreaterThanOrEqual(5);
        expect(Math.abs(t.gain)).toBeLessThanOrEqual(15);
      }
    }
    expect(cartpole.parseTask({ ...CLASSIC_CARTPOLE, gain: -10 }).gain).toBe(-10);
    expect(() => cartpole.parseTask({ ...CLASSIC_CARTPOLE, gain: -41 })).toThrow(/gain/);
  });

  it('a negative gain pushes the cart the other way, as hard', () => {
    // Not exactly −v: the start state (and so the pole's swing) is not symmetric.
    const v = pushVelocity(CLASSIC_CARTPOLE, 1);
    const w = pushVelocity({ ...CLASSIC_CARTPOLE, gain: -10 }, 1);
    expect(w).toBeLessThan(-0.9 * v);
    expect(w).toBeGreaterThan(-1.1 * v);
  });

  it('no fixed controller balances both signs: the one that holds +gain drops the pole under −gain, and the mirrored one the reverse', () => {
    const plus = { ...CLASSIC_CARTPOLE, gain: 10 };
    const minus = { ...CLASSIC_CARTPOLE, gain: -10 };
    expect(balanced(plus, 1)).toBe(200);
    expect(balanced(minus, -1)).toBe(200);
    expect(balanced(minus, 1)).toBeLessThan(60);
    expect(balanced(plus, -1)).toBeLessThan(60);
  });
});
