// Nearest-task: the embedding and distance pick the right known task on synthetic vectors
// and on point-nav tasks; a short run improves its prototypes' returns and the return of
// the nearest policy on new tasks; a checkpoint restores the learner exactly (save → load →
// continue equals an uninterrupted run); tensors do not leak; bad settings are refused
// naming the field.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { initBackend } from '../../src/tf/backend';
import { getAlgo, withFamilyDefaults } from '../../src/algos/registry';
import {
  NearestTaskLearner,
  nearestTaskConfigSchema,
  nearestTaskSpec,
} from '../../src/algos/nearestTask';
import {
  explore,
  nearest,
  spreadOut,
  standardiser,
  sweepAction,
} from '../../src/algos/taskEmbedding';
import { formatIssues } from '../../src/shared/config';
import { paramLayout } from '../../src/policies/gaussianMlp';
import { probesPerPolicy } from '../../src/algos/policyProbe';
import { randomBaseline } from '../../src/training/evaluate';
import type { Metrics } from '../../src/algos/metaLearner';
import type { JsonObject } from '../../src/shared/json';

const family = getFamily('point-nav');
const small = {
  prototypes: 4,
  candidates: 8,
  queryTasks: 4,
  hidden: [16],
  episodesPerTask: 6,
};
const make = (seed: number, over: Record<string, unknown> = {}) =>
  new NearestTaskLearner({
    family,
    config: nearestTaskConfigSchema.parse({ ...small, ...over }),
    seed,
    workers: 1,
  });

beforeAll(async () => {
  await initBackend('cpu');
});

describe('the embedding and the distance', () => {
  it('standardises each dimension and ignores the ones that never vary', () => {
    // Dimension 0 varies by thousands, 1 by hundredths, 2 never: standardised, the query is
    // nearest to entry 1 on both varying dimensions; raw, dimension 0 alone would pick 2.
    const lib = [
      Float32Array.from([0, 0.0, 5]),
      Float32Array.from([1000, 0.1, 5]),
      Float32Array.from([2000, 0.0, 5]),
    ];
    const std = standardiser(lib);
    expect(std.inv[2]).toBe(0);
    expect(nearest([1600, 0.09, 99], lib).index).toBe(1);
    expect(nearest([1600, 0.01, 99], lib).index).toBe(2);
    const d = nearest([1000, 0.1, 5], lib);
    expect(d.index).toBe(1);
    expect(d.distance).toBeCloseTo(0, 6);
  });

  it('the sweep is a circle of unit actions on two dimensions', () => {
    for (let t = 0; t < 20; t++) expect(Math.hypot(...sweepAction(t, 2, 20))).toBeCloseTo(1, 6);
    expect(Array.from(sweepAction(5, 2, 20))).toEqual([
      expect.closeTo(0, 6),
      expect.closeTo(-1, 6),
    ]);
  });

  it('picks the known point-nav task a new task is a small perturbation of', () => {
    const known = family.sampleTasks(12, new Rng(3), 'train') as { goal: number[] }[];
    const lib = known.map((t, k) => explore(family, t, k, 20).feature);
    const rng = new Rng(5);
    for (let i = 0; i < 36; i++) {
      const k = i % known.length;
      const goal = known[k].goal.map((g) => g + rng.uniformRange(-0.01, 0.01));
      const f = explore(family, { goal }, 100 + i, 20).feature;
      expect(nearest(f, lib).index, `goal ${goal}`).toBe(k);
    }
  });

  it('on new point-nav goals, the chosen known goal is nearly the closest one', () => {
    // 20 known tasks, 100 held-out ones: the chosen known goal is on average within 10% of
    // the closest known goal's distance (distances in the goal plane).
    const rng = new Rng(1);
    const known = family.sampleTasks(20, rng, 'train') as { goal: number[] }[];
    const lib = known.map((t, k) => explore(family, t, k, 20).feature);
    const queries = family.sampleTasks(100, rng, 'test') as { goal: number[] }[];
    let chosen = 0;
    let best = 0;
    for (const q of queries) {
      const d = (t: { goal: number[] }) => Math.hypot(t.goal[0] - q.goal[0], t.goal[1] - q.goal[1]);
      chosen += d(known[nearest(explore(family, q, 7, 20).feature, lib).index]);
      best += Math.min(...known.map(d));
    }
    expect(chosen / best).toBeLessThan(1.1);
  });

  it('farthest-point sampling spreads the library over the task space', () => {
    // 20 of 160 candidate point-nav goals, picked by their exploration features: held-out
    // goals are closer to the closest picked goal than to the closest of the first 20
    // candidates (mean over three pools). Measured: 0.103 against 0.126 (seeds 1–3).
    let spread = 0;
    let first = 0;
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const pool = family.sampleTasks(160, rng, 'train') as { goal: number[] }[];
      const picked = spreadOut(
        pool.map((t, i) => explore(family, t, i, 20).feature),
        20,
      ).map((i) => pool[i]);
      expect(new Set(picked).size).toBe(20);
      const queries = family.sampleTasks(200, rng, 'test') as { goal: number[] }[];
      const cover = (lib: { goal: number[] }[]) =>
        queries.reduce(
          (a, q) =>
            a +
            Math.min(...lib.map((t) => Math.hypot(t.goal[0] - q.goal[0], t.goal[1] - q.goal[1]))),
          0,
        ) / queries.length;
      spread += cover(picked) / 3;
      first += cover(pool.slice(0, 20)) / 3;
    }
    expect(spread).toBeLessThan(0.9 * first);
    expect(spreadOut([Float32Array.of(1), Float32Array.of(1), Float32Array.of(2)], 3)).toEqual([
      0, 2, 1,
    ]);
    expect(() => spreadOut([Float32Array.of(1)], 2)).toThrow(/cannot pick 2 of 1/);
  });
});

