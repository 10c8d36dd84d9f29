// The low-variance-curvature inner Hessian (innerCurvature 'lvc'): H' v, from the manual
// R-operator products and from tfjs nested gradients of −Σ c π/π₀, agrees with central
// finite differences of the surrogate's gradient, ∇L'(θ) = −Σ c (π_θ/π₀) ∇ log π_θ, and
// differs from the policy-gradient loss's Hessian by exactly −Σ c g gᵀ v; and the
// meta-gradient through it is the derivative of the meta-objective whose inner steps weight
// each sample by π_θ/π_sampled (what TRPO's line search evaluates), through two inner steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { getFamily } from '../../envs/registry';
import { createDerivatives } from '../../src/algos/derivatives';
import { MetaBatchBuilder, disposeMetaBatch } from '../../src/algos/metaBatch';
import { metaGradient, metaObjective } from '../../src/algos/metaGradient';
import { innerStepSizeOf, mamlConfigSchema, policySpecOf } from '../../src/algos/mamlConfig';
import { buildTaskData, outerTensors, toTensors } from '../../src/algos/taskData';
import { dot } from '../../src/algos/trpo';
import { Rng } from '../../src/core/rng';
import { initParams } from '../../src/policies/gaussianMlp';
import { PolicyBatch } from '../../src/policies/gaussianMlpDerivatives';
import { Sampler } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';

const family = getFamily('point-nav');
const tasks = family.sampleTasks(1, new Rng(5), 'train');
const sampler = new Sampler(0);

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  await sampler.close();
});

