// The run configuration: what a user chooses to start a meta-training run (family, learner,
// seed, backend, length, checkpoint and preview cadence, the learner's hyper-parameters).
// The same schema checks a CLI flag set, a --config JSON file, and a `mrl:run.start` message
// from the UI. The learner's own hyper-parameters are checked a second time by the learner's
// schema (src/algos/registry.ts) in the trainer, which may import the learners; this module
// may import only zod so the renderer can use it for inline validation.
import { z } from 'zod';
import type { JsonObject, JsonValue } from './json';
import { SamplerChoiceSchema } from './cluster';
import { MetaControlSchema } from './metaControl';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_NAMES)[number];

export const MAX_SEED = 2147483647;
export const MAX_ITERATIONS = 1_000_000;
export const MAX_WORKERS = 64;

/** An integer field whose every error message names the allowed range. */
export function intIn(min: number, max: number) {
  const msg = `must be an integer in [${min}, ${max}]`;
  return z
    .number({ error: msg })
    .int({ error: msg })
    .min(min, { error: msg })
    .max(max, { error: msg });
}

export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValueSchema),
    z.record(z.string(), JsonValueSchema),
  ]),
);
export const JsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), JsonValueSchema);

export const PreviewConfigSchema = z.strictObject({
  /** The fixed held-out task the live preview adapts to; default: the first test task drawn from the run's seed. */
  task: JsonObjectSchema.optional(),
  /** Adaptation stages beyond "before" (MAML gradient steps / RL² episodes); default: the learner's own. */
  steps: intIn(1, 10).optional(),
  /** Episodes per stage the learner samples to adapt (MAML's inner batch; RL² trials). */
  episodesPerStage: intIn(1, 100).default(10),
  /** Episodes per stage whose frames are streamed (each is a full rollout). */
  framesPerStage: intIn(1, 10).default(1),
});

export const RunConfigSchema = z.strictObject({
  /** Free label shown in the runs list. */
  name: z
    .string({ error: 'must be a string of at most 80 characters' })
    .max(80, { error: 'must be a string of at most 80 characters' })
    .optional(),
  /** Environment family id, e.g. 'point-nav' (checked against the registry by the trainer). */
  family: z
    .string({ error: 'must be a family id such as "point-nav"' })
    .min(1, { error: 'must be a family id such as "point-nav"' }),
  /** Meta-learner id, e.g. 'maml' or 'rl2' (checked against the registry by the trainer). */
  algo: z
    .string({ error: 'must be a learner id such as "maml"' })
    .min(1, { error: 'must be a learner id such as "maml"' }),
  seed: intIn(0, MAX_SEED).default(1),
  backend: z
    .enum(BACKEND_NAMES, { error: `must be one of ${BACKEND_NAMES.join(', ')}` })
    .default('auto'),
  /** Meta-iterations; default: the learner's default for the family. */
  iterations: intIn(1, MAX_ITERATIONS).optional(),
  /** Sampler worker threads; default: the trainer's core count. Results do not depend on it. */
  workers: intIn(1, MAX_WORKERS).optional(),
  /** Where episodes are rolled out: 'local' threads (default) or a Redis URL of `metarl worker`s. */
  sampler: SamplerChoiceSchema.optional(),
  /** Write a checkpoint every N meta-iterations (and always at stop and at the end). */
  checkpointEvery: intIn(1, MAX_ITERATIONS).default(10),
  /** Run the live preview every N meta-iterations; 0 turns it off. */
  previewEvery: intIn(0, MAX_ITERATIONS).default(10),
  preview: PreviewConfigSchema.default({ episodesPerStage: 10, framesPerStage: 1 }),
  /** The learner's hyper-parameters (validated by its own schema; `{}` = its defaults). */
  hyper: JsonObjectSchema.default({}),
  /**
   * Meta-validation, best checkpoint, early stopping, step-size schedule (./metaControl.ts);
   * null = off, absent = the learner's default for the family (off on most).
   */
  metaControl: MetaControlSchema.nullable().optional(),
  /**
   * Train even when the run's memory estimate (src/training/resources.ts) is above this
   * machine's limit: for machines with more memory than the estimate assumes usable.
   */
  allowLarge: z.boolean({ error: 'must be true or false' }).default(false),
});

