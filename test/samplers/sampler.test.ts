import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import {
  type GaussianMlpSpec,
  type ParamEntry,
  initParams,
  paramLayout,
} from '../../src/policies/gaussianMlp';
import { actionMap, rolloutRange } from '../../src/samplers/rollout';
import {
  Sampler,
  type SampleRequest,
  type SampleResult,
  chunkRanges,
} from '../../src/samplers/sampler';
import { Box } from '../../src/core/spaces';
import { pointNav } from '../../envs/pointNav';

const spec: GaussianMlpSpec = {
  obsSize: 2,
  actSize: 2,
  hidden: [16, 16],
  activation: 'tanh',
  initStd: 0.5,
};
const tasks = pointNav.sampleTasks(3, new Rng(7), 'train');
const theta = initParams(spec, new Rng(1));
const base: SampleRequest = {
  familyId: 'point-nav',
  tasks,
  params: [theta],
  spec,
  episodesPerTask: 5,
  seed: 11,
};

const samplers: Sampler[] = [];
function sampler(n: number): Sampler {
  const s = new Sampler(n);
  samplers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(samplers.map((s) => s.close()));
});

function flat(r: SampleResult): number[][] {
  return r.episodes
    .flat()
    .map((e) => [e.task, e.index, e.length, ...e.obs, ...e.actions, ...e.rewards]);
}

