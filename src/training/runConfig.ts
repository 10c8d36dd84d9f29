// A run's configuration as the trainer accepts it: the run config (src/shared/config.ts) checked
// against the registries (family, learner), the learner's own hyper-parameter schema (every
// field's range, non-finite values named as such) and the memory a meta-iteration would need
// (./resources.ts); then every choice made explicit (iterations, workers, hyper defaults,
// meta-control) as it is stored in the run's config.json. The CLI runs the same checks
// before it starts a trainer process.
import os from 'node:os';
import fs from 'node:fs';
import type { TaskFamily } from '../core/env';
import {
  ALGOS,
  getAlgo,
  resolveMetaControl,
  withFamilyDefaults,
  type AlgoSpec,
} from '../algos/registry';
import { getFamily } from '../../envs/registry';
import { formatIssues, type ResolvedRunConfig, type RunConfig } from '../shared/config';
import { isRemoteSampler } from '../shared/cluster';
import { ProtocolError } from '../shared/protocol';
import type { RunMeta } from './runDir';
import { estimateTrainingMemory, memoryRefusal } from './resources';
import { metaControlRefusal } from './metaControl';

export interface ResolvedConfig {
  config: ResolvedRunConfig;
  family: TaskFamily;
  spec: AlgoSpec;
}

/** The app's version, written in by the build (electron.vite.config.ts); absent when running from sources. */
declare const __METARL_APP_VERSION__: string | undefined;

function appVersion(): string {
  if (typeof __METARL_APP_VERSION__ === 'string') return __METARL_APP_VERSION__;
  try {
    const pkg = JSON.parse(
      fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function defaultWorkers(): number {
  const n =
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

function lookup<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new ProtocolError((err as Error).message, 'invalid');
  }
}

/** A registered family, or a protocol refusal naming the known ones. */
export const familyById = (id: string): TaskFamily => lookup(() => getFamily(id));
/** A registered learner, or a protocol refusal naming the known ones. */
export const algoById = (id: string): AlgoSpec => lookup(() => getAlgo(id));

/** Validate a config against the registries, the learner's schema and the memory limit; throws a ProtocolError naming the field. */
export function resolveRunConfig(config: RunConfig): ResolvedConfig {
  const family = familyById(config.family);
  const spec = algoById(config.algo);
  if (isRemoteSampler(config.sampler) && !spec.remoteSampling) {
    const serve = ALGOS.filter((a) => a.remoteSampling)
      .map((a) => a.id)
      .join(', ');
    throw new ProtocolError(
      `Invalid run config:\nconfig.sampler: ${spec.title} samples in the trainer; rollout workers serve ${serve}`,
      'invalid',
    );
  }
  const hyper = spec.configSchema.safeParse(withFamilyDefaults(spec, family.id, config.hyper), {
    reportInput: true,
  });
  if (!hyper.success)
    throw new ProtocolError(
      `Invalid run config:\n${formatIssues(hyper.error, 'config.hyper', spec.configSchema)}`,
      'invalid',
    );
  const metaControl = resolveMetaControl(spec, family.id, config.metaControl);
  const noControl = metaControl ? metaControlRefusal(family) : null;
  if (noControl)
    throw new ProtocolError(`Invalid run config:\nconfig.metaControl: ${noControl}`, 'invalid');
  if (config.preview.task) {
    try {
      family.parseTask(config.preview.task);
    } catch (err) {
      throw new ProtocolError(
        `Invalid run config: config.preview.${(err as Error).message}`,
        'invalid',
      );
    }
  }
  const refusal = memoryRefusal(
    estimateTrainingMemory(family, spec, hyper.data),
    config.allowLarge,
  );
  if (refusal) throw new ProtocolError(`Run config refused: ${refusal}`, 'invalid');
  const { metaControl: _given, ...rest } = config;
  return {
    config: {
      ...rest,
      ...(metaControl ? { metaControl } : {}),
      iterations: config.iterations ?? spec.defaultIterations(family.id),
      workers: config.workers ?? defaultWorkers(),
      hyper: hyper.data,
    },
    family,
    spec,
  };
}

/** The record of a new run (config.json): its resolved config, the backend it got, the versions that made it. */
export function newRunMeta(
  runId: string,
  config: ResolvedRunConfig,
  backend: { requested: string; name: string; provider: string; tfjs: string },
): RunMeta {
  return {
    runId,
    createdAt: new Date().toISOString(),
    config,
    backend: { requested: backend.requested, name: backend.name, provider: backend.provider },
    versions: { app: appVersion(), node: process.version, tfjs: backend.tfjs },
  };
}
