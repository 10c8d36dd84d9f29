// Meta-SGD's learned inner step sizes α, per layer of the policy, from the latest metric row
// that carries them: alpha/<layer>/mean, min, max and alpha/<layer>/hist_<bin> (the share of
// the layer's entries in each of equal bins over [min, max]).
import type { MetricsRow } from '../../../src/shared/protocol';

export interface AlphaLayer {
  layer: string;
  mean: number;
  min: number;
  max: number;
  /** Share of the layer's entries per bin, low to high. */
  bins: number[];
}

/** α per layer from the last row that has α metrics; [] for learners without α. */
export function alphaLayers(rows: readonly MetricsRow[]): AlphaLayer[] {
  const row = [...rows].reverse().find((r) => Object.keys(r.metrics).some(isAlphaKey));
  if (!row) return [];
  const layers = new Map<string, AlphaLayer>();
  for (const [key, value] of Object.entries(row.metrics)) {
    const m = key.match(/^alpha\/([^/]+)\/(mean|min|max|hist_(\d+))$/);
    if (!m) continue;
    const l = layers.get(m[1]) ?? { layer: m[1], mean: NaN, min: NaN, max: NaN, bins: [] };
    if (m[3] !== undefined) l.bins[Number(m[3])] = value;
    else l[m[2] as 'mean' | 'min' | 'max'] = value;
    layers.set(m[1], l);
  }
  return [...layers.values()].map((l) => ({ ...l, bins: Array.from(l.bins, (b) => b ?? 0) }));
}

function isAlphaKey(k: string): boolean {
  return k.startsWith('alpha/');
}
