// The GRU policy's maths against an independent float64 reference (PyTorch's GRU
// equations), and its tfjs gradients — one cell, and a whole unrolled rollout (BPTT) —
// against central finite differences of that reference.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { Rng } from '../../src/core/rng';
import {
  GRU_PARAM_NAMES,
  type GruParams,
  gaussianLogProb,
  gruCell,
  gruRollout,
  gruRolloutGrads,
  initGruParams,
  paramList,
  paramsFromList,
} from '../../src/policies/gruPolicy';

type P64 = Record<string, { shape: number[]; v: Float64Array }>;
const I = 3;
const H = 4;
const A = 2;
const B = 2;

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 GRU step: r, z, n gates as in torch.nn.GRU. */
function refCell(p: P64, x: Float64Array, h: Float64Array): Float64Array {
  const out = new Float64Array(B * H);
  const wx = p.wx.v,
    bx = p.bx.v,
    wh = p.wh.v,
    bh = p.bh.v;
  for (let b = 0; b < B; b++) {
    const xp = new Float64Array(3 * H);
    const hp = new Float64Array(3 * H);
    for (let j = 0; j < 3 * H; j++) {
      let s = bx[j];
      for (let i = 0; i < I; i++) s += x[b * I + i] * wx[i * 3 * H + j];
      xp[j] = s;
      let u = bh[j];
      for (let k = 0; k < H; k++) u += h[b * H + k] * wh[k * 3 * H + j];
      hp[j] = u;
    }
    for (let j = 0; j < H; j++) {
      const r = sig(xp[j] + hp[j]);
      const z = sig(xp[H + j] + hp[H + j]);
      const n = Math.tanh(xp[2 * H + j] + r * hp[2 * H + j]);
      out[b * H + j] = (1 - z) * n + z * h[b * H + j];
    }
  }
  return out;
}

function refHeads(p: P64, h: Float64Array): { mean: Float64Array; value: Float64Array } {
  const mean = new Float64Array(B * A);
  const value = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let a = 0; a < A; a++) {
      let s = p.bMu.v[a];
      for (let k = 0; k < H; k++) s += h[b * H + k] * p.wMu.v[k * A + a];
      mean[b * A + a] = s;
    }
    let v = p.bV.v[0];
    for (let k = 0; k < H; k++) v += h[b * H + k] * p.wV.v[k];
    value[b] = v;
  }
  return { mean, value };
}

function toP64(p: GruParams): P64 {
  const o: P64 = {};
  for (const n of GRU_PARAM_NAMES)
    o[n] = { shape: [...p[n].shape], v: Float64Array.from(p[n].dataSync()) };
  return o;
}

/** Central differences of f over every parameter entry. */
function finiteDiff(p: P64, f: (p: P64) => number, eps = 1e-6): Record<string, Float64Array> {
  const g: Record<string, Float64Array> = {};
  for (const n of Object.keys(p)) {
    g[n] = new Float64Array(p[n].v.length);
    for (let i = 0; i < p[n].v.length; i++) {
      const keep = p[n].v[i];
      p[n].v[i] = keep + eps;
      const up = f(p);
      p[n].v[i] = keep - eps;
      const down = f(p);
      p[n].v[i] = keep;
      g[n][i] = (up - down) / (2 * eps);
    }
  }
  return g;
}

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (tol + tol * Math.abs(expected[i]));
    worst = Math.max(worst, err);
  }
  expect(worst, `${what}: worst scaled error`).toBeLessThan(1);
}

