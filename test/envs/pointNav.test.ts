import { describe, expect, it } from 'vitest';
import { pointNav, PointNavEnv } from '../../envs/pointNav';
import { Rng } from '../../src/core/rng';
import { SyncVectorEnv } from '../../src/core/vectorEnv';

describe('point-nav matches the MAML paper', () => {
  it('starts at the origin, clips velocity to ±0.1, rewards −distance after the move', () => {
    const env = new PointNavEnv({ goal: [0.3, -0.2] });
    const { obs } = env.reset({ seed: 0 });
    expect(Array.from(obs)).toEqual([0, 0]);
    // Hand-checked: (0,0) + clip(0.5, 0.05) = (0.1, 0.05); distance to (0.3,-0.2) = sqrt(0.04+0.0625).
    const s = env.step(new Float32Array([0.5, 0.05]));
    expect(s.obs[0]).toBeCloseTo(0.1, 6);
    expect(s.obs[1]).toBeCloseTo(0.05, 6);
    expect(s.reward).toBeCloseTo(-Math.sqrt(0.04 + 0.0625), 6);
    expect(s.terminated).toBe(false);
    const s2 = env.step(new Float32Array([-3, -3]));
    expect(s2.obs[0]).toBeCloseTo(0.0, 6);
    expect(s2.obs[1]).toBeCloseTo(-0.05, 6);
  });

  it('terminates within 0.01 of the goal on both axes', () => {
    const env = new PointNavEnv({ goal: [0.1, 0.095] });
    env.reset();
    const s = env.step(new Float32Array([0.1, 0.1]));
    expect(s.terminated).toBe(true);
    expect(s.truncated).toBe(false);
  });

  it('truncates after 100 steps', () => {
    const env = new PointNavEnv({ goal: [0.5, 0.5] });
    env.reset();
    let last;
    for (let t = 0; t < 100; t++) last = env.step(new Float32Array([0, 0]));
    expect(last!.truncated).toBe(true);
  });

  it('samples goals in U[-0.5,0.5]² with disjoint, reproducible train/test splits', () => {
    const train = pointNav.sampleTasks(500, new Rng(1), 'train');
    const test = pointNav.sampleTasks(500, new Rng(1), 'test');
    const again = pointNav.sampleTasks(500, new Rng(1), 'train');
    expect(again).toEqual(train);
    const key = (t: { goal: number[] }) => t.goal.join(',');
    const trainKeys = new Set(train.map(key));
    expect(test.some((t) => trainKeys.has(key(t)))).toBe(false);
    for (const t of [...train, ...test]) {
      expect(Math.abs(t.goal[0])).toBeLessThanOrEqual(0.5);
      expect(Math.abs(t.goal[1])).toBeLessThanOrEqual(0.5);
    }
  });

  it('rejects malformed tasks naming the field', () => {
    expect(() => pointNav.parseTask({ goal: [0, 'x'] })).toThrow(/goal\.1/);
    expect(() => pointNav.parseTask({ goal: [9, 0] })).toThrow(/goal\.0 = 9/);
    expect(() => pointNav.parseTask(null)).toThrow(/object/);
  });

  it('auto-resets on the step after an episode ends (vector env)', () => {
    const v = new SyncVectorEnv([
      pointNav.make({ goal: [0.05, 0.05] }),
      pointNav.make({ goal: [0.5, 0.5] }),
    ]);
    v.reset(0);
    const first = v.step(new Float32Array([0.05, 0.05, 0.1, 0.1]));
    expect(first.terminated[0]).toBe(1);
    const next = v.step(new Float32Array([0.1, 0.1, 0.1, 0.1]));
    // Env 0 was reset (action ignored), env 1 moved on.
    expect(next.obs[0]).toBe(0);
    expect(next.obs[1]).toBe(0);
    expect(next.rewards[0]).toBe(0);
    expect(next.obs[2]).toBeCloseTo(0.2, 6);
  });
});
