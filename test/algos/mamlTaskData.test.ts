// A task's batch for MAML's losses: per-step weights under both weightings (the paper's
// mean over all steps, pytorch-maml-rl's mean of per-episode means), normalised or centred
// advantages.
import { describe, expect, it } from 'vitest';
import { buildTaskData } from '../../src/algos/taskData';
import type { Episode } from '../../src/samplers/sampler';

function episode(length: number, index: number): Episode {
  const obs = new Float32Array(length * 2).map((_, i) => Math.sin(i + index));
  const actions = new Float32Array(length * 2).map((_, i) => Math.cos(i * 0.5 + index));
  const rewards = new Float32Array(length).map((_, t) => -1 + 0.1 * t - 0.3 * index);
  return {
    task: 0,
    index,
    length,
    obs,
    actions,
    rewards,
    terminated: length < 10,
    return: rewards.reduce((a, b) => a + b, 0),
  };
}

const eps = [episode(10, 0), episode(4, 1), episode(6, 2)];

describe('buildTaskData', () => {
  it("leaves a policy's latent inputs out of the baseline, keeping them in the observations", () => {
    // Each episode's latent z (a third input per step) tracks its rewards: a baseline that saw
    // it would explain them away.
    const withZ = eps.map((e) => {
      const obs = new Float32Array(e.length * 3);
      for (let t = 0; t < e.length; t++) {
        obs.set(e.obs.subarray(t * 2, t * 2 + 2), t * 3);
        obs[t * 3 + 2] = 1 - 0.3 * e.index;
      }
      return { ...e, obs };
    });
    const plain = buildTaskData(eps, 2, 2, 0.99, 1, 'step');
    const latent = buildTaskData(withZ, 3, 2, 0.99, 1, 'step', true, 1);
    expect(latent.advW).toEqual(plain.advW);
    expect(latent.obs[2]).toBe(1);
    expect(latent.obs[3 * 10 + 2]).toBeCloseTo(0.7, 6);
    const seen = buildTaskData(withZ, 3, 2, 0.99, 1, 'step');
    expect(seen.advW).not.toEqual(plain.advW);
  });

  it("weighs every step the same with 'step' (the paper's reduce_mean)", () => {
    const d = buildTaskData(eps, 2, 2, 0.99, 1, 'step');
    expect(d.n).toBe(20);
    expect(d.lengths).toEqual([10, 4, 6]);
    for (const w of d.w) expect(w).toBeCloseTo(1 / 20, 7);
  });

  it("averages within each episode, then over episodes, with 'episode' (pytorch-maml-rl)", () => {
    const d = buildTaskData(eps, 2, 2, 0.99, 1, 'episode');
    expect(d.w[0]).toBeCloseTo(1 / 30, 7);
    expect(d.w[10]).toBeCloseTo(1 / 12, 7);
    expect(d.w[19]).toBeCloseTo(1 / 18, 7);
    expect(d.w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('normalises the advantages over the task and folds the weights into advW', () => {
    for (const weighting of ['step', 'episode'] as const) {
      const d = buildTaskData(eps, 2, 2, 0.99, 1, weighting);
      const adv = Array.from(d.advW, (x, i) => x / d.w[i]);
      const m = adv.reduce((a, b) => a + b, 0) / adv.length;
      const v = adv.reduce((a, b) => a + (b - m) ** 2, 0) / adv.length;
      expect(m).toBeCloseTo(0, 5);
      expect(v).toBeCloseTo(1, 4);
      // Steps and actions are laid out episode after episode.
      expect(Array.from(d.act.subarray(20, 28))).toEqual(Array.from(eps[1].actions));
    }
  });

  it('with normalize false only centres the advantages, so their scale follows the rewards', () => {
    const scaled = eps.map((e) => {
      const rewards = e.rewards.map((r) => 3 * r);
      return { ...e, rewards, return: 3 * e.return };
    });
    const a = buildTaskData(eps, 2, 2, 0.99, 1, 'step', false);
    const b = buildTaskData(scaled, 2, 2, 0.99, 1, 'step', false);
    const n = buildTaskData(eps, 2, 2, 0.99, 1, 'step');
    const adv = Array.from(a.advW, (x, i) => x / a.w[i]);
    const m = adv.reduce((s, x) => s + x, 0) / adv.length;
    const sd = Math.sqrt(adv.reduce((s, x) => s + (x - m) ** 2, 0) / adv.length);
    expect(m).toBeCloseTo(0, 5);
    expect(sd).toBeGreaterThan(0.01);
    for (let i = 0; i < a.n; i++) {
      // Centred only: three times the rewards, three times the advantages.
      expect(b.advW[i]).toBeCloseTo(3 * a.advW[i], 4);
      // Normalised: the same advantages divided by their standard deviation.
      expect(n.advW[i]).toBeCloseTo(a.advW[i] / sd, 4);
    }
  });
});
