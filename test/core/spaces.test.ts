import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Box } from '../../src/core/spaces';
import { Rng } from '../../src/core/rng';

describe('Box', () => {
  it('samples inside finite bounds and reports contains', () => {
    const b = new Box([-1, 0, 2], [1, 0.5, 3]);
    const r = new Rng(0);
    for (let i = 0; i < 1000; i++) expect(b.contains(b.sample(r))).toBe(true);
    expect(b.contains([0, 0.6, 2.5])).toBe(false);
    expect(b.contains([0, 0.1])).toBe(false);
    expect(b.contains([NaN, 0.1, 2.5])).toBe(false);
  });

  it('clips any vector into the box', () => {
    const b = new Box(-0.1, 0.1, 2);
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { minLength: 2, maxLength: 2 }), (x) =>
        b.contains(b.clip(x)),
      ),
    );
    expect(Array.from(b.clip([0.5, -0.05]))).toEqual([Math.fround(0.1), Math.fround(-0.05)]);
  });

  it('samples unbounded dimensions from a normal', () => {
    const b = new Box(-Infinity, Infinity, 3);
    const x = b.sample(new Rng(1));
    expect(x.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('rejects inverted bounds', () => {
    expect(() => new Box([1], [0])).toThrow(/low\[0\]/);
  });
});
