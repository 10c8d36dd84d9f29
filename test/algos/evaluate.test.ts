// The evaluation protocol's step-size tuning for baselines: it scores every step size on
// training tasks only, picks the best mean return over stages 1..k, and the chosen size
// reaches the learner through AdaptBudget.stepSize.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { getFamily } from '../../envs/registry';
import { evaluateLearner, STEP_SIZE_GRID, tuneStepSize } from '../../src/algos/evaluate';
import type { AdaptBudget, AdaptResult, MetaLearner } from '../../src/algos/metaLearner';
import type { JsonObject } from '../../src/shared/json';

const family = getFamily('point-nav');

/** A learner whose return after adaptation peaks at step size 0.05 and that records what it was asked. */
class StepProbe implements MetaLearner {
  readonly algo = 'probe';
  readonly seen: { task: JsonObject; stepSize?: number }[] = [];
  async metaTrainStep() {
    return {};
  }
  async adapt(task: JsonObject, budget: AdaptBudget): Promise<AdaptResult> {
    this.seen.push({ task, stepSize: budget.stepSize });
    const a = budget.stepSize ?? 0.5;
    const post = -10 * (Math.log10(a) - Math.log10(0.05)) ** 2 - 5;
    return {
      returns: [-40, ...Array.from({ length: budget.steps }, (_, k) => post - k)],
      episodes: [],
    };
  }
  async saveState(): Promise<never> {
    throw new Error('not used');
  }
  async loadState() {}
  async dispose() {}
}

describe('tuneStepSize', () => {
  it('picks the step size with the best mean return after adaptation, on training tasks only', async () => {
    const probe = new StepProbe();
    const r = await tuneStepSize(probe, family, { steps: 2, seed: 3, tasks: 4 });
    expect(r.stepSize).toBe(0.05);
    expect(r.scores.map((s) => s.stepSize)).toEqual([...STEP_SIZE_GRID]);
    expect(probe.seen.length).toBe(4 * STEP_SIZE_GRID.length);
    // Every task it adapted to is a training task, none a test task of the same seed.
    const train = family.sampleTasks(4, new Rng(3), 'train');
    const test = family.sampleTasks(4, new Rng(3), 'test');
    const key = (t: JsonObject) => JSON.stringify(t);
    const seen = new Set(probe.seen.map((s) => key(s.task)));
    for (const t of train) expect(seen.has(key(t))).toBe(true);
    for (const t of test) expect(seen.has(key(t))).toBe(false);
    await expect(tuneStepSize(probe, family, { steps: 0, seed: 3 })).rejects.toThrow(
      /steps must be at least 1/,
    );
  });

  it('passes a fixed step size through the protocol to the learner', async () => {
    const probe = new StepProbe();
    const r = await evaluateLearner(probe, family, { tasks: 3, steps: 1, seed: 1, stepSize: 0.05 });
    expect(probe.seen.every((s) => s.stepSize === 0.05)).toBe(true);
    expect(r.returns[1]).toBe(-5);
    const d = new StepProbe();
    await evaluateLearner(d, family, { tasks: 2, steps: 1, seed: 1 });
    expect(d.seen.every((s) => s.stepSize === undefined)).toBe(true);
  });
});
