// Meta-SGD's per-layer α metrics → the dashboard's histograms.
import { describe, expect, it } from 'vitest';
import { alphaLayers } from '../../renderer/src/lib/alphaHistogram';
import type { MetricsRow } from '../../src/shared/protocol';

const row = (iteration: number, metrics: Record<string, number>): MetricsRow => ({
  iteration,
  time: '',
  wallMs: 1000,
  metrics,
});

describe('alphaLayers', () => {
  it('reads the latest row with α, per layer, bins in order', () => {
    const rows = [
      row(1, { 'alpha/W0/mean': 9, 'returns/pre': -30 }),
      row(2, {
        'alpha/W0/mean': 0.5,
        'alpha/W0/min': 0.4,
        'alpha/W0/max': 0.6,
        'alpha/W0/hist_1': 0.75,
        'alpha/W0/hist_0': 0.25,
        'alpha/logStd/mean': 0.3,
        'alpha/logStd/min': 0.3,
        'alpha/logStd/max': 0.3,
        'alpha/logStd/hist_0': 1,
        'alpha/logStd/hist_1': 0,
        'losses/kl': 0.01,
      }),
      row(3, { 'returns/pre': -20 }),
    ];
    expect(alphaLayers(rows)).toEqual([
      { layer: 'W0', mean: 0.5, min: 0.4, max: 0.6, bins: [0.25, 0.75] },
      { layer: 'logStd', mean: 0.3, min: 0.3, max: 0.3, bins: [1, 0] },
    ]);
  });

  it('is empty for learners without α', () => {
    expect(alphaLayers([row(1, { 'returns/pre': -1, 'returns/post_1': 0 })])).toEqual([]);
  });
});
