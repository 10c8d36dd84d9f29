// The expected training time shown on New run, from a measured figure: the median wall time
// per meta-iteration of the newest run of the same family and learner on this machine
// (examples included), scaled to the chosen config. Sampling grows with the episodes an
// iteration samples. MAML's update does too (its passes run over every sampled step), so
// there the whole iteration scales with the episodes. RL²'s PPO update does not: it unrolls
// the GRU step by step over the trial, and the cost is in those per-step ops, nearly the same
// for 40 trials side by side as for 160; it grows with the passes (epochs × minibatches) and
// the trial's length (episodes per trial) instead.
import type { JsonObject } from '../../../src/shared/json';
import type { MetricsRow } from '../../../src/shared/protocol';

/** A numeric hyper-parameter, or the learner's default when the config leaves it out. */
function numberOr(hyper: JsonObject, key: string, fallback: number): number {
  const v = hyper[key];
  return typeof v === 'number' ? v : fallback;
}

/** Episodes sampled per meta-iteration: MAML's tasks × episodes × stages, RL²'s tasks × trials × episodes. */
export function episodesPerIteration(hyper: JsonObject): number {
  const n = (k: string, d: number) => numberOr(hyper, k, d);
  if (hyper.episodesPerTrial !== undefined || hyper.trialsPerTask !== undefined)
    return n('metaBatchSize', 40) * n('trialsPerTask', 4) * n('episodesPerTrial', 2);
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

/** RL²'s unrolled passes per iteration, in episodes of GRU steps (null for other learners). */
export function unrolledPasses(hyper: JsonObject): number | null {
  if (hyper.episodesPerTrial === undefined && hyper.trialsPerTask === undefined) return null;
  const n = (k: string, d: number) => numberOr(hyper, k, d);
  return n('epochs', 4) * n('minibatches', 4) * n('episodesPerTrial', 2);
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
  const sampleScale = episodesPerIteration(hyper) / episodesPerIteration(refHyper);
  const passes = unrolledPasses(hyper);
  const refPasses = unrolledPasses(refHyper);
  let perIteration = (ms / 1000) * sampleScale;
  if (passes !== null && refPasses !== null) {
    const sampling = median(
      rows
        .map((r) => r.metrics['time/sampling'])
        .filter((x): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0),
    );
    const samplingMs = Math.min(ms, (sampling ?? 0) * 1000);
    perIteration = (samplingMs * sampleScale + (ms - samplingMs) * (passes / refPasses)) / 1000;
  }
  const scale = perIteration / (ms / 1000);
  return { seconds: perIteration * iterations, perIteration, scale };
}
