// Learning smoke tests, one per robot family and learner: a few meta-iterations of MAML and
// of RL² on a fixed seed and a fixed set of training tasks must raise the return after
// adaptation (MAML: after one inner step; RL²: episode 2 of a trial). Budgets are tiny so
// each case takes seconds; whether the defaults reach the paper's targets is measured by
// `npm run bench:meta-quality`, not here.
import { beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { MamlLearner } from '../../src/algos/maml';
import { mamlConfigSchema } from '../../src/algos/mamlConfig';
import type { MetaLearner, Metrics } from '../../src/algos/metaLearner';
import { Rl2 } from '../../src/algos/rl2';
import { Rng } from '../../src/core/rng';
import { initBackend } from '../../src/tf/backend';

interface Case {
  family: string;
  algo: 'maml' | 'rl2';
  iterations: number;
  config: Record<string, unknown>;
  /** Keep only training tasks that pass this (default: all). */
  only?: (task: Record<string, unknown>) => boolean;
}

// A larger TRPO step (maxKl) and Adam rate than the defaults: a few iterations must show it.
const MAML = {
  hidden: [32, 32],
  metaBatchSize: 4,
  episodesPerTask: 8,
  updateThreads: 1,
  maxKl: 0.05,
};
const RL2 = {
  metaBatchSize: 4,
  trialsPerTask: 3,
  hiddenSize: 8,
  epochs: 3,
  minibatches: 1,
  learningRate: 0.01,
};

const CASES: Case[] = [
  { family: 'reacher', algo: 'maml', iterations: 8, config: MAML },
  { family: 'cheetah-vel', algo: 'maml', iterations: 6, config: MAML },
  { family: 'cheetah-dir', algo: 'maml', iterations: 8, config: MAML },
  {
    family: 'cartpole',
    algo: 'maml',
    iterations: 8,
    config: { ...MAML, episodesPerTask: 10, maxKl: 0.1 },
  },
  { family: 'reacher', algo: 'rl2', iterations: 8, config: RL2 },
  {
    family: 'cheetah-vel',
    algo: 'rl2',
    iterations: 6,
    config: { ...RL2, trialsPerTask: 2, epochs: 2 },
  },
  {
    family: 'cheetah-dir',
    algo: 'rl2',
    iterations: 6,
    config: { ...RL2, trialsPerTask: 2, epochs: 2 },
  },
  // With the gain's sign unknown, what a few PPO iterations can learn about one sign cancels
  // against the other (only memory separates them, which takes far longer to learn): this
  // case trains on tasks of one sign, where balancing itself is learnable in seconds.
  {
    family: 'cartpole',
    algo: 'rl2',
    iterations: 10,
    config: { ...RL2, learningRate: 0.003, metaBatchSize: 6, trialsPerTask: 4, minibatches: 2 },
    only: (t) => Number(t.gain) > 0,
  },
];

const postAdaptation = (m: Metrics): number => m['returns/post_1'] ?? m['returns/episode_2'];
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('every robot family meta-learns a little in a few iterations', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each(CASES)('$algo on $family', async ({ family: id, algo, iterations, config, only }) => {
    const family = getFamily(id);
    const learner: MetaLearner =
      algo === 'maml'
        ? new MamlLearner({
            family,
            config: mamlConfigSchema.parse(config),
            seed: 1,
            workers: 0,
            algo: 'maml',
          })
        : new Rl2({ family, config, seed: 1 });
    const n = Number(config.metaBatchSize);
    const tasks = family
      .sampleTasks(4 * n, new Rng(2), 'train')
      .filter((t) => only?.(t) ?? true)
      .slice(0, n);
    const curve: number[] = [];
    try {
      for (let i = 0; i < iterations; i++)
        curve.push(postAdaptation(await learner.metaTrainStep(tasks)));
    } finally {
      await learner.dispose();
    }
    const first = mean(curve.slice(0, 2));
    const last = mean(curve.slice(-2));
    // Returns are negative costs on most families and step counts on cart-pole: 5% of the
    // starting magnitude is a margin above the step-to-step noise of these tiny batches.
    expect(
      last,
      `post-adaptation return per iteration: ${curve.map((r) => r.toFixed(1)).join(' ')}`,
    ).toBeGreaterThan(first + 0.05 * Math.abs(first));
  });
});
