// Reptile: the outer update on a quadratic toy problem against its closed form; a short
// run on point-nav improves returns; save → load → continue equals an uninterrupted run
// (with ε annealed); adaptation takes MAML's inner steps; its loss curves (inner losses, KL,
// norms) are logged and consistent with each other; bad hyper-parameters are refused naming
// the field.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { ReptileLearner, reptileUpdate } from '../../src/algos/reptile';
import { Rng } from '../../src/core/rng';
import { initBackend } from '../../src/tf/backend';

const family = getFamily('point-nav');
const small = { hidden: [16, 16], metaBatchSize: 6, episodesPerTask: 6 };
const toDispose: { dispose(): Promise<void> }[] = [];

async function make(overrides: Record<string, unknown> = {}, seed = 1): Promise<ReptileLearner> {
  const spec = getAlgo('reptile');
  const l = (await spec.create({
    family,
    config: resolveHyper(spec, family.id, { ...small, ...overrides }),
    seed,
    workers: 0,
  })) as ReptileLearner;
  toDispose.push(l);
  return l;
}

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  for (const l of toDispose) await l.dispose();
});

describe('Reptile update on quadratic tasks', () => {
  it('matches the closed form θ + ε·mean_t (I − (I − αA_t)^k)(c_t − θ)', () => {
    // Task t: L_t(x) = ½ (x − c_t)ᵀ A_t (x − c_t), A_t diagonal; k gradient steps of size α
    // from θ give φ_t = c_t + (I − αA_t)^k (θ − c_t).
    const rng = new Rng(2);
    const P = 5;
    const [alpha, k, eps] = [0.3, 3, 0.7];
    const tasks = Array.from({ length: 4 }, () => ({
      a: Float64Array.from({ length: P }, () => 0.5 + rng.uniform()),
      c: Float64Array.from({ length: P }, () => rng.normal()),
    }));
    const theta = Float32Array.from({ length: P }, () => rng.normal());
    const phis = tasks.map(({ a, c }) => {
      const x = Float64Array.from(theta);
      for (let j = 0; j < k; j++) for (let i = 0; i < P; i++) x[i] -= alpha * a[i] * (x[i] - c[i]);
      return Float32Array.from(x);
    });
    const next = reptileUpdate(theta, phis, eps);
    for (let i = 0; i < P; i++) {
      let dir = 0;
      for (const { a, c } of tasks) dir += (1 - (1 - alpha * a[i]) ** k) * (c[i] - theta[i]);
      expect(next[i]).toBeCloseTo(theta[i] + (eps * dir) / tasks.length, 5);
    }
    // With k = 1 the direction is −α · mean_t ∇L_t(θ): plain joint gradient descent.
    const one = reptileUpdate(
      theta,
      tasks.map(({ a, c }) => Float32Array.from(theta, (x, i) => x - alpha * a[i] * (x - c[i]))),
      1,
    );
    for (let i = 0; i < P; i++) {
      const g = tasks.reduce((s, { a, c }) => s + a[i] * (theta[i] - c[i]), 0) / tasks.length;
      expect(one[i]).toBeCloseTo(theta[i] - alpha * g, 5);
    }
  });
});

