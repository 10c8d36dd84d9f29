// The higher-order-safe ops: second derivatives against closed forms, and proof that the
// test has teeth (tfjs's own tanh/sigmoid/exp fail the same check).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { exp, matMul, sigmoid, tanh } from '../../src/tf/ops';

beforeAll(async () => {
  await initBackend('wasm');
});

const xs = [-1.7, -0.6, -0.1, 0.3, 0.9, 1.4];

/** d²/dx² Σ x·f(x) by nested tf.grad, per element (the product keeps a path to x that tfjs's ops do not break, so they give a silently wrong answer rather than an error). */
function secondDerivative(f: (x: tf.Tensor) => tf.Tensor): number[] {
  return tf.tidy(() => {
    const d1 = (x: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(tf.mul(y, f(y))))(x);
    const d2 = tf.grad((x: tf.Tensor) => tf.sum(d1(x)))(tf.tensor1d(xs));
    return Array.from(d2.dataSync());
  });
}

function maxRelErr(got: number[], want: number[]): number {
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]) / Math.max(1e-3, Math.abs(want[i]))));
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
// f, f', f'' in closed form; d²/dx² [x f(x)] = x f''(x) + 2 f'(x).
const cases: {
  name: string;
  mine: (x: tf.Tensor) => tf.Tensor;
  builtin: (x: tf.Tensor) => tf.Tensor;
  d1: (x: number) => number;
  d2: (x: number) => number;
}[] = [
  {
    name: 'tanh',
    mine: tanh,
    builtin: tf.tanh,
    d1: (x) => 1 - Math.tanh(x) ** 2,
    d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
  },
  {
    name: 'sigmoid',
    mine: sigmoid,
    builtin: tf.sigmoid,
    d1: (x) => sig(x) * (1 - sig(x)),
    d2: (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
  },
  { name: 'exp', mine: exp, builtin: tf.exp, d1: Math.exp, d2: Math.exp },
];

describe('higher-order-safe activations', () => {
  for (const c of cases) {
    it(`${c.name}: value and first derivative match tfjs`, () => {
      const [v1, v2, g1, g2] = tf.tidy(() => {
        const x = tf.tensor1d(xs);
        return [
          c.mine(x),
          c.builtin(x),
          tf.grad((y: tf.Tensor) => tf.sum(c.mine(y)))(x),
          tf.grad((y: tf.Tensor) => tf.sum(c.builtin(y)))(x),
        ].map((t) => Array.from(t.dataSync()));
      });
      expect(maxRelErr(v1, v2)).toBeLessThan(1e-5);
      expect(maxRelErr(g1, g2)).toBeLessThan(1e-5);
    });

    it(`${c.name}: second derivative is right, where tfjs's own is wrong`, () => {
      const want = xs.map((x) => x * c.d2(x) + 2 * c.d1(x));
      expect(maxRelErr(secondDerivative(c.mine), want)).toBeLessThan(1e-4);
      // The built-in op loses the link from its saved output to the input (tfjs #3252).
      expect(maxRelErr(secondDerivative(c.builtin), want)).toBeGreaterThan(0.1);
    });
  }

  it('matMul: gradients equal tf.matMul, Hessian-vector product equals finite differences', () => {
    const A0 = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25];
    const B0 = [0.2, 0.7, -0.3, 0.45, 0.15, -0.6];
    const V = [0.5, -0.1, 0.3, 0.2, -0.7, 0.4];
    // f(A) = Σ tanh(A·B)²; the HVP needs second derivatives through matMul and tanh.
    const f = (a: tf.Tensor, mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) =>
      tf.sum(tf.square(tanh(mm(a as tf.Tensor2D, tf.tensor2d(B0, [3, 2])))));
    const grad = (a: tf.Tensor, mm: typeof matMul) => tf.grad((x: tf.Tensor) => f(x, mm))(a);
    const [gMine, gTf, hvp] = tf.tidy(() => {
      const a = tf.tensor2d(A0, [2, 3]);
      const v = tf.tensor2d(V, [2, 3]);
      const h = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(grad(x, matMul), v)))(a);
      return [grad(a, matMul), grad(a, (p, q) => tf.matMul(p, q)), h].map((t) =>
        Array.from(t.dataSync()),
      );
    });
    expect(maxRelErr(gMine, gTf)).toBeLessThan(1e-5);
    const eps = 1e-2;
    const fd = tf.tidy(() => {
      const plus = grad(
        tf.tensor2d(
          A0.map((a, i) => a + eps * V[i]),
          [2, 3],
        ),
        matMul,
      );
      const minus = grad(
        tf.tensor2d(
          A0.map((a, i) => a - eps * V[i]),
          [2, 3],
        ),
        matMul,
      );
      return Array.from(tf.div(tf.sub(plus, minus), 2 * eps).dataSync());
    });
    expect(maxRelErr(hvp, fd)).toBeLessThan(5e-3);
  });

  it('leaves no tensors behind', () => {
    secondDerivative(tanh);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) secondDerivative(tanh);
    expect(tf.memory().numTensors).toBe(before);
  });
});
