// Meta-SGD: the meta-gradient with respect to the per-parameter inner step sizes α against
// central finite differences (tanh policy, through two inner steps, both derivative
// paths); a short run on point-nav learns, moves α and reports it per layer; with α held at
// the inner step it makes MAML's θ steps; save → load → continue equals an uninterrupted
// run; adaptation uses α, later steps α × adaptLrLater / innerLr; bad hyper-parameters are
// refused naming the field.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { createDerivatives } from '../../src/algos/derivatives';
import { mamlConfigSchema, policySpecOf } from '../../src/algos/mamlConfig';
import { MetaBatchBuilder, disposeMetaBatch } from '../../src/algos/metaBatch';
import { metaObjective, stepSizeGradient } from '../../src/algos/metaGradient';
import type { MamlLearner } from '../../src/algos/maml';
import { ALPHA_HIST_BINS, MetaSgdLearner } from '../../src/algos/metaSgd';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { buildTaskData, outerTensors, toTensors } from '../../src/algos/taskData';
import { dot } from '../../src/algos/trpo';
import { Rng } from '../../src/core/rng';
import { initParams, paramLayout } from '../../src/policies/gaussianMlp';
import { type Episode, Sampler } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';
import { SMALL_POINT_NAV } from './pointNavSmall';

const family = getFamily('point-nav');
const small = SMALL_POINT_NAV;
const toDispose: { dispose(): Promise<void> }[] = [];

async function make(overrides: Record<string, unknown> = {}, seed = 1): Promise<MetaSgdLearner> {
  const spec = getAlgo('meta-sgd');
  const l = (await spec.create({
    family,
    config: resolveHyper(spec, family.id, { ...small, ...overrides }),
    seed,
    workers: 0,
  })) as MetaSgdLearner;
  toDispose.push(l);
  return l;
}

const sampler = new Sampler(0);
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  for (const l of toDispose) await l.dispose();
  await sampler.close();
});

describe('Meta-SGD step-size meta-gradient', () => {
  const config = mamlConfigSchema.parse({ hidden: [8, 8], activation: 'tanh', innerLr: 0.5 });
  const spec = policySpecOf(family, config);
  const theta = initParams(spec, new Rng(3));
  const tasks = family.sampleTasks(2, new Rng(4), 'train');
  const episodes = async (seed: number): Promise<Episode[][]> =>
    (
      await sampler.sample({
        familyId: family.id,
        tasks,
        params: tasks.map(() => theta),
        spec,
        episodesPerTask: 3,
        seed,
      })
    ).episodes;
  const data = (eps: Episode[]) =>
    buildTaskData(eps, spec.obsSize, spec.actSize, 0.99, 0.95, 'step');

  for (const kind of ['manual', 'autodiff'] as const) {
    it(`${kind}: ∂/∂α matches central finite differences through two inner steps`, async () => {
      const derivatives = createDerivatives(kind, spec);
      const rng = new Rng(12);
      const alpha = Float32Array.from(theta, () => 0.25 + 0.5 * rng.uniform());
      const inner = [await episodes(1), await episodes(2)];
      const outer = await episodes(3);
      const b = new MetaBatchBuilder(derivatives, { innerLr: alpha, curvature: true }, [
        theta,
        theta,
      ]);
      for (const stage of inner)
        b.innerStage(stage.map((eps) => toTensors(data(eps), spec.obsSize, spec.actSize)));
      const mb = b.outerStage(
        outer.map((eps, t) => outerTensors(spec, data(eps), b.mb.paths[t][2])),
      );
      const before = tf.memory().numTensors;
      const g = stepSizeGradient(derivatives, mb, { innerLr: alpha, firstOrder: false });
      expect(tf.memory().numTensors).toBe(before);
      // A direction along the gradient plus noise, so every entry is exercised.
      const d = Float64Array.from(
        g,
        (x) => x + 0.3 * Math.sqrt(dot(g, g) / g.length) * rng.normal(),
      );
      // α moves by ~1e-4 per entry: large enough above float32 noise, small for truncation.
      const h = 0.1;
      const at = (s: number) =>
        metaObjective(derivatives, theta, mb, {
          innerLr: Float32Array.from(alpha, (a, i) => a + s * h * d[i]),
          firstOrder: false,
        }).loss;
      const fd = (at(1) - at(-1)) / (2 * h);
      const err = Math.abs(dot(g, d) - fd) / Math.abs(fd);
      expect(err).toBeLessThan(5e-4);
      // The first-order version (no J_kᵀ) misses: the second-order terms matter here.
      const fo = stepSizeGradient(derivatives, mb, { innerLr: alpha, firstOrder: true });
      const foErr = Math.abs(dot(fo, d) - fd) / Math.abs(fd);
      expect(foErr).toBeGreaterThan(10 * err);
      disposeMetaBatch(mb);
    });
  }
});

