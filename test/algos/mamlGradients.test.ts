// MAML's meta-gradient and TRPO's curvature product against central finite differences,
// for tanh and ReLU policies, with both derivative implementations. The test has teeth:
// the first-order gradient and tfjs's own tanh both miss the threshold.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { MamlLearner } from '../../src/algos/maml';
import { type MamlConfig, mamlConfigSchema } from '../../src/algos/mamlConfig';
import { type MetaBatch, disposeMetaBatch } from '../../src/algos/metaBatch';
import { dot } from '../../src/algos/trpo';
import { Rng } from '../../src/core/rng';
import { klFromFixedTf, logProbTf, paramLayout } from '../../src/policies/gaussianMlp';
import { Sampler, type Episode } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';
import { ACTIVATIONS } from '../../src/tf/ops';

const family = getFamily('point-nav');
const tasks = family.sampleTasks(2, new Rng(4), 'train');
const sampler = new Sampler(0);

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  await sampler.close();
});

function learner(overrides: Partial<MamlConfig>): MamlLearner {
  const config = mamlConfigSchema.parse({
    hidden: [8, 8],
    innerLr: 0.5,
    metaBatchSize: 2,
    episodesPerTask: 3,
    ...overrides,
  });
  return new MamlLearner({ family, config, seed: 3, workers: 0 });
}

async function episodes(l: MamlLearner, seed: number): Promise<Episode[][]> {
  const r = await sampler.sample({
    familyId: 'point-nav',
    tasks,
    params: [l.theta],
    spec: l.spec,
    episodesPerTask: 3,
    seed,
  });
  return r.episodes;
}

/** Relative error allowed; the exact gradients land near 1e-4, tfjs's tanh near 2e-3. */
const TOL = 5e-4;

/**
 * Unit direction mostly along g (so g·d is well above float32 noise) plus a random part.
 * With `mask`, only those parameters move: for ReLU, the output layer and log-std, so no
 * hidden unit changes side (a kink makes the inner gradient, hence φ(θ), jump, and a
 * finite difference across a jump means nothing).
 */
function direction(g: Float64Array, seed: number, mask?: Uint8Array): Float64Array {
  const rng = new Rng(seed);
  g = mask ? g.map((x, i) => (mask[i] ? x : 0)) : g;
  const r = Float64Array.from(g, (_, i) => (!mask || mask[i] ? rng.normal() : 0));
  const gn = Math.sqrt(dot(g, g));
  const rn = Math.sqrt(dot(r, r));
  return Float64Array.from(g, (x, i) => x / gn + (0.5 * r[i]) / rn);
}

function outputLayerMask(l: MamlLearner): Uint8Array {
  const layout = paramLayout(l.spec);
  const mask = new Uint8Array(l.numParams);
  for (const e of layout.slice(-3)) mask.fill(1, e.offset, e.offset + e.size);
  return mask;
}

function fdMeta(l: MamlLearner, mb: MetaBatch, d: Float64Array, eps: number): number {
  const at = (s: number) =>
    l.metaObjective(
      Float32Array.from(l.theta, (x, i) => x + s * eps * d[i]),
      mb,
    ).loss;
  return (at(1) - at(-1)) / (2 * eps);
}

const cases = [
  { activation: 'tanh' as const, derivatives: 'manual' as const, innerSteps: 1 },
  { activation: 'tanh' as const, derivatives: 'autodiff' as const, innerSteps: 1 },
  { activation: 'relu' as const, derivatives: 'manual' as const, innerSteps: 1 },
  { activation: 'relu' as const, derivatives: 'autodiff' as const, innerSteps: 1 },
  { activation: 'tanh' as const, derivatives: 'manual' as const, innerSteps: 2 },
];

