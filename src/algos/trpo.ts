// TRPO on plain vectors (Schulman et al. 2015, as in pytorch-maml-rl): conjugate
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

/** What a TRPO step asks of the learner: the surrogate's gradient, curvature products and objective. */
export interface TrpoOracle {
  /** The surrogate loss and its gradient at the current parameters. */
  gradient(): Promise<{ loss: number; grad: Vec }>;
  /** The damped curvature (the Hessian of the mean KL) times v. */
  curvature(v: Vec): Promise<Vec>;
  /** The surrogate loss and mean KL at candidate parameters. */
  objective(theta: Float32Array): Promise<{ loss: number; kl: number }>;
}

export interface TrpoSettings {
  maxKl: number;
  cgIters: number;
  lsMaxSteps: number;
  lsBacktrack: number;
}

/**
 * One TRPO step from θ: the natural-gradient direction by conjugate gradient, scaled to
 * the KL radius, then the backtracking line search. Returns the new θ (θ itself when the
 * search rejects every step) and the step's metrics. `onCgIteration(i)` reports CG progress.
 */
export async function trpoStep(
  theta: Float32Array,
  oracle: TrpoOracle,
  s: TrpoSettings,
  onCgIteration?: (i: number) => void,
): Promise<{ theta: Float32Array; metrics: Record<string, number> }> {
  const { loss: oldLoss, grad } = await oracle.gradient();
  let cgDone = 0;
  const stepDir = await conjugateGradient(
    (v) => {
      onCgIteration?.(++cgDone);
      return oracle.curvature(v);
    },
    grad,
    s.cgIters,
  );
  const shs = 0.5 * dot(stepDir, await oracle.curvature(stepDir));
  const scale = shs > 0 ? 1 / Math.sqrt(shs / s.maxKl) : 0;
  const candidate = (f: number) => {
    const c = new Float32Array(theta.length);
    for (let i = 0; i < c.length; i++) c[i] = theta[i] - f * scale * stepDir[i];
    return c;
  };
  const ls = await backtrackingLineSearch(
    (f) => oracle.objective(candidate(f)),
    oldLoss,
    s.maxKl,
    s.lsMaxSteps,
    s.lsBacktrack,
  );
  return {
    theta: ls.accepted ? candidate(ls.fraction) : theta,
    metrics: {
      'losses/surrogate': oldLoss,
      'losses/surrogate_after': ls.accepted ? ls.loss : oldLoss,
      'losses/kl': ls.accepted ? ls.kl : 0,
      'losses/grad_norm': Math.sqrt(dot(grad, grad)),
      'optim/step_fraction': ls.fraction,
      'optim/ls_tries': ls.tries,
      'optim/accepted': ls.accepted ? 1 : 0,
    },
  };
}