describe('Meta-SGD on point-nav', () => {
  it('learns: returns rise, α moves from innerLr, and α is reported per layer', async () => {
    const l = await make();
    expect(Array.from(new Set(l.alpha))).toEqual([0.5]);
    const rng = new Rng(5);
    const pre: number[] = [];
    const post: number[] = [];
    let m: Record<string, number> = {};
    for (let it = 0; it < 5; it++) {
      m = await l.metaTrainStep(family.sampleTasks(6, rng, 'train'));
      pre.push(m['returns/pre']);
      post.push(m['returns/post_1']);
    }
    const gain = post.reduce((a, x, i) => a + x - pre[i], 0) / post.length;
    expect(gain).toBeGreaterThan(0);
    expect(post[4]).toBeGreaterThan(post[0]);
    expect(Math.max(...l.alpha.map((a) => Math.abs(a - 0.5)))).toBeGreaterThan(1e-3);
    for (const layer of ['W0', 'b0', 'W1', 'b1', 'W2', 'b2', 'logStd']) {
      expect(m[`alpha/${layer}/min`]).toBeLessThanOrEqual(m[`alpha/${layer}/mean`]);
      expect(m[`alpha/${layer}/mean`]).toBeLessThanOrEqual(m[`alpha/${layer}/max`]);
      let total = 0;
      for (let b = 0; b < ALPHA_HIST_BINS; b++) total += m[`alpha/${layer}/hist_${b}`];
      expect(total).toBeCloseTo(1, 6);
    }
    expect(Number.isFinite(m['losses/alpha_grad_norm'])).toBe(true);
  });

  it("starts α at latentInnerLr on a latent's entries and at innerLr elsewhere", async () => {
    const l = await make({ latentSize: 2, latentInnerLr: 2 });
    for (const e of paramLayout(l.spec)) {
      const want = e.name.startsWith('latent') ? 2 : 0.5;
      expect(Array.from(new Set(l.alpha.subarray(e.offset, e.offset + e.size)))).toEqual([want]);
    }
    expect(paramLayout(l.spec).filter((e) => e.name.startsWith('latent'))).toHaveLength(2);
  });

  it('keeps tf.memory().numTensors unchanged across meta-iterations and adaptations', async () => {
    const l = await make({}, 2);
    const tasks = family.sampleTasks(6, new Rng(6), 'train');
    await l.metaTrainStep(tasks);
    await l.adapt(tasks[0], { steps: 2, episodesPerStage: 3, seed: 1 });
    const before = tf.memory().numTensors;
    await l.metaTrainStep(tasks);
    await l.adapt(tasks[1], { steps: 2, episodesPerStage: 3, seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([{}, { preAdaptWeight: 0.5 }])(
    'splits the TRPO update over threads with the same result as one thread (%o)',
    async (extra) => {
      const tasks = family.sampleTasks(6, new Rng(9), 'train');
      const one = await make({ ...extra, updateThreads: 1 }, 4);
      const two = await make({ ...extra, updateThreads: 2 }, 4);
      const m1 = await one.metaTrainStep(tasks);
      const m2 = await two.metaTrainStep(tasks);
      expect(m2['losses/surrogate']).toBeCloseTo(m1['losses/surrogate'], 6);
      expect(Array.from(two.alpha)).toEqual(Array.from(one.alpha));
      let maxDiff = 0;
      for (let i = 0; i < one.theta.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(one.theta[i] - two.theta[i]));
      // Conjugate gradient amplifies the float32 rounding of the shares' curvature products
      // (4e-4 here with the term before adaptation); a share that left the term out: 0.07.
      expect(maxDiff).toBeLessThan(2e-3);
    },
  );

  it('with α held at the inner step size, makes MAML’s meta-iterations', async () => {
    // α's Adam rate near 0 keeps α at innerLr everywhere: the learner is then MAML with the
    // scalar step, and the two must take the same θ steps on the same tasks and seed.
    const spec = getAlgo('maml');
    const maml = (await spec.create({
      family,
      config: resolveHyper(spec, family.id, small),
      seed: 6,
      workers: 0,
    })) as MamlLearner;
    toDispose.push(maml);
    const sgd = await make({ stepSizeLr: 1e-12 }, 6);
    expect(Array.from(sgd.theta)).toEqual(Array.from(maml.theta));
    const rng = new Rng(11);
    for (let it = 0; it < 3; it++) {
      const tasks = family.sampleTasks(6, rng, 'train');
      const mM = await maml.metaTrainStep(tasks);
      const mS = await sgd.metaTrainStep(tasks);
      expect(mS['returns/pre']).toBeCloseTo(mM['returns/pre'], 3);
      expect(mS['returns/post_1']).toBeCloseTo(mM['returns/post_1'], 3);
    }
    let maxDiff = 0;
    for (let i = 0; i < maml.theta.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(maml.theta[i] - sgd.theta[i]));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(Math.max(...sgd.alpha.map((a) => Math.abs(a - 0.5)))).toBeLessThan(1e-9);
  });

  it('resumes from a checkpoint exactly as an uninterrupted run (θ, α and α’s optimiser)', async () => {
    const tasksRng = new Rng(7);
    const t1 = family.sampleTasks(6, tasksRng, 'train');
    const t2 = family.sampleTasks(6, tasksRng, 'train');
    const t3 = family.sampleTasks(6, tasksRng, 'train');
    const a = await make({}, 3);
    await a.metaTrainStep(t1);
    const saved = await a.saveState();
    const mA = [await a.metaTrainStep(t2), await a.metaTrainStep(t3)];
    const b = await make({}, 99);
    await b.loadState(structuredClone(saved));
    const mB = [await b.metaTrainStep(t2), await b.metaTrainStep(t3)];
    expect(mB).toStrictEqual(mA.map((m, i) => ({ ...m, ...timeKeys(mB[i]) })));
    expect(Array.from(b.theta)).toEqual(Array.from(a.theta));
    expect(Array.from(b.alpha)).toEqual(Array.from(a.alpha));
    const { alpha: _drop, ...noAlpha } = saved.params;
    await expect(b.loadState({ ...saved, params: noAlpha })).rejects.toThrow(/params\.alpha/);
  });

  it('adapts with α: scaling α changes the adapted returns, and θ and α stay unchanged', async () => {
    const l = await make({}, 5);
    await l.metaTrainStep(family.sampleTasks(6, new Rng(8), 'train'));
    const [theta, alpha] = [l.theta.slice(), l.alpha.slice()];
    const task = family.sampleTasks(1, new Rng(10), 'test')[0];
    const budget = { steps: 1, episodesPerStage: 4, seed: 3 };
    const r1 = await l.adapt(task, budget);
    expect(Array.from(l.theta)).toEqual(Array.from(theta));
    expect(Array.from(l.alpha)).toEqual(Array.from(alpha));
    l.alpha = alpha.map((a, i) => (i % 2 ? 0 : 2 * a));
    const r2 = await l.adapt(task, budget);
    expect(r2.returns[0]).toBe(r1.returns[0]);
    expect(r2.returns[1]).not.toBe(r1.returns[1]);
  });

  it('takes later adaptation steps of α × adaptLrLater / innerLr; training ignores adaptLrLater', async () => {
    const tasks = family.sampleTasks(6, new Rng(12), 'train');
    const quarter = await make({}, 7);
    const explicit = await make({ adaptLrLater: 0.125 }, 7);
    const small = await make({ adaptLrLater: 0.015 }, 7);
    for (const l of [quarter, explicit, small]) await l.metaTrainStep(tasks);
    expect(Array.from(small.theta)).toEqual(Array.from(quarter.theta));
    expect(Array.from(small.alpha)).toEqual(Array.from(quarter.alpha));
    const task = family.sampleTasks(1, new Rng(13), 'test')[0];
    const budget = { steps: 2, episodesPerStage: 3, seed: 4 };
    const [rq, re, rs] = [
      await quarter.adapt(task, budget),
      await explicit.adapt(task, budget),
      await small.adapt(task, budget),
    ];
    // innerLr 0.5: the default later step is α / 4, the same as adaptLrLater 0.125.
    expect(re.returns).toEqual(rq.returns);
    expect(rs.returns.slice(0, 2)).toEqual(rq.returns.slice(0, 2));
    expect(rs.returns[2]).not.toBe(rq.returns[2]);
  });

  it('refuses bad hyper-parameters naming the field', () => {
    const schema = getAlgo('meta-sgd').configSchema;
    expect(() => schema.parse({ stepSizeLr: -1 })).toThrow(/stepSizeLr/);
    expect(() => schema.parse({ stepSizeLr: Number.NaN })).toThrow(/stepSizeLr/);
    expect(() => schema.parse({ stepSizeLr: Number.POSITIVE_INFINITY })).toThrow(/stepSizeLr/);
    expect(() => schema.parse({ innerLr: -0.5 })).toThrow(/innerLr/);
    expect(() => schema.parse({ innerLr: Number.NaN })).toThrow(/innerLr/);
    expect(schema.parse({})).toMatchObject({ stepSizeLr: 0.01, innerSteps: 1 });
  });
});

/** The wall-clock metrics of `m` (they differ between runs; everything else must not). */
function timeKeys(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('time/')));
}
