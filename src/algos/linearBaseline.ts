// The linear feature baseline of the MAML paper (rllab's LinearFeatureBaseline, also in
// pytorch-maml-rl): V(s_t) = w·φ(s_t, t) with φ = [s, s², t/100, (t/100)², (t/100)³, 1]
// (s clipped to ±10), fitted per task to the discounted returns by ridge-regularised least
// squares. The ridge starts at 1e-5 and grows ×10 while the solve fails, as in rllab.
// Float64 throughout: the normal equations are small (2·obs+4 square) but ill-conditioned.
// Observation rows may be wider than s (`stride`): a policy's latent inputs follow the env's
// observation and stay out of the features, so the advantages keep the latent's effect.

export interface BaselineEpisode {
  obs: Float32Array;
  length: number;
}

export function featureCount(obsSize: number): number {
  return 2 * obsSize + 4;
}

function features(
  ep: BaselineEpisode,
  obsSize: number,
  stride: number,
  t: number,
  out: Float64Array,
): void {
  for (let k = 0; k < obsSize; k++) {
    const v = Math.max(-10, Math.min(10, ep.obs[t * stride + k]));
    out[k] = v;
    out[obsSize + k] = v * v;
  }
  const a = t / 100;
  out[2 * obsSize] = a;
  out[2 * obsSize + 1] = a * a;
  out[2 * obsSize + 2] = a * a * a;
  out[2 * obsSize + 3] = 1;
}

/** Solve (A + ridge·I) w = b by Cholesky; null if not positive definite or not finite. */
function solveRidge(
  A: Float64Array,
  b: Float64Array,
  n: number,
  ridge: number,
): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * w[k];
    w[i] = s / L[i * n + i];
  }
  return w.every(Number.isFinite) ? w : null;
}

export class LinearFeatureBaseline {
  weights: Float64Array;

  constructor(
    readonly obsSize: number,
    readonly regCoeff = 1e-5,
    /** Width of an episode's observation rows (≥ obsSize; the features read the first obsSize). */
    readonly stride = obsSize,
  ) {
    if (!Number.isInteger(stride) || stride < obsSize)
      throw new Error(
        `LinearFeatureBaseline: stride must be an integer ≥ ${obsSize}, got ${stride}`,
      );
    this.weights = new Float64Array(featureCount(obsSize));
  }

  /** Fit to the returns of the given episodes (`returns[i]` has one entry per step of episode i). */
  fit(episodes: BaselineEpisode[], returns: ArrayLike<number>[]): void {
    const n = featureCount(this.obsSize);
    const A = new Float64Array(n * n);
    const b = new Float64Array(n);
    const phi = new Float64Array(n);
    for (let e = 0; e < episodes.length; e++) {
      const ep = episodes[e];
      for (let t = 0; t < ep.length; t++) {
        features(ep, this.obsSize, this.stride, t, phi);
        const g = returns[e][t];
        for (let i = 0; i < n; i++) {
          b[i] += phi[i] * g;
          for (let j = 0; j <= i; j++) A[i * n + j] += phi[i] * phi[j];
        }
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[j * n + i] = A[i * n + j];
    let ridge = this.regCoeff;
    for (let attempt = 0; attempt < 5; attempt++) {
      const w = solveRidge(A, b, n, ridge);
      if (w) {
        this.weights = w;
        return;
      }
      ridge *= 10;
    }
    throw new Error(
      'LinearFeatureBaseline: the least-squares fit failed even with a large ridge (non-finite data?)',
    );
  }

  /** V for every step of an episode. */
  predict(ep: BaselineEpisode, out = new Float32Array(ep.length)): Float32Array {
    const n = featureCount(this.obsSize);
    const phi = new Float64Array(n);
    for (let t = 0; t < ep.length; t++) {
      features(ep, this.obsSize, this.stride, t, phi);
      let v = 0;
      for (let i = 0; i < n; i++) v += this.weights[i] * phi[i];
      out[t] = v;
    }
    return out;
  }
}
