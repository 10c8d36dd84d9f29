// The environment API, following Gymnasium (reset/step, terminated vs truncated) and
// learn2learn (a task is plain serialisable data; families sample tasks and make envs).
import type { JsonObject } from '../shared/json';
import type { TaskParam } from '../shared/protocolShapes';
import type { SceneDescription } from '../shared/scene';
import type { Rng } from './rng';
import type { Box } from './spaces';

export type Info = Record<string, number | boolean | string>;

export interface ResetResult {
  obs: Float32Array;
  info: Info;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** The MDP reached a terminal state (e.g. goal reached): no bootstrapping past it. */
  terminated: boolean;
  /** The episode was cut by the horizon: the state is not terminal. */
  truncated: boolean;
  info: Info;
}

export interface Env<T extends JsonObject = JsonObject> {
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  /** Steps per episode before `truncated`. */
  readonly horizon: number;
  readonly task: T;
  /** Change the task in place (learn2learn's `set_task`); takes effect at the next reset. */
  setTask(task: T): void;
  reset(opts?: { seed?: number }): ResetResult;
  step(action: Float32Array): StepResult;
  /** Static description for renderers (bodies, geoms, colours, markers). */
  scene(): SceneDescription;
  /** Pose of every body then every marker, [x,y,z,qw,qx,qy,qz] each. A fresh array unless `out` is given. */
  frame(out?: Float32Array): Float32Array;
  /** Free what the garbage collector cannot (a WebAssembly simulation's memory). Idempotent. */
  close?(): void;
}

/** One task parameter, as the UI needs it to build an editor (defined with the protocol, which carries it). */
export type { TaskParam };

export interface TaskFamily<T extends JsonObject = JsonObject> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly horizon: number;
  readonly params: readonly TaskParam[];
  /**
   * Observation, action, reward, termination and the task distribution in words, for docs and
   * the UI. `tasks` is optional only so that families written before it existed still compile;
   * `departures` says where a family reproducing a published environment differs from it.
   */
  readonly docs: {
    observation: string;
    action: string;
    reward: string;
    termination: string;
    tasks?: string;
    departures?: string;
    /**
     * What a policy told the task returns on held-out test tasks, as the project's benchmark
     * measured it (an oracle run), and where the figure comes from: the viewer's "good value"
     * when no oracle run of the family is at hand.
     */
    oracle?: { value: number; source: string };
  };
  /** `n` tasks of a split. Train and test splits are disjoint and reproducible given the rng. */
  sampleTasks(n: number, rng: Rng, split: 'train' | 'test'): T[];
  /** Validate plain data as a task of this family (throws an Error naming the bad field). */
  parseTask(value: unknown): T;
  make(task: T, seed?: number): Env<T>;
  /**
   * Load what `make()` needs once per thread (a WebAssembly physics runtime), if anything;
   * until it resolves, `make()` throws. Families without it are ready on import.
   */
  prepare?(): Promise<void>;
}

/** Await a family's one-time runtime load (a no-op for families that need none). */
export async function prepareFamily(family: TaskFamily): Promise<void> {
  await family.prepare?.();
}

/**
 * Make a task's env, read something from it and close it (a WebAssembly env frees its
 * simulator state at once instead of when the garbage collector gets to it).
 */
export function readEnv<R>(
  family: TaskFamily,
  task: JsonObject,
  read: (env: Env<JsonObject>) => R,
): R {
  const env = family.make(task, 0);
  try {
    return read(env);
  } finally {
    env.close?.();
  }
}
