// The expected training time shown on New run, from a measured figure: the mean wall time
// per meta-iteration of the newest run of the same family and learner on this machine
// (examples included), scaled to the chosen config. The mean, not the median: an iteration's
// time drifts as the policy learns (RL² trials on point-nav end sooner, PPO epochs stop early
// on the KL), and the mean times a whole run as it went. Over the shipped examples, the mean
// of the iterations after the first, times the iterations, is within 1% of each run's wall
// time; the median was up to 16% short (point-nav RL²: 6.7 against 8.0 minutes). Iterations
// over ten times the median (a machine that slept, a paused process) are left out.
//
// Sampling grows with the episodes an iteration samples. MAML's update does too (its passes
// run over every sampled step), so there the whole iteration scales with the episodes. RL²'s
// PPO update is scaled by its own work (updateWork): with tfjs gradients a fixed cost per pass
// (op dispatch, growing with the passes, epochs × minibatches, and the trial's length whatever
// the batch) plus arithmetic that grows with the trials and the GRU's width and is shared
// between the update threads; with plain-JS gradients it is all arithmetic, growing with every
// trial unrolled and with the GRU's width, and shrinking with the update threads.
import type { JsonObject } from '../../../src/shared/json';
import type { MetricsRow } from '../../../src/shared/protocol';

/** A numeric hyper-parameter, or the learner's default when the config leaves it out. */
function numberOr(hyper: JsonObject, key: string, fallback: number): number {
  const v = hyper[key];
  return typeof v === 'number' ? v : fallback;
}

/**
 * Episodes sampled per meta-iteration: MAML's tasks × episodes × stages, RL²'s tasks × trials
 * × episodes.
 */
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

/** The mean of xs without the values over ten times their median (null when xs is empty). */
export function typicalMean(xs: readonly number[]): number | null {
  const m = median(xs);
  if (m === null) return null;
  const kept = xs.filter((x) => x <= 10 * m);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

export interface Estimate {
  /** Expected seconds for the whole run. */
  seconds: number;
  /**
   * Seconds per iteration for the chosen settings, and the scale applied to the reference
   * run's mean.
   */
  perIteration: number;
  scale: number;
}

/**
 * What unrolling one trial for one episode costs the plain-JS update at 32 units, in the tfjs
 * update's fixed cost of one pass (see TFJS_TRIAL_COST). Cart-pole at its defaults from the
 * 250th checkpoint of a trained run (`bench:rl2`, 80 tasks × 4 trials, 64 units, one update
 * thread): JS 29.10 s against tfjs 5.66 s, whose fixed part per pass the tfjs model puts at
 * 24 ms; that is 3.4 ms a trial-episode at 32 units, or 0.14 passes. JS unrolls each trial only
 * over its own steps, tfjs a minibatch up to its longest trial, so families whose episodes end
 * early cost JS relatively less. On point-nav (32 units, 40 tasks) bench:rl2 measured JS 2.13 s
 * against tfjs 1.11 s on one thread, where this gives 2.9×: the dispatch per step differs
 * between families, so converting a run timed with one update to the other is good to about
 * 1.5×. A reference run with the chosen update needs no conversion.
 */
export const JS_EPISODE_COST = 0.143;

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
 * The tfjs update's arithmetic for one trial at 32 units, as a share of one pass's fixed cost
 * (op dispatch, whatever the batch). Fitted on cart-pole at 64 units from the 250th checkpoint
 * of a trained run, where every trial runs long (`CHECKPOINT=… FAMILY=cartpole GRADIENTS=tfjs
 * HP='{"metaBatchSize":B}' npm run bench:rl2`, 4 trials per task, 3 iterations, load average
 * 1.4–2.1): the update took 3.23 / 5.47 / 10.43 s for 40 / 80 / 160 tasks on one thread, a
 * line of 0.75 s + 15.1 ms a trial, within 2%. The arithmetic is shared between the update
 * threads; each thread beyond the first adds a share of the fixed cost (TFJS_THREAD_COST).
 */
export const TFJS_TRIAL_COST = 0.024;

/**
 * What each update thread beyond the first adds to the tfjs update's fixed cost, as a share
 * of it. On two threads, the cart-pole update above took 2.61 / 3.74 / 6.04 s, 0.5–0.7 s
 * more than its fixed part and half its arithmetic (a share of 0.8); point-nav at 32 units
 * (`FAMILY=point-nav npm run bench:rl2`, 40 tasks, load average 1.8) took 1.03 s on two
 * threads and 1.11 s on one (a share of 0.34). The model takes 0.6: cart-pole within 5%,
 * point-nav's two threads 15% too slow.
 */
export const TFJS_THREAD_COST = 0.6;

/**
 * RL²'s update work per iteration, in tfjs op-dispatch passes over one episode of steps (null
 * for other learners). A run stored without `gradients` predates the plain-JS update and the
 * update threads: tfjs on one thread.
 */
export function updateWork(hyper: JsonObject): number | null {
  if (hyper.episodesPerTrial === undefined && hyper.trialsPerTask === undefined) return null;
  const n = (k: string, d: number) => numberOr(hyper, k, d);
  const episodes = n('epochs', 4) * n('episodesPerTrial', 2);
  const trials = n('metaBatchSize', 40) * n('trialsPerTask', 4);
  const width = gruWidthCost(n('hiddenSize', 32));
  if (hyper.gradients !== 'js') {
    const threads = hyper.gradients === undefined ? 1 : n('updateThreads', 2);
    const passes = episodes * n('minibatches', 4);
    const fixed = passes * (1 + TFJS_THREAD_COST * (threads - 1));
    return fixed + (episodes * trials * TFJS_TRIAL_COST * width) / threads;
  }
  return (episodes * trials * JS_EPISODE_COST * width) / n('updateThreads', 2);
}

/**
 * Null when the reference run has no timed iteration yet. The first iteration (warm-up,
 * compilation) is left out when there are others.
 */
export function estimateTraining(
  refRows: readonly MetricsRow[],
  refHyper: JsonObject,
  hyper: JsonObject,
  iterations: number,
): Estimate | null {
  const rows = refRows.length > 1 ? refRows.slice(1) : refRows;
  const ms = typicalMean(rows.map((r) => r.wallMs).filter((x) => Number.isFinite(x) && x > 0));
  if (ms === null || !(iterations > 0)) return null;
  const sampleScale = episodesPerIteration(hyper) / episodesPerIteration(refHyper);
  const passes = updateWork(hyper);
  const refPasses = updateWork(refHyper);
  let perIteration = (ms / 1000) * sampleScale;
  if (passes !== null && refPasses !== null) {
    const sampling = typicalMean(
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
