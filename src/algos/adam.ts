// Adam (Kingma & Ba 2015), the one optimiser every learner with a first-order outer step
// uses: RL²'s PPO (parameters as tfjs tensors) and MAML's PPO option (θ as one flat
// vector). The moments are plain Float32Arrays, so a checkpoint holds them bit for bit
// and the optimiser owns no tfjs memory.
//
// Two ways to apply a step, because each caller's numbers must stay what they were:
// `apply` computes in float32 tfjs kernels on tensors; `applyFlat` computes in float64 on
// a flat vector whose gradient is float64 (MAML's meta-gradient), rounding only when it
// stores the moments and the new parameters.
import * as tf from '@tensorflow/tfjs';
import type { SavedTensor } from './metaLearner';

export class Adam {
  /** Steps taken (the bias corrections use it). */
  step = 0;
  private m: Float32Array[];
  private v: Float32Array[];

  constructor(
    readonly shapes: number[][],
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    this.m = shapes.map((s) => new Float32Array(size(s)));
    this.v = shapes.map((s) => new Float32Array(size(s)));
  }

  /** The bias corrections 1 − β^t of the step being taken (advances the step count). */
  private nextStep(): { c1: number; c2: number } {
    this.step++;
    return { c1: 1 - this.beta1 ** this.step, c2: 1 - this.beta2 ** this.step };
  }

  /** New parameter tensors after one step; the caller disposes the old ones. Grads are not disposed. */
  apply(params: tf.Tensor[], grads: tf.Tensor[]): tf.Tensor[] {
    const { c1, c2 } = this.nextStep();
    const lr = this.learningRate;
    const out: tf.Tensor[] = [];
    for (let j = 0; j < params.length; j++) {
      const [m, v, p] = tf.tidy(() => {
        const mOld = tf.tensor(this.m[j], this.shapes[j]);
        const vOld = tf.tensor(this.v[j], this.shapes[j]);
        const m = tf.add(tf.mul(mOld, this.beta1), tf.mul(grads[j], 1 - this.beta1));
        const v = tf.add(tf.mul(vOld, this.beta2), tf.mul(tf.square(grads[j]), 1 - this.beta2));
        const upd = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        return [m, v, tf.sub(params[j], tf.mul(upd, lr))];
      });
      this.m[j] = Float32Array.from(m.dataSync() as Float32Array);
      this.v[j] = Float32Array.from(v.dataSync() as Float32Array);
      tf.dispose([m, v]);
      out.push(p);
    }
    return out;
  }

  /** One step on a flat parameter vector (moment slot `slot`); returns the new vector. */
  applyFlat(params: Float32Array, grad: ArrayLike<number>, slot = 0): Float32Array {
    const { c1, c2 } = this.nextStep();
    const [b1, b2, lr] = [this.beta1, this.beta2, this.learningRate];
    const m = this.m[slot];
    const v = this.v[slot];
    const next = new Float32Array(params);
    for (let i = 0; i < next.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * grad[i];
      v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
      next[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.epsilon);
    }
    return next;
  }

  /** The moments of slot j (copies). */
  moments(j = 0): { m: Float32Array; v: Float32Array } {
    return { m: new Float32Array(this.m[j]), v: new Float32Array(this.v[j]) };
  }

  /** Restore slot j's moments and the step count (lengths must match the slot's shape). */
  setMoments(j: number, m: Float32Array, v: Float32Array, step: number): void {
    if (m.length !== this.m[j].length || v.length !== this.v[j].length)
      throw new Error(`Adam: moments of slot ${j} need ${this.m[j].length} values`);
    this.m[j] = new Float32Array(m);
    this.v[j] = new Float32Array(v);
    this.step = step;
  }

  /** The moments as named tensors m0…, v0… (the checkpoint layout). */
  saveTensors(): Record<string, SavedTensor> {
    const out: Record<string, SavedTensor> = {};
    this.m.forEach((d, j) => (out[`m${j}`] = { shape: [...this.shapes[j]], data: d.slice() }));
    this.v.forEach((d, j) => (out[`v${j}`] = { shape: [...this.shapes[j]], data: d.slice() }));
    return out;
  }

  loadTensors(saved: Record<string, SavedTensor>, step: number): void {
    const take = (key: string, j: number): Float32Array => {
      const s = saved[key];
      if (!s) throw new Error(`Checkpoint is missing optimiser tensor "${key}"`);
      if (s.shape.join(',') !== this.shapes[j].join(',')) {
        throw new Error(
          `Checkpoint optimiser tensor "${key}" has shape [${s.shape}], expected [${this.shapes[j]}]`,
        );
      }
      return Float32Array.from(s.data);
    };
    const m = this.m.map((_, j) => take(`m${j}`, j));
    const v = this.v.map((_, j) => take(`v${j}`, j));
    this.m = m;
    this.v = v;
    this.step = step;
  }
}
