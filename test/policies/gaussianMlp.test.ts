import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import {
  type GaussianMlpSpec,
  initParams,
  klFromFixedTf,
  logProbTf,
  meanTf,
  MlpMeanJs,
  numParams,
  paramLayout,
} from '../../src/policies/gaussianMlp';
import { initBackend } from '../../src/tf/backend';

beforeAll(async () => {
  await initBackend('wasm');
});

const spec: GaussianMlpSpec = {
  obsSize: 3,
  actSize: 2,
  hidden: [8, 5],
  activation: 'tanh',
  initStd: 0.7,
};

describe('Gaussian MLP policy', () => {
  it('lays out W0, b0, …, logStd in one vector and initialises them', () => {
    expect(paramLayout(spec).map((e) => e.name)).toEqual([
      'W0',
      'b0',
      'W1',
      'b1',
      'W2',
      'b2',
      'logStd',
    ]);
    expect(numParams(spec)).toBe(3 * 8 + 8 + 8 * 5 + 5 + 5 * 2 + 2 + 2);
    const theta = initParams(spec, new Rng(1));
    const logStd = paramLayout(spec).at(-1)!;
    expect(theta[logStd.offset]).toBeCloseTo(Math.log(0.7), 6);
    expect(Array.from(theta.subarray(24, 32)).every((b) => b === 0)).toBe(true);
    expect(Array.from(initParams(spec, new Rng(1)))).toEqual(Array.from(theta));
  });

  it('scales only the output layer by outputScale, from the same draws', () => {
    const plain = initParams(spec, new Rng(4));
    const scaled = initParams(spec, new Rng(4), 0.01);
    for (const e of paramLayout(spec)) {
      for (let i = e.offset; i < e.offset + e.size; i++) {
        if (e.name === 'W2') expect(scaled[i]).toBe(Math.fround(plain[i] * 0.01));
        else expect(scaled[i]).toBe(plain[i]);
      }
    }
    // The mean action starts near 0 from any state, where the plain init's does not.
    const maxMean = (t: Float32Array) =>
      tf.tidy(() => {
        const obs = tf.tensor2d([3, -2, 1, -4, 5, 0.5, 0, 0, 0], [3, 3]);
        return Math.max(...Array.from(meanTf(spec, tf.tensor1d(t), obs).dataSync(), Math.abs));
      });
    expect(maxMean(scaled)).toBeLessThan(0.02);
    expect(maxMean(plain)).toBeGreaterThan(0.1);
  });

  for (const activation of ['tanh', 'relu'] as const) {
    it(`JS acting forward equals the tfjs forward (${activation})`, () => {
      const s = { ...spec, activation };
      const rng = new Rng(2);
      const theta = initParams(s, rng);
      for (let i = 0; i < theta.length; i++) theta[i] += 0.1 * rng.normal();
      const obs = rng.fillNormal(new Float32Array(4 * 3)) as Float32Array;
      const js = new MlpMeanJs(s).forward(theta, obs, 4, new Float32Array(8));
      const t = tf.tidy(() =>
        Array.from(meanTf(s, tf.tensor1d(theta), tf.tensor2d(obs, [4, 3])).dataSync()),
      );
      for (let i = 0; i < 8; i++) expect(t[i]).toBeCloseTo(js[i], 5);
    });
  }

  for (const activation of ['tanh', 'relu'] as const) {
    it(`the prepared JS forward gives forwardOne's outputs exactly, zero inputs included (${activation})`, () => {
      // Odd widths (not multiples of the four outputs computed at a time), large weights so
      // ReLU zeroes many hidden units, exact zeros and a negative zero in the observations.
      const s = { ...spec, obsSize: 5, hidden: [7, 9], actSize: 3, activation };
      const rng = new Rng(3);
      const theta = initParams(s, rng);
      for (let i = 0; i < theta.length; i++) theta[i] += rng.normal();
      const obs = rng.fillNormal(new Float32Array(50 * 5)) as Float32Array;
      for (let i = 0; i < obs.length; i += 3) obs[i] = 0;
      obs[1] = -0;
      const policy = new MlpMeanJs(s);
      const prepared = policy.prepare(theta);
      const [a, b] = [new Float32Array(3), new Float32Array(3)];
      for (let r = 0; r < 50; r++) {
        policy.forwardOne(theta, obs, r * 5, a, 0);
        policy.forwardPrepared(prepared, obs, r * 5, b, 0);
        for (let k = 0; k < 3; k++) expect(Object.is(a[k], b[k])).toBe(true);
      }
      const logStd = policy.logStd(theta);
      expect(Array.from(prepared.std)).toEqual(Array.from(logStd, (x) => Math.exp(x)));
    });
  }

  it('log-likelihood and KL match the closed forms', () => {
    const rng = new Rng(4);
    const theta = initParams(spec, rng);
    const obs = rng.fillNormal(new Float32Array(3 * 3)) as Float32Array;
    const act = rng.fillNormal(new Float32Array(3 * 2)) as Float32Array;
    const mean = new MlpMeanJs(spec).forward(theta, obs, 3, new Float32Array(6));
    const ls = Math.log(0.7);
    const lp = tf.tidy(() =>
      Array.from(
        logProbTf(
          spec,
          tf.tensor1d(theta),
          tf.tensor2d(obs, [3, 3]),
          tf.tensor2d(act, [3, 2]),
        ).dataSync(),
      ),
    );
    for (let n = 0; n < 3; n++) {
      let want = 0;
      for (let k = 0; k < 2; k++)
        want +=
          -0.5 * ((act[2 * n + k] - mean[2 * n + k]) / 0.7) ** 2 - ls - 0.5 * Math.log(2 * Math.PI);
      expect(lp[n]).toBeCloseTo(want, 4);
    }
    // KL(old ‖ new) with old = same mean shifted by 0.3, log-std −0.2.
    const kl = tf.tidy(() => {
      const oldMean = tf.add(tf.tensor2d(mean, [3, 2]), 0.3) as tf.Tensor2D;
      return Array.from(
        klFromFixedTf(
          spec,
          oldMean,
          tf.tensor1d([-0.2, -0.2]),
          tf.tensor1d(theta),
          tf.tensor2d(obs, [3, 3]),
        ).dataSync(),
      );
    });
    const so = Math.exp(-0.2);
    const sn = 0.7;
    const want = 2 * (Math.log(sn / so) + (so * so + 0.09) / (2 * sn * sn) - 0.5);
    for (const v of kl) expect(v).toBeCloseTo(want, 4);
    const self = tf.tidy(() => {
      const t = tf.tensor1d(theta);
      const o = tf.tensor2d(obs, [3, 3]);
      return Array.from(
        klFromFixedTf(spec, meanTf(spec, t, o), tf.fill([2], ls) as tf.Tensor1D, t, o).dataSync(),
      );
    });
    for (const v of self) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it('rejects a bad spec with a clear message', () => {
    expect(() => initParams({ ...spec, hidden: [0] }, new Rng(1))).toThrow(/positive integers/);
    expect(() => initParams({ ...spec, initStd: -1 }, new Rng(1))).toThrow(/initStd/);
    expect(() => initParams(spec, new Rng(1), 0)).toThrow(/outputScale/);
    expect(() => initParams(spec, new Rng(1), Number.NaN)).toThrow(/outputScale/);
  });
});
