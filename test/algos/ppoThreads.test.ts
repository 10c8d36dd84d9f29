// RL²'s PPO gradients in plain JS against the tfjs reference (itself checked against
// finite differences in gruPolicy.test.ts), and the update split across threads: a
// minibatch's parts (each unrolled only as far as its own longest trial) must give the
// whole minibatch's gradient, and an update whose parts run on a worker thread must land
// where the one-thread update lands, reproducibly, without leaking tensors.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { Rng } from '../../src/core/rng';
import { Adam } from '../../src/algos/adam';
import {
  type PpoConfig,
  type PpoGradients,
  type PpoTrialData,
  assembleMinibatch,
  minibatchGradients,
  ppoUpdate,
  type PpoMinibatch,
} from '../../src/algos/ppo';
import { PpoWorker } from '../../src/algos/ppoPool';
import { gruWeights, ppoGradientsJs } from '../../src/policies/gruPolicyJs';
import {
  GRU_PARAM_NAMES,
  type GruParams,
  disposeParams,
  initGruParams,
  paramList,
} from '../../src/policies/gruPolicy';

const I = 5;
const A = 2;
const H = 8;
const N = 12;
const T = 30;

/** Trials of different lengths with random inputs, actions and advantages. */
function trialData(seed: number): {
  data: PpoTrialData;
  adv: Float32Array;
  targets: Float32Array;
} {
  const rng = new Rng(seed);
  const lengths = Int32Array.from({ length: N }, () => 5 + rng.int(T - 5 + 1));
  const mask = new Float32Array(N * T);
  for (let i = 0; i < N; i++) for (let t = 0; t < lengths[i]; t++) mask[i * T + t] = 1;
  const fill = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
  return {
    data: {
      numTrials: N,
      maxSteps: T,
      inputSize: I,
      actionSize: A,
      inputs: fill(N * T * I),
      actions: fill(N * T * A, 0.5),
      logProbs: fill(N * T, 0.3).map((x) => x - 1.5),
      mask,
      lengths,
    },
    adv: fill(N * T),
    targets: fill(N * T),
  };
}

/** Time-major minibatch of `trials` (advantages as given), as ppoUpdate assembles it. */
function minibatch(d: ReturnType<typeof trialData>, trials: number[], denom: number): PpoMinibatch {
  return assembleMinibatch(d.data, trials, d.adv, d.targets, { mean: 0, sd: 1, denom });
}

const cfg: PpoConfig = {
  epochs: 2,
  minibatches: 2,
  clip: 0.2,
  valueCoef: 0.5,
  entropyCoef: 0.01,
  maxGradNorm: 0.5,
  learningRate: 1e-2,
  targetKl: 0,
  gradients: 'js',
};

function freshParams(logStd = -0.5): GruParams {
  return initGruParams({ inputSize: I, actionSize: A, hiddenSize: H }, new Rng(7), logStd);
}

async function update(
  gradients: PpoGradients,
  threads: PpoWorker[],
): Promise<{ values: Float32Array[]; metrics: Record<string, number> }> {
  const d = trialData(3);
  const params = freshParams();
  const adam = new Adam(
    GRU_PARAM_NAMES.map((n) => [...params[n].shape]),
    cfg.learningRate,
  );
  const r = await ppoUpdate(
    params,
    adam,
    d.data,
    d.adv,
    d.targets,
    { ...cfg, gradients },
    new Rng(5),
    undefined,
    threads,
  );
  const values = paramList(r.params).map((t) => Float32Array.from(t.dataSync()));
  disposeParams(r.params);
  return { values, metrics: r.metrics };
}

/** Largest |a − b| over all parameters, and the largest |b| (the scale). */
function gap(a: Float32Array[], b: Float32Array[]): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  b.forEach((v, j) =>
    v.forEach((x, e) => {
      worst = Math.max(worst, Math.abs(a[j][e] - x));
      scale = Math.max(scale, Math.abs(x));
    }),
  );
  return { worst, scale };
}

