// The hand-written derivatives (backprop, R-operator HVP, Fisher-vector product) against
// tfjs autodiff of the same functions built from the higher-order-safe ops.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import {
  type GaussianMlpSpec,
  initParams,
  klFromFixedTf,
  logProbTf,
  logStdTf,
  meanTf,
} from '../../src/policies/gaussianMlp';
import { PolicyBatch } from '../../src/policies/gaussianMlpDerivatives';
import { initBackend } from '../../src/tf/backend';

beforeAll(async () => {
  await initBackend('wasm');
});

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

// The third case has a latent of 2: its z's are the last two of the 5 inputs.
const CASES = [
  { activation: 'tanh', latent: 0, seed: 5 },
  { activation: 'relu', latent: 0, seed: 6 },
  { activation: 'tanh', latent: 2, seed: 7 },
] as const;

for (const { activation, latent, seed } of CASES) {
  describe(`PolicyBatch (${activation}${latent ? `, latent ${latent}` : ''})`, () => {
    const O = 3 + latent;
    const spec: GaussianMlpSpec = {
      obsSize: O,
      actSize: 2,
      hidden: [7, 5],
      activation,
      initStd: 0.8,
      ...(latent ? { latentSize: latent } : {}),
    };
    const rng = new Rng(seed);
    const theta = initParams(spec, rng);
    for (let i = 0; i < theta.length; i++) theta[i] += 0.2 * rng.normal();
    const N = 40;
    const obsA = rng.fillNormal(new Float32Array(N * O)) as Float32Array;
    const actA = rng.fillNormal(new Float32Array(N * 2)) as Float32Array;
    const cA = rng.fillNormal(new Float32Array(N)) as Float32Array;
    const wA = Float32Array.from({ length: N }, () => 1 / N);
    const v = rng.fillNormal(new Float32Array(theta.length)) as Float32Array;

    const loss = (th: tf.Tensor, obs: tf.Tensor2D, act: tf.Tensor2D, c: tf.Tensor1D) =>
      tf.neg(tf.sum(tf.mul(logProbTf(spec, th as tf.Tensor1D, obs, act), c)));

    it('gradient, Hessian-vector and Fisher-vector products equal autodiff', () => {
      const before = tf.memory().numTensors;
      const obs = tf.tensor2d(obsA, [N, O]);
      const act = tf.tensor2d(actA, [N, 2]);
      const c = tf.tensor1d(cA);
      const w = tf.tensor1d(wA);
      const pb = new PolicyBatch(spec, theta, obs, act);
      const ref = tf.tidy(() => {
        const th = tf.tensor1d(theta);
        const vt = tf.tensor1d(v);
        const g = tf.grad((x: tf.Tensor) => loss(x, obs, act, c));
        const hvp = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(g(x), vt)))(th);
        const oldMean = meanTf(spec, th, obs);
        const oldLogStd = logStdTf(spec, th);
        const klg = tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(klFromFixedTf(spec, oldMean, oldLogStd, x as tf.Tensor1D, obs), w)),
        );
        const fvp = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(klg(x), vt)))(th);
        return {
          g: g(th).dataSync(),
          hvp: hvp.dataSync(),
          fvp: fvp.dataSync(),
          logp: logProbTf(spec, th, obs, act).dataSync(),
        };
      });
      expect(relErr(pb.logp.dataSync(), ref.logp)).toBeLessThan(1e-5);
      expect(relErr(pb.gradient(c), ref.g)).toBeLessThan(1e-4);
      pb.setCoefficients(c);
      expect(relErr(pb.hessianVp(v), ref.hvp)).toBeLessThan(1e-4);
      expect(relErr(pb.fisherVp(w, v), ref.fvp)).toBeLessThan(1e-4);
      // KL to itself is 0.
      const ownLogStd = tf.tidy(() => logStdTf(spec, tf.tensor1d(theta)));
      expect(Math.abs(pb.klFrom(pb.mean, ownLogStd, w))).toBeLessThan(1e-6);
      pb.dispose();
      tf.dispose([obs, act, c, w]);
      // ownLogStd above is the only leftover, made outside any tidy.
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1);
    });

    it('Hessian-vector product equals central finite differences of the gradient', () => {
      const obs = tf.tensor2d(obsA, [N, O]);
      const act = tf.tensor2d(actA, [N, 2]);
      const c = tf.tensor1d(cA);
      const pb = new PolicyBatch(spec, theta, obs, act);
      pb.setCoefficients(c);
      const hv = pb.hessianVp(v);
      // Small enough that ReLU units rarely change side (their Hessian is piecewise constant);
      // smaller with a latent, whose log-std terms (z − μ)² e^{−2 log σ} curve more.
      const eps = activation === 'relu' ? 1e-4 : latent ? 5e-3 : 1e-2;
      const gAt = (s: number) => {
        const th = Float32Array.from(theta, (x, i) => x + s * eps * v[i]);
        const b = new PolicyBatch(spec, th, obs, act);
        const g = b.gradient(c);
        b.dispose();
        return g;
      };
      const gp = gAt(1);
      const gm = gAt(-1);
      const fd = gp.map((x, i) => (x - gm[i]) / (2 * eps));
      expect(relErr(hv, fd)).toBeLessThan(activation === 'tanh' ? 2e-3 : 2e-2);
      pb.dispose();
      tf.dispose([obs, act, c]);
    });
  });
}
