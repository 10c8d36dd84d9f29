// The meta-gradient with one inner step size per parameter (Meta-SGD's α, which
// metaGradient.ts and the inner step accept) against central finite differences of the
// meta-objective, through two inner steps, with both derivative implementations. The
// per-parameter α varies threefold, so transposing J wrongly (α ∘ H w instead of H (α ∘ w))
// misses by far more than the tolerance; the test checks that too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { createDerivatives, type StepSize } from '../../src/algos/derivatives';
import { mamlConfigSchema, policySpecOf } from '../../src/algos/mamlConfig';
import { type MetaBatch, MetaBatchBuilder, disposeMetaBatch } from '../../src/algos/metaBatch';
import { metaGradient, metaObjective } from '../../src/algos/metaGradient';
import { buildTaskData, outerTensors, toTensors } from '../../src/algos/taskData';
import { dot } from '../../src/algos/trpo';
import { Rng } from '../../src/core/rng';
import { initParams } from '../../src/policies/gaussianMlp';
import { Sampler, type Episode } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';

const family = getFamily('point-nav');
const tasks = family.sampleTasks(2, new Rng(4), 'train');
const sampler = new Sampler(0);
const config = mamlConfigSchema.parse({ hidden: [8, 8], innerLr: 0.5 });
const spec = policySpecOf(family, config);
const theta = initParams(spec, new Rng(3));

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  await sampler.close();
});

async function episodes(seed: number): Promise<Episode[][]> {
  const r = await sampler.sample({
    familyId: family.id,
    tasks,
    params: tasks.map(() => theta),
    spec,
    episodesPerTask: 3,
    seed,
  });
  return r.episodes;
}

function data(eps: Episode[]) {
  return buildTaskData(eps, spec.obsSize, spec.actSize, 0.99, 0.95, 'step');
}

describe('meta-gradient with a per-parameter inner step size', () => {
  for (const kind of ['manual', 'autodiff'] as const) {
    it(`${kind}: matches finite differences through two inner steps`, async () => {
      const derivatives = createDerivatives(kind, spec);
      const rng = new Rng(11);
      const alpha = Float32Array.from(theta, () => 0.25 + 0.5 * rng.uniform());
      const inner = [await episodes(1), await episodes(2)];
      const outer = await episodes(3);
      const build = (lr: StepSize): MetaBatch => {
        const b = new MetaBatchBuilder(derivatives, { innerLr: lr, curvature: true }, [
          theta,
          theta,
        ]);
        for (const stage of inner)
          b.innerStage(stage.map((eps) => toTensors(data(eps), spec.obsSize, spec.actSize)));
        return b.outerStage(outer.map((eps, t) => outerTensors(spec, data(eps), b.mb.paths[t][2])));
      };
      const mb = build(alpha);
      const opts = { innerLr: alpha, firstOrder: false };
      const { grad } = metaGradient(mb, opts);
      const d = Float64Array.from(
        grad,
        (g) => g + 0.3 * Math.sqrt(dot(grad, grad) / grad.length) * rng.normal(),
      );
      const eps = 1e-2;
      const at = (s: number) =>
        metaObjective(
          derivatives,
          Float32Array.from(theta, (x, i) => x + s * eps * d[i]),
          mb,
          opts,
        ).loss;
      const fd = (at(1) - at(-1)) / (2 * eps);
      const err = Math.abs(dot(grad, d) - fd) / Math.abs(fd);
      expect(err).toBeLessThan(5e-4);

      // The wrong transpose, J_kᵀ w = w − α ∘ (H_k w), misses.
      const wrong = new Float64Array(grad.length);
      for (let t = 0; t < mb.outer.length; t++) {
        const w = Float64Array.from(mb.outerAt[t].lossGrad().grad);
        for (let k = mb.innerAt[t].length - 1; k >= 0; k--) {
          const h = mb.innerAt[t][k].hvp(w);
          for (let i = 0; i < w.length; i++) w[i] -= alpha[i] * h[i];
        }
        for (let i = 0; i < w.length; i++) wrong[i] += w[i] / mb.outer.length;
      }
      const wrongErr = Math.abs(dot(wrong, d) - fd) / Math.abs(fd);
      expect(wrongErr).toBeGreaterThan(10 * err);
      expect(wrongErr).toBeGreaterThan(5e-4);
      disposeMetaBatch(mb);
    });
  }
});
