// The expected training time shown on New run, from a measured figure: the median wall time
// per meta-iteration of the newest run of the same family and learner on this machine
// (examples included), scaled to the chosen config. Sampling grows with the episodes an
// iteration samples. MAML's update does too (its passes run over every sampled step), so
// there the whole iteration scales with the episodes. RL²'s PPO update is scaled by its own
// work (updateWork): with tfjs gradients the cost is in per-step op dispatches, nearly the
// same for 40 trials side by side as for 160 at 32 units, so it grows with the passes
// (epochs × minibatches) and the trial's length (wider GRUs and longer trials add compute
// this leaves out: cart-pole at 64 units, 320 long trials, took 4.0 s on two threads where
// 160 took 2.7); with plain-JS gradients it is flops, growing with every trial unrolled and
// with the GRU's width, and shrinking with the update threads.
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

/**
 * What unrolling one trial for one episode costs the plain-JS update, in tfjs passes over
 * one episode of a whole minibatch. Point-nav with the default config (`FAMILY=point-nav
 * npm run bench:rl2`, 100-step episodes that never end early): tfjs 1.61 s for 32 such
 * passes (50 ms each), JS on one thread 2.70 s for 1280 trial-episodes (2.1 ms each).
 * Families whose episodes end early (cart-pole) cost JS less, as it unrolls each trial
 * only over its own steps.
 */
export const JS_EPISODE_COST = 0.042;

/**
 * How the plain-JS update's cost per step grows with the GRU's width H, relative to the
 * default 32 units: each gate multiplies H × (inputs + H), where the inputs are the
 * observation, previous action, previous reward and done flag (7 on cart-pole), plus a part
 * that does not depend on H (the heads, the loss), worth 170 such products. Fitted on
 * cart-pole (seed 1, 2 update threads, median of 4 iterations, load average 1.7–2.1): 40,
 * 135 and 497 µs of update per env step at 32, 64 and 128 units; this gives 1, 3.33 and
 * 12.3 times the first.
 */
const GRU_INPUTS = 7;
const GRU_STEP_OVERHEAD = 170;
export function gruWidthCost(hiddenSize: number): number {
  const work = (h: number) => GRU_STEP_OVERHEAD + h * (h + GRU_INPUTS);
  return work(hiddenSize) / work(32);
}

/**
 * RL²'s update work per iteration, in tfjs passes over one episode of steps (null for other
 * learners). A run stored without `gradients` predates the plain-JS update: tfjs.
 */
export function updateWork(hyper: JsonObject): number | null {
  if (hyper.episodesPerTrial === undefined && hyper.trialsPerTask === undefined) return null;
  const n = (k: string, d: number) => numberOr(hyper, k, d);
  const episodes = n('epochs', 4) * n('episodesPerTrial', 2);
  if (hyper.gradients !== 'js') return episodes * n('minibatches', 4);
  const trials = n('metaBatchSize', 40) * n('trialsPerTask', 4);
  const width = gruWidthCost(n('hiddenSize', 32));
  return (episodes * trials * JS_EPISODE_COST * width) / n('updateThreads', 2);
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
  const passes = updateWork(hyper);
  const refPasses = updateWork(refHyper);
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
