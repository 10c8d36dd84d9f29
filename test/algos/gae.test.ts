import { describe, expect, it } from 'vitest';
import { centreInPlace, discountedReturns, gae, normalizeInPlace } from '../../src/algos/gae';
import { LinearFeatureBaseline } from '../../src/algos/linearBaseline';
import { Rng } from '../../src/core/rng';

describe('discounted returns and GAE', () => {
  it('match hand-computed values', () => {
    // γ = 0.9: G2 = 3, G1 = 2 + 0.9·3, G0 = 1 + 0.9·4.7.
    expect(Array.from(discountedReturns([1, 2, 3], 0.9))).toEqual([5.23, 4.7, 3].map(Math.fround));
    // δ = [1 + 0.9·1 − 0.5, 2 + 0.9·1.5 − 1, 3 − 1.5] = [1.4, 2.35, 1.5]; γλ = 0.72.
    const a = gae([1, 2, 3], [0.5, 1, 1.5], 0.9, 0.8);
    expect(a[2]).toBeCloseTo(1.5, 6);
    expect(a[1]).toBeCloseTo(2.35 + 0.72 * 1.5, 6);
    expect(a[0]).toBeCloseTo(1.4 + 0.72 * (2.35 + 0.72 * 1.5), 5);
  });

  it('with λ = 1 equals returns minus values; a bootstrap value is discounted in', () => {
    const r = [0.3, -1, 2, 0.5];
    const v = [0.1, 0.2, -0.3, 0.4];
    const G = discountedReturns(r, 0.95);
    const A = gae(r, v, 0.95, 1);
    for (let t = 0; t < r.length; t++) expect(A[t]).toBeCloseTo(G[t] - v[t], 5);
    const boot = gae([1], [0], 0.5, 1, 4);
    expect(boot[0]).toBeCloseTo(1 + 0.5 * 4, 6);
  });

  it('normalises to zero mean and unit std', () => {
    const x = normalizeInPlace(Float32Array.from([1, 2, 3, 4]));
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
    expect(x[3]).toBeCloseTo(1.5 / Math.sqrt(1.25), 4);
  });

  it('centres to zero mean and keeps the spread', () => {
    expect(Array.from(centreInPlace(Float32Array.from([1, 2, 3, 6])))).toEqual([-2, -1, 0, 3]);
    expect(centreInPlace(new Float32Array(0)).length).toBe(0);
  });
});

describe('linear feature baseline', () => {
  it('predicts w·[s, s², t/100, (t/100)², (t/100)³, 1] (hand-computed)', () => {
    const b = new LinearFeatureBaseline(1);
    b.weights = Float64Array.from([2, -1, 3, 5, 7, 0.5]);
    const ep = { obs: Float32Array.from([0, 0, 0, 0.5]), length: 4 };
    const v = b.predict(ep);
    // t = 3, s = 0.5: 2·0.5 − 0.25 + 3·0.03 + 5·0.0009 + 7·0.000027 + 0.5
    expect(v[3]).toBeCloseTo(1 - 0.25 + 0.09 + 0.0045 + 0.000189 + 0.5, 5);
    // Observations beyond ±10 are clipped: s = 10 and s² = 100.
    const clipped = b.predict({ obs: Float32Array.from([50]), length: 1 });
    expect(clipped[0]).toBeCloseTo(2 * 10 - 100 + 0.5, 4);
  });

  it('recovers a target that is linear in the features', () => {
    const rng = new Rng(3);
    const w = [0.7, -1.2, 0.4, 2.0, -0.8, 1.5, -3, 0.25];
    const eps = [];
    const rets = [];
    for (let e = 0; e < 4; e++) {
      const L = 30;
      const obs = new Float32Array(L * 2);
      const ret = new Float32Array(L);
      for (let t = 0; t < L; t++) {
        const s0 = rng.uniformRange(-1, 1);
        const s1 = rng.uniformRange(-1, 1);
        obs[2 * t] = s0;
        obs[2 * t + 1] = s1;
        const a = t / 100;
        ret[t] =
          w[0] * s0 +
          w[1] * s1 +
          w[2] * s0 * s0 +
          w[3] * s1 * s1 +
          w[4] * a +
          w[5] * a * a +
          w[6] * a * a * a +
          w[7];
      }
      eps.push({ obs, length: L });
      rets.push(ret);
    }
    const b = new LinearFeatureBaseline(2);
    b.fit(eps, rets);
    for (let e = 0; e < eps.length; e++) {
      const v = b.predict(eps[e]);
      for (let t = 0; t < v.length; t++) expect(v[t]).toBeCloseTo(rets[e][t], 2);
    }
  });

  it('names the problem when data are not finite', () => {
    const b = new LinearFeatureBaseline(1);
    expect(() => b.fit([{ obs: Float32Array.from([NaN]), length: 1 }], [[1]])).toThrow(
      /LinearFeatureBaseline/,
    );
  });
});