describe('Sampler', () => {
  it('gives identical episodes with 0 (in-thread), 1 and 2 worker threads', async () => {
    const [r0, r1, r2] = await Promise.all([
      sampler(0).sample(base),
      sampler(1).sample(base),
      sampler(2).sample(base),
    ]);
    expect(r0.episodes.length).toBe(3);
    expect(r0.episodes.every((eps) => eps.length === 5)).toBe(true);
    expect(r0.steps).toBe(r0.episodes.flat().reduce((a, e) => a + e.length, 0));
    expect(flat(r1)).toEqual(flat(r0));
    expect(flat(r2)).toEqual(flat(r0));
    // And a different seed gives different noise.
    const other = await sampler(0).sample({ ...base, seed: 12 });
    expect(flat(other)).not.toEqual(flat(r0));
  });

  it('matches one vector env over all episodes, also for concurrent calls on one sampler', async () => {
    const other = { ...base, seed: 12, params: tasks.map((_, t) => initParams(spec, new Rng(t))) };
    const whole = (req: SampleRequest) => {
      const eps = rolloutRange(pointNav, req, 0, req.tasks.length * req.episodesPerTask);
      return eps.map((e) => [e.task, e.index, e.length, ...e.obs, ...e.actions, ...e.rewards]);
    };
    const s = sampler(2);
    const [a, b] = await Promise.all([s.sample(base), s.sample(other)]);
    expect(flat(a)).toEqual(whole(base));
    expect(flat(b)).toEqual(whole(other));
  });

  it('uses each task’s own parameters', async () => {
    const s = sampler(2);
    const other = initParams(spec, new Rng(99));
    const shared = await s.sample(base);
    const perTask = await s.sample({ ...base, params: [theta, other, theta] });
    expect(flat({ ...perTask, episodes: [perTask.episodes[0]] })).toEqual(
      flat({ ...shared, episodes: [shared.episodes[0]] }),
    );
    expect(flat({ ...perTask, episodes: [perTask.episodes[1]] })).not.toEqual(
      flat({ ...shared, episodes: [shared.episodes[1]] }),
    );
    await expect(s.sample({ ...base, params: [theta, other] })).rejects.toThrow(/one per task/);
  });

  it('acts with the mean when deterministic, records frames, and returns sum rewards', async () => {
    const s = sampler(0);
    const a = await s.sample({ ...base, deterministic: true, recordFrames: true });
    const b = await s.sample({ ...base, deterministic: true, seed: 500 });
    expect(flat(a)).toEqual(flat(b));
    for (const e of a.episodes.flat()) {
      expect(e.frames?.length).toBe(e.length + 1);
      expect(e.return).toBeCloseTo(
        e.rewards.reduce((x, y) => x + y, 0),
        3,
      );
      expect(e.length).toBeGreaterThan(0);
      expect(e.length).toBeLessThanOrEqual(100);
    }
    // A frame holds the agent's pose: the first is the start (0, 0), the last where it ended.
    const e = a.episodes[0][0];
    const last = e.frames![e.length];
    expect(last[7]).toBeCloseTo(
      e.obs[(e.length - 1) * 2] + Math.max(-0.1, Math.min(0.1, e.actions[(e.length - 1) * 2])),
      5,
    );
  });

  it("maps normalised actions onto the action bounds, keeping the policy's own actions in the episode", async () => {
    const s = sampler(0);
    const raw = await s.sample({ ...base, seed: 3 });
    const norm = await s.sample({ ...base, seed: 3, normalizeActions: true });
    // Same noise, same policy: the recorded (policy-unit) actions of the first step agree…
    const e0 = raw.episodes[0][0];
    const n0 = norm.episodes[0][0];
    expect(Array.from(n0.actions.subarray(0, 2))).toEqual(Array.from(e0.actions.subarray(0, 2)));
    // …but point-nav moved by 0.1 × action (clipped to ±0.1) rather than by the action itself.
    for (const e of norm.episodes.flat()) {
      for (let t = 1; t < e.length; t++) {
        for (let k = 0; k < 2; k++) {
          const moved = e.obs[t * 2 + k] - e.obs[(t - 1) * 2 + k];
          expect(moved).toBeCloseTo(
            Math.max(-0.1, Math.min(0.1, 0.1 * e.actions[(t - 1) * 2 + k])),
            5,
          );
        }
      }
    }
  });

  it('draws a latent once per episode from N(μ_z, σ_z²) and feeds it after the observation', async () => {
    const lat: GaussianMlpSpec = { ...spec, obsSize: 4, latentSize: 2 };
    const th = initParams(lat, new Rng(1));
    const e = paramLayout(lat);
    const at = (name: string) => (e.find((x) => x.name === name) as ParamEntry).offset;
    th.set([3, -2], at('latentMean'));
    th.set([Math.log(0.5), Math.log(0.5)], at('latentLogStd'));
    const req = { ...base, spec: lat, params: [th], episodesPerTask: 20 };
    const [r0, r2] = await Promise.all([sampler(0).sample(req), sampler(2).sample(req)]);
    expect(flat(r2)).toEqual(flat(r0));
    const zs = r0.episodes.flat().map((ep) => {
      const z = [ep.obs[2], ep.obs[3]];
      // The same z at every step, after the env's own two observations.
      for (let t = 0; t < ep.length; t++) expect([ep.obs[t * 4 + 2], ep.obs[t * 4 + 3]]).toEqual(z);
      return z;
    });
    const mean = (j: number) => zs.reduce((a, z) => a + z[j], 0) / zs.length;
    const sd = (j: number) =>
      Math.sqrt(zs.reduce((a, z) => a + (z[j] - mean(j)) ** 2, 0) / zs.length);
    // 60 draws: the mean within 4 standard errors, the spread within a third of 0.5.
    expect(Math.abs(mean(0) - 3)).toBeLessThan(0.26);
    expect(Math.abs(mean(1) + 2)).toBeLessThan(0.26);
    expect(Math.abs(sd(0) - 0.5)).toBeLessThan(0.17);
    expect(Math.abs(sd(1) - 0.5)).toBeLessThan(0.17);
    // Acting with the mean, z is μ_z.
    const det = await sampler(0).sample({ ...req, deterministic: true, episodesPerTask: 1 });
    for (const ep of det.episodes.flat()) expect([ep.obs[2], ep.obs[3]]).toEqual([3, -2]);
    // A latent the policy's input size does not leave room for is named.
    await expect(
      sampler(0).sample({
        ...req,
        spec: { ...lat, obsSize: 3, latentSize: 2 },
        params: [initParams({ ...lat, obsSize: 3 }, new Rng(2))],
      }),
    ).rejects.toThrow(/latent of 2/);
  });
});

describe('chunkRanges', () => {
  it('cuts one task per chunk, smaller when there would be fewer chunks than workers', () => {
    expect(chunkRanges(60, 20, 2)).toEqual([
      [0, 20],
      [20, 40],
      [40, 60],
    ]);
    expect(chunkRanges(20, 20, 2)).toEqual([
      [0, 10],
      [10, 20],
    ]);
    expect(chunkRanges(3, 5, 4)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });
});

describe('actionMap', () => {
  it('maps [-1, 1] affinely onto finite bounds and leaves unbounded dimensions alone', () => {
    const m = actionMap(new Box([-0.1, 0, -Infinity], [0.1, 4, Infinity]));
    expect(Array.from(m.center)).toEqual([0, 2, 0]);
    expect(Array.from(m.half).map((x) => Number(x.toFixed(6)))).toEqual([0.1, 2, 1]);
  });
});
