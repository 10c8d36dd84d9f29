// `metarl envs` and `metarl envs --json` list every registered family with its parameters.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { familyIds } from '../../envs/registry';
import { main } from '../../src/cli/main';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    const code = await main(args);
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

describe('metarl envs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints every family with its task parameters and distribution', async () => {
    const { code, out } = await run(['envs']);
    expect(code).toBe(0);
    for (const id of ['point-nav', 'reacher', 'cheetah-vel', 'cheetah-dir', 'cartpole'])
      expect(out).toContain(`${id}  —`);
    expect(out).toMatch(/masses\.0\s+dynamics\s+train \[0\.05, 0\.2\] kg/);
    expect(out).toMatch(/velocity\s+goal\s+train \[0, 2\] m\/s/);
    expect(out).toContain('tasks: ');
  });

  it('--json gives the registry', async () => {
    const { code, out } = await run(['envs', '--json']);
    expect(code).toBe(0);
    const families = JSON.parse(out) as {
      id: string;
      params: { path: string; low: number; high: number }[];
      observationSize: number;
    }[];
    expect(families.map((f) => f.id)).toEqual(familyIds());
    const cart = families.find((f) => f.id === 'cartpole')!;
    expect(cart.observationSize).toBe(4);
    expect(cart.params.map((p) => p.path)).toEqual([
      'poleMass',
      'poleLength',
      'gravity',
      'cartFriction',
      'gain',
    ]);
  });
});
