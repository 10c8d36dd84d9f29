// The short seeded runs behind the learners' regression fixtures (test/fixtures/algos):
// point-nav, seed 1, a few meta-iterations at a small batch, then one adaptation. Each run
// covers a different path through the learners (derivative back-end, outer optimiser,
// update threads, several inner steps, RL²), so a refactoring that changes any number
// they compute shows up as a difference from the recorded values.
//   npm run fixtures:algos   re-records them (only when a change of results is intended).
import { getFamily } from '../../envs/registry';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { Rng } from '../../src/core/rng';
import type { JsonObject } from '../../src/shared/json';

export interface RegressionRun {
  /** File name under test/fixtures/algos (without .json). */
  name: string;
  algo: string;
  hyper: JsonObject;
  iterations: number;
  tasksPerIteration: number;
}

// Recorded when point-nav's inner step was 0.5 and MAML's output layer started from Glorot's
// init there (outputInitScale 1; test/policies covers the scaled init).
const tiny = {
  hidden: [16, 16],
  metaBatchSize: 4,
  episodesPerTask: 5,
  innerLr: 0.5,
  outputInitScale: 1,
};
// MAML's and Meta-SGD's runs also before their point-nav objective weighed in the return
// before adaptation (preAdaptWeight 0; test/algos/mamlGradients covers the term).
const tinyMaml = { ...tiny, preAdaptWeight: 0 };
// Recorded with GAE λ 0.95, unclipped inputs, the JS gradients, no KL stop and a value-loss
// weight of 0.5, before point-nav's RL² defaults became λ 1, inputs clipped to ±1, 64 units
// with the tfjs gradients, a KL stop and a weight of 0.1.
const tinyRl2 = {
  metaBatchSize: 4,
  trialsPerTask: 2,
  hiddenSize: 8,
  epochs: 2,
  minibatches: 2,
  gaeLambda: 0.95,
  inputClip: 0,
  gradients: 'js',
  targetKl: 0,
  valueCoef: 0.5,
};

export const REGRESSION_RUNS: RegressionRun[] = [
  // The default: manual derivatives, TRPO, the update split over two threads.
  {
    name: 'maml-trpo',
    algo: 'maml',
    hyper: { ...tinyMaml, updateThreads: 2 },
    iterations: 3,
    tasksPerIteration: 4,
  },
  // The autodiff reference, two inner steps, all episodes in the curvature, one thread.
  {
    name: 'maml-trpo-autodiff',
    algo: 'maml',
    hyper: {
      ...tinyMaml,
      derivatives: 'autodiff',
      innerSteps: 2,
      cgSubsample: 1,
      cgIters: 4,
      updateThreads: 1,
    },
    iterations: 2,
    tasksPerIteration: 3,
  },
  // Manual derivatives through two inner steps, an episode-weighted loss, the update over three threads.
  {
    name: 'maml-trpo-two-steps',
    algo: 'maml',
    hyper: { ...tinyMaml, innerSteps: 2, updateThreads: 3, lossWeighting: 'episode' },
    iterations: 2,
    tasksPerIteration: 4,
  },
  // The oracle: the task in the observation, evaluated without fine-tuning.
  {
    name: 'oracle',
    algo: 'oracle',
    hyper: { ...tiny, updateThreads: 1 },
    iterations: 2,
    tasksPerIteration: 4,
  },
  // The PPO outer optimiser (Adam), second and first order.
  {
    name: 'maml-ppo',
    algo: 'maml',
    hyper: { ...tinyMaml, outer: 'ppo', ppoEpochs: 3, updateThreads: 1 },
    iterations: 3,
    tasksPerIteration: 4,
  },
  {
    name: 'maml-ppo-first-order',
    algo: 'maml',
    hyper: { ...tinyMaml, outer: 'ppo', ppoEpochs: 2, firstOrder: true, updateThreads: 1 },
    iterations: 2,
    tasksPerIteration: 4,
  },
  {
    name: 'pretrained',
    algo: 'pretrained',
    hyper: { ...tiny, updateThreads: 1 },
    iterations: 2,
    tasksPerIteration: 4,
  },
  // RL² with the tfjs gradients on one thread (the reference), and with the default plain-JS
  // gradients split over two threads.
  {
    name: 'rl2',
    algo: 'rl2',
    hyper: { ...tinyRl2, gradients: 'tfjs', updateThreads: 1 },
    iterations: 3,
    tasksPerIteration: 4,
  },
  {
    name: 'rl2-js',
    algo: 'rl2',
    hyper: tinyRl2,
    iterations: 3,
    tasksPerIteration: 4,
  },
  // Reptile (three inner steps, ε annealed) and Meta-SGD (α learned, the update over two threads).
  {
    name: 'reptile',
    algo: 'reptile',
    hyper: { ...tiny, annealIterations: 5 },
    iterations: 3,
    tasksPerIteration: 4,
  },
  {
    name: 'meta-sgd',
    algo: 'meta-sgd',
    // Recorded with stepSizeLr 0.003.
    hyper: { ...tinyMaml, updateThreads: 2, stepSizeLr: 0.003 },
    iterations: 3,
    tasksPerIteration: 4,
  },
  // Nearest-task: the library spread over a pool of 8 candidates, TRPO per known task.
  {
    name: 'nearest-task',
    algo: 'nearest-task',
    hyper: { prototypes: 4, candidates: 8, queryTasks: 3, hidden: [16, 16], episodesPerTask: 5 },
    iterations: 3,
    tasksPerIteration: 8,
  },
];

export interface RegressionResult {
  name: string;
  /** Per-iteration metrics without wall-clock times; non-finite values as strings. */
  metrics: Record<string, number | string>[];
  /** The mean return of each stage of one adaptation to a held-out task after training. */
  adaptReturns: (number | string)[];
  /** The checkpoint's parameters after training, flattened in name order. */
  params: number[];
}

function plain(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export async function runRegression(run: RegressionRun): Promise<RegressionResult> {
  const family = getFamily('point-nav');
  const spec = getAlgo(run.algo);
  const learner = await spec.create({
    family,
    config: resolveHyper(spec, family.id, run.hyper),
    seed: 1,
    workers: 0,
  });
  try {
    const rng = new Rng(1);
    const metrics: Record<string, number | string>[] = [];
    for (let it = 0; it < run.iterations; it++) {
      const m = await learner.metaTrainStep(
        family.sampleTasks(run.tasksPerIteration, rng, 'train'),
      );
      const kept: Record<string, number | string> = {};
      for (const k of Object.keys(m).sort()) if (!k.startsWith('time/')) kept[k] = plain(m[k]);
      metrics.push(kept);
    }
    const [task] = family.sampleTasks(1, new Rng(2), 'test');
    const adapted = await learner.adapt(task, { steps: 2, episodesPerStage: 3, seed: 7 });
    const state = await learner.saveState();
    const params = Object.keys(state.params)
      .sort()
      .flatMap((k) => Array.from(state.params[k].data));
    return { name: run.name, metrics, adaptReturns: adapted.returns.map(plain), params };
  } finally {
    await learner.dispose();
  }
}