describe('MAML meta-gradient vs finite differences', () => {
  for (const c of cases) {
    it(`${c.activation}, ${c.derivatives} derivatives, ${c.innerSteps} inner step(s): exact second order matches; first order does not`, async () => {
      const l = learner(c);
      const inner = [await episodes(l, 1)];
      if (c.innerSteps === 2) inner.push(await episodes(l, 2));
      const outer = await episodes(l, 3);
      const mb = l.prepareFromEpisodes(inner, outer);
      const { grad } = l.metaGradient(mb);
      const d = direction(grad, 9, c.activation === 'relu' ? outputLayerMask(l) : undefined);
      // ReLU: the outer pass still has kinks (continuous, slope jumps): a smaller step crosses fewer.
      const fd = fdMeta(l, mb, d, c.activation === 'relu' ? 1e-3 : 1e-2);
      const exactErr = Math.abs(dot(grad, d) - fd) / Math.abs(fd);
      expect(exactErr).toBeLessThan(TOL);

      const fo = learner({ ...c, firstOrder: true });
      const mbFo = fo.prepareFromEpisodes(inner, outer);
      const foErr = Math.abs(dot(fo.metaGradient(mbFo).grad, d) - fd) / Math.abs(fd);
      expect(foErr).toBeGreaterThan(10 * exactErr);
      expect(foErr).toBeGreaterThan(TOL);
      disposeMetaBatch(mb);
      disposeMetaBatch(mbFo);
      await l.dispose();
      await fo.dispose();
    });
  }

  for (const derivatives of ['manual', 'autodiff'] as const)
    it(`with the return before adaptation weighted in (${derivatives}): matches, and the term counts`, async () => {
      const l = learner({ derivatives, preAdaptWeight: 0.5 });
      const inner = [await episodes(l, 1)];
      const outer = await episodes(l, 3);
      const mb = l.prepareFromEpisodes(inner, outer);
      expect(mb.pre).toHaveLength(2);
      const { grad } = l.metaGradient(mb);
      const d = direction(grad, 9);
      const fd = fdMeta(l, mb, d, 1e-2);
      const err = Math.abs(dot(grad, d) - fd) / Math.abs(fd);
      expect(err).toBeLessThan(TOL);
      // The same batch without the term: its gradient misses the finite difference.
      const plain = learner({ derivatives });
      const mbPlain = plain.prepareFromEpisodes(inner, outer);
      expect(mbPlain.pre).toHaveLength(0);
      const plainErr = Math.abs(dot(plain.metaGradient(mbPlain).grad, d) - fd) / Math.abs(fd);
      expect(plainErr).toBeGreaterThan(10 * TOL);
      disposeMetaBatch(mb);
      disposeMetaBatch(mbPlain);
      await l.dispose();
      await plain.dispose();
    });

  it('re-adapted from another θ (the PPO option), the term before adaptation keeps its sampling policy', async () => {
    const l = learner({ preAdaptWeight: 0.5 });
    const mb = l.prepareFromEpisodes([await episodes(l, 1)], await episodes(l, 3));
    const rng = new Rng(21);
    const theta2 = Float32Array.from(l.theta, (x) => x + 0.05 * rng.normal());
    const cur = l.readaptedAt(mb, theta2);
    const { grad } = l.metaGradient(cur);
    const d = direction(grad, 9);
    const at = (s: number) =>
      l.metaObjective(
        Float32Array.from(theta2, (x, i) => x + s * 1e-2 * d[i]),
        mb,
      ).loss;
    const fd = (at(1) - at(-1)) / 2e-2;
    expect(Math.abs(dot(grad, d) - fd) / Math.abs(fd)).toBeLessThan(TOL);
    disposeMetaBatch(cur, { tensors: false });
    disposeMetaBatch(mb);
    await l.dispose();
  });

  it("first-order MAML's gradient is ∇φ L_out at φ (finite differences in φ)", async () => {
    const l = learner({ firstOrder: true });
    const outer = await episodes(l, 3);
    const mb = l.prepareFromEpisodes([await episodes(l, 1)], outer);
    const { grad } = l.metaGradient(mb);
    const d = direction(grad, 5);
    // L_out as a function of φ directly: a MAML batch with no inner step on the same outer data, at φ.
    const single = learner({ firstOrder: true, innerSteps: 0 });
    // Per task, ∇φ L_out at φ_t; the mean over tasks is the first-order meta-gradient.
    let fd = 0;
    for (let t = 0; t < 2; t++) {
      const mbT = single.prepareFromEpisodes([], [outer[t]], mb.paths[t][1]);
      const at = (s: number) =>
        single.metaObjective(
          Float32Array.from(mb.paths[t][1], (x, i) => x + s * 1e-2 * d[i]),
          mbT,
        ).loss;
      fd += (at(1) - at(-1)) / 2e-2 / 2;
      disposeMetaBatch(mbT);
    }
    expect(Math.abs(dot(grad, d) - fd) / Math.abs(fd)).toBeLessThan(TOL);
    disposeMetaBatch(mb);
    await l.dispose();
    await single.dispose();
  });

  it("fails with tfjs's own tanh (whose second derivative is wrong): the check has teeth", async () => {
    const l = learner({ activation: 'tanh', derivatives: 'autodiff' });
    const inner = [await episodes(l, 1)];
    const outer = await episodes(l, 3);
    const mbRight = l.prepareFromEpisodes(inner, outer);
    const d = direction(l.metaGradient(mbRight).grad, 9);
    const fd = fdMeta(l, mbRight, d, 1e-2);
    const saved = ACTIVATIONS.tanh;
    ACTIVATIONS.tanh = tf.tanh;
    try {
      const mb = l.prepareFromEpisodes(inner, outer);
      const wrong = l.metaGradient(mb).grad;
      disposeMetaBatch(mb);
      expect(Math.abs(dot(wrong, d) - fd) / Math.abs(fd)).toBeGreaterThan(TOL);
    } finally {
      ACTIVATIONS.tanh = saved;
    }
    disposeMetaBatch(mbRight);
    await l.dispose();
  });
});

