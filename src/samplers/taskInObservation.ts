// The oracle's view of a family (MAML paper, §5.3): the same tasks and envs, but each
// observation ends with the task's parameters (e.g. the goal), so a single policy can
// solve every task without adapting. Family id: `oracle:<base id>`.
import type { Env, ResetResult, StepResult, TaskFamily } from '../core/env';
import { Box } from '../core/spaces';
import type { JsonObject } from '../shared/json';

export const ORACLE_PREFIX = 'oracle:';

/** The value at a TaskParam path such as `goal.0` or `mass`. */
export function readTaskPath(task: JsonObject, path: string): number {
  let v: unknown = task;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') throw new Error(`task has no field ${path}`);
    v = (v as Record<string, unknown>)[key];
  }
  if (typeof v !== 'number') throw new Error(`task field ${path} is not a number`);
  return v;
}

class TaskInObservationEnv implements Env {
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly horizon: number;
  private readonly obs: Float32Array;
  private taskValues: Float32Array;

  constructor(
    private readonly inner: Env,
    private readonly paths: string[],
  ) {
    const o = inner.observationSpace;
    this.observationSpace = new Box(
      [...o.low, ...paths.map(() => -Infinity)],
      [...o.high, ...paths.map(() => Infinity)],
    );
    this.actionSpace = inner.actionSpace;
    this.horizon = inner.horizon;
    this.obs = new Float32Array(this.observationSpace.size);
    this.taskValues = Float32Array.from(paths.map((p) => readTaskPath(inner.task, p)));
  }

  get task(): JsonObject {
    return this.inner.task;
  }

  setTask(task: JsonObject): void {
    this.inner.setTask(task);
    this.taskValues = Float32Array.from(this.paths.map((p) => readTaskPath(task, p)));
  }

  private wrap(obs: Float32Array): Float32Array {
    this.obs.set(obs, 0);
    this.obs.set(this.taskValues, obs.length);
    return this.obs;
  }

  reset(opts?: { seed?: number }): ResetResult {
    const r = this.inner.reset(opts);
    return { obs: this.wrap(r.obs), info: r.info };
  }

  step(action: Float32Array): StepResult {
    const r = this.inner.step(action);
    return { ...r, obs: this.wrap(r.obs) };
  }

  scene() {
    return this.inner.scene();
  }

  frame(out?: Float32Array): Float32Array {
    return this.inner.frame(out);
  }

  close(): void {
    this.inner.close?.();
  }
}

export function withTaskInObservation(base: TaskFamily): TaskFamily {
  const paths = base.params.map((p) => p.path);
  return {
    id: ORACLE_PREFIX + base.id,
    title: `${base.title} (oracle: task in observation)`,
    description: base.description,
    observationSize: base.observationSize + paths.length,
    actionSize: base.actionSize,
    horizon: base.horizon,
    params: base.params,
    docs: {
      ...base.docs,
      observation: `${base.docs.observation}, then the task parameters (${paths.join(', ')})`,
    },
    sampleTasks: (n, rng, split) => base.sampleTasks(n, rng, split),
    parseTask: (v) => base.parseTask(v),
    make: (task, seed) => new TaskInObservationEnv(base.make(task, seed), paths),
    ...(base.prepare ? { prepare: () => base.prepare!() } : {}),
  };
}
