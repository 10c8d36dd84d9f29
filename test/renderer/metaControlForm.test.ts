// New run's meta-control fields → the run config's `metaControl`, checked by the shared schema.
import { describe, expect, it } from 'vitest';
import {
  defaultMetaControlForm,
  metaControlForm,
  metaControlFromForm,
} from '../../renderer/src/lib/metaControlForm';
import { parseRunConfig } from '../../src/shared/config';

const run = (metaControl: unknown) => ({ family: 'point-nav', algo: 'maml', metaControl });

describe('meta-control form', () => {
  it('is off by default, and on gives a config the schema accepts', () => {
    expect(metaControlFromForm(defaultMetaControlForm())).toBeNull();
    const on = { ...defaultMetaControlForm(), enabled: true };
    expect(metaControlFromForm(on)).toEqual({
      validateEvery: 10,
      validationTasks: 20,
      schedule: { kind: 'none' },
    });
    const full = {
      ...on,
      patience: '3',
      threshold: '0.5',
      schedule: 'step' as const,
      stepEvery: '40',
      gamma: '0.7',
    };
    expect(parseRunConfig(run(metaControlFromForm(full))).metaControl).toMatchObject({
      earlyStopping: { patience: 3, threshold: 0.5 },
      schedule: { kind: 'step', every: 40, gamma: 0.7 },
    });
    const cosine = metaControlFromForm({ ...on, schedule: 'cosine', minFactor: '0.1' });
    expect(cosine?.schedule).toEqual({ kind: 'cosine', minFactor: 0.1 });
  });

  it("starts from a learner's default for the family and gives it back unchanged", () => {
    expect(metaControlForm(null)).toEqual(defaultMetaControlForm());
    const parsed = (mc: unknown) => parseRunConfig(run(mc)).metaControl;
    for (const mc of [
      { validateEvery: 10, validationTasks: 40, schedule: { kind: 'cosine', minFactor: 0.1 } },
      {
        validateEvery: 7,
        validationTasks: 12,
        earlyStopping: { patience: 4, threshold: 0.25 },
        schedule: { kind: 'step', every: 30, gamma: 0.5 },
      },
    ]) {
      const full = parsed(mc)!;
      expect(parsed(metaControlFromForm(metaControlForm(full)))).toEqual(full);
    }
  });

  it('leaves bad entries for the schema to name', () => {
    const on = { ...defaultMetaControlForm(), enabled: true };
    expect(() => parseRunConfig(run(metaControlFromForm({ ...on, patience: '0' })))).toThrow(
      /config\.metaControl\.earlyStopping\.patience: must be an integer in \[1, 10000\]/,
    );
    expect(() => parseRunConfig(run(metaControlFromForm({ ...on, validateEvery: 'x' })))).toThrow(
      /config\.metaControl\.validateEvery: must be an integer in \[1, 1000000\] \(got "x"\)/,
    );
  });
});