describe('TRPO curvature product', () => {
  it('Jᵀ F J v equals finite differences of the KL gradient through the adaptation', async () => {
    const l = learner({ activation: 'tanh' });
    const mb = l.prepareFromEpisodes([await episodes(l, 1)], await episodes(l, 3));
    const alpha = l.config.innerLr;
    // Reference: ∇θ mean_t KL(old_t ‖ π_{φ_t(θ)}) by nested autodiff through the inner step.
    const klGrad = (theta: Float32Array): Float64Array => {
      const g = tf.tidy(() => {
        const f = (th: tf.Tensor) => {
          let total: tf.Tensor = tf.scalar(0);
          for (let t = 0; t < mb.outer.length; t++) {
            const d = mb.inner[t][0];
            const g = tf.grad((x: tf.Tensor) =>
              tf.neg(tf.sum(tf.mul(logProbTf(l.spec, x as tf.Tensor1D, d.obs, d.act), d.advW))),
            )(th);
            const phi = tf.sub(th, tf.mul(g, alpha)) as tf.Tensor1D;
            const o = mb.outer[t];
            total = tf.add(
              total,
              tf.sum(tf.mul(klFromFixedTf(l.spec, o.oldMean, o.oldLogStd, phi, o.obs), o.w)),
            );
          }
          return tf.div(total, mb.outer.length) as tf.Scalar;
        };
        return tf.grad(f)(tf.tensor1d(theta));
      });
      const out = Float64Array.from(g.dataSync());
      g.dispose();
      return out;
    };
    const rng = new Rng(12);
    const v = Float64Array.from(l.theta, () => rng.normal());
    const hv = l.curvatureVp(mb, v, 0);
    const eps = 1e-2;
    const gp = klGrad(Float32Array.from(l.theta, (x, i) => x + eps * v[i]));
    const gm = klGrad(Float32Array.from(l.theta, (x, i) => x - eps * v[i]));
    const fd = gp.map((x, i) => (x - gm[i]) / (2 * eps));
    const err = Math.sqrt(
      dot(
        hv.map((x, i) => x - fd[i]),
        hv.map((x, i) => x - fd[i]),
      ) / dot(fd, fd),
    );
    expect(err).toBeLessThan(2e-2);
    // And it is positive semi-definite along v (a Gauss–Newton matrix).
    expect(dot(v, hv)).toBeGreaterThan(0);
    disposeMetaBatch(mb);
    await l.dispose();
  });
});
