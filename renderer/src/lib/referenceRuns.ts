// The runs New run takes its expected training times from: runs of the same family and
// learner with timed iterations, the shipped examples (full-size) and the newest of this
// machine's own. Each is opened once per length (a run still training is opened again
// when it has more iterations), and the one closest in size to the chosen settings gives the
// estimate (see estimate.ts).
import { ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import type { JsonObject } from '../../../src/shared/json';
import type { CommandReply, RunSummary } from '../../../src/shared/protocol';
import { useAppStore } from '../stores/app';
import { estimateTraining, type Estimate } from './estimate';

export type OpenedRun = CommandReply<'mrl:run.open'>;

/** Reference run ids for a family × learner: examples first, then up to `newest` of this machine's own, newest first. */
export function referenceRunIds(
  list: readonly RunSummary[],
  family: string,
  algo: string,
  newest = 3,
): string[] {
  const same = list.filter((r) => r.family === family && r.algo === algo && r.iteration > 0);
  const own = [...same.filter((r) => !r.example)].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  );
  return [...same.filter((r) => r.example), ...own.slice(0, newest)].map(
    (r) => `${r.runId}@${r.iteration}`,
  );
}

/** Opened runs by `runId@iteration`; a failed open is remembered as null (not asked again). */
const opened = new Map<string, Promise<OpenedRun | null>>();

function openOnce(key: string): Promise<OpenedRun | null> {
  let p = opened.get(key);
  if (!p) {
    const runId = key.slice(0, key.lastIndexOf('@'));
    // A newer length of the same run replaces the older one.
    for (const k of opened.keys()) if (k.startsWith(`${runId}@`)) opened.delete(k);
    p = useAppStore()
      .api()
      .call('mrl:run.open', { runId })
      .catch(() => null);
    opened.set(key, p);
  }
  return p;
}

/**
 * The opened reference runs for the keys `ids()` gives (from referenceRunIds), kept up to date,
 * and whether the current keys are still being opened (so a view does not say "not timed"
 * while it is still finding out).
 */
export function useReferenceRuns(ids: () => string[]): {
  runs: ShallowRef<OpenedRun[]>;
  pending: Ref<boolean>;
} {
  const runs = shallowRef<OpenedRun[]>([]);
  const pending = ref(false);
  watch(
    () => ids().join(' '),
    async (joined) => {
      pending.value = joined !== '';
      const got = await Promise.all(ids().map(openOnce));
      if (joined !== ids().join(' ')) return;
      runs.value = got.filter((r): r is OpenedRun => r !== null);
      pending.value = false;
    },
    { immediate: true },
  );
  return { runs, pending };
}

/**
 * The reference closest in size to the chosen settings (linear scaling is least wrong near 1);
 * among equally close ones, a run timed on this machine before an example, then the longest.
 */
export function pickEstimate(
  runs: readonly OpenedRun[],
  hyper: JsonObject,
  iterations: number,
): { run: OpenedRun; est: Estimate } | null {
  let pick: { run: OpenedRun; est: Estimate } | null = null;
  const rank = (r: OpenedRun) => (r.summary.example ? 0 : 1e9) + r.metrics.length;
  for (const run of runs) {
    const est = estimateTraining(run.metrics, run.config.hyper, hyper, iterations);
    if (!est) continue;
    const d = Math.abs(Math.log(est.scale));
    const pd = pick ? Math.abs(Math.log(pick.est.scale)) : Infinity;
    if (d < pd - 1e-9 || (Math.abs(d - pd) <= 1e-9 && rank(run) > rank(pick!.run)))
      pick = { run, est };
  }
  return pick;
}

/** Forget the opened runs (for tests). */
export function clearReferenceRuns(): void {
  opened.clear();
}
