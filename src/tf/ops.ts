// Differentiable ops whose higher-order gradients are correct, for meta-learning (MAML's
// second-order meta-gradient, TRPO's Hessian-vector products).
//
// Why not tf.tanh / tf.sigmoid / tf.exp: their gradients read a *saved copy of the
// output*, and that copy is made before the op's own tape node exists, so a second
// differentiation cannot follow it back to the input: tfjs silently drops the term
// (tfjs #3252; a tanh MAML meta-gradient came out ~20% wrong). Each op below is a
// tf.customGrad that saves its *input* (whose copy is taped after the input's own node,
// so it stays linked) and writes its gradient in terms of it with these same ops, so
// every derivative order is followed. (Closing over the input instead of saving it does
// not work: intermediates are disposed before the backward pass runs.)
//
// matMul is here for speed: on the wasm backend a matMul with transposeA/transposeB runs
// ~7× slower than an explicit transpose followed by a plain matMul (XNNPACK only takes the
// plain layout), and tfjs's own MatMul gradient uses the transposed forms.
import * as tf from '@tensorflow/tfjs';

type Grad1 = (x: tf.Tensor) => tf.Tensor;
type Save = (ts: tf.Tensor[]) => void;

/** tf.customGrad with typed arguments. */
function custom1(
  f: (
    x: tf.Tensor,
    save: Save,
  ) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor },
) {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
}
function custom2(
  f: (
    a: tf.Tensor,
    b: tf.Tensor,
    save: Save,
  ) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] },
) {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
}

const tanhImpl = custom1((x, save) => {
  save([x]);
  // 2σ(2x) − 1 is tanh exactly, and ~4× faster than tf.tanh on the wasm backend.
  const value =
    tf.getBackend() === 'wasm' ? tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) : tf.tanh(x);
  return { value, gradFunc: (dy, [xs]) => tf.mul(dy, tf.sub(1, tf.square(tanh(xs)))) };
}) as unknown as Grad1;

const sigmoidImpl = custom1((x, save) => {
  save([x]);
  return {
    value: tf.sigmoid(x),
    gradFunc: (dy, [xs]) => {
      const s = sigmoid(xs);
      return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
    },
  };
}) as unknown as Grad1;

const expImpl = custom1((x, save) => {
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy, [xs]) => tf.mul(dy, exp(xs)) };
}) as unknown as Grad1;

const matMulImpl = custom2((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [as, bs]) => [
      matMul(dy as tf.Tensor2D, tf.transpose(bs) as tf.Tensor2D),
      matMul(tf.transpose(as) as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
}) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** tanh with correct derivatives of every order. */
export function tanh<T extends tf.Tensor>(x: T): T {
  return tanhImpl(x) as T;
}

/** Logistic sigmoid with correct derivatives of every order. */
export function sigmoid<T extends tf.Tensor>(x: T): T {
  return sigmoidImpl(x) as T;
}

/** exp with correct derivatives of every order (the Gaussian policy's std, TRPO's ratio). */
export function exp<T extends tf.Tensor>(x: T): T {
  return expImpl(x) as T;
}

/** ReLU: tfjs's own gradient reads the saved *input*, which stays linked, so it is exact as is. */
export function relu<T extends tf.Tensor>(x: T): T {
  return tf.relu(x);
}

/** 2-D matrix product, fast on wasm and exact to every derivative order. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulImpl(a, b) as tf.Tensor2D;
}

export type Activation = 'tanh' | 'relu';
export const ACTIVATIONS: Record<Activation, <T extends tf.Tensor>(x: T) => T> = { tanh, relu };
