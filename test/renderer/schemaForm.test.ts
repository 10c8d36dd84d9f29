// Form fields from a learner's JSON Schema and their inline validation.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldsFromSchema, humanize, validateField } from '../../renderer/src/lib/schemaForm';
import type { JsonObject } from '../../src/shared/json';

const Hyper = z.strictObject({
  metaBatchSize: z.number().int().min(1).max(1000).default(20),
  innerLr: z.number().positive().max(100).default(0.1),
  adaptLr: z.number().positive().max(100).optional(),
  outer: z.enum(['trpo', 'ppo']).default('trpo'),
  firstOrder: z.boolean().default(false),
  hidden: z.array(z.number()).default([64, 64]),
});
const schema = z.toJSONSchema(Hyper, { io: 'input' }) as unknown as JsonObject;
const defaults = Hyper.parse({}) as unknown as JsonObject;

describe('schemaForm', () => {
  const fields = fieldsFromSchema(schema, defaults);
  const f = (k: string) => fields.find((x) => x.key === k)!;

  it('builds one field per scalar property with its kind, bounds and default', () => {
    expect(fields.map((x) => x.key)).toEqual([
      'metaBatchSize',
      'innerLr',
      'adaptLr',
      'outer',
      'firstOrder',
    ]);
    expect(f('metaBatchSize')).toMatchObject({
      kind: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 20,
      label: 'Meta batch size',
      optional: false,
    });
    expect(f('innerLr')).toMatchObject({ kind: 'number', exclusiveMinimum: 0, maximum: 100 });
    expect(f('adaptLr').optional).toBe(true);
    expect(f('outer').options).toEqual(['trpo', 'ppo']);
    expect(humanize('gae_lambda')).toBe('Gae lambda');
  });

  it('validates like the schema does', () => {
    expect(validateField(f('metaBatchSize'), 20)).toBeNull();
    expect(validateField(f('metaBatchSize'), 2.5)).toBe('must be an integer in [1, 1000]');
    expect(validateField(f('metaBatchSize'), 0)).toMatch(/\[1, 1000\]/);
    expect(validateField(f('metaBatchSize'), 'abc')).toMatch(/integer/);
    expect(validateField(f('innerLr'), 0)).toMatch(/\(0, 100\]/);
    expect(validateField(f('innerLr'), 0.5)).toBeNull();
    expect(validateField(f('adaptLr'), '')).toBeNull();
    expect(validateField(f('adaptLr'), -1)).not.toBeNull();
    expect(validateField(f('outer'), 'sgd')).toMatch(/trpo, ppo/);
    expect(validateField(f('firstOrder'), 'yes')).not.toBeNull();
    // The schema agrees on every case above.
    for (const [k, v, ok] of [
      ['metaBatchSize', 2.5, false],
      ['innerLr', 0, false],
      ['innerLr', 0.5, true],
      ['outer', 'sgd', false],
    ] as const) {
      expect(Hyper.safeParse({ [k]: v }).success).toBe(ok);
    }
  });
});
