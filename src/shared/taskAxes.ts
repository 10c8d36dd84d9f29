// The numbers that tell tasks apart, as axes to plot or sort per-task results along: every
// numeric field of a task (`velocity`, `gain`), every entry of a numeric array field
// (`goal[0]`, `goal[1]`) and, for a vector, its length (`|goal|`: how far a goal lies from
// the origin, often what decides how hard a task is). Only axes whose value differs between
// the tasks are kept, in the order the task's fields come.
import type { JsonObject } from './json';

export interface TaskAxis {
  /** The axis's name: `field`, `field[i]` or `|field|`. */
  key: string;
  /** Its value for each task, in the tasks' order. */
  values: number[];
}

function numericVector(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as number[]) : null;
}

/** One task's axes (every candidate, varying or not). */
function axesOf(task: JsonObject): [string, number][] {
  const out: [string, number][] = [];
  for (const [field, v] of Object.entries(task)) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      out.push([field, v]);
      continue;
    }
    const vec = numericVector(v);
    if (!vec) continue;
    if (vec.length > 1) out.push([`|${field}|`, Math.hypot(...vec)]);
    vec.forEach((x, i) => out.push([`${field}[${i}]`, x]));
  }
  return out;
}

/** The axes along which the given tasks differ (an axis some task lacks is left out). */
export function taskAxes(tasks: JsonObject[]): TaskAxis[] {
  if (tasks.length === 0) return [];
  const per = tasks.map((t) => new Map(axesOf(t)));
  return axesOf(tasks[0])
    .map(([key]) => key)
    .filter((key) => per.every((m) => m.has(key)))
    .map((key) => ({ key, values: per.map((m) => m.get(key) as number) }))
    .filter((a) => a.values.some((v) => v !== a.values[0]));
}
