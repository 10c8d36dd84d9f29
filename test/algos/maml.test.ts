// MAML end to end on point-nav at a small scale: it learns (post-adaptation beats
// pre-adaptation, returns improve), leaks no tensors, resumes exactly from a checkpoint,
// adapts without touching θ, and the registry / evaluation entry points behave.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { evaluateLearner } from '../../src/algos/evaluate';
import { MamlLearner } from '../../src/algos/maml';
import { mamlConfigSchema, withSupportedCombinations } from '../../src/algos/mamlConfig';
import { createRandomInit, upgradeStoredConfig } from '../../src/algos/mamlSpecs';
import type { EpisodeRecord } from '../../src/algos/metaLearner';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { Rng } from '../../src/core/rng';
import { initBackend } from '../../src/tf/backend';
import { paramLayout } from '../../src/policies/gaussianMlp';
import { SMALL_POINT_NAV } from './pointNavSmall';

const family = getFamily('point-nav');
const small = SMALL_POINT_NAV;
const toDispose: { dispose(): Promise<void> }[] = [];

async function make(
  algo = 'maml',
  overrides: Record<string, unknown> = {},
  seed = 1,
): Promise<MamlLearner> {
  const spec = getAlgo(algo);
  const l = (await spec.create({
    family,
    config: resolveHyper(spec, family.id, { ...small, ...overrides }),
    seed,
    workers: 0,
  })) as MamlLearner;
  toDispose.push(l);
  return l;
}

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  for (const l of toDispose) await l.dispose();
});

