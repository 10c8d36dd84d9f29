// The outer optimiser's step size of a learner, as meta-control's schedules change it
// (src/training/metaControl.ts): a knob with the configured (base) value and a setter. The
// learners read these config fields at every outer update, so setting one before a
// meta-iteration changes that iteration's step:
//   maml, pretrained, oracle   TRPO's KL radius `maxKl`, or `ppoLr` with outer 'ppo';
//   rl2                        Adam's `learningRate` (PPO);
//   nearest-task               its prototypes' TRPO KL radius `maxKl`.
import type { MetaLearner } from './metaLearner';

export interface OuterStepKnob {
  /** The config field scheduled, e.g. 'maxKl'. */
  readonly name: string;
  /** Its configured value (factor 1). */
  readonly base: number;
  set(value: number): void;
}

/** The field a learner's outer optimiser steps by, read from its config. */
function fieldOf(algo: string, config: Record<string, unknown>): string | null {
  if (['maml', 'pretrained', 'oracle', 'random'].includes(algo))
    return config.outer === 'ppo' ? 'ppoLr' : 'maxKl';
  if (algo === 'nearest-task') return 'maxKl';
  if (algo === 'rl2') return 'learningRate';
  return null;
}

/** The learner's knob, or null when its outer step cannot be scheduled. */
export function outerStepKnob(learner: MetaLearner): OuterStepKnob | null {
  const config = (learner as unknown as { config?: Record<string, unknown> }).config;
  if (!config) return null;
  const name = fieldOf(learner.algo, config);
  if (!name || typeof config[name] !== 'number') return null;
  const base = config[name];
  return {
    name,
    base,
    set: (value: number) => {
      config[name] = value;
    },
  };
}
