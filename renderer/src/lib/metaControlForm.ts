// New run's meta-control fields (src/shared/metaControl.ts) as the form holds them (text
// inputs, a switch, a schedule choice) and the run config's `metaControl` they stand for.
// Numbers stay as typed when they do not parse, so the shared schema names what is wrong.
import type { JsonObject } from '../../../src/shared/json';

export interface MetaControlForm {
  enabled: boolean;
  validateEvery: string;
  validationTasks: string;
  /** Empty: no early stopping. */
  patience: string;
  threshold: string;
  schedule: 'none' | 'step' | 'cosine';
  stepEvery: string;
  gamma: string;
  minFactor: string;
}

export function defaultMetaControlForm(): MetaControlForm {
  return {
    enabled: false,
    validateEvery: '10',
    validationTasks: '20',
    patience: '',
    threshold: '0',
    schedule: 'none',
    stepEvery: '50',
    gamma: '0.5',
    minFactor: '0',
  };
}

function num(v: string): number | string {
  return v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
}

/** The run config's `metaControl`, or undefined when meta-control is off. */
export function metaControlFromForm(f: MetaControlForm): JsonObject | undefined {
  if (!f.enabled) return undefined;
  const schedule: JsonObject =
    f.schedule === 'step'
      ? { kind: 'step', every: num(f.stepEvery), gamma: num(f.gamma) }
      : f.schedule === 'cosine'
        ? { kind: 'cosine', minFactor: num(f.minFactor) }
        : { kind: 'none' };
  return {
    validateEvery: num(f.validateEvery),
    validationTasks: num(f.validationTasks),
    ...(f.patience.trim() !== ''
      ? { earlyStopping: { patience: num(f.patience), threshold: num(f.threshold) } }
      : {}),
    schedule,
  };
}
