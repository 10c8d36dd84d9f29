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
  it('scales the median measured iteration (warm-up left out) by the episodes per iteration', () => {
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

  it("scales RL²'s sampling by the trials and its update by the unrolled passes, not the trials", () => {
    const rl2 = {
      metaBatchSize: 10,
      trialsPerTask: 4,
      episodesPerTrial: 2,
      epochs: 4,
      minibatches: 4,
    };
    const timed = [1500, 1400, 1400, 1400].map((wallMs, i) => ({
      iteration: i + 1,
      time: '',
      wallMs,
      metrics: { 'time/sampling': 0.05 },
    }));
    // Stored without `gradients`: a tfjs-era run, whose update is per pass.
    expect(updateWork(rl2)).toBe(32);
    expect(updateWork({ metaBatchSize: 20, episodesPerTask: 20 })).toBeNull();
    // 4× the trials: sampling 50 ms → 200 ms, the 1350 ms update unchanged.
    const more = estimateTraining(timed, rl2, { ...rl2, metaBatchSize: 40 }, 400)!;
    expect(more.perIteration).toBeCloseTo(1.55);
    expect(more.seconds).toBeCloseTo(620);
    // Twice the epochs: the update doubles, sampling stays.
    expect(estimateTraining(timed, rl2, { ...rl2, epochs: 8 }, 1)!.perIteration).toBeCloseTo(2.75);
    // Without a sampling time the whole iteration counts as update.
    expect(
      estimateTraining(rows([1400, 1400]), rl2, { ...rl2, metaBatchSize: 40 }, 1)!.perIteration,
    ).toBeCloseTo(1.4);
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
    // A wider GRU costs more per step, a narrower one less; the tfjs update's op count does not
    // change with the width.
    expect(gruWidthCost(32)).toBe(1);
    expect(updateWork({ ...js, hiddenSize: 64 })).toBeCloseTo(w * gruWidthCost(64));
    expect(gruWidthCost(64)).toBeGreaterThan(3.2);
    expect(gruWidthCost(64)).toBeLessThan(3.5);
    expect(gruWidthCost(16)).toBeLessThan(0.5);
    const { gradients: _gr, ...tfjsShape } = js;
    expect(updateWork({ ...tfjsShape, hiddenSize: 64 })).toBe(updateWork(tfjsShape));
    const timed = [1500, 1400, 1400, 1400].map((wallMs, i) => ({
      iteration: i + 1,
      time: '',
      wallMs,
      metrics: { 'time/sampling': 0.2 },
    }));
    // A tfjs run of the same shape (32 passes over an episode): its 1.2 s update becomes
    // 1.2 × w / 32 with JS gradients; sampling stays.
    const { gradients: _g, updateThreads: _t, ...tfjsRun } = js;
    const e = estimateTraining(timed, tfjsRun, js, 10)!;
    expect(e.perIteration).toBeCloseTo(0.2 + (1.2 * w) / 32);
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
