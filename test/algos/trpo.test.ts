import { describe, expect, it } from 'vitest';
import { backtrackingLineSearch, conjugateGradient, dot } from '../../src/algos/trpo';
import { Rng } from '../../src/core/rng';

describe('conjugate gradient', () => {
  it('solves a 2×2 SPD system exactly in two iterations (hand-computed)', async () => {
    // [[4, 1], [1, 3]] x = [1, 2]  →  x = [1/11, 7/11]
    const A = [
      [4, 1],
      [1, 3],
    ];
    const x = await conjugateGradient(
      (v) => Float64Array.from(A.map((row) => dot(row, v))),
      [1, 2],
      2,
    );
    expect(x[0]).toBeCloseTo(1 / 11, 10);
    expect(x[1]).toBeCloseTo(7 / 11, 10);
  });

  it('solves a random 30×30 SPD system to high accuracy', async () => {
    const rng = new Rng(2);
    const n = 30;
    const B = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    // A = BᵀB + I is SPD.
    const A = Array.from({ length: n }, (_, i) =>
      Array.from(
        { length: n },
        (_, j) => B.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? 1 : 0),
      ),
    );
    const xTrue = Array.from({ length: n }, () => rng.normal());
    const b = A.map((row) => dot(row, xTrue));
    const x = await conjugateGradient(
      (v) => Float64Array.from(A.map((row) => dot(row, v))),
      b,
      200,
      1e-20,
    );
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(xTrue[i], 5);
  });
});

describe('backtracking line search', () => {
  it('takes the first step that lowers the loss within the KL radius', async () => {
    // loss(f) = (f − 0.3)², kl(f) = f²/10; at f = 1: loss 0.49 > 0.09 (old), at 0.8: 0.25, at 0.64: 0.1156, at 0.512: 0.045 ✓
    const r = await backtrackingLineSearch(
      async (f) => ({ loss: (f - 0.3) ** 2, kl: (f * f) / 10 }),
      0.09,
      0.05,
      15,
      0.8,
    );
    expect(r.accepted).toBe(true);
    expect(r.fraction).toBeCloseTo(0.512, 10);
    expect(r.tries).toBe(4);
  });

  it('rejects when no step improves', async () => {
    const r = await backtrackingLineSearch(async () => ({ loss: 1, kl: 0 }), 0.5, 0.01, 5);
    expect(r.accepted).toBe(false);
    expect(r.fraction).toBe(0);
  });
});
