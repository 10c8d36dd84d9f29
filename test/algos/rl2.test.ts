// RL² end to end on a family that can only be solved with memory across episodes (see
// test/helpers/memoryBandit.ts): a short run must make episode 2 beat episode 1; tensors
// must not leak across meta-iterations and adaptations; a checkpoint must restore the
// learner exactly (same metrics afterwards) and reject a malformed one.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { Rng } from '../../src/core/rng';
import type { TaskFamily } from '../../src/core/env';
import { Rl2, rl2Spec } from '../../src/algos/rl2';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { evaluateLearner } from '../../src/training/evaluate';
import { memoryBandit } from '../helpers/memoryBandit';
import { pointNav } from '../../envs/pointNav';

const family = memoryBandit as unknown as TaskFamily;
const config = {
  episodesPerTrial: 2,
  metaBatchSize: 8,
  trialsPerTask: 8,
  hiddenSize: 16,
  learningRate: 1e-2,
  epochs: 4,
  minibatches: 1,
};

describe('RL²', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('is registered with defaults that parse from {}', () => {
    const spec = getAlgo('rl2');
    expect(spec).toBe(rl2Spec);
    const d = spec.configSchema.parse({});
    expect(d.episodesPerTrial).toBe(2);
    expect(spec.metaBatchSize(d)).toBe(d.metaBatchSize);
    expect(spec.stageUnit).toBe('episode');
    expect(spec.defaultIterations('point-nav')).toBeGreaterThan(0);
    expect(() => spec.configSchema.parse({ episodesPerTrial: 0 })).toThrow(/episodesPerTrial/);
    expect(() => spec.configSchema.parse({ hiddenSize: 'big' })).toThrow(/hiddenSize/);
    expect(() => spec.configSchema.parse({ updateThreads: 0 })).toThrow(/updateThreads/);
    expect(() => spec.configSchema.parse({ gradients: 'torch' })).toThrow(/gradients/);
  });

  it("gives cart-pole 64 GRU units, tfjs gradients and 80 tasks by default, point-nav 64 units, tfjs, GAE λ 1, inputs clipped to ±1, a KL stop and a value weight of 0.1, under the user's own values, and other families 32 units with JS, λ 0.95 and no clipping", () => {
    const spec = getAlgo('rl2');
    const parse = (f: string, h = {}) => spec.configSchema.parse(resolveHyper(spec, f, h));
    expect(parse('cartpole')).toMatchObject({
      hiddenSize: 64,
      gradients: 'tfjs',
      metaBatchSize: 80,
    });
    expect(parse('cartpole', { hiddenSize: 16, gradients: 'js' })).toMatchObject({
      hiddenSize: 16,
      gradients: 'js',
    });
    expect(parse('point-nav')).toMatchObject({
      hiddenSize: 64,
      gradients: 'tfjs',
      metaBatchSize: 40,
      gaeLambda: 1,
      inputClip: 1,
      targetKl: 0.05,
      valueCoef: 0.1,
    });
    expect(parse('point-nav', { targetKl: 0 }).targetKl).toBe(0);
    expect(parse('point-nav', { gaeLambda: 0.9 }).gaeLambda).toBe(0.9);
    expect(parse('point-nav', { inputClip: 0 }).inputClip).toBe(0);
    expect(parse('cartpole')).toMatchObject({ gaeLambda: 0.95, inputClip: 0 });
    expect(parse('reacher')).toMatchObject({
      hiddenSize: 64,
      gradients: 'tfjs',
      metaBatchSize: 80,
      gaeLambda: 1,
      inputClip: 0,
      targetKl: 0.05,
      valueCoef: 0.1,
    });
    expect(parse('cheetah-vel')).toMatchObject({
      hiddenSize: 32,
      gradients: 'js',
      metaBatchSize: 40,
      gaeLambda: 0.95,
      inputClip: 0,
      targetKl: 0,
      valueCoef: 0.5,
    });
    expect(spec.defaultIterations('point-nav')).toBe(600);
    expect(spec.defaultIterations('reacher')).toBe(600);
    expect(spec.defaultIterations('cheetah-vel')).toBe(200);
  });

  it('keeps a stored run from before JS gradients on tfjs and one thread, so it resumes exactly', async () => {
    const spec = getAlgo('rl2');
    const { updateThreads, gradients, ...before } = spec.configSchema.parse({});
    expect([updateThreads, gradients]).toEqual([2, 'js']);
    const stored = (await spec.create({ family, config: before, seed: 1, workers: 0 })) as Rl2;
    expect([stored.config.updateThreads, stored.config.gradients]).toEqual([1, 'tfjs']);
    const fresh = (await spec.create({
      family,
      config: { ...before, updateThreads, gradients },
      seed: 1,
      workers: 0,
    })) as Rl2;
    expect([fresh.config.updateThreads, fresh.config.gradients]).toEqual([2, 'js']);
    await stored.dispose();
    await fresh.dispose();
  });

  it('keeps a stored point-nav run from before the input clip unclipped, whatever the family defaults say now', async () => {
    const spec = getAlgo('rl2');
    const { inputClip, ...before } = resolveHyper(spec, 'point-nav');
    expect(inputClip).toBe(1);
    // A run's stored hyper-parameters go to create() as they are (runLoader, liveRun).
    const stored = (await spec.create({
      family: pointNav as unknown as TaskFamily,
      config: before,
      seed: 1,
      workers: 0,
    })) as Rl2;
    expect(stored.config.inputClip).toBe(0);
    expect(stored.config.gaeLambda).toBe(1);
    await stored.dispose();
  });

  it('learns to use the first episode: episode 2 beats episode 1 after a short run', async () => {
    const learner = new Rl2({ family, config, seed: 3 });
    const rng = new Rng(4);
    const history: { e1: number; e2: number }[] = [];
    for (let it = 0; it < 35; it++) {
      const m = await learner.metaTrainStep(family.sampleTasks(config.metaBatchSize, rng, 'train'));
      history.push({ e1: m['returns/episode_1'], e2: m['returns/episode_2'] });
    }
    const late = history.slice(-5);
    const e1 = late.reduce((a, h) => a + h.e1, 0) / late.length;
    const e2 = late.reduce((a, h) => a + h.e2, 0) / late.length;
    // Episode 1 cannot know the goal (expected return 0); episode 2 can, through memory.
    expect(e2).toBeGreaterThan(e1 + 0.25);
    expect(e2).toBeGreaterThan(0.3);
    // Held-out adaptation through the MetaLearner interface tells the same story.
    const r = await evaluateLearner(learner, family, {
      tasks: 6,
      steps: 1,
      episodesPerStage: 16,
      seed: 9,
    });
    expect(r).toHaveLength(2);
    expect(r[1]).toBeGreaterThan(r[0] + 0.25);
    await learner.dispose();
  });

  it('does not leak tensors across metaTrainStep and adapt', async () => {
    // Every code path (sampler, BPTT, Adam, adapt with frames) on the small family.
    const learner = new Rl2({ family, config: { ...config, epochs: 2, minibatches: 2 }, seed: 1 });
    const rng = new Rng(1);
    const task = { goal: 1 };
    const budget = { steps: 1, episodesPerStage: 2, seed: 5, recordFrames: true };
    await learner.metaTrainStep(family.sampleTasks(4, rng, 'train'));
    await learner.adapt(task, budget);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      await learner.metaTrainStep(family.sampleTasks(4, rng, 'train'));
      await learner.adapt(task, budget);
    }
    expect(tf.memory().numTensors).toBe(before);
    await learner.dispose();
  });

  it('adapt reports each episode of the trial as a stage and never changes the parameters', async () => {
    const learner = new Rl2({ family, config, seed: 1 });
    const before = await learner.saveState();
    const seen: number[] = [];
    const r = await learner.adapt(
      { goal: 1 },
      { steps: 2, episodesPerStage: 3, seed: 1, recordFrames: true },
      (ep) => seen.push(ep.stage),
    );
    expect(r.returns).toHaveLength(3);
    expect(r.episodes).toHaveLength(9);
    expect(seen).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (let k = 0; k < 3; k++) {
      const eps = r.episodes.filter((e) => e.stage === k);
      expect(r.returns[k]).toBeCloseTo(eps.reduce((a, e) => a + e.return, 0) / eps.length, 5);
      expect(eps[0].frames).toHaveLength(3);
    }
    const after = await learner.saveState();
    expect(Array.from(after.params.wh.data)).toEqual(Array.from(before.params.wh.data));
    await expect(
      learner.adapt({ goal: 3 }, { steps: 1, episodesPerStage: 1, seed: 1 }),
    ).rejects.toThrow(/goal/);
    await learner.dispose();
  });

  it('save → load restores params, Adam state and Rng: training continues identically', async () => {
    const a = new Rl2({ family, config, seed: 2 });
    const rng = new Rng(6);
    await a.metaTrainStep(family.sampleTasks(8, rng, 'train'));
    const ckpt = await a.saveState();
    const tasks = family.sampleTasks(8, rng, 'train');
    const ma = await a.metaTrainStep(tasks);

    const b = new Rl2({ family, config, seed: 999 });
    await b.loadState(structuredClone(ckpt));
    const mb = await b.metaTrainStep(tasks);
    for (const k of Object.keys(ma).filter((k) => !k.startsWith('time/')))
      expect(mb[k], k).toBe(ma[k]);

    const bad = structuredClone(ckpt);
    bad.params.wh = { shape: [3, 3], data: new Float32Array(9) };
    await expect(b.loadState(bad)).rejects.toThrow(/"wh" has shape/);
    await expect(b.loadState({ ...ckpt, algo: 'maml' })).rejects.toThrow(/maml/);
    await a.dispose();
    await b.dispose();
  });
});
