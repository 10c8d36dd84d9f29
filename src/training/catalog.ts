// What the trainer offers, for `mrl:families.list` and `mrl:algos.list`: every environment
// family with a preview of its scene, every meta-learner with its hyper-parameter schema and
// defaults (per family where a family changes them).
import { z } from 'zod';
import { prepareFamily, readEnv } from '../core/env';
import { Rng } from '../core/rng';
import { ALGOS, resolveHyper, resolveMetaControl } from '../algos/registry';
import { getFamily, listFamilies } from '../../envs/registry';
import type { JsonObject } from '../shared/json';
import type { AlgoInfo, FamilyInfo } from '../shared/protocol';

let catalog: Promise<FamilyInfo[]> | null = null;

/**
 * Every family with its card preview. Built once per process and kept: the registry does not
 * change while a trainer runs, and WebAssembly families take seconds to load their runtime, so
 * the trainer starts building it when it starts (warmFamilyCatalog) rather than on the first ask.
 */
export function familyCatalog(): Promise<FamilyInfo[]> {
  catalog ??= buildFamilyCatalog().catch((err: unknown) => {
    catalog = null;
    throw err;
  });
  return catalog;
}

/** Start building the catalog in the background; a failure surfaces on the first real request. */
export function warmFamilyCatalog(): void {
  familyCatalog().catch(() => {});
}

async function buildFamilyCatalog(): Promise<FamilyInfo[]> {
  const infos = listFamilies();
  // WebAssembly families load their runtime before their first env.
  await Promise.all(infos.map((info) => prepareFamily(getFamily(info.id))));
  return infos.map((info) => {
    const f = getFamily(info.id);
    const task = f.sampleTasks(1, new Rng(0), 'test')[0] as JsonObject;
    return readEnv(f, task, (env) => {
      env.reset({ seed: 0 });
      return {
        ...info,
        scene: env.scene(),
        previewFrame: Array.from(env.frame()),
        sampleTask: task,
      };
    });
  });
}

export function algoCatalog(): AlgoInfo[] {
  const families = listFamilies().map((f) => f.id);
  return ALGOS.map((a) => {
    let schema: JsonObject = {};
    try {
      schema = z.toJSONSchema(a.configSchema, {
        unrepresentable: 'any',
        io: 'input',
      }) as JsonObject;
    } catch {
      /* a schema zod cannot describe: forms fall back to the defaults */
    }
    return {
      id: a.id,
      title: a.title,
      description: a.description,
      stageUnit: a.stageUnit,
      defaults: a.configSchema.parse({}),
      familyDefaults: Object.fromEntries(families.map((f) => [f, resolveHyper(a, f)])),
      schema,
      defaultIterations: Object.fromEntries(families.map((f) => [f, a.defaultIterations(f)])),
      familyMetaControl: Object.fromEntries(
        families.map((f) => [f, (resolveMetaControl(a, f, undefined) as JsonObject) ?? null]),
      ),
    };
  });
}
