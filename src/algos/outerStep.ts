// The outer optimiser's step size of a learner, as meta-control's schedules change it
// (src/training/metaControl.ts): a knob with the configured (base) value and a setter. The
// learners read these config fields at every outer update, so setting one before a
// meta-iteration changes that iteration's step:
//   maml, meta-sgd, pretrained, oracle   TRPO's KL radius `maxKl`, or `ppoLr` with outer 'ppo'
//                                        (Meta-SGD's α keeps its own Adam rate);
//   reptile                              ε, `outerStepSize` (times its own annealing, if any);
//   rl2                                  Adam's `learningRate` (PPO; the cap of the KL-adaptive rate);
//   nearest-task                         its prototypes' TRPO KL radius `maxKl`.
import type { MetaLearner } from './metaLearner';

export interface OuterStepKnob {
  /** The config field scheduled, e.g. 'maxKl'. */
  readonly name: string;
  /** Its configured value (factor 1). */
  readonly base: number;
  set(value: number): void;
}

/** The config object and field a learner's outer optimiser steps by. */
function fieldOf(learner: MetaLearner): { holder: Record<string, unknown>; name: string } | null {
  const l = learner as unknown as {
    config?: Record<string, unknown>;
    reptile?: Record<string, unknown>;
  };
  const algo = learner.algo;
  if (algo === 'reptile') return l.reptile ? { holder: l.reptile, name: 'outerStepSize' } : null;
  if (!l.config) return null;
  if (['maml', 'meta-sgd', 'pretrained', 'oracle', 'random'].includes(algo))
    return { holder: l.config, name: l.config.outer === 'ppo' ? 'ppoLr' : 'maxKl' };
  if (algo === 'nearest-task') return { holder: l.config, name: 'maxKl' };
  if (algo === 'rl2') return { holder: l.config, name: 'learningRate' };
  return null;
}

/** The learner's knob, or null when its outer step cannot be scheduled. */
export function outerStepKnob(learner: MetaLearner): OuterStepKnob | null {
  const f = fieldOf(learner);
  if (!f || typeof f.holder[f.name] !== 'number') return null;
  const { holder, name } = f;
  const base = holder[name] as number;
  return {
    name,
    base,
    set: (value: number) => {
      holder[name] = value;
    },
  };
}
