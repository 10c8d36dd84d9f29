// The live run's guards against a diverged learner: the first non-finite metric or tensor
// value, named, so the run fails with a message that says where.
import type { Checkpoint } from '../algos/metaLearner';

/** First non-finite scalar of a metrics record, or null. */
export function firstNonFinite(metrics: Record<string, number>): string | null {
  for (const [k, v] of Object.entries(metrics))
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${k} = ${v}`;
  return null;
}

export function nonFiniteTensor(c: Checkpoint): string | null {
  for (const [group, tensors] of [
    ['parameter', c.params],
    ['optimiser tensor', c.optimizerTensors],
  ] as const) {
    for (const [name, t] of Object.entries(tensors)) {
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) return `${group} "${name}"[${i}] = ${t.data[i]}`;
      }
    }
  }
  return null;
}
