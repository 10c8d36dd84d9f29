// The expected training time shown on New run, from a measured figure: the median wall time
// per meta-iteration of the newest run of the same family and learner on this machine
// (examples included), scaled by how many episodes an iteration samples in each config.
// Sampling and the update both grow with that count, so the scaling is roughly linear.
import type { JsonObject } from '../../../src/shared/json';
import type { MetricsRow } from '../../../src/shared/protocol';

/** Episodes sampled per meta-iteration: MAML's tasks × episodes × stages, RL²'s tasks × trials × episodes. */
export function episodesPerIteration(hyper: JsonObject): number {
  const n = (k: string, d: number) => (typeof hyper[k] === 'number' ? (hyper[k] as number) : d);
  if (hyper.episodesPerTrial !== undefined || hyper.trialsPerTask !== undefined)
    return n('metaBatchSize', 10) * n('trialsPerTask', 4) * n('episodesPerTrial', 2);
  return n('metaBatchSize', 20) * n('episodesPerTask', 20) * (n('innerSteps', 1) + 1);
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Estimate {
  /** Expected seconds for the whole run. */
  seconds: number;
  /** Measured median seconds per iteration of the reference run, and the scale applied to it. */
  perIteration: number;
  scale: number;
}

/** Null when the reference run has no timed iteration yet. The first iteration (warm-up, compilation) is left out when there are others. */
export function estimateTraining(
  refRows: readonly MetricsRow[],
  refHyper: JsonObject,
  hyper: JsonObject,
  iterations: number,
): Estimate | null {
  const rows = refRows.length > 1 ? refRows.slice(1) : refRows;
  const ms = median(rows.map((r) => r.wallMs).filter((x) => Number.isFinite(x) && x > 0));
  if (ms === null || !(iterations > 0)) return null;
  const scale = episodesPerIteration(hyper) / episodesPerIteration(refHyper);
  const perIteration = (ms / 1000) * scale;
  return { seconds: perIteration * iterations, perIteration, scale };
}