// Without a latent and with one (its z drawn per episode by the sampler; its entries take
// their own inner step size).
for (const latentSize of [0, 1]) {
  const config = mamlConfigSchema.parse({
    hidden: [8, 8],
    innerLr: 0.3,
    latentSize,
    latentInnerLr: 0.1,
  });
  const spec = policySpecOf(family, config);
  const theta = initParams(spec, new Rng(6));
  const alpha = innerStepSizeOf(spec, config);

  /** ∇L'(θ) = −Σ c (π_θ/π₀) ∇ log π_θ on the batch, π₀ the policy at `theta`. */
  function lvcGradient(at: Float32Array, d: ReturnType<typeof toTensors>): Float64Array {
    const p0 = new PolicyBatch(spec, theta, d.obs, d.act);
    const p = new PolicyBatch(spec, at, d.obs, d.act);
    try {
      const c = tf.tidy(() => tf.mul(d.advW, tf.exp(tf.sub(p.logp, p0.logp))) as tf.Tensor1D);
      const g = Float64Array.from(p.gradient(c));
      c.dispose();
      return g;
    } finally {
      p0.dispose();
      p.dispose();
    }
  }

  describe(`low-variance-curvature inner Hessian${latentSize ? ', latent 1' : ''}`, () => {
    it('manual and autodiff agree with finite differences of the surrogate gradient', async () => {
      const r = await sampler.sample({
        familyId: family.id,
        tasks,
        params: [theta],
        spec,
        episodesPerTask: 4,
        seed: 9,
      });
      const d = toTensors(
        buildTaskData(
          r.episodes[0],
          spec.obsSize,
          spec.actSize,
          0.99,
          0.95,
          'step',
          true,
          latentSize,
        ),
        spec.obsSize,
        spec.actSize,
      );
      const rng = new Rng(10);
      const v = Float32Array.from(theta, () => rng.normal());
      const manual = createDerivatives('manual', spec, 'lvc').innerPoint(theta, d);
      const autodiff = createDerivatives('autodiff', spec, 'lvc').innerPoint(theta, d);
      const vpg = createDerivatives('manual', spec, 'vpg').innerPoint(theta, d);
      const hm = Float64Array.from(manual.hvp(v));
      const ha = Float64Array.from(autodiff.hvp(v));
      const hv = Float64Array.from(vpg.hvp(v));
      const eps = 1e-2;
      const plus = lvcGradient(
        Float32Array.from(theta, (x, i) => x + eps * v[i]),
        d,
      );
      const minus = lvcGradient(
        Float32Array.from(theta, (x, i) => x - eps * v[i]),
        d,
      );
      const fd = plus.map((x, i) => (x - minus[i]) / (2 * eps));
      const rel = (a: Float64Array, b: Float64Array) =>
        Math.sqrt(
          dot(
            a.map((x, i) => x - b[i]),
            a.map((x, i) => x - b[i]),
          ) / dot(b, b),
        );
      expect(rel(hm, fd)).toBeLessThan(5e-3);
      expect(rel(ha, hm)).toBeLessThan(1e-4);
      // The policy-gradient loss's Hessian is another matrix: the difference is −Σ c g gᵀ v.
      expect(rel(hv, fd)).toBeGreaterThan(0.05);
      // Repeated products and weighted inner steps leave no tensors behind.
      const before = tf.memory().numTensors;
      const away = Float32Array.from(theta, (x, i) => x + 0.01 * v[i]);
      for (let k = 0; k < 3; k++) {
        manual.hvp(v);
        autodiff.hvp(v);
        for (const kind of ['manual', 'autodiff'] as const)
          createDerivatives(kind, spec, 'lvc').innerStep(away, d, 0.1, false, theta);
        expect(tf.memory().numTensors).toBe(before);
      }
      for (const p of [manual, autodiff, vpg]) p.dispose();
      tf.dispose([d.obs, d.act, d.advW, d.w]);
    });

    for (const kind of ['manual', 'autodiff'] as const) {
      it(`${kind}: the meta-gradient matches finite differences of the weighted meta-objective`, async () => {
        const derivatives = createDerivatives(kind, spec, 'lvc');
        const eps3 = async (seed: number) =>
          (
            await sampler.sample({
              familyId: family.id,
              tasks,
              params: [theta],
              spec,
              episodesPerTask: 3,
              seed,
            })
          ).episodes[0];
        const data = (eps: Awaited<ReturnType<typeof eps3>>) =>
          buildTaskData(eps, spec.obsSize, spec.actSize, 0.99, 0.95, 'step', true, latentSize);
        const b = new MetaBatchBuilder(derivatives, { innerLr: alpha, curvature: true }, [theta]);
        for (const seed of [1, 2])
          b.innerStage([toTensors(data(await eps3(seed)), spec.obsSize, spec.actSize)]);
        const mb = b.outerStage([outerTensors(spec, data(await eps3(3)), b.mb.paths[0][2])]);
        const opts = { innerLr: alpha, firstOrder: false };
        const { grad } = metaGradient(mb, opts);
        const rng = new Rng(12);
        const d = Float64Array.from(
          grad,
          (g) => g + 0.3 * Math.sqrt(dot(grad, grad) / grad.length) * rng.normal(),
        );
        const h = 1e-2;
        const at = (s: number) =>
          metaObjective(
            derivatives,
            Float32Array.from(theta, (x, i) => x + s * h * d[i]),
            mb,
            opts,
          ).loss;
        const fd = (at(1) - at(-1)) / (2 * h);
        expect(Math.abs(dot(grad, d) - fd) / Math.abs(fd)).toBeLessThan(2e-3);
        // The policy-gradient curvature's meta-gradient is the derivative of another function.
        const vpg = createDerivatives(kind, spec, 'vpg');
        const b2 = new MetaBatchBuilder(vpg, { innerLr: alpha, curvature: true }, [theta]);
        for (const k of [0, 1]) b2.innerStage([mb.inner[0][k]]);
        const mb2 = b2.outerStage([mb.outer[0]]);
        const g2 = metaGradient(mb2, opts).grad;
        expect(Math.abs(dot(g2, d) - fd) / Math.abs(fd)).toBeGreaterThan(1e-2);
        for (const p of mb2.innerAt[0]) p.dispose();
        for (const p of mb2.outerAt) p.dispose();
        disposeMetaBatch(mb);
      });
    }
  });
}
