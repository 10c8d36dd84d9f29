// What the screens say in words and numbers: rounded figures, hyper-parameter labels (with
// the optimiser's unused fields hidden), the expected training time from a measured
// iteration, trained stages and the oracle's "good value".
import { describe, expect, it } from 'vitest';
import { human, humanJson } from '../../renderer/src/lib/format';
import { hyperApplies, hyperLabel, hyperTooltip } from '../../renderer/src/lib/hyperLabels';
import {
  episodesPerIteration,
  estimateTraining,
  gruWidthCost,
  JS_EPISODE_COST,
  updateWork,
} from '../../renderer/src/lib/estimate';
import { defaultStages, oracleGood, runLabel, trainedStages } from '../../renderer/src/lib/runInfo';
import type { MetricsRow, RunSummary } from '../../src/shared/protocol';
import { listFamilies } from '../../envs/registry';

describe('numbers for people', () => {
  it('rounds to a few significant digits without float noise', () => {
    expect(human(0.1 + 0.2)).toBe('0.3');
    expect(human(-36.14159)).toBe('-36.1');
    expect(human(200)).toBe('200');
    expect(human(1e-5)).toBe('1e-5');
    expect(human(123456)).toBe('1.23e5');
    expect(human(Number.NaN)).toBe('—');
    expect(humanJson({ goal: [0.218812345, -0.36572] }, 4)).toBe('{"goal":[0.2188,-0.3657]}');
  });
});

describe('hyper-parameter labels', () => {
  it('names fields in words, keeps the key and abbreviation in the tooltip, hides the other optimiser', () => {
    expect(hyperLabel('gaeLambda', 'Gae lambda')).toBe('Advantage smoothing');
    expect(hyperTooltip('gaeLambda', 'GAE λ.')).toBe('gaeLambda (GAE λ): GAE λ.');
    expect(hyperLabel('somethingNew', 'Something new')).toBe('Something new');
    expect(hyperApplies('ppoClip', { outer: 'trpo' })).toBe(false);
    expect(hyperApplies('maxKl', { outer: 'trpo' })).toBe(true);
    expect(hyperApplies('maxKl', { outer: 'ppo' })).toBe(false);
    expect(hyperApplies('ppoClip', { outer: 'ppo' })).toBe(true);
    expect(hyperApplies('clip', {})).toBe(true); // RL²'s own PPO clip is always used
  });
});

