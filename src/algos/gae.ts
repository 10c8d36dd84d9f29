// Discounted returns and generalised advantage estimation (Schulman et al. 2016) for one
// episode. The episode's end counts as value 0, whether terminated or cut by the horizon,
// as in rllab and pytorch-maml-rl (the MAML paper's code), so results compare with them.

/** G_t = Σ_k γ^k r_{t+k}, into `out`. */
export function discountedReturns(
  rewards: ArrayLike<number>,
  gamma: number,
  out = new Float32Array(rewards.length),
): Float32Array {
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

/**
 * A_t = Σ_k (γλ)^k δ_{t+k}, δ_t = r_t + γ V_{t+1} − V_t, with V after the last step =
 * `lastValue` (0 by default). `values` has one entry per step.
 */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  gamma: number,
  lambda: number,
  lastValue = 0,
  out = new Float32Array(rewards.length),
): Float32Array {
  if (values.length !== rewards.length)
    throw new Error(`gae: ${rewards.length} rewards but ${values.length} values`);
  let adv = 0;
  let next = lastValue;
  for (let t = rewards.length - 1; t >= 0; t--) {
    const delta = rewards[t] + gamma * next - values[t];
    adv = delta + gamma * lambda * adv;
    out[t] = adv;
    next = values[t];
  }
  return out;
}

/** x − mean over all entries, in place. */
export function centreInPlace(x: Float32Array): Float32Array {
  if (x.length === 0) return x;
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  for (let i = 0; i < x.length; i++) x[i] -= m;
  return x;
}

/** (x − mean) / (std + 1e-8) over all entries, in place: the advantage normalisation of pytorch-maml-rl. */
export function normalizeInPlace(x: Float32Array): Float32Array {
  if (x.length === 0) return x;
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  const s = Math.sqrt(v / x.length) + 1e-8;
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - m) / s;
  return x;
}