/** What a caller may send (optional fields may be left out). */
export type RunConfigInput = z.input<typeof RunConfigSchema>;
/** After this schema: defaults filled in, `iterations`/`workers` possibly still open. */
export type RunConfig = z.output<typeof RunConfigSchema>;

/** The config as the trainer stores it in config.json: every choice made explicit (hyper validated by the learner's schema). */
export const ResolvedRunConfigSchema = RunConfigSchema.extend({
  iterations: intIn(1, MAX_ITERATIONS),
  workers: intIn(1, MAX_WORKERS),
  hyper: JsonObjectSchema,
  /** Absent = off. */
  metaControl: MetaControlSchema.optional(),
});
export type ResolvedRunConfig = z.infer<typeof ResolvedRunConfigSchema>;

/**
 * One line per problem, naming the field, what is allowed, and what was given:
 * `config.seed: must be an integer in [0, 2147483647] (got 1.5)`. With the schema that
 * produced the error, a non-finite number is reported as such with the field's range
 * (zod itself says only "expected number").
 */
export function formatIssues(error: z.ZodError, prefix = '', schema?: z.ZodType): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => `"${k}"`).join(', ');
        return `${path || '(top level)'}: unknown field ${keys}`;
      }
      const input = 'input' in issue ? issue.input : undefined;
      if (
        isNonFinite(input) ||
        (issue.code === 'invalid_type' &&
          ['Infinity', '-Infinity', 'NaN'].includes(
            String((issue as { received?: unknown }).received),
          ))
      ) {
        const range = schema ? rangeAt(schema, issue.path) : null;
        const got = isNonFinite(input)
          ? String(input)
          : String((issue as { received?: unknown }).received);
        return `${path || '(top level)'}: not finite (got ${got}); must be a finite number${range ? ` in [${range[0]}, ${range[1]}]` : ''}`;
      }
      const got = input !== undefined ? ` (got ${short(input)})` : '';
      return `${path || '(top level)'}: ${issue.message}${got}`;
    })
    .join('\n');
}

function isNonFinite(v: unknown): boolean {
  return typeof v === 'number' && !Number.isFinite(v);
}

/** The [min, max] of the number field at `path` in `schema`, when the schema says. */
export function rangeAt(schema: z.ZodType, path: readonly PropertyKey[]): [number, number] | null {
  let s = unwrap(schema);
  for (const key of path) {
    const def = (
      s as unknown as {
        def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
      }
    ).def;
    if (def.type === 'object' && def.shape && typeof key === 'string' && key in def.shape)
      s = unwrap(def.shape[key]);
    else if (def.type === 'array' && def.element && typeof key === 'number')
      s = unwrap(def.element);
    else return null;
  }
  const n = s as unknown as {
    def: { type: string };
    minValue?: number | null;
    maxValue?: number | null;
  };
  if (n.def.type !== 'number') return null;
  return [n.minValue ?? -Number.MAX_VALUE, n.maxValue ?? Number.MAX_VALUE];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s as unknown as {
    def: { type: string; innerType?: unknown; in?: unknown; getter?: () => unknown };
  };
  for (let i = 0; i < 10; i++) {
    const d = cur.def;
    if (
      (d.type === 'default' ||
        d.type === 'optional' ||
        d.type === 'nullable' ||
        d.type === 'prefault' ||
        d.type === 'readonly') &&
      d.innerType
    )
      cur = d.innerType as typeof cur;
    else if (d.type === 'pipe' && d.in) cur = d.in as typeof cur;
    else if (d.type === 'lazy' && d.getter) cur = d.getter() as typeof cur;
    else break;
  }
  return cur as unknown as z.ZodType;
}

function short(v: unknown): string {
  if (isNonFinite(v)) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Parse a run config, throwing an Error whose message names every bad field. */
export function parseRunConfig(value: unknown): RunConfig {
  const r = RunConfigSchema.safeParse(value, { reportInput: true });
  if (!r.success)
    throw new Error(`Invalid run config:\n${formatIssues(r.error, 'config', RunConfigSchema)}`);
  return r.data;
}

/** An error's message in plain words: a ZodError becomes one line per field (`prefix.field: what is wrong`), never a JSON dump. */
export function describeError(err: unknown, prefix = ''): string {
  if (err instanceof z.ZodError) return formatIssues(err, prefix);
  return err instanceof Error ? err.message : String(err);
}
