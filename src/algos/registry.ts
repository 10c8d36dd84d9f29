// The meta-learners the product offers. The trainer, CLI and UI find a learner here by id;
// each entry validates its own hyper-parameters and builds a MetaLearner for a family.
// Adding a learner = one file in src/algos and one line in ALGOS.
import type { z } from 'zod';
import type { TaskFamily } from '../core/env';
import type { JsonObject } from '../shared/json';
import { type MetaControl, type MetaControlInput, MetaControlSchema } from '../shared/metaControl';
import type { MetaLearner } from './metaLearner';
import { mamlSpec, oracleSpec, pretrainedSpec } from './mamlSpecs';
import { rl2Spec } from './rl2';
import { nearestTaskSpec } from './nearestTask';
import { metaSgdSpec, reptileSpec } from './mamlFamilySpecs';

export interface CreateLearnerArgs {
  family: TaskFamily;
  /** Hyper-parameters, already validated by `configSchema` (defaults filled in). */
  config: JsonObject;
  seed: number;
  /** Sampler worker threads (results must not depend on this). */
  workers: number;
  /** 'local' or a Redis URL of rollout workers (learners with `remoteSampling` only). */
  sampler?: string;
}

export interface AlgoSpec {
  id: string;
  title: string;
  description: string;
  /** What an adaptation stage is: a gradient step (MAML) or an episode of a trial (RL²). */
  stageUnit: 'step' | 'episode';
  /** zod schema of the hyper-parameters; parsing `{}` gives the defaults. */
  configSchema: z.ZodType<JsonObject>;
  /** Training tasks per meta-iteration, read from a validated config. */
  metaBatchSize(config: JsonObject): number;
  /** Default meta-iterations for a family (what `metarl train` runs with no --iterations). */
  defaultIterations(familyId: string): number;
  /**
   * Hyper-parameters whose default depends on the family (e.g. MAML's inner step size on
   * point-nav), laid under the user's own values before `configSchema` fills in the rest.
   */
  familyDefaults?(familyId: string): JsonObject;
  /**
   * Meta-control (src/shared/metaControl.ts) that is part of the learner's defaults on a
   * family, such as a step-size schedule: what a run gets when its config leaves
   * `metaControl` out. Undefined (or no such method): off.
   */
  familyMetaControl?(familyId: string): MetaControlInput | undefined;
  create(args: CreateLearnerArgs): Promise<MetaLearner>;
  /** Its rollouts can run on `metarl worker`s through Redis (`sampler: redis://…`). */
  remoteSampling?: boolean;
}

/** Filled by the learner modules (MAML, RL², baselines) as they land. */
export const ALGOS: AlgoSpec[] = [
  mamlSpec,
  rl2Spec,
  pretrainedSpec,
  oracleSpec,
  reptileSpec,
  metaSgdSpec,
  nearestTaskSpec,
];

export function getAlgo(id: string): AlgoSpec {
  const a = ALGOS.find((x) => x.id === id);
  if (!a)
    throw new Error(
      `Unknown meta-learner "${id}". Known: ${ALGOS.map((x) => x.id).join(', ') || '(none)'}`,
    );
  return a;
}

/** A learner's hyper-parameters for a family: the user's values over the family's defaults, validated (throws a ZodError). */
export function resolveHyper(spec: AlgoSpec, familyId: string, hyper: JsonObject = {}): JsonObject {
  return spec.configSchema.parse(withFamilyDefaults(spec, familyId, hyper));
}

/** The user's values over the family's defaults, not yet validated. */
export function withFamilyDefaults(
  spec: AlgoSpec,
  familyId: string,
  hyper: JsonObject = {},
): JsonObject {
  return { ...(spec.familyDefaults?.(familyId) ?? {}), ...hyper };
}

/**
 * A run's meta-control: its config's own (null = off), else the learner's default for the
 * family (undefined = off).
 */
export function resolveMetaControl(
  spec: AlgoSpec,
  familyId: string,
  given: MetaControl | null | undefined,
): MetaControl | undefined {
  if (given !== undefined) return given ?? undefined;
  const d = spec.familyMetaControl?.(familyId);
  return d === undefined ? undefined : MetaControlSchema.parse(d);
}