describe('NearestTaskLearner', () => {
  it('is registered, and refuses bad settings naming the field', () => {
    expect(getAlgo('nearest-task')).toBe(nearestTaskSpec);
    expect(nearestTaskSpec.metaBatchSize(nearestTaskSpec.configSchema.parse({}))).toBe(160);
    const bad = (v: JsonObject) => {
      const r = nearestTaskSpec.configSchema.safeParse(v, { reportInput: true });
      expect(r.success).toBe(false);
      return formatIssues(r.error!, 'config.hyper', nearestTaskSpec.configSchema);
    };
    expect(bad({ maxKl: -0.1 })).toMatch(/config\.hyper\.maxKl/);
    expect(bad({ lsBacktrack: 1 })).toMatch(/config\.hyper\.lsBacktrack/);
    expect(bad({ prototypes: 30, candidates: 20 })).toMatch(
      /config\.hyper\.candidates: must be at least prototypes/,
    );
    expect(bad({ epochs: 5 })).toMatch(/unknown field "epochs"/);
    expect(bad({ adaptLr: Infinity })).toMatch(/config\.hyper\.adaptLr: not finite/);
    expect(bad({ prototypes: 0 })).toMatch(/config\.hyper\.prototypes/);
    expect(bad({ k: 3 })).toMatch(/unknown field "k"/);
    expect(bad({ matchBy: 'features' })).toMatch(/config\.hyper\.matchBy.*sweep.*policies/);
  });

  it('takes 40 known tasks × 5 episodes on point-nav and 10 × 20 on the robot families', () => {
    const resolved = (family: string, hyper: JsonObject = {}) =>
      nearestTaskSpec.configSchema.parse(withFamilyDefaults(nearestTaskSpec, family, hyper));
    expect(resolved('point-nav')).toMatchObject({ prototypes: 40, episodesPerTask: 5 });
    for (const family of ['reacher', 'cartpole', 'cheetah-vel'])
      expect(resolved(family)).toMatchObject({ prototypes: 10, episodesPerTask: 20 });
    // The reacher, cart-pole and cheetah-vel match a new task by the known policies' returns
    // (the first two with their own gradient steps after); the others by the sweep.
    expect(resolved('reacher')).toMatchObject({ matchBy: 'policies', adaptLr: 0.003 });
    expect(resolved('cartpole')).toMatchObject({ matchBy: 'policies', adaptLr: 0.01 });
    expect(resolved('cheetah-vel')).toMatchObject({ matchBy: 'policies', adaptLr: 0.1 });
    for (const family of ['point-nav', 'cheetah-dir', 'mujoco-cheetah-vel', 'mujoco-cheetah-dir'])
      expect(resolved(family)).toMatchObject({ matchBy: 'sweep', adaptLr: 0.1 });
    expect(resolved('reacher', { matchBy: 'sweep' }).matchBy).toBe('sweep');
    expect(resolved('cartpole', { prototypes: 30 })).toMatchObject({ prototypes: 30 });
  });

  it('loads a run stored with the former PPO settings, with the TRPO defaults', async () => {
    const stored = {
      prototypes: 20,
      hidden: [64, 64],
      epochs: 5,
      learningRate: 0.01,
      clip: 0.2,
      targetKl: 0.01,
    };
    const l = (await nearestTaskSpec.create({
      family,
      config: stored,
      seed: 1,
      workers: 1,
    })) as NearestTaskLearner;
    expect(l.config.prototypes).toBe(20);
    expect(l.config.maxKl).toBe(0.01);
    expect(l.thetas).toHaveLength(20);
    await l.dispose();
  });

  it('a short run improves the prototypes and the nearest policy on new tasks', async () => {
    const l = make(1);
    const rng = new Rng(2);
    const rows: Metrics[] = [];
    for (let it = 0; it < 40; it++)
      rows.push(await l.metaTrainStep(family.sampleTasks(8, rng, 'train')));
    const mean = (xs: Metrics[], k: string) => xs.reduce((a, m) => a + m[k], 0) / xs.length;
    // Measured (cpu): the known tasks' cells −52.4 → −12.7, new tasks −59.3 → −32.1 over 40
    // iterations; with four known tasks, a new task's nearest one is often far.
    expect(mean(rows.slice(-5), 'returns/prototypes')).toBeGreaterThan(
      mean(rows.slice(0, 5), 'returns/prototypes') + 30,
    );
    expect(mean(rows.slice(-5), 'returns/episode_2')).toBeGreaterThan(
      mean(rows.slice(1, 6), 'returns/episode_2') + 10,
    );
    await l.dispose();
  });

  it('each known task trains on its cell: the candidates nearest to it', async () => {
    const l = make(2);
    const pool = family.sampleTasks(8, new Rng(6), 'train');
    await l.metaTrainStep(pool);
    expect(l.cells.map((c) => c[0])).toEqual(l.tasks);
    // Every candidate is in exactly one cell, the one of the known task it is matched to.
    const members = l.cells.flat();
    expect(members).toHaveLength(8);
    expect(new Set(members.map((t) => JSON.stringify(t))).size).toBe(8);
    l.cells.forEach((cell, k) => {
      for (const t of cell.slice(1)) {
        const f = explore(family, t, 0, l.config.sweepPeriod).feature;
        expect(l.match(f).index).toBe(k);
      }
    });
    await l.dispose();
  });

  it('save → load → continue equals an uninterrupted run, and leaks no tensors', async () => {
    const tasks = (rng: Rng) => family.sampleTasks(8, rng, 'train');
    const a = make(3);
    const ra = new Rng(4);
    for (let i = 0; i < 3; i++) await a.metaTrainStep(tasks(ra));
    const saved = await a.saveState();
    const rngState = ra.getState();
    const before = tf.memory().numTensors;
    const contA = [await a.metaTrainStep(tasks(ra)), await a.metaTrainStep(tasks(ra))];
    const task = family.sampleTasks(1, new Rng(9), 'test')[0];
    const budget = { steps: 2, episodesPerStage: 3, seed: 5 };
    const adaptA = await a.adapt(task, budget);
    expect(tf.memory().numTensors).toBe(before);

    const b = make(77); // another seed: everything must come from the checkpoint
    await b.loadState(saved);
    const rb = Rng.fromState(rngState);
    const contB = [await b.metaTrainStep(tasks(rb)), await b.metaTrainStep(tasks(rb))];
    const strip = (m: Metrics) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/')));
    expect(contB.map(strip)).toEqual(contA.map(strip));
    expect(b.thetas).toEqual(a.thetas);
    const adaptB = await b.adapt(task, budget);
    expect(adaptB.returns).toEqual(adaptA.returns);
    expect(adaptA.episodes[0].label).toBe('exploration');
    expect(adaptA.episodes.find((e) => e.stage === 1)!.label).toMatch(
      /^nearest: task #\d \(d=\d+\.\d\d\) \[-?\d\.\d\d, -?\d\.\d\d\]$/,
    );
    expect(adaptA.returns).toHaveLength(3);
    await expect(make(1, { prototypes: 5 }).loadState(saved)).rejects.toThrow(/tasks must list 5/);
    // A checkpoint from before the cells: each known task trains on itself alone.
    const c = make(1);
    await c.loadState({ ...saved, optimizerState: { tasks: saved.optimizerState.tasks } });
    expect(c.cells).toEqual(c.tasks.map((t) => [t]));
    await expect(
      c.loadState({ ...saved, optimizerState: { ...saved.optimizerState, cells: [] } }),
    ).rejects.toThrow(/cells must list 4 cells/);
    await c.dispose();
    await a.dispose();
    await b.dispose();
  });

  it('matching by the known policies picks the one that returns most on the new task', async () => {
    const l = make(4, { prototypes: 2, candidates: 8, matchBy: 'policies' });
    await l.metaTrainStep(family.sampleTasks(8, new Rng(3), 'train'));
    // Two known policies by hand: full speed towards +x, and towards −x; small noise.
    const layout = paramLayout(l.spec);
    const bias = layout.find((e) => e.name === 'b1')!;
    const logStd = layout.find((e) => e.name === 'logStd')!;
    l.thetas = [1, -1].map((dir) => {
      const th = new Float32Array(l.thetas[0].length);
      th[bias.offset] = dir;
      th.fill(-3, logStd.offset, logStd.offset + logStd.size);
      return th;
    });
    for (const [goal, want] of [
      [[0.4, 0.05], 0],
      [[-0.3, -0.2], 1],
    ] as const) {
      const budget = { steps: 1, episodesPerStage: 4, seed: 5 };
      const res = await l.adapt({ goal: [...goal] }, budget);
      const stage0 = res.episodes.filter((e) => e.stage === 0);
      // ⌊4 / 2⌋ = 2 probe episodes of each known policy.
      expect(stage0.map((e) => e.label)).toEqual(
        Array(4).fill('exploration: the 2 known policies, 2 each'),
      );
      expect(stage0.map((e) => e.index)).toEqual([0, 1, 2, 3]);
      const probe = (k: number) => stage0.slice(2 * k, 2 * k + 2).map((e) => e.return);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(Math.min(...probe(want))).toBeGreaterThan(Math.max(...probe(1 - want)));
      const chosen = res.episodes.filter((e) => e.stage === 1);
      // d = 0 for the pick; "next" is the runner-up's distance, the return per episode it lost.
      const runnerUp = mean(probe(want)) - mean(probe(1 - want));
      const known = (l.tasks[want].goal as number[]).map((x) => x.toFixed(2)).join(', ');
      expect(chosen[0].label).toBe(
        `nearest: task #${want + 1} (d=0.00, next ${runnerUp.toFixed(2)}) [${known}]`,
      );
      // Stage 1 acts with the chosen policy: it heads the same way as its probes.
      for (const e of chosen) expect(Math.sign(e.actions[0])).toBe(want === 0 ? 1 : -1);
      expect(res.returns[0]).toBeCloseTo(
        stage0.reduce((a, e) => a + e.return, 0) / stage0.length,
        6,
      );
      expect((await l.adapt({ goal: [...goal] }, budget)).returns).toEqual(res.returns);
    }
    // A stage shorter than the library still probes every known policy once.
    const short = await l.adapt({ goal: [0.1, 0.1] }, { steps: 0, episodesPerStage: 1, seed: 0 });
    expect(short.episodes).toHaveLength(2);
    // Training: query tasks are matched the same way; no sweep distance to report.
    const m = await l.metaTrainStep(family.sampleTasks(8, new Rng(4), 'train'));
    expect(Number.isFinite(m['returns/episode_1'])).toBe(true);
    expect(Number.isFinite(m['returns/episode_2'])).toBe(true);
    expect(m['nearest/distance']).toBeUndefined();
    await l.dispose();
  });

  it('probes each known policy ⌊E/K⌋ times in a stage of E, at least once', () => {
    expect(probesPerPolicy(20, 10)).toBe(2);
    expect(probesPerPolicy(25, 10)).toBe(2);
    expect(probesPerPolicy(3, 10)).toBe(1);
  });

  it('its random-init baseline is an untrained MLP fine-tuned by gradient steps', async () => {
    const r = await randomBaseline(nearestTaskSpec, family, { hyper: {}, seed: 1, workers: 1 });
    expect(r.stageUnit).toBe('step');
    expect(r.learner.algo).toBe('random');
    const res = await r.learner.adapt(
      { goal: [0.2, 0.1] },
      { steps: 1, episodesPerStage: 2, seed: 0 },
    );
    expect(res.returns).toHaveLength(2);
    await r.learner.dispose();
  });

  it('says it needs training before it can adapt', async () => {
    const l = make(1);
    await expect(
      l.adapt({ goal: [0, 0] }, { steps: 1, episodesPerStage: 1, seed: 0 }),
    ).rejects.toThrow(/no known tasks yet/);
    await l.dispose();
  });
});
