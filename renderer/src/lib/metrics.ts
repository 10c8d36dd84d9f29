// Turning metric rows (metrics.jsonl lines / `mrl:metrics.added` events) into chart series
// and headline figures, for any learner: MAML reports returns before and after each inner
// step, RL² per episode of a trial; both are namespaced under `returns/`.
import type { MetricsRow } from '../../../src/shared/protocol';

export interface Point {
  x: number;
  y: number;
}
export interface Series {
  key: string;
  label: string;
  points: Point[];
}

/** A readable label for a metric key ('returns/post_1' → 'After step 1'). */
export function metricLabel(key: string): string {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  let m: RegExpMatchArray | null;
  if (key.startsWith('returns/')) {
    if (name === 'pre') return 'Before adaptation';
    if ((m = name.match(/^post_?(\d+)$/))) return `After step ${m[1]}`;
    if (name === 'post') return 'After adaptation';
    if ((m = name.match(/^(?:episode|ep)_?(\d+)$/))) return `Episode ${m[1]}`;
  }
  if (key.startsWith('losses/') && (m = name.match(/^inner_(\d+)$/)))
    return `Inner loss, step ${m[1]}`;
  return name
    .split('_')
    .map((w, i) =>
      ACRONYMS.has(w) ? w.toUpperCase() : i === 0 ? w.replace(/^\w/, (c) => c.toUpperCase()) : w,
    )
    .join(' ');
}

/** Words of metric names that read as acronyms ('losses/kl' → 'KL'). */
const ACRONYMS = new Set(['kl', 'lr', 'cg', 'gae', 'ppo', 'trpo', 'rl2']);

/** Order keys so 'pre' comes first, then numbered stages in numeric order. */
function stageOrder(key: string): number {
  if (/\/pre$/.test(key)) return -1;
  const m = key.match(/(\d+)$/);
  return m ? Number(m[1]) : 1e6;
}

/** One series per metric key with the given prefix (e.g. 'returns/'), x = meta-iteration. */
export function seriesByPrefix(
  rows: readonly MetricsRow[],
  prefix: string,
  exclude: RegExp | null = null,
): Series[] {
  const map = new Map<string, Point[]>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row.metrics)) {
      if (!k.startsWith(prefix) || (exclude && exclude.test(k)) || !Number.isFinite(v)) continue;
      let pts = map.get(k);
      if (!pts) map.set(k, (pts = []));
      pts.push({ x: row.iteration, y: v });
    }
  }
  return [...map]
    .sort(([a], [b]) => stageOrder(a) - stageOrder(b) || a.localeCompare(b))
    .map(([key, points]) => ({ key, label: metricLabel(key), points }));
}

/** Return metrics that are not a stage's mean: spreads, per-task values, RL²'s whole-trial sum. */
const NOT_A_STAGE = /std|min|max|_task|\/trial$/;

/** The return series of the learner: before vs after adaptation (MAML) or per episode index (RL²). */
export function returnSeries(rows: readonly MetricsRow[]): Series[] {
  return seriesByPrefix(rows, 'returns/', NOT_A_STAGE);
}

/** Loss and KL (gradient norms and the like are on other scales and left out). */
export function lossSeries(rows: readonly MetricsRow[]): Series[] {
  return seriesByPrefix(rows, 'losses/', /norm|epochs|clip_fraction|entropy_coef/);
}

/** Gradient and step norms (every learner's `…norm` metrics under losses/ and optim/), on a chart of their own. */
export function normSeries(rows: readonly MetricsRow[]): Series[] {
  return seriesByPrefix(rows, '').filter((s) => /^(losses|optim)\/\w*norm$/.test(s.key));
}

/** Meta-control's curves: the meta-validation return and the best so far (runs with meta-control only). */
export function validationSeries(rows: readonly MetricsRow[]): Series[] {
  return seriesByPrefix(rows, 'validation/').map((s) => ({
    ...s,
    label: s.key === 'validation/best' ? 'Best so far' : 'Meta-validation return',
  }));
}

/** Keys drawn on the chart's right-hand axis: the KL is orders of magnitude below the losses. */
export const RIGHT_AXIS = /(^|\/)(kl|approx_kl)$/;

/** The key of the final adaptation stage among a row's return metrics. */
export function finalReturnKey(row: MetricsRow | undefined): string | null {
  if (!row) return null;
  const keys = Object.keys(row.metrics).filter(
    (k) => k.startsWith('returns/') && !NOT_A_STAGE.test(k) && !k.endsWith('/pre'),
  );
  if (keys.length === 0) return null;
  return keys.sort((a, b) => stageOrder(a) - stageOrder(b))[keys.length - 1];
}

/** Environment steps per second of the latest iteration, if the learner reports its step count. */
export function stepsPerSecond(row: MetricsRow | undefined): number | null {
  if (!row) return null;
  const m = row.metrics;
  for (const [k, v] of Object.entries(m)) {
    if (/steps_per_s|sps$|stepsPerSecond/i.test(k) && Number.isFinite(v)) return v;
  }
  for (const [k, v] of Object.entries(m)) {
    if (
      /env[/_]?steps$|steps\/iteration|^counts\/steps|samples$/i.test(k) &&
      Number.isFinite(v) &&
      row.wallMs > 0
    ) {
      return (v / row.wallMs) * 1000;
    }
  }
  return null;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h ${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m ${String(sec).padStart(2, '0')}s`
      : `${sec}s`;
}

export function formatNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(a >= 100 ? 0 : digits);
}

/**
 * Exponential moving average of each series with weight `w` in [0, 1), debiased at the
 * start as TensorBoard does (so the first points are not pulled towards 0).
 */
export function smoothSeries(series: readonly Series[], w: number): Series[] {
  if (!(w > 0)) return series as Series[];
  const a = Math.min(w, 0.999);
  return series.map((s) => {
    let last = 0;
    let n = 0;
    const points = s.points.map((p) => {
      last = last * a + (1 - a) * p.y;
      n++;
      return { x: p.x, y: last / (1 - Math.pow(a, n)) };
    });
    return { ...s, points };
  });
}

/** CSV of series over a shared x (one column per series, empty where a series has no point). */
export function seriesToCsv(series: readonly Series[], xLabel: string): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const maps = series.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
  const quote = (t: string) => (/[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
  const head = [xLabel, ...series.map((s) => s.label)].map(quote).join(',');
  const rows = xs.map((x) => [x, ...maps.map((m) => (m.has(x) ? m.get(x) : ''))].join(','));
  return [head, ...rows].join('\n') + '\n';
}
