// RL²'s guards against an update that moves the policy too far: the KL-adaptive learning
// rate (its rule, its effect on a real learner, its state in checkpoints) and the early stop
// of the PPO epochs above a target KL.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { Rng } from '../../src/core/rng';
import type { TaskFamily } from '../../src/core/env';
import { nextLearningRate, Rl2, rl2ConfigSchema } from '../../src/algos/rl2';
import { memoryBandit } from '../helpers/memoryBandit';

const family = memoryBandit as unknown as TaskFamily;
const small = {
  episodesPerTrial: 2,
  metaBatchSize: 4,
  trialsPerTask: 4,
  hiddenSize: 8,
  learningRate: 1e-2,
  epochs: 4,
  minibatches: 2,
};

async function train(learner: Rl2, iterations: number, rng: Rng) {
  const rows = [];
  for (let i = 0; i < iterations; i++)
    rows.push(await learner.metaTrainStep(family.sampleTasks(4, rng, 'train')));
  return rows;
}

describe('RL² update guards', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('adapts the learning rate to the KL: down above 2× the target, up below half, within bounds', () => {
    const c = { learningRate: 1e-3, lrTargetKl: 0.01 };
    expect(nextLearningRate(1e-3, 0.03, c)).toBeCloseTo(1e-3 / 1.5, 12);
    expect(nextLearningRate(1e-4, 0.001, c)).toBeCloseTo(1.5e-4, 12);
    // Between half and twice the target nothing changes.
    expect(nextLearningRate(4e-4, 0.01, c)).toBe(4e-4);
    expect(nextLearningRate(4e-4, 0.019, c)).toBe(4e-4);
    // Never above the configured rate nor below 1/100 of it.
    expect(nextLearningRate(1e-3, 0, c)).toBe(1e-3);
    expect(nextLearningRate(1e-5, 1, c)).toBe(1e-5);
    // Off: always the configured rate.
    expect(nextLearningRate(1e-4, 1, { ...c, lrTargetKl: 0 })).toBe(1e-3);
    expect(() => rl2ConfigSchema.parse({ lrTargetKl: -1 })).toThrow(/lrTargetKl/);
  });

  it('stops the PPO epochs once the KL passes targetKl, and runs them all without it', async () => {
    const stopped = new Rl2({ family, config: { ...small, targetKl: 1e-9 }, seed: 1 });
    const full = new Rl2({ family, config: { ...small, targetKl: 0 }, seed: 1 });
    const [a] = await train(stopped, 1, new Rng(2));
    const [b] = await train(full, 1, new Rng(2));
    // The first minibatch sees the sampling policy itself (KL 0); after one step the KL is
    // above 1e-9, so the first epoch is the last.
    expect(a['losses/epochs']).toBe(1);
    expect(b['losses/epochs']).toBe(small.epochs);
    await stopped.dispose();
    await full.dispose();
  });

  it('lowers the learning rate of a real learner whose updates exceed the KL target', async () => {
    const learner = new Rl2({ family, config: { ...small, lrTargetKl: 1e-7 }, seed: 1 });
    const rows = await train(learner, 4, new Rng(3));
    const lrs = rows.map((m) => m['policy/learning_rate']);
    expect(lrs[0]).toBe(small.learningRate);
    for (let i = 1; i < lrs.length; i++) {
      expect(rows[i - 1]['losses/approx_kl']).toBeGreaterThan(2e-7);
      expect(lrs[i]).toBeCloseTo(lrs[i - 1] / 1.5, 12);
    }
    await learner.dispose();
  });

  it('saves the adapted learning rate in checkpoints and restores it exactly', async () => {
    const config = { ...small, lrTargetKl: 1e-7 };
    const a = new Rl2({ family, config, seed: 4 });
    const rng = new Rng(5);
    await train(a, 3, rng);
    const ckpt = await a.saveState();
    expect(ckpt.optimizerState.learningRate).toBeCloseTo(small.learningRate / 1.5 ** 3, 12);
    const tasks = family.sampleTasks(4, rng, 'train');
    const ma = await a.metaTrainStep(tasks);

    const b = new Rl2({ family, config, seed: 99 });
    await b.loadState(structuredClone(ckpt));
    const mb = await b.metaTrainStep(tasks);
    expect(mb['policy/learning_rate']).toBe(ckpt.optimizerState.learningRate);
    for (const k of Object.keys(ma).filter((k) => !k.startsWith('time/')))
      expect(mb[k], k).toBe(ma[k]);

    // A checkpoint written before the rate could move resumes at the configured rate.
    const old = structuredClone(ckpt);
    delete old.optimizerState.learningRate;
    await b.loadState(old);
    expect((await b.metaTrainStep(tasks))['policy/learning_rate']).toBe(small.learningRate);
    const bad = structuredClone(ckpt);
    bad.optimizerState.learningRate = -1;
    await expect(b.loadState(bad)).rejects.toThrow(/optimizerState\.learningRate/);
    await a.dispose();
    await b.dispose();
  });
});
