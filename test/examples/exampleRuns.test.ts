// The trained example runs shipped in examples/runs/: each one loads from its checkpoint
// and adapts — on a few held-out test tasks, the mean return after the stages it was trained
// with is above the return before adaptation. A MAML run on point-nav must be among them.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateLearner } from '../../src/training/evaluate';
import { listRunIds, readMeta } from '../../src/training/runDir';
import { loadRunLearner } from '../../src/training/runLoader';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/runs');
const ids = await listRunIds(EXAMPLES);
const metas = await Promise.all(ids.map((id) => readMeta(path.join(EXAMPLES, id))));

describe('example runs', () => {
  it('include a trained MAML run on point-nav, each with one checkpoint', async () => {
    expect(metas.some((m) => m.config.algo === 'maml' && m.config.family === 'point-nav')).toBe(
      true,
    );
  });

  for (const [i, id] of ids.entries()) {
    it(`${id} (${metas[i].config.algo} on ${metas[i].config.family}) adapts: return after adaptation above before`, async () => {
      const run = await loadRunLearner(EXAMPLES, id, undefined, { workers: 1 });
      try {
        const hyper = run.meta.config.hyper;
        const steps =
          run.spec.stageUnit === 'episode'
            ? Math.max(1, Number(hyper.episodesPerTrial ?? 2) - 1)
            : Math.max(1, Number(hyper.innerSteps ?? 1));
        const returns = await evaluateLearner(run.learner, run.family, {
          tasks: 4,
          steps,
          episodesPerStage: 10,
          seed: 0,
        });
        expect(returns).toHaveLength(steps + 1);
        expect(returns[steps]).toBeGreaterThan(returns[0]);
      } finally {
        await run.learner.dispose();
      }
    });
  }
});