describe('Reptile on point-nav', () => {
  it('learns: returns before and after adaptation rise over a short run', async () => {
    const l = await make();
    const rng = new Rng(5);
    const pre: number[] = [];
    const post: number[] = [];
    for (let it = 0; it < 8; it++) {
      const m = await l.metaTrainStep(family.sampleTasks(6, rng, 'train'));
      pre.push(m['returns/pre']);
      post.push(m['returns/post_1']);
      expect(m['optim/outer_step_size']).toBe(0.5);
    }
    const early = (xs: number[]) => (xs[0] + xs[1]) / 2;
    const late = (xs: number[]) => (xs[6] + xs[7]) / 2;
    expect(late(pre)).toBeGreaterThan(early(pre));
    expect(late(post)).toBeGreaterThan(early(post));
  });

  it('logs the inner loss per step, the KL θ → φ and norms that bound one another', async () => {
    const l = await make({ innerSteps: 2, innerLr: 0.1 }, 5);
    const m = await l.metaTrainStep(family.sampleTasks(6, new Rng(11), 'train'));
    const losses = Object.keys(m).filter((k) => k.startsWith('losses/'));
    expect(losses.sort()).toEqual([
      'losses/inner_1',
      'losses/inner_2',
      'losses/inner_grad_norm',
      'losses/kl',
    ]);
    for (const k of losses) expect(Number.isFinite(m[k])).toBe(true);
    const [g, d, kl] = [m['losses/inner_grad_norm'], m['optim/adaptation_norm'], m['losses/kl']];
    expect(g).toBeGreaterThan(0);
    expect(kl).toBeGreaterThan(0);
    // ‖φ_t − θ‖ ≤ Σ_j α‖∇L_in(θ_j)‖ for each task, so mean_t ‖φ_t − θ‖ ≤ k·α·(mean gradient norm);
    // and the outer step ε·‖mean_t (φ_t − θ)‖ ≤ ε·mean_t ‖φ_t − θ‖.
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(2 * 0.1 * g * (1 + 1e-5));
    expect(m['optim/step_norm']).toBeLessThanOrEqual(0.5 * d * (1 + 1e-5));
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

  it('resumes from a checkpoint exactly as an uninterrupted run, annealing included', async () => {
    const tasksRng = new Rng(7);
    const ts = [0, 1, 2].map(() => family.sampleTasks(6, tasksRng, 'train'));
    const cfg = { annealIterations: 4, innerSteps: 2 };
    const a = await make(cfg, 3);
    await a.metaTrainStep(ts[0]);
    const saved = await a.saveState();
    const mA = [await a.metaTrainStep(ts[1]), await a.metaTrainStep(ts[2])];
    const b = await make(cfg, 99);
    await b.loadState(structuredClone(saved));
    const mB = [await b.metaTrainStep(ts[1]), await b.metaTrainStep(ts[2])];
    const noTime = (m: Record<string, number>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/')));
    expect(mB.map(noTime)).toStrictEqual(mA.map(noTime));
    expect(mA.map((m) => m['optim/outer_step_size'])).toEqual([0.5 * 0.75, 0.5 * 0.5]);
    expect(Array.from(b.theta)).toEqual(Array.from(a.theta));
    expect(saved.algo).toBe('reptile');
  });

  it('adapts with MAML’s inner steps (the same θ adapts the same under both learners)', async () => {
    const r = await make({}, 4);
    const maml = await getAlgo('maml').create({
      family,
      config: resolveHyper(getAlgo('maml'), family.id, {
        ...small,
        updateThreads: 1,
        innerLr: 0.5,
      }),
      seed: 4,
      workers: 0,
    });
    await r.metaTrainStep(family.sampleTasks(6, new Rng(8), 'train'));
    const c = await r.saveState();
    await maml.loadState({ ...c, algo: 'maml' });
    const task = family.sampleTasks(1, new Rng(10), 'test')[0];
    const budget = { steps: 2, episodesPerStage: 4, seed: 3 };
    expect((await r.adapt(task, budget)).returns).toEqual((await maml.adapt(task, budget)).returns);
    await maml.dispose();
  });

  it('refuses bad hyper-parameters naming the field', () => {
    const schema = getAlgo('reptile').configSchema;
    for (const bad of [-0.1, 0, Number.NaN, Number.POSITIVE_INFINITY, 2])
      expect(() => schema.parse({ outerStepSize: bad })).toThrow(/outerStepSize/);
    expect(() => schema.parse({ innerLr: -1 })).toThrow(/innerLr/);
    expect(() => schema.parse({ innerLr: Number.NaN })).toThrow(/innerLr/);
    expect(() => schema.parse({ innerSteps: 0 })).toThrow(/innerSteps/);
    expect(() => schema.parse({ annealIterations: 0 })).toThrow(/annealIterations/);
    expect(() => schema.parse({ maxKl: 0.01 })).toThrow(/maxKl/);
    expect(schema.parse({})).toMatchObject({ innerSteps: 3, outerStepSize: 0.5 });
  });

  it('takes MAML’s per-family defaults, larger steps on cart-pole, smaller on the reacher', () => {
    const spec = getAlgo('reptile');
    expect(resolveHyper(spec, 'point-nav')).toMatchObject({ innerLr: 0.5, outerStepSize: 0.5 });
    expect(resolveHyper(spec, 'reacher')).toMatchObject({ innerLr: 0.02, outerStepSize: 0.5 });
    expect(resolveHyper(spec, 'cheetah-vel')).toMatchObject({ innerLr: 0.1, outerStepSize: 0.5 });
    expect(resolveHyper(spec, 'cartpole')).toMatchObject({ innerLr: 1, outerStepSize: 1 });
    expect(resolveHyper(spec, 'cartpole', { innerLr: 0.3 })).toMatchObject({ innerLr: 0.3 });
    expect(resolveHyper(getAlgo('maml'), 'cartpole')).toMatchObject({ innerLr: 0.3 });
  });
});
