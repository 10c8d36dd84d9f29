// Small facts about runs that several screens show: the name people gave a run (its id
// otherwise), how many adaptation stages it was trained with, and the oracle's return on a
// family (the "good value" of the legends).
import type { FamilyInfo, RunSummary } from '../../../src/shared/protocol';
import type { JsonObject } from '../../../src/shared/json';

export function runLabel(r: { runId: string; name?: string } | null | undefined): string {
  return r ? r.name || r.runId : '';
}

/**
 * Adaptation stages beyond the first the learner trained with: MAML's inner steps (0 for
 * the pretrained and oracle baselines), RL²'s episodes per trial minus one.
 */
export function trainedStages(stageUnit: 'step' | 'episode', hyper: JsonObject): number {
  if (stageUnit === 'episode') return Math.max(0, Number(hyper.episodesPerTrial ?? 2) - 1);
  return Math.max(0, Number(hyper.innerSteps ?? 1));
}

/** What the viewer and preview show by default: the trained stages, at least one. */
export function defaultStages(stageUnit: 'step' | 'episode', hyper: JsonObject): number {
  return Math.max(1, trainedStages(stageUnit, hyper));
}

/**
 * What "good" looks like on a family: the best training return of an oracle run of it, if
 * there is one here; otherwise the oracle figure the family documents (its benchmark's), if any.
 */
export function oracleGood(
  runs: readonly RunSummary[],
  family: Pick<FamilyInfo, 'id' | 'docs'> | null | undefined,
): { value: number; source: string } | null {
  if (!family) return null;
  let best: RunSummary | null = null;
  for (const r of runs) {
    if (r.algo !== 'oracle' || r.family !== family.id || r.bestReturn === null) continue;
    if (!best || r.bestReturn > best.bestReturn!) best = r;
  }
  if (best)
    return {
      value: best.bestReturn!,
      source: `the oracle run “${runLabel(best)}”, which is told the task, reached it in training`,
    };
  const doc = family.docs.oracle;
  return doc ? { value: doc.value, source: `a policy told the task: ${doc.source}` } : null;
}