describe('PPO gradients in plain JS, and the update on several threads', () => {
  let worker: PpoWorker;
  beforeAll(async () => {
    await initBackend('cpu');
    worker = new PpoWorker();
  });
  afterAll(async () => {
    await worker.close();
  });

  it('JS gradients and diagnostics equal the tfjs reference, clipped ratios and log σ bounds included', () => {
    const d = trialData(1);
    const trials = [0, 3, 4, 7, 8, 11];
    let denom = 0;
    for (const i of trials) denom += d.data.lengths[i];
    const mb = minibatch(d, trials, denom);
    // −0.5: log σ inside its range; 2: at the upper bound (the clip passes the gradient);
    // 3: above it (no gradient reaches log σ).
    for (const logStd of [-0.5, 2, 3]) {
      const params = freshParams(logStd);
      const ref = minibatchGradients(params, mb, cfg);
      const js = ppoGradientsJs(gruWeights(params), mb, cfg);
      const { worst, scale } = gap(js.grads, ref.grads);
      expect(scale).toBeGreaterThan(1e-3);
      expect(worst).toBeLessThan(2e-5 * scale);
      js.side.forEach((v, k) => expect(v).toBeCloseTo(ref.side[k], 4));
      // Both branches of the clipped objective are exercised (at log σ = −0.5, 80% clipped).
      if (logStd < 0) {
        expect(ref.side[4]).toBeGreaterThan(0.05);
        expect(ref.side[4]).toBeLessThan(0.95);
      }
      const ls = GRU_PARAM_NAMES.indexOf('logStd');
      if (logStd > 2) expect(Array.from(js.grads[ls])).toEqual([0, 0]);
      else expect(Math.abs(js.grads[ls][0])).toBeGreaterThan(0);
      disposeParams(params);
    }
  });

  it("parts of a minibatch add up to the whole minibatch's gradient and diagnostics", () => {
    const d = trialData(1);
    const trials = [0, 3, 4, 7, 8, 11];
    let denom = 0;
    for (const i of trials) denom += d.data.lengths[i];
    const params = freshParams();
    const w = gruWeights(params);
    const whole = ppoGradientsJs(w, minibatch(d, trials, denom), cfg);
    const a = ppoGradientsJs(w, minibatch(d, trials.slice(0, 2), denom), cfg);
    // The entropy bonus depends on log σ alone: one part carries it.
    const b = ppoGradientsJs(w, minibatch(d, trials.slice(2), denom), { ...cfg, entropyCoef: 0 });
    const sum = a.grads.map((g, j) => g.map((x, e) => x + b.grads[j][e]));
    const { worst, scale } = gap(sum, whole.grads);
    expect(worst).toBeLessThan(1e-6 * scale);
    for (const s of [0, 1, 3, 4]) expect(a.side[s] + b.side[s]).toBeCloseTo(whole.side[s], 6);
    expect(a.side[2]).toBeCloseTo(whole.side[2], 6);
    disposeParams(params);
  });

  it('lands where the one-thread update lands, reproducibly, and leaks no tensors', async () => {
    const p0 = freshParams();
    const init = paramList(p0).map((t) => Float32Array.from(t.dataSync()));
    disposeParams(p0);
    const before = tf.memory().numTensors;
    const one = await update('js', []);
    const two = await update('js', [worker]);
    const again = await update('js', [worker]);
    const reference = await update('tfjs', []);
    const referenceTwo = await update('tfjs', [worker]);
    expect(tf.memory().numTensors).toBe(before);
    // The update moved the parameters by ~4e-2 (so agreeing is not trivial).
    expect(gap(one.values, init).worst).toBeGreaterThan(1e-2);
    // Same maths, sums in another order: float rounding only (counting the entropy bonus
    // once per part instead gives 1.5e-4).
    expect(gap(two.values, one.values).worst).toBeLessThan(1e-6);
    expect(again.values).toEqual(two.values);
    // float64 JS against float32 tfjs, on one thread and on two.
    expect(gap(one.values, reference.values).worst).toBeLessThan(1e-5);
    expect(gap(referenceTwo.values, reference.values).worst).toBeLessThan(1e-6);
    for (const k of Object.keys(one.metrics)) {
      expect(two.metrics[k]).toBeCloseTo(one.metrics[k], 5);
      expect(reference.metrics[k]).toBeCloseTo(one.metrics[k], 3);
    }
  });

  it("rejects with the worker's error when its part fails", async () => {
    const d = trialData(2);
    const bad = { ...minibatch(d, [0, 1], 10), inputs: new Float32Array(3) };
    const p = freshParams();
    await expect(worker.gradients(gruWeights(p), bad, cfg, 'tfjs')).rejects.toThrow(
      /PPO gradient worker failed/,
    );
    disposeParams(p);
  });
});
