// Metric rows → chart series and headline figures, for MAML's, RL²'s and Reptile's metric names.
import { describe, expect, it } from 'vitest';
import {
  finalReturnKey,
  formatDuration,
  lossSeries,
  metricLabel,
  normSeries,
  returnSeries,
  RIGHT_AXIS,
  stepsPerSecond,
  validationSeries,
} from '../../renderer/src/lib/metrics';
import type { MetricsRow } from '../../src/shared/protocol';

const row = (iteration: number, metrics: Record<string, number>, wallMs = 2000): MetricsRow => ({
  iteration,
  time: '',
  wallMs,
  metrics,
});

describe('metrics', () => {
  it('charts the meta-validation return only at the iterations that validated', () => {
    const rows = [
      row(1, { 'returns/pre': -40 }),
      row(2, { 'returns/pre': -30, 'validation/return': -20, 'validation/best': -20 }),
      row(3, { 'returns/pre': -25 }),
      row(4, { 'returns/pre': -24, 'validation/return': -22, 'validation/best': -20 }),
    ];
    expect(validationSeries(rows)).toEqual([
      {
        key: 'validation/best',
        label: 'Best so far',
        points: [
          { x: 2, y: -20 },
          { x: 4, y: -20 },
        ],
      },
      {
        key: 'validation/return',
        label: 'Meta-validation return',
        points: [
          { x: 2, y: -20 },
          { x: 4, y: -22 },
        ],
      },
    ]);
    expect(validationSeries(rows.slice(0, 1))).toEqual([]);
    expect(returnSeries(rows).map((s) => s.key)).toEqual(['returns/pre']);
  });

  it('charts MAML before/after stages in stage order with readable labels', () => {
    const rows = [
      row(1, {
        'returns/post_2': -20,
        'returns/pre': -40,
        'returns/post_1': -30,
        'losses/kl': 0.01,
        'env/steps': 8000,
      }),
      row(2, {
        'returns/post_2': -15,
        'returns/pre': -39,
        'returns/post_1': -25,
        'losses/kl': 0.009,
        'env/steps': 8000,
      }),
    ];
    const s = returnSeries(rows);
    expect(s.map((x) => x.label)).toEqual(['Before adaptation', 'After step 1', 'After step 2']);
    expect(s[2].points).toEqual([
      { x: 1, y: -20 },
      { x: 2, y: -15 },
    ]);
    expect(finalReturnKey(rows[1])).toBe('returns/post_2');
    expect(stepsPerSecond(rows[1])).toBe(4000);
    expect(lossSeries(rows).map((x) => x.key)).toEqual(['losses/kl']);
    expect(RIGHT_AXIS.test('losses/kl')).toBe(true);
    expect(RIGHT_AXIS.test('losses/surrogate')).toBe(false);
  });

  it('charts RL² per episode, leaving out the whole-trial sum and PPO bookkeeping', () => {
    const rows = [
      row(
        1,
        {
          'returns/episode_1': -50,
          'returns/episode_2': -30,
          'returns/trial': -80,
          'samples/env_steps': 1000,
          'losses/policy': 0.1,
          'losses/epochs': 3,
          'losses/grad_norm': 2,
          'losses/approx_kl': 0.01,
        },
        500,
      ),
    ];
    expect(returnSeries(rows).map((x) => x.label)).toEqual(['Episode 1', 'Episode 2']);
    expect(finalReturnKey(rows[0])).toBe('returns/episode_2');
    expect(stepsPerSecond(rows[0])).toBe(2000);
    expect(
      lossSeries(rows)
        .map((x) => x.key)
        .sort(),
    ).toEqual(['losses/approx_kl', 'losses/policy']);
    expect(RIGHT_AXIS.test('losses/approx_kl')).toBe(true);
  });

  it("charts Reptile's inner losses and KL, and its norms on a chart of their own", () => {
    const rows = [
      row(1, {
        'returns/pre': -40,
        'returns/post_1': -30,
        'losses/inner_2': -0.01,
        'losses/inner_1': 0.02,
        'losses/kl': 0.003,
        'losses/inner_grad_norm': 0.4,
        'optim/adaptation_norm': 0.05,
        'optim/step_norm': 0.02,
        'optim/outer_step_size': 0.5,
        'policy/entropy': 2.8,
      }),
    ];
    const losses = lossSeries(rows);
    expect(losses.map((x) => [x.key, x.label])).toEqual([
      ['losses/inner_1', 'Inner loss, step 1'],
      ['losses/inner_2', 'Inner loss, step 2'],
      ['losses/kl', 'KL'],
    ]);
    expect(losses.filter((x) => RIGHT_AXIS.test(x.key)).map((x) => x.key)).toEqual(['losses/kl']);
    expect(normSeries(rows).map((x) => [x.key, x.label, x.points[0].y])).toEqual([
      ['losses/inner_grad_norm', 'Inner grad norm', 0.4],
      ['optim/adaptation_norm', 'Adaptation norm', 0.05],
      ['optim/step_norm', 'Step norm', 0.02],
    ]);
    // Other learners' norms land there too; a run without any has no norms chart.
    expect(normSeries([row(1, { 'losses/grad_norm': 2, 'losses/policy': 0.1 })])).toHaveLength(1);
    expect(normSeries([row(1, { 'losses/kl': 0.01, 'returns/pre': -3 })])).toEqual([]);
  });

  it('labels and formats', () => {
    expect(metricLabel('losses/surrogate_after')).toBe('Surrogate after');
    expect(metricLabel('losses/kl')).toBe('KL');
    expect(metricLabel('policy/learning_rate')).toBe('Learning rate');
    expect(metricLabel('optim/cg_residual')).toBe('CG residual');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(null)).toBe('—');
    expect(stepsPerSecond(row(1, { 'returns/pre': 1 }))).toBeNull();
  });
});
