import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/core/rng';

describe('Rng', () => {
  it('gives the same numbers for the same seed and different ones for another', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.uniform());
    const xb = Array.from({ length: 20 }, () => b.uniform());
    const xc = Array.from({ length: 20 }, () => c.uniform());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('restores from a saved state mid-stream, including the cached normal', () => {
    const a = new Rng(7);
    a.normal(); // leaves a spare
    const saved = a.getState();
    const next = [a.normal(), a.uniform(), a.normal()];
    const b = Rng.fromState(JSON.parse(JSON.stringify(saved)));
    expect([b.normal(), b.uniform(), b.normal()]).toEqual(next);
  });

  it('splits into streams that differ from the parent and from each other, reproducibly', () => {
    const p1 = new Rng(1);
    const c1 = p1.split();
    const c2 = p1.split();
    const p2 = new Rng(1);
    const d1 = p2.split();
    const s1 = Array.from({ length: 10 }, () => c1.uniform());
    const s2 = Array.from({ length: 10 }, () => c2.uniform());
    const sp = Array.from({ length: 10 }, () => p1.uniform());
    expect(s1).not.toEqual(s2);
    expect(s1).not.toEqual(sp);
    expect(Array.from({ length: 10 }, () => d1.uniform())).toEqual(s1);
  });

  it('draws uniforms in [0,1) and integers in range for any seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const r = new Rng(seed);
        for (let i = 0; i < 50; i++) {
          const u = r.uniform();
          const k = r.int(n);
          if (!(u >= 0 && u < 1) || !(Number.isInteger(k) && k >= 0 && k < n)) return false;
        }
        return true;
      }),
    );
  });

  it('draws normals with mean 0 and variance 1', () => {
    const r = new Rng(3);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
  });

  it('rejects a non-integer seed with a clear error', () => {
    expect(() => new Rng(1.5)).toThrow(/integer/);
  });
});
