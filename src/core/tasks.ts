// Task-split helpers shared by the families. A split is decided by a hash of the task's
// (quantised) parameters, so the train and test splits are disjoint by construction and the
// same task always falls in the same split, whatever rng produced it.
import type { Rng } from './rng';

/** Fraction of the task space held out for testing. */
export const TEST_FRACTION = 0.2;

/** FNV-1a over the parameters quantised to 1e-6: a stable split key. */
export function taskHash(values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    const q = Math.round(v * 1e6);
    // Mix the low and high 32 bits of the quantised value.
    for (const word of [q | 0, Math.floor(q / 4294967296) | 0]) {
      for (let s = 0; s < 32; s += 8) {
        h ^= (word >>> s) & 0xff;
        h = Math.imul(h, 0x01000193);
      }
    }
  }
  return (h >>> 0) / 4294967296;
}

export function splitOf(values: readonly number[]): 'train' | 'test' {
  return taskHash(values) < TEST_FRACTION ? 'test' : 'train';
}

/**
 * Draw `n` tasks of `split` by rejection: `draw` samples from the full distribution and
 * `key` gives the numbers that identify a task.
 */
export function sampleSplit<T>(
  n: number,
  rng: Rng,
  split: 'train' | 'test',
  draw: (rng: Rng) => T,
  key: (task: T) => number[],
): T[] {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`sampleTasks: n must be a non-negative integer, got ${n}`);
  const out: T[] = [];
  let tries = 0;
  while (out.length < n) {
    if (++tries > 1000 * (n + 1))
      throw new Error(`sampleTasks: could not draw ${n} ${split} tasks`);
    const t = draw(rng);
    if (splitOf(key(t)) === split) out.push(t);
  }
  return out;
}

/** Read a finite number at `path` of a task object, or throw naming the field and range. */
export function readNumber(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`task.${path} must be a finite number, got ${JSON.stringify(value)}`);
  }
  if (value < min || value > max)
    throw new Error(`task.${path} = ${value} is outside [${min}, ${max}]`);
  return value;
}

export function readObject(value: unknown, what = 'task'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------
// The meta-validation split (meta-control, src/training/metaControl.ts): a fifth of the
// training split, chosen by a second hash of every number of the task (keys in sorted
// order), salted so it is independent of the family's train/test hash. Validation tasks are
// drawn from the training split and kept only if they fall in it; a run with meta-control
// trains only on the training tasks outside it. So the three are disjoint by construction.

/** Fraction of the training split held out for meta-validation. */
export const VALIDATION_FRACTION = 0.2;
const VALIDATION_SALT = 0.731;

/** Every number of a task, depth first, object keys sorted. */
export function taskNumbers(task: unknown, out: number[] = []): number[] {
  if (typeof task === 'number') out.push(task);
  else if (Array.isArray(task)) for (const v of task) taskNumbers(v, out);
  else if (typeof task === 'object' && task !== null) {
    const o = task as Record<string, unknown>;
    for (const k of Object.keys(o).sort()) taskNumbers(o[k], out);
  }
  return out;
}

/** True when a (training-split) task belongs to the meta-validation split. */
export function isValidationTask(task: unknown): boolean {
  return taskHash([VALIDATION_SALT, ...taskNumbers(task)]) < VALIDATION_FRACTION;
}

/**
 * `n` tasks drawn one at a time from `sampleTrain` (a family's training split), keeping those
 * for which `keep` holds: the meta-training tasks (keep = not validation) or the
 * meta-validation tasks (keep = validation).
 */
export function sampleFiltered<T>(
  n: number,
  rng: Rng,
  sampleTrain: (rng: Rng) => T,
  keep: (task: T) => boolean,
  what: string,
): T[] {
  const out: T[] = [];
  let tries = 0;
  while (out.length < n) {
    if (++tries > 1000 * (n + 1)) throw new Error(`sampleTasks: could not draw ${n} ${what} tasks`);
    const t = sampleTrain(rng);
    if (keep(t)) out.push(t);
  }
  return out;
}
