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

/** The form for a run config's `metaControl` (null: off), e.g. a learner's family default. */
export function metaControlForm(mc: JsonObject | null | undefined): MetaControlForm {
  const f = defaultMetaControlForm();
  if (!mc) return f;
  const text = (v: unknown, fallback: string) => (typeof v === 'number' ? String(v) : fallback);
  const stop = mc.earlyStopping as JsonObject | undefined;
  const sched = (mc.schedule as JsonObject | undefined) ?? { kind: 'none' };
  const kind = sched.kind;
  return {
    enabled: true,
    validateEvery: text(mc.validateEvery, f.validateEvery),
    validationTasks: text(mc.validationTasks, f.validationTasks),
    patience: stop ? text(stop.patience, '') : '',
    threshold: stop ? text(stop.threshold, f.threshold) : f.threshold,
    schedule: kind === 'step' || kind === 'cosine' ? kind : 'none',
    stepEvery: text(sched.every, f.stepEvery),
    gamma: text(sched.gamma, f.gamma),
    minFactor: text(sched.minFactor, f.minFactor),
  };
}

function num(v: string): number | string {
  return v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
}

/** The run config's `metaControl`, or null when meta-control is off. */
export function metaControlFromForm(f: MetaControlForm): JsonObject | null {
  if (!f.enabled) return null;
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
