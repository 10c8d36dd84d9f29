// Downloading a tensor's values from a tf.tidy. A tidy walks everything its function
// returns looking for tensors to keep, key by key, and a typed array is walked element by
// element: returning a parameter-sized Float32Array from a tidy cost more than the matrix
// products that computed it. So the tidy returns the tensor, and its values are read after.
import * as tf from '@tensorflow/tfjs';

/** The values of the tensor `f` computes inside a tidy (every other tensor it makes is freed). */
export function tidyValues(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Like tidyValues for a scalar tensor and a vector tensor: their values. */
export function tidyScalarAndValues(f: () => [tf.Tensor, tf.Tensor]): [number, Float32Array] {
  const [a, b] = tf.tidy(f);
  try {
    return [a.dataSync()[0], b.dataSync() as Float32Array];
  } finally {
    tf.dispose([a, b]);
  }
}
