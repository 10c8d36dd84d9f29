// readEnv: the env it makes is closed after the read, also when the read throws, and on a
// MuJoCo family that frees the simulator state at once (the WebAssembly heap stays flat).
import { beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { prepareFamily, readEnv, type Env, type TaskFamily } from '../../src/core/env';
import { wasmHeapBytes } from '../../envs/mujoco/runtime';
import { Rng } from '../../src/core/rng';
import type { JsonObject } from '../../src/shared/json';

/** point-nav, with every env's close() counted. */
function counting(): { family: TaskFamily; closed: () => number } {
  const base = getFamily('point-nav');
  let closed = 0;
  const family: TaskFamily = {
    ...base,
    make: (task: JsonObject, seed?: number): Env<JsonObject> => {
      const env = base.make(task, seed);
      return Object.assign(Object.create(env) as Env<JsonObject>, {
        close: () => {
          closed++;
          env.close?.();
        },
      });
    },
  };
  return { family, closed: () => closed };
}

describe('readEnv', () => {
  const task = getFamily('point-nav').sampleTasks(1, new Rng(1), 'test')[0];

  it('returns what the read returns and closes the env', () => {
    const { family, closed } = counting();
    const size = readEnv(family, task, (env) => env.actionSpace.size);
    expect(size).toBe(2);
    expect(closed()).toBe(1);
  });

  it('closes the env when the read throws', () => {
    const { family, closed } = counting();
    expect(() =>
      readEnv(family, task, () => {
        throw new Error('read failed');
      }),
    ).toThrow('read failed');
    expect(closed()).toBe(1);
  });

  describe('on a MuJoCo family', () => {
    const cheetah = getFamily('mujoco-cheetah-vel');
    beforeAll(async () => {
      await prepareFamily(cheetah);
    });
    it('keeps the WebAssembly heap flat over many reads', () => {
      const t = cheetah.sampleTasks(1, new Rng(2), 'test')[0];
      readEnv(cheetah, t, (env) => env.scene());
      const before = wasmHeapBytes();
      for (let i = 0; i < 300; i++) readEnv(cheetah, t, (env) => env.scene());
      expect(wasmHeapBytes()).toBe(before);
    });
  });
});