describe('expected training time', () => {
  const rows = (ms: number[]): MetricsRow[] =>
    ms.map((wallMs, i) => ({ iteration: i + 1, time: '', wallMs, metrics: {} }));
  it('scales the mean measured iteration (warm-up left out) by the episodes per iteration', () => {
    const maml = { metaBatchSize: 20, episodesPerTask: 20, innerSteps: 1 };
    expect(episodesPerIteration(maml)).toBe(800);
    const e = estimateTraining(
      rows([9000, 2000, 2200, 1800]),
      maml,
      { ...maml, metaBatchSize: 10 },
      200,
    )!;
    expect(e.perIteration).toBeCloseTo(1.0);
    expect(e.seconds).toBeCloseTo(200);
    expect(episodesPerIteration({ metaBatchSize: 10, trialsPerTask: 4, episodesPerTrial: 2 })).toBe(
      80,
    );
    expect(estimateTraining([], maml, maml, 10)).toBeNull();
  });

  it('times a run whose iterations drift by their mean, leaving out a stall', () => {
    const maml = { metaBatchSize: 20, episodesPerTask: 20, innerSteps: 1 };
    // Iterations that slow from 1 s to 4 s, and one of 100 s (a machine asleep): the median
    // would say 1 s; the mean of the others is 1.75 s.
    const e = estimateTraining(rows([9000, 1000, 1000, 1000, 4000, 100000]), maml, maml, 100)!;
    expect(e.perIteration).toBeCloseTo(1.75);
    expect(e.seconds).toBeCloseTo(175);
    expect(e.scale).toBeCloseTo(1);
  });

  const timedRows = (update: number, sampling: number): MetricsRow[] =>
    [update + sampling + 0.5, update + sampling, update + sampling].map((s, i) => ({
      iteration: i + 1,
      time: '',
      wallMs: s * 1000,
      metrics: { 'time/sampling': sampling },
    }));

  it("scales RL²'s tfjs update by a fixed part per pass plus arithmetic per trial, shared over threads", () => {
    // Cart-pole at its defaults, from one checkpoint (bench:rl2): the tfjs update took 2.61 /
    // 3.74 / 6.04 s on two threads and 3.23 / 5.47 / 10.43 s on one, for 40 / 80 / 160 tasks.
    const cartpole = {
      metaBatchSize: 80,
      trialsPerTask: 4,
      episodesPerTrial: 2,
      epochs: 4,
      minibatches: 4,
      hiddenSize: 64,
      gradients: 'tfjs',
      updateThreads: 2,
    };
    const reference = timedRows(3.74, 1.5);
    const update = (over: object) =>
      estimateTraining(reference, cartpole, { ...cartpole, ...over }, 1)!.perIteration;
    const measured: [object, number, number][] = [
      [{ metaBatchSize: 40 }, 2.61, 0.75],
      [{ metaBatchSize: 160 }, 6.04, 3],
      [{ updateThreads: 1, metaBatchSize: 40 }, 3.23, 0.75],
      [{ updateThreads: 1 }, 5.47, 1.5],
      [{ updateThreads: 1, metaBatchSize: 160 }, 10.43, 3],
    ];
    for (const [over, seconds, sampling] of measured) {
      const predicted = update(over) - sampling;
      expect(Math.abs(predicted / seconds - 1)).toBeLessThan(0.08);
    }
    // Point-nav at 32 units, 40 tasks (bench:rl2): 1.11 s on one thread, 1.03 s on two.
    const pointNav = { ...cartpole, metaBatchSize: 40, hiddenSize: 32, updateThreads: 1 };
    const twoThreads =
      estimateTraining(timedRows(1.11, 0.15), pointNav, { ...pointNav, updateThreads: 2 }, 1)!
        .perIteration - 0.15;
    expect(Math.abs(twoThreads / 1.03 - 1)).toBeLessThan(0.16);
    // The same trials in fewer, longer minibatches: fewer passes, the same arithmetic.
    expect(update({ minibatches: 2 })).toBeLessThan(update({}));
    // More epochs repeat everything.
    expect(update({ epochs: 8 }) - 1.5).toBeCloseTo(2 * 3.74);
    // A wider GRU costs the tfjs update more arithmetic too, not more passes.
    expect(updateWork({ ...cartpole, hiddenSize: 128 })!).toBeGreaterThan(updateWork(cartpole)!);
    // Stored without `gradients`: a run from before the plain-JS update, tfjs on one thread.
    const { gradients: _g, updateThreads: _t, ...old } = cartpole;
    expect(updateWork(old)).toBeCloseTo(updateWork({ ...cartpole, updateThreads: 1 })!);
    expect(updateWork({ metaBatchSize: 20, episodesPerTask: 20 })).toBeNull();
    // Sampling scales with the trials; without a sampling time the whole iteration is update.
    const noSampling = rows([5000, 5000]);
    const bigger = estimateTraining(noSampling, cartpole, { ...cartpole, epochs: 8 }, 1)!;
    expect(bigger.perIteration).toBeCloseTo(10);
  });

  it("scales RL²'s plain-JS update by the trials unrolled per thread, and converts from a tfjs run", () => {
    const js = {
      metaBatchSize: 40,
      trialsPerTask: 4,
      episodesPerTrial: 2,
      epochs: 4,
      minibatches: 4,
      gradients: 'js',
      updateThreads: 2,
    };
    const w = updateWork(js)!;
    expect(w).toBeCloseTo((4 * 2 * 160 * JS_EPISODE_COST) / 2);
    // Minibatches do not change the flops; threads and trials do.
    expect(updateWork({ ...js, minibatches: 8 })).toBeCloseTo(w);
    expect(updateWork({ ...js, updateThreads: 1 })).toBeCloseTo(2 * w);
    expect(updateWork({ ...js, metaBatchSize: 20 })).toBeCloseTo(w / 2);
    // A wider GRU costs more per step, a narrower one less.
    expect(gruWidthCost(32)).toBe(1);
    expect(updateWork({ ...js, hiddenSize: 64 })).toBeCloseTo(w * gruWidthCost(64));
    expect(gruWidthCost(64)).toBeGreaterThan(3.2);
    expect(gruWidthCost(64)).toBeLessThan(3.5);
    expect(gruWidthCost(16)).toBeLessThan(0.5);
    // Cart-pole at its defaults from one checkpoint: JS on one thread 29.10 s where tfjs on
    // one thread took 5.66 s; on two, JS 15.29 s.
    const cartpole = { ...js, metaBatchSize: 80, hiddenSize: 64, gradients: 'tfjs' };
    const tfjsOne = timedRows(5.66, 1.5);
    const asJs = (threads: number) =>
      estimateTraining(
        tfjsOne,
        { ...cartpole, updateThreads: 1 },
        { ...cartpole, gradients: 'js', updateThreads: threads },
        1,
      )!.perIteration - 1.5;
    expect(Math.abs(asJs(1) / 29.1 - 1)).toBeLessThan(0.08);
    expect(Math.abs(asJs(2) / 15.29 - 1)).toBeLessThan(0.08);
  });
});

