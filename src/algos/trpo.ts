// TRPO's pieces on plain vectors (Schulman et al. 2015, as in pytorch-maml-rl): conjugate
// gradient to solve H x = g with H given only as a product, the step scaled to the KL
// radius, and a backtracking line search that accepts a step only if the surrogate loss
// falls and the KL stays within max-KL. Float64 vectors: they are small (θ has thousands
// of entries) and CG loses accuracy fast in float32.

export type Vec = Float64Array;

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Solve H x = b by `iters` conjugate-gradient iterations (stops early below `tol` residual²). */
export async function conjugateGradient(
  hvp: (v: Vec) => Promise<Vec> | Vec,
  b: ArrayLike<number>,
  iters = 10,
  tol = 1e-10,
): Promise<Vec> {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  let rr = dot(r, r);
  for (let i = 0; i < iters; i++) {
    if (rr < tol) break;
    const z = await hvp(p);
    const alpha = rr / dot(p, z);
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * z[k];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    for (let k = 0; k < n; k++) p[k] = r[k] + beta * p[k];
    rr = rrNew;
  }
  return x;
}

export interface LineSearchResult {
  accepted: boolean;
  /** Fraction of the full step taken (0 when rejected). */
  fraction: number;
  tries: number;
  loss: number;
  kl: number;
}

/**
 * Try θ − f·step for f = 1, r, r², … (up to `maxSteps`); accept the first with a lower
 * loss and KL < maxKl. `evaluate` returns the loss and KL at a candidate. On failure the
 * caller keeps θ (pytorch-maml-rl restores the old parameters the same way).
 */
export async function backtrackingLineSearch(
  evaluate: (fraction: number) => Promise<{ loss: number; kl: number }>,
  oldLoss: number,
  maxKl: number,
  maxSteps = 15,
  ratio = 0.8,
): Promise<LineSearchResult> {
  let fraction = 1;
  let last = { loss: oldLoss, kl: 0 };
  for (let i = 0; i < maxSteps; i++) {
    last = await evaluate(fraction);
    if (last.loss - oldLoss < 0 && last.kl < maxKl && Number.isFinite(last.loss)) {
      return { accepted: true, fraction, tries: i + 1, loss: last.loss, kl: last.kl };
    }
    fraction *= ratio;
  }
  return { accepted: false, fraction: 0, tries: maxSteps, loss: last.loss, kl: last.kl };
}
