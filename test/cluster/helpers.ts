// Shared pieces of the cluster tests: requests on real families, a bitwise comparison of
// sampled batches, and workers that clean up after themselves.
import { Rng } from '../../src/core/rng';
import { type GaussianMlpSpec, initParams } from '../../src/policies/gaussianMlp';
import { resolveFamily } from '../../src/samplers/families';
import type { Episode } from '../../src/samplers/rollout';
import type { SampleRequest, SampleResult } from '../../src/samplers/sampler';
import type { JsonObject } from '../../src/shared/json';

export function request(
  familyId: string,
  opts: {
    tasks: number;
    episodes: number;
    perTaskParams?: boolean;
    taskSeeds?: boolean;
    frames?: boolean;
  },
): SampleRequest {
  const family = resolveFamily(familyId);
  const spec: GaussianMlpSpec = {
    obsSize: family.observationSize,
    actSize: family.actionSize,
    hidden: [16, 16],
    activation: 'tanh',
    initStd: 0.7,
  };
  const tasks = family.sampleTasks(opts.tasks, new Rng(5), 'train') as JsonObject[];
  const rng = new Rng(3);
  const params = opts.perTaskParams
    ? tasks.map(() => initParams(spec, rng.split()))
    : [initParams(spec, rng)];
  return {
    familyId,
    tasks,
    params,
    spec,
    episodesPerTask: opts.episodes,
    seed: 1234,
    normalizeActions: true,
    ...(opts.taskSeeds ? { taskSeeds: tasks.map((_, i) => 900 + 17 * i) } : {}),
    ...(opts.frames ? { recordFrames: true } : {}),
  };
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A description of the first difference between two batches, or null if they are bit-identical. */
export function firstDifference(a: SampleResult, b: SampleResult): string | null {
  if (a.steps !== b.steps) return `steps ${a.steps} vs ${b.steps}`;
  if (a.episodes.length !== b.episodes.length)
    return `tasks ${a.episodes.length} vs ${b.episodes.length}`;
  for (let t = 0; t < a.episodes.length; t++) {
    if (a.episodes[t].length !== b.episodes[t].length)
      return `task ${t}: ${a.episodes[t].length} vs ${b.episodes[t].length} episodes`;
    for (let i = 0; i < a.episodes[t].length; i++) {
      const x: Episode = a.episodes[t][i];
      const y: Episode = b.episodes[t][i];
      const where = `task ${t} episode ${i}`;
      if (!x || !y) return `${where} missing`;
      if (
        x.task !== y.task ||
        x.index !== y.index ||
        x.length !== y.length ||
        x.terminated !== y.terminated
      )
        return `${where}: header`;
      if (!Object.is(x.return, y.return)) return `${where}: return ${x.return} vs ${y.return}`;
      for (const k of ['obs', 'actions', 'rewards'] as const)
        if (!bytes(x[k]).equals(bytes(y[k]))) return `${where}: ${k}`;
      if ((x.frames?.length ?? 0) !== (y.frames?.length ?? 0)) return `${where}: frame count`;
      for (let f = 0; f < (x.frames?.length ?? 0); f++)
        if (!bytes(x.frames![f]).equals(bytes(y.frames![f]))) return `${where}: frame ${f}`;
    }
  }
  return null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