describe('runs in words', () => {
  const run = (over: Partial<RunSummary>): RunSummary => ({
    runId: 'r',
    family: 'point-nav',
    algo: 'maml',
    seed: 1,
    backend: 'wasm',
    createdAt: '',
    iteration: 1,
    iterations: 1,
    checkpoints: [1],
    bestReturn: null,
    state: 'finished',
    ...over,
  });
  it('uses names, trained stages and the best oracle of the family', () => {
    expect(runLabel(run({ name: 'mine' }))).toBe('mine');
    expect(runLabel(run({}))).toBe('r');
    expect(trainedStages('step', { innerSteps: 1 })).toBe(1);
    expect(trainedStages('episode', { episodesPerTrial: 3 })).toBe(2);
    expect(defaultStages('step', { innerSteps: 0 })).toBe(1);
    const runs = [
      run({ runId: 'o1', algo: 'oracle', bestReturn: -3 }),
      run({ runId: 'o2', algo: 'oracle', bestReturn: -0.6, name: 'best' }),
      run({ runId: 'c', algo: 'oracle', family: 'cartpole', bestReturn: 200 }),
    ];
    const fam = (id: string) => listFamilies().find((f) => f.id === id)!;
    // An oracle run of the family here wins over the family's documented figure.
    expect(oracleGood(runs, fam('point-nav'))?.value).toBe(-0.6);
    expect(oracleGood(runs, fam('point-nav'))?.source).toContain('best');
    // Without one, the documented benchmark figure (shipped examples have no oracle run).
    expect(oracleGood([], fam('point-nav'))?.value).toBe(-0.5);
    expect(oracleGood(runs, fam('reacher'))?.source).toMatch(/told the task.*held-out/);
    expect(oracleGood([], fam('mujoco-cheetah-dir'))?.value).toBeGreaterThan(300);
    // A family with no measured oracle, and no family: nothing to show.
    expect(oracleGood(runs, fam('mujoco-ant-dir'))).toBeNull();
    expect(oracleGood(runs, null)).toBeNull();
  });
});

describe('chart tools', () => {
  it('smooths with a debiased moving average and exports raw values as CSV', async () => {
    const { smoothSeries, seriesToCsv } = await import('../../renderer/src/lib/metrics');
    const s = [
      {
        key: 'returns/pre',
        label: 'Before, "raw"',
        points: [
          { x: 1, y: 10 },
          { x: 2, y: 0 },
          { x: 3, y: 10 },
        ],
      },
    ];
    expect(smoothSeries(s, 0)).toBe(s);
    const sm = smoothSeries(s, 0.5)[0].points.map((p) => p.y);
    expect(sm[0]).toBeCloseTo(10); // debiased: the first point is itself
    expect(sm[1]).toBeCloseTo(10 / 3);
    expect(sm[2]).toBeCloseTo(50 / 7);
    const other = [...s, { key: 'returns/post_1', label: 'After', points: [{ x: 2, y: -1 }] }];
    expect(seriesToCsv(other, 'Meta-iteration')).toBe(
      'Meta-iteration,"Before, ""raw""",After\n1,10,\n2,0,-1\n3,10,\n',
    );
  });
});