describe('GRU policy', () => {
  let params: GruParams;
  const rng = new Rng(7);
  const x = Float64Array.from({ length: B * I }, () => rng.normal());
  const h0 = Float64Array.from({ length: B * H }, () => 0.5 * rng.normal());
  const coef = Float64Array.from({ length: B * H }, () => rng.normal());

  beforeAll(async () => {
    await initBackend('cpu');
    // Larger-than-default weights so every gate is away from its linear regime.
    const init = initGruParams({ inputSize: I, actionSize: A, hiddenSize: H }, new Rng(3), -0.3);
    params = paramsFromList(
      paramList(init).map((t) =>
        tf.tidy(() => tf.add(tf.mul(t, 2), tf.randomNormal(t.shape, 0, 0.3, 'float32', 11))),
      ),
    );
    for (const t of paramList(init)) t.dispose();
  });

  it('cell forward matches the float64 reference', () => {
    const out = tf.tidy(() =>
      gruCell(
        params,
        tf.tensor2d(Float32Array.from(x), [B, I]),
        tf.tensor2d(Float32Array.from(h0), [B, H]),
      ).dataSync(),
    );
    expectClose(out, refCell(toP64(params), x, h0), 1e-5, 'h');
  });

  it('cell gradients match finite differences', () => {
    const grads = tf.tidy(() => {
      const f = (...ps: tf.Tensor[]) => {
        const p = paramsFromList(ps);
        const h = gruCell(
          p,
          tf.tensor2d(Float32Array.from(x), [B, I]),
          tf.tensor2d(Float32Array.from(h0), [B, H]),
        );
        return tf.sum(tf.mul(h, tf.tensor2d(Float32Array.from(coef), [B, H]))) as tf.Scalar;
      };
      // Only the four cell tensors reach h; list them alone.
      const cell = [params.wx, params.bx, params.wh, params.bh];
      const others = paramList(params).slice(4);
      return tf
        .grads((wx: tf.Tensor, bx: tf.Tensor, wh: tf.Tensor, bh: tf.Tensor) =>
          f(wx, bx, wh, bh, ...others),
        )(cell)
        .map((g) => g.dataSync());
    });
    const fd = finiteDiff(toP64(params), (p) =>
      refCell(p, x, h0).reduce((s, v, i) => s + v * coef[i], 0),
    );
    ['wx', 'bx', 'wh', 'bh'].forEach((n, j) => expectClose(grads[j], fd[n], 1e-4, `d/d${n}`));
  });

  it('rollout (BPTT over 5 steps) gradients, autograd and hand-written, match finite differences for every parameter', () => {
    const T = 5;
    const xs = Float64Array.from({ length: T * B * I }, () => rng.normal());
    const acts = Float64Array.from({ length: T * B * A }, () => rng.normal());
    const cv = Float64Array.from({ length: T * B }, () => rng.normal());
    // Loss: Σ log π(a_t | h_t) + Σ c_t · V(h_t), which touches every parameter.
    const refLoss = (p: P64): number => {
      let h: Float64Array = new Float64Array(B * H);
      let L = 0;
      for (let t = 0; t < T; t++) {
        h = refCell(p, xs.subarray(t * B * I, (t + 1) * B * I), h);
        const { mean, value } = refHeads(p, h);
        for (let b = 0; b < B; b++) {
          for (let a = 0; a < A; a++) {
            const ls = p.logStd.v[a];
            const z = (acts[(t * B + b) * A + a] - mean[b * A + a]) / Math.exp(ls);
            L += -0.5 * z * z - ls - 0.5 * Math.log(2 * Math.PI);
          }
          L += cv[t * B + b] * value[b];
        }
      }
      return L;
    };
    const { loss, grads } = tf.tidy(() => {
      const f = (...ps: tf.Tensor[]) => {
        const p = paramsFromList(ps);
        const { mean, value } = gruRollout(
          p,
          tf.tensor3d(Float32Array.from(xs), [T, B, I]),
          tf.zeros([B, H]),
        );
        const lp = gaussianLogProb(
          mean,
          p.logStd as tf.Tensor1D,
          tf.tensor2d(Float32Array.from(acts), [T * B, A]),
        );
        return tf.add(
          tf.sum(lp),
          tf.sum(tf.mul(value, tf.tensor1d(Float32Array.from(cv)))),
        ) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)(paramList(params));
      return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync()) };
    });
    // The hand-written BPTT used by the PPO update.
    const manual = tf.tidy(() => {
      const r = gruRolloutGrads(
        params,
        tf.tensor3d(Float32Array.from(xs), [T, B, I]),
        (mean, value, logStd) =>
          tf.add(
            tf.sum(gaussianLogProb(mean, logStd, tf.tensor2d(Float32Array.from(acts), [T * B, A]))),
            tf.sum(tf.mul(value, tf.tensor1d(Float32Array.from(cv)))),
          ) as tf.Scalar,
      );
      return {
        loss: r.loss.dataSync()[0],
        grads: GRU_PARAM_NAMES.map((n) => r.grads[n].dataSync()),
      };
    });
    const p64 = toP64(params);
    expect(Math.abs(loss - refLoss(p64))).toBeLessThan(1e-3 * (1 + Math.abs(loss)));
    expect(Math.abs(manual.loss - loss)).toBeLessThan(1e-4 * (1 + Math.abs(loss)));
    const fd = finiteDiff(p64, refLoss);
    GRU_PARAM_NAMES.forEach((n, j) => {
      expectClose(grads[j], fd[n], 2e-3, `autograd d/d${n}`);
      expectClose(manual.grads[j], fd[n], 2e-3, `hand-written BPTT d/d${n}`);
    });
  });
});
