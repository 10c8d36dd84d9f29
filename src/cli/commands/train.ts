// `metarl train` and `metarl resume`: meta-train in a trainer child process with a progress
// bar. The config comes from flags, a JSON file (--config), or both (flags win); it is
// validated by the run-config schema and the learner's own schema, and every bad value is
// reported with its field and allowed range.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import {
  collect,
  describeEnd,
  ExitStatus,
  exitStatusOf,
  followRun,
  locateRun,
  startTrainer,
} from './common';
import {
  BACKEND_NAMES,
  MAX_ITERATIONS,
  formatIssues,
  parseRunConfig,
  type RunConfigInput,
} from '../../shared/config';
import { ALGOS, withFamilyDefaults } from '../../algos/registry';
import { stripRedisPassword } from '../../samplers/redisUrl';
import type { JsonObject, JsonValue } from '../../shared/json';
import { resolveRunConfig } from '../../training/runConfig';

interface TrainFlags {
  config?: string;
  env?: string;
  algo?: string;
  seed?: string;
  backend?: string;
  iterations?: string;
  workers?: string;
  sampler?: string;
  checkpointEvery?: string;
  previewEvery?: string;
  name?: string;
  hp?: string[];
  out: string;
  quiet?: boolean;
  preload?: string[];
  allowLarge?: boolean;
  metaControl?: string;
}

/** A flag's text as a number (Infinity included: the schema reports it as not finite), or the text itself so the schema reports it ("got "abc""). */
function num(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== '' && !Number.isNaN(n) ? n : v;
}

function parseHyper(pairs: string[] = []): JsonObject {
  const out: JsonObject = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--hp expects key=value (e.g. --hp innerLr=0.1), got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      value = raw;
    }
    out[key] = value;
  }
  return out;
}

/**
 * --sampler as stored in the run config: a password in the URL moves to the trainer's
 * environment (METARL_REDIS_PASSWORD, inherited by the trainer process) so that config.json
 * never holds it.
 */
