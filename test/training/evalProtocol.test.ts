// Evaluation protocols: the names `metarl eval --protocol` accepts, and the paper protocol's
// rule that steps after the first take half the first step's size, checked on a real MAML
// learner against the same learner configured with that later size explicitly.
import { beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import { MamlLearner } from '../../src/algos/maml';
import { mamlConfigSchema } from '../../src/algos/mamlConfig';
import { EVAL_PROTOCOLS, getEvalProtocol } from '../../src/training/evalProtocol';
import { initBackend } from '../../src/tf/backend';

const family = getFamily('point-nav');
const small = { hidden: [8], metaBatchSize: 2, episodesPerTask: 4 };
const make = (extra: object) =>
  new MamlLearner({
    family,
    config: mamlConfigSchema.parse({ ...small, ...extra }),
    seed: 3,
    workers: 0,
    algo: 'maml',
  });

describe('evaluation protocols', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('knows default and paper, and refuses other names listing them', () => {
    expect(EVAL_PROTOCOLS.map((p) => p.name)).toEqual(['default', 'paper']);
    expect(getEvalProtocol('paper')).toMatchObject({
      episodesPerStage: 40,
      minEpisodesPerStage: 40,
      laterStepRatio: 0.5,
    });
    expect(getEvalProtocol('default').laterStepRatio).toBeUndefined();
    expect(() => getEvalProtocol('papers')).toThrow(
      /Unknown evaluation protocol "papers"\. Known: default, paper/,
    );
  });

  it('paper: later MAML steps take half the first step (not the default quarter)', async () => {
    const task = { goal: [0.3, -0.2] };
    const budget = { steps: 3, episodesPerStage: 4, seed: 7 };
    const paper = make({});
    const half = make({ adaptLr: 0.4, adaptLrLater: 0.2 });
    const quarter = make({ adaptLr: 0.4 });
    try {
      const a = await paper.adapt(task, {
        ...budget,
        stepSize: 0.4,
        laterStepRatio: getEvalProtocol('paper').laterStepRatio,
      });
      const b = await half.adapt(task, budget);
      const c = await quarter.adapt(task, budget);
      expect(a.returns).toEqual(b.returns);
      // Same first step, different later steps.
      expect(c.returns.slice(0, 2)).toEqual(b.returns.slice(0, 2));
      expect(c.returns[3]).not.toBe(b.returns[3]);
    } finally {
      for (const l of [paper, half, quarter]) await l.dispose();
    }
  });
});
