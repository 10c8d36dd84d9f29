// reacher: the reward formula, an unobserved goal, fingertip kinematics, and dynamics that
// really depend on the masses and damping of the task.
import { describe, expect, it } from 'vitest';
import { ReacherEnv, type ReacherTask, reacher } from '../../envs/reacher';
import { Rng } from '../../src/core/rng';

const base: ReacherTask = { goal: [0.1, 0.12], masses: [0.1, 0.1], damping: [0.01, 0.01] };

describe('reacher', () => {
  it('rewards −‖fingertip − goal‖ − 0.1‖a‖², with the fingertip at the end of the two links', () => {
    const env = new ReacherEnv(base, 0);
    env.reset({ seed: 1 });
    const rng = new Rng(3);
    const a = new Float32Array(2);
    for (let t = 0; t < 60; t++) {
      env.actionSpace.sample(rng, a);
      const r = env.step(a);
      const [c1, s1, c2, s2, , , tx, ty] = r.obs;
      const reward = -Math.hypot(tx - 0.1, ty - 0.12) - 0.1 * (a[0] * a[0] + a[1] * a[1]);
      expect(r.reward).toBeCloseTo(reward, 6);
      // Forward kinematics from the observed joint angles (pins hold to a fraction of a mm).
      const kx = 0.1 * c1 + 0.11 * (c1 * c2 - s1 * s2);
      const ky = 0.1 * s1 + 0.11 * (s1 * c2 + c1 * s2);
      expect(Math.hypot(kx - tx, ky - ty)).toBeLessThan(0.002);
      expect(Math.hypot(tx, ty)).toBeLessThan(0.212);
    }
  });

  it('does not observe the goal: tasks differing only in goal give identical observations', () => {
    const a = new ReacherEnv(base, 0);
    const b = new ReacherEnv({ ...base, goal: [-0.15, -0.05] }, 0);
    a.reset({ seed: 2 });
    b.reset({ seed: 2 });
    const rng = new Rng(4);
    const act = new Float32Array(2);
    let rewardsDiffer = false;
    for (let t = 0; t < 60; t++) {
      a.actionSpace.sample(rng, act);
      const ra = a.step(act);
      const oa = Array.from(ra.obs);
      const rb = b.step(act);
      expect(Array.from(rb.obs)).toEqual(oa);
      if (ra.reward !== rb.reward) rewardsDiffer = true;
    }
    expect(rewardsDiffer).toBe(true);
  });

  function spinUp(task: ReacherTask, steps: number): number {
    const env = new ReacherEnv(task, 0);
    env.reset({ seed: 0 });
    let w = 0;
    for (let t = 0; t < steps; t++) w = env.step(new Float32Array([1, 0])).obs[4];
    return w;
  }

  it('heavier links accelerate more slowly, and damping sets the terminal speed (≈ torque / damping)', () => {
    const light = spinUp({ ...base, masses: [0.05, 0.05] }, 8);
    const heavy = spinUp({ ...base, masses: [0.2, 0.2] }, 8);
    expect(light).toBeGreaterThan(1.5 * heavy);
    // Shoulder torque 0.15 N·m against damping 0.02 → 7.5 rad/s, and 0.04 → 3.75 rad/s (the
    // elbow's own damping and swing perturb it a little).
    const fast = spinUp({ ...base, damping: [0.02, 0.02] }, 240);
    const slow = spinUp({ ...base, damping: [0.04, 0.04] }, 240);
    expect(slow).toBeGreaterThan(3.75 * 0.8);
    expect(slow).toBeLessThan(3.75 * 1.2);
    expect(fast).toBeGreaterThan(7.5 * 0.8);
    expect(fast).toBeLessThan(7.5 * 1.2);
  });

  it('is solvable in one episode: inverse kinematics + PD reaches every goal within 1 cm in 60 steps', () => {
    const wrap = (x: number) => Math.atan2(Math.sin(x), Math.cos(x));
    for (const task of reacher.sampleTasks(30, new Rng(3), 'train')) {
      const env = new ReacherEnv(task, 0);
      let o = env.reset({ seed: 1 }).obs;
      const [gx, gy] = task.goal;
      const c2 = Math.max(
        -1,
        Math.min(1, (gx * gx + gy * gy - 0.1 * 0.1 - 0.11 * 0.11) / (2 * 0.1 * 0.11)),
      );
      const q2 = Math.acos(c2);
      const q1 = Math.atan2(gy, gx) - Math.atan2(0.11 * Math.sin(q2), 0.1 + 0.11 * Math.cos(q2));
      for (let t = 0; t < 60; t++) {
        const e1 = wrap(q1 - Math.atan2(o[1], o[0]));
        const e2 = wrap(q2 - Math.atan2(o[3], o[2]));
        o = env.step(new Float32Array([10 * e1 - o[4], 10 * e2 - o[5]])).obs;
      }
      expect(Math.hypot(gx - o[6], gy - o[7])).toBeLessThan(0.01);
    }
  });

  it('samples goals inside the disc of radius 0.2 m and rejects unreachable ones', () => {
    for (const t of reacher.sampleTasks(300, new Rng(1), 'train'))
      expect(Math.hypot(...t.goal)).toBeLessThan(0.2);
    expect(() => reacher.parseTask({ ...base, goal: [0.2, 0.2] })).toThrow(
      /task\.goal.*out of reach/,
    );
    expect(() => reacher.parseTask({ ...base, masses: [0.1] })).toThrow(/task\.masses/);
  });
});