function samplerFlag(v: string | undefined): string | undefined {
  if (v === undefined || !/^rediss?:\/\//.test(v)) return v;
  let parts: { url: string; password: string | null };
  try {
    parts = stripRedisPassword(v);
  } catch {
    return v; // the schema names what is wrong with it
  }
  if (parts.password) process.env.METARL_REDIS_PASSWORD = parts.password;
  return parts.url;
}

function jsonFlag(name: string, v: string | undefined, or = ''): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch (err) {
    throw new Error(`${name} is not valid JSON${or}: ${(err as Error).message}`);
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--config ${file}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error('the file must hold one JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--config ${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** Merge the config file and flags into one config (flags win), validated by the schema. */
export function configFromFlags(f: TrainFlags): RunConfigInput {
  const file = f.config ? readConfigFile(f.config) : {};
  const flags: Record<string, unknown> = {
    family: f.env,
    algo: f.algo,
    seed: num(f.seed),
    backend: f.backend,
    iterations: num(f.iterations),
    workers: num(f.workers),
    sampler: samplerFlag(f.sampler),
    checkpointEvery: num(f.checkpointEvery),
    previewEvery: num(f.previewEvery),
    name: f.name,
    allowLarge: f.allowLarge ? true : undefined,
    metaControl:
      f.metaControl?.trim() === 'off'
        ? null
        : jsonFlag('--meta-control', f.metaControl, ' (nor off)'),
  };
  const merged: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const hyper = parseHyper(f.hp);
  if (Object.keys(hyper).length)
    merged.hyper = { ...((file.hyper as JsonObject | undefined) ?? {}), ...hyper };
  // Defaults that make `metarl train` work with nothing else.
  merged.family ??= 'point-nav';
  merged.algo ??= 'maml';
  // Validate here too, so a bad flag fails before a trainer process starts: the learner's
  // hyper-parameters first (its schema knows each field's range), then the whole config.
  const spec = ALGOS.find((a) => a.id === merged.algo);
  if (spec && merged.hyper) {
    const r = spec.configSchema.safeParse(
      withFamilyDefaults(spec, String(merged.family), merged.hyper as JsonObject),
      { reportInput: true },
    );
    if (!r.success)
      throw new Error(
        `Invalid run config:\n${formatIssues(r.error, 'config.hyper', spec.configSchema)}`,
      );
  }
  parseRunConfig(merged);
  return merged as RunConfigInput;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'meta-train a learner on an environment family (a trainer process; Ctrl-C stops with a checkpoint)',
    )
    .option(
      '--config <file>',
      'run config JSON (family, algo, seed, backend, iterations, workers, checkpointEvery, previewEvery, preview, hyper); flags override it',
    )
    .option('--env <family>', 'environment family id (see `metarl envs`)', undefined)
    .option('--algo <id>', 'meta-learner: maml, rl2, pretrained, oracle, …')
    .option('--seed <n>', 'random seed, integer in [0, 2147483647] (default 1)')
    .addOption(
      new Option('--backend <name>', 'tfjs backend (default auto)').choices([...BACKEND_NAMES]),
    )
    .option('--iterations <n>', "meta-iterations (default: the learner's default for the family)")
    .option('--workers <n>', 'sampler worker threads (default: cores); results do not depend on it')
    .option(
      '--sampler <where>',
      'local (default) or redis://host:port: roll out on `metarl worker`s (maml, pretrained, oracle); results do not depend on it',
    )
    .option('--checkpoint-every <n>', 'checkpoint every N meta-iterations (default 10)')
    .option(
      '--preview-every <n>',
      'live-preview adaptation every N meta-iterations, 0 = off (default 10)',
    )
    .option('--name <label>', 'a label for the runs list')
    .option(
      '--meta-control <json>',
      'meta-validation, best checkpoint, early stopping, schedules, e.g. \'{"validateEvery":10,"earlyStopping":{"patience":3}}\', or off (default: the learner\'s for the family, off on most)',
    )
    .option(
      '--hp <key=value...>',
      'learner hyper-parameter (repeatable), e.g. --hp innerLr=0.1 --hp metaBatchSize=20',
    )
    .option('--out <dir>', 'runs directory', 'runs')
    .option(
      '--allow-large',
      "train even if the run's memory estimate is above half of this machine's memory",
    )
    .option('--quiet', 'no progress output')
    .addOption(
      new Option(
        '--preload <module>',
        'module the trainer imports first (extra learners; repeatable)',
      )
        .argParser(collect)
        .default([])
        .hideHelp(),
    )
    .action(async (f: TrainFlags) => {
      // The trainer's own checks (the learner's ranges, the memory estimate) run here first,
      // so a refused config starts no process; the trainer checks again (other clients).
      for (const m of f.preload ?? []) await import(pathToFileURL(path.resolve(m)).href);
      const config = configFromFlags(f);
      resolveRunConfig(parseRunConfig(config));
      const session = startTrainer(f.out, f.preload);
      let runDir = '';
      let code: number;
      try {
        const { end, signal } = await followRun(
          session,
          async () => (await session.client.call('mrl:run.start', { config })).runId,
          { quiet: f.quiet, onRunId: (id) => (runDir = path.join(f.out, id)) },
        );
        process.stdout.write(describeEnd(end, runDir) + '\n');
        code = exitStatusOf(end, signal);
      } finally {
        await session.close();
      }
      if (code !== 0) throw new ExitStatus(code);
    });

  program
    .command('resume <run>')
    .description(
      'continue a stopped or interrupted run from its last checkpoint (a run path, or an id under --runs)',
    )
    .option('--iterations <n>', 'new total length (needed to extend a finished run)')
    .option('--runs <dir>', 'runs directory (when <run> is an id)', 'runs')
    .option('--quiet', 'no progress output')
    .addOption(
      new Option(
        '--preload <module>',
        'module the trainer imports first (extra learners; repeatable)',
      )
        .argParser(collect)
        .default([])
        .hideHelp(),
    )
    .action(
      async (
        run: string,
        f: { iterations?: string; runs: string; quiet?: boolean; preload?: string[] },
      ) => {
        const { root, runId } = locateRun(run, f.runs);
        let iterations: number | undefined;
        if (f.iterations !== undefined) {
          // Checked here, before a trainer process starts.
          iterations = Number(f.iterations);
          if (
            f.iterations.trim() === '' ||
            !Number.isInteger(iterations) ||
            iterations < 1 ||
            iterations > MAX_ITERATIONS
          ) {
            throw new Error(
              `--iterations must be an integer in [1, ${MAX_ITERATIONS}], got "${f.iterations}"`,
            );
          }
        }
        const session = startTrainer(root, f.preload);
        let code: number;
        try {
          const { end, signal } = await followRun(
            session,
            async () => {
              await session.client.call('mrl:run.resume', {
                runId,
                ...(iterations ? { iterations } : {}),
              });
              return runId;
            },
            { quiet: f.quiet },
          );
          process.stdout.write(describeEnd(end, path.join(root, runId)) + '\n');
          code = exitStatusOf(end, signal);
        } finally {
          await session.close();
        }
        if (code !== 0) throw new ExitStatus(code);
      },
    );
}
