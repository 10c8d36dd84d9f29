// A fixed rollout (task, env seed, action seed) flattened to numbers, shared by the main-thread
// and worker-thread sides of the determinism test.
import { getFamily } from '../../../envs/registry';
import { Rng } from '../../../src/core/rng';
import type { JsonObject } from '../../../src/shared/json';

export function trajectory(
  id: string,
  task: JsonObject,
  seed: number,
  actionSeed: number,
  steps: number,
): number[] {
  const env = getFamily(id).make(task, seed);
  const rng = new Rng(actionSeed);
  const a = new Float32Array(env.actionSpace.size);
  const out = Array.from(env.reset({ seed }).obs);
  const frame = new Float32Array(env.frame().length);
  for (let t = 0; t < steps; t++) {
    env.actionSpace.sample(rng, a);
    const r = env.step(a);
    out.push(...r.obs, r.reward, Number(r.terminated), Number(r.truncated), ...env.frame(frame));
    if (r.terminated || r.truncated) out.push(...env.reset().obs);
  }
  env.close?.();
  return out;
}