describe('MAML on point-nav', () => {
  it('learns: adaptation helps and returns rise over a short run', async () => {
    const l = await make();
    const rng = new Rng(5);
    const pre: number[] = [];
    const post: number[] = [];
    for (let it = 0; it < 5; it++) {
      const m = await l.metaTrainStep(family.sampleTasks(6, rng, 'train'));
      pre.push(m['returns/pre']);
      post.push(m['returns/post_1']);
      for (const k of [
        'losses/kl',
        'losses/surrogate',
        'time/sampling',
        'time/inner',
        'time/outer',
      ])
        expect(Number.isFinite(m[k])).toBe(true);
      expect(m['losses/kl']).toBeLessThanOrEqual(l.config.maxKl);
    }
    const gain = post.reduce((a, x, i) => a + x - pre[i], 0) / post.length;
    expect(gain).toBeGreaterThan(0);
    expect(pre[4]).toBeGreaterThan(pre[0]);
    expect(post[4]).toBeGreaterThan(post[0]);
  });

  it('keeps tf.memory().numTensors unchanged across meta-iterations and adaptations', async () => {
    const l = await make();
    const rng = new Rng(6);
    const tasks = family.sampleTasks(6, rng, 'train');
    await l.metaTrainStep(tasks);
    await l.adapt(tasks[0], { steps: 2, episodesPerStage: 3, seed: 1 });
    const before = tf.memory().numTensors;
    await l.metaTrainStep(tasks);
    await l.adapt(tasks[1], { steps: 2, episodesPerStage: 3, seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    // The PPO option and the autodiff path too.
    // (on point-nav with MAML's default there, the return before adaptation in the objective)
    const p = await make('maml', { outer: 'ppo', ppoEpochs: 2, derivatives: 'autodiff' });
    expect(p.config.preAdaptWeight).toBeGreaterThan(0);
    await p.metaTrainStep(tasks);
    const b2 = tf.memory().numTensors;
    const m = await p.metaTrainStep(tasks);
    expect(tf.memory().numTensors).toBe(b2);
    expect(Number.isFinite(m['losses/surrogate_after'])).toBe(true);
    // With the return before adaptation in the objective (its tensors are the batch's own).
    const w = await make('maml', { preAdaptWeight: 0.5, updateThreads: 2 });
    await w.metaTrainStep(tasks);
    const b3 = tf.memory().numTensors;
    await w.metaTrainStep(tasks);
    expect(tf.memory().numTensors).toBe(b3);
  });

  it.each([
    { preAdaptWeight: 0 },
    { preAdaptWeight: 0.5 },
    { normalizeAdvantages: false },
    { latentSize: 2 },
  ])(
    'splits the TRPO update over threads with the same result as one thread (%o)',
    async (extra) => {
      const tasks = family.sampleTasks(6, new Rng(9), 'train');
      const one = await make('maml', { ...extra, updateThreads: 1 }, 4);
      const two = await make('maml', { ...extra, updateThreads: 3 }, 4);
      const m1 = await one.metaTrainStep(tasks);
      const m2 = await two.metaTrainStep(tasks);
      expect(m2['returns/post_1']).toBe(m1['returns/post_1']);
      expect(m2['losses/surrogate']).toBeCloseTo(m1['losses/surrogate'], 6);
      // The KL sums terms of order 1 that cancel to about 0.007: float32 rounding shows at 1e-6.
      expect(m2['losses/kl']).toBeCloseTo(m1['losses/kl'], 5);
      // Shares are summed in a different order: equal up to float rounding.
      let maxDiff = 0;
      for (let i = 0; i < one.theta.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(one.theta[i] - two.theta[i]));
      expect(maxDiff).toBeLessThan(1e-4);
    },
  );

  it('takes a different inner step with centred-only advantages, from the same samples', async () => {
    const tasks = family.sampleTasks(4, new Rng(9), 'train');
    const norm = await make('maml', { updateThreads: 1 }, 4);
    const centred = await make('maml', { updateThreads: 1, normalizeAdvantages: false }, 4);
    const a = await norm.metaTrainStep(tasks);
    const b = await centred.metaTrainStep(tasks);
    expect(b['returns/pre']).toBe(a['returns/pre']);
    expect(b['returns/post_1']).not.toBe(a['returns/post_1']);
  });

  it('resumes from a checkpoint exactly as an uninterrupted run', async () => {
    const tasksRng = new Rng(7);
    const t1 = family.sampleTasks(6, tasksRng, 'train');
    const t2 = family.sampleTasks(6, tasksRng, 'train');
    const a = await make('maml', {}, 3);
    await a.metaTrainStep(t1);
    const saved = await a.saveState();
    const mA = await a.metaTrainStep(t2);
    const b = await make('maml', {}, 99);
    await b.loadState(structuredClone(saved));
    const mB = await b.metaTrainStep(t2);
    for (const k of ['returns/pre', 'returns/post_1', 'losses/surrogate', 'losses/kl'])
      expect(mB[k]).toBe(mA[k]);
    expect(Array.from(b.theta)).toEqual(Array.from(a.theta));
    expect((await b.saveState()).iteration).toBe(2);
    await expect(
      b.loadState({ ...saved, params: { theta: { shape: [3], data: new Float32Array(3) } } }),
    ).rejects.toThrow(/theta has 3 values/);
  });

  it('adapts without changing θ, recording every stage (with frames), identically in a batch', async () => {
    const l = await make();
    const task = { goal: [0.3, -0.2] };
    const theta = Array.from(l.theta);
    const seen: EpisodeRecord[] = [];
    const r = await l.adapt(
      task,
      { steps: 2, episodesPerStage: 3, seed: 11, recordFrames: true },
      (e) => seen.push(e),
    );
    expect(Array.from(l.theta)).toEqual(theta);
    expect(r.returns.length).toBe(3);
    expect(r.episodes.map((e) => e.stage)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(seen.length).toBe(9);
    for (const e of r.episodes) {
      expect(e.frames?.length).toBe(e.length + 1);
      expect(e.observations.length).toBe(e.length * 2);
    }
    const [other, same] = await l.adaptBatch(
      [{ goal: [-0.4, 0.1] }, task],
      { steps: 2, episodesPerStage: 3, seed: 0 },
      [5, 11],
    );
    expect(same.returns).toEqual(r.returns);
    expect(other.returns).not.toEqual(r.returns);
    await expect(
      l.adapt({ goal: [9, 9] }, { steps: 1, episodesPerStage: 2, seed: 1 }),
    ).rejects.toThrow(/goal\.0/);
  });

  it('starts the output layer at outputInitScale times Glorot’s, in MAML, Meta-SGD and Reptile', async () => {
    const create = async (algo: string, outputInitScale: number) => {
      const spec = getAlgo(algo);
      const l = (await spec.create({
        family,
        config: resolveHyper(spec, family.id, { hidden: small.hidden, outputInitScale }),
        seed: 3,
        workers: 0,
      })) as MamlLearner;
      toDispose.push(l);
      return l;
    };
    for (const algo of ['maml', 'meta-sgd', 'reptile']) {
      const glorot = await create(algo, 1);
      const centred = await create(algo, 0.01);
      const out = paramLayout(glorot.spec).find((e) => e.name === `W${small.hidden.length}`)!;
      for (let i = 0; i < glorot.theta.length; i++) {
        const inOut = i >= out.offset && i < out.offset + out.size;
        expect(centred.theta[i]).toBe(
          inOut ? Math.fround(glorot.theta[i] * 0.01) : glorot.theta[i],
        );
      }
    }
    // MAML's point-nav default is the centred one.
    expect(Array.from((await make()).theta)).toEqual(
      Array.from((await make('maml', { outputInitScale: 0.01 })).theta),
    );
  });

  it('evaluates on held-out tasks reproducibly, for MAML and the random-init baseline', async () => {
    const l = await make();
    const r1 = await evaluateLearner(l, family, {
      tasks: 3,
      steps: 1,
      episodesPerStage: 4,
      seed: 21,
    });
    const r2 = await evaluateLearner(l, family, {
      tasks: 3,
      steps: 1,
      episodesPerStage: 4,
      seed: 21,
    });
    expect(r1.returns.length).toBe(2);
    expect(r1.perTask.length).toBe(3);
    expect(r2.returns).toEqual(r1.returns);
    expect(r1.testTasks.every((t) => Array.isArray(t.goal))).toBe(true);
    const rand = createRandomInit(family, 1, 0, small);
    toDispose.push(rand);
    // Same seed, same config, untrained: the random-init baseline is MAML before training
    // (with the shared family defaults: Glorot's init, where MAML's point-nav default starts
    // its output layer near 0).
    const rr = await evaluateLearner(rand, family, {
      tasks: 3,
      steps: 1,
      episodesPerStage: 4,
      seed: 21,
    });
    const fresh = await make('maml', { outputInitScale: 1 });
    const rf = await evaluateLearner(fresh, family, {
      tasks: 3,
      steps: 1,
      episodesPerStage: 4,
      seed: 21,
    });
    expect(rr.returns).toEqual(rf.returns);
  });
});

describe('registry entries', () => {
  it('give the paper’s defaults from {} and name bad fields', () => {
    const c = getAlgo('maml').configSchema.parse({}) as Record<string, unknown>;
    expect(c).toMatchObject({
      metaBatchSize: 20,
      episodesPerTask: 20,
      innerSteps: 1,
      innerLr: 0.1,
      maxKl: 0.01,
      cgIters: 10,
      firstOrder: false,
      outer: 'trpo',
      normalizeAdvantages: true,
    });
    expect(getAlgo('maml').defaultIterations('point-nav')).toBeLessThanOrEqual(200);
    // Cart-pole: MAML (and Meta-SGD) stop at 60; the baselines they are measured against train 500.
    expect(getAlgo('maml').defaultIterations('cartpole')).toBe(60);
    expect(getAlgo('meta-sgd').defaultIterations('cartpole')).toBe(60);
    expect(getAlgo('pretrained').defaultIterations('cartpole')).toBe(500);
    expect(getAlgo('oracle').defaultIterations('cartpole')).toBe(500);
    // Cheetah-dir: MAML's PPO step fits 250 iterations in the half hour; Meta-SGD keeps TRPO's
    // step and the family's 400, as do the baselines.
    expect(getAlgo('maml').defaultIterations('cheetah-dir')).toBe(250);
    for (const a of ['meta-sgd', 'pretrained', 'oracle'])
      expect(getAlgo(a).defaultIterations('cheetah-dir')).toBe(400);
    expect(getAlgo('maml').defaultIterations('reacher')).toBe(
      getAlgo('pretrained').defaultIterations('reacher'),
    );
    // The MuJoCo half-cheetahs train the MAML paper's 300 meta-iterations, baselines as long.
    for (const f of ['mujoco-cheetah-vel', 'mujoco-cheetah-dir'])
      for (const a of ['maml', 'pretrained', 'oracle'])
        expect(getAlgo(a).defaultIterations(f)).toBe(300);
    expect(() => getAlgo('maml').configSchema.parse({ innerLr: -1 })).toThrow(/innerLr/);
    expect(() => getAlgo('maml').configSchema.parse({ bogus: 1 })).toThrow(/bogus/);
    expect(() => getAlgo('maml').configSchema.parse({ normalizeAdvantages: 'no' })).toThrow(
      /normalizeAdvantages/,
    );
    expect(() => getAlgo('pretrained').configSchema.parse({ innerSteps: 1 })).toThrow(/innerSteps/);
    expect(() => getAlgo('maml').configSchema.parse({ latentSize: 1.5 })).toThrow(/latentSize/);
    expect(() => getAlgo('maml').configSchema.parse({ latentInnerLr: 0 })).toThrow(/latentInnerLr/);
  });

  it('lays per-family defaults under the user’s values (the paper’s inner step but on cart-pole)', () => {
    for (const id of ['maml', 'pretrained', 'oracle', 'meta-sgd']) {
      const spec = getAlgo(id);
      expect(resolveHyper(spec, 'point-nav').innerLr).toBe(0.1);
      expect(resolveHyper(spec, 'cheetah-vel').innerLr).toBe(0.1);
      expect(resolveHyper(spec, 'point-nav', { innerLr: 0.2 }).innerLr).toBe(0.2);
      expect(resolveHyper(spec, 'point-nav')).toMatchObject({
        normalizeActions: true,
        lossWeighting: 'step',
        gaeLambda: 0.95,
      });
    }
    // Point-nav: MAML's and Meta-SGD's output layer starts 100 times smaller; the other
    // learners' does not. And their objective weighs in the return before adaptation there,
    // only there.
    for (const id of ['maml', 'meta-sgd']) {
      expect(resolveHyper(getAlgo(id), 'point-nav')).toMatchObject({
        outputInitScale: 0.01,
        preAdaptWeight: 0.3,
      });
      expect(resolveHyper(getAlgo(id), 'reacher')).toMatchObject({
        outputInitScale: 1,
        preAdaptWeight: 0,
      });
    }
    for (const id of ['pretrained', 'oracle', 'reptile'])
      expect(resolveHyper(getAlgo(id), 'point-nav').outputInitScale).toBe(1);
    expect(() => getAlgo('maml').configSchema.parse({ outputInitScale: 0 })).toThrow(
      /outputInitScale/,
    );
    expect(resolveHyper(getAlgo('maml'), 'cartpole').innerLr).toBe(0.3);
    // PPO's outer step: MAML's default on cheetah-dir and MuJoCo cheetah-vel only.
    for (const f of ['cheetah-dir', 'mujoco-cheetah-vel'])
      expect(resolveHyper(getAlgo('maml'), f).outer).toBe('ppo');
    for (const f of ['point-nav', 'reacher', 'cheetah-vel', 'cartpole', 'mujoco-cheetah-dir'])
      expect(resolveHyper(getAlgo('maml'), f).outer).toBe('trpo');
    for (const id of ['pretrained', 'oracle', 'meta-sgd'])
      expect(resolveHyper(getAlgo(id), 'cheetah-dir').outer).toBe('trpo');
    expect(resolveHyper(getAlgo('maml'), 'cheetah-dir', { outer: 'trpo' }).outer).toBe('trpo');
    expect(resolveHyper(getAlgo('maml'), 'cartpole', { innerLr: 0.1 }).innerLr).toBe(0.1);
    for (const id of ['pretrained', 'oracle', 'meta-sgd'])
      expect(resolveHyper(getAlgo(id), 'cartpole').innerLr).toBe(0.1);
    // Reacher: Meta-SGD's adaptation steps after the first are α × 0.03; every other learner
    // and family keeps the quarter of the first (adaptLrLater unset).
    expect(resolveHyper(getAlgo('meta-sgd'), 'reacher').adaptLrLater).toBe(0.003);
    for (const f of ['point-nav', 'cartpole', 'mujoco-cheetah-vel'])
      expect(resolveHyper(getAlgo('meta-sgd'), f).adaptLrLater).toBeUndefined();
    for (const id of ['maml', 'pretrained', 'oracle'])
      expect(resolveHyper(getAlgo(id), 'reacher').adaptLrLater).toBeUndefined();
    // MuJoCo cheetah-vel: MAML and Meta-SGD sample the paper's 40 tasks × 10 episodes; the
    // baselines 20 × 20.
    for (const id of ['maml', 'meta-sgd']) {
      expect(resolveHyper(getAlgo(id), 'mujoco-cheetah-vel')).toMatchObject({
        metaBatchSize: 40,
        episodesPerTask: 10,
      });
      expect(
        resolveHyper(getAlgo(id), 'mujoco-cheetah-vel', { metaBatchSize: 20 }).metaBatchSize,
      ).toBe(20);
    }
    for (const id of ['pretrained', 'oracle'])
      expect(resolveHyper(getAlgo(id), 'mujoco-cheetah-vel')).toMatchObject({
        metaBatchSize: 20,
        episodesPerTask: 20,
      });
    expect(resolveHyper(getAlgo('maml'), 'mujoco-cheetah-dir')).toMatchObject({
      metaBatchSize: 20,
      episodesPerTask: 20,
    });
    expect(() => resolveHyper(getAlgo('maml'), 'point-nav', { innerLr: 0 })).toThrow(/innerLr/);
    // The pretrained policy adapts with its own (small) step; MAML with its inner step.
    expect(resolveHyper(getAlgo('pretrained'), 'point-nav').adaptLr).toBe(0.02);
    expect(resolveHyper(getAlgo('maml'), 'point-nav').adaptLr).toBeUndefined();
    expect(resolveHyper(getAlgo('pretrained'), 'reacher').adaptLr).toBeUndefined();
    // The random-init baseline fine-tunes with the same step as the learner it is compared with.
    const rand = createRandomInit(family, 1, 0);
    toDispose.push(rand);
    expect(rand.config.innerLr).toBe(0.1);
  });

  it('keeps a run stored before action normalisation on the behaviour it was trained with', async () => {
    const today = resolveHyper(getAlgo('maml'), 'point-nav', small);
    const {
      normalizeActions: _n,
      lossWeighting: _w,
      adaptLrLater: _a,
      ...old
    } = today as Record<string, unknown>;
    const l = (await getAlgo('maml').create({
      family,
      config: old as never,
      seed: 1,
      workers: 0,
    })) as MamlLearner;
    toDispose.push(l);
    expect(l.config).toMatchObject({
      normalizeActions: false,
      lossWeighting: 'episode',
      adaptLrLater: today.innerLr,
    });
    expect(upgradeStoredConfig(today)).toBe(today);
  });

  it('adapts with the budget’s step size when given one (0 = no change), and never fine-tunes the oracle', async () => {
    const l = await make('maml', { adaptLr: 0.4 });
    const task = { goal: [0.1, 0.3] };
    const budget = { steps: 2, episodesPerStage: 3, seed: 4 };
    expect((await l.adapt(task, { ...budget, stepSize: 0.4 })).returns).toEqual(
      (await l.adapt(task, budget)).returns,
    );
    expect((await l.adapt(task, { ...budget, stepSize: 0.2 })).returns).not.toEqual(
      (await l.adapt(task, budget)).returns,
    );
    // Step size 0 keeps θ, so every stage is θ on its own noise: the same as the oracle's evaluation.
    const still = await l.adapt(task, { ...budget, stepSize: 0 });
    const o = await make('oracle');
    const tiny = await o.adapt(task, { ...budget, stepSize: 1e-6 });
    const huge = await o.adapt(task, { ...budget, stepSize: 100 });
    expect(huge.returns).toEqual(tiny.returns);
    expect(still.returns[1]).not.toBe(still.returns[0]);
    await expect(l.adapt(task, { ...budget, stepSize: -1 })).rejects.toThrow(
      /stepSize must be in \[0, 100\]/,
    );
  });

  it('takes a quarter of the first step for later adaptation steps, unless told', async () => {
    const l = await make('maml', { adaptLr: 0.4 });
    const m = await make('maml', { adaptLr: 0.4, adaptLrLater: 0.1 });
    const budget = { steps: 2, episodesPerStage: 3, seed: 4 };
    // Same θ (same seed), so the default (0.4 / 4) and the explicit 0.1 give the same adaptation.
    expect((await l.adapt({ goal: [0.1, 0.3] }, budget)).returns).toEqual(
      (await m.adapt({ goal: [0.1, 0.3] }, budget)).returns,
    );
    const n = await make('maml', { adaptLr: 0.4, adaptLrLater: 0.4 });
    const rn = await n.adapt({ goal: [0.1, 0.3] }, budget);
    const rl = await l.adapt({ goal: [0.1, 0.3] }, budget);
    expect(rn.returns.slice(0, 2)).toEqual(rl.returns.slice(0, 2));
    expect(rn.returns[2]).not.toBe(rl.returns[2]);
  });

  it('trains the oracle with the goal in the observation', async () => {
    const o = await make('oracle');
    expect(o.spec.obsSize).toBe(4);
    const m = await o.metaTrainStep(family.sampleTasks(4, new Rng(8), 'train'));
    expect(m['returns/post_1']).toBeUndefined();
    const r = await o.adapt({ goal: [0.2, 0.2] }, { steps: 1, episodesPerStage: 2, seed: 3 });
    expect(r.episodes[0].observations[2]).toBeCloseTo(0.2, 6);
    expect(r.episodes[0].observations[3]).toBeCloseTo(0.2, 6);
  });
});

describe('preAdaptWeight', () => {
  const schema = withSupportedCombinations(mamlConfigSchema);
  it('is refused without an inner step, or when negative or not finite, naming the field', () => {
    for (const bad of [
      { preAdaptWeight: 0.5, innerSteps: 0 },
      { preAdaptWeight: -0.1 },
      { preAdaptWeight: Number.NaN },
    ]) {
      const r = schema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0].path).toEqual(['preAdaptWeight']);
    }
    expect(schema.parse({ preAdaptWeight: 0.5 }).preAdaptWeight).toBe(0.5);
    expect(schema.parse({}).preAdaptWeight).toBe(0);
    // The baselines train without adaptation: nothing to weigh.
    expect(() => getAlgo('pretrained').configSchema.parse({ preAdaptWeight: 0.5 })).toThrow(
      /do not adapt in training, so preAdaptWeight must be 0/,
    );
  });
});
