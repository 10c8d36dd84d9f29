// The learners compute exactly what they computed when the fixtures were recorded: every
// per-iteration metric, the adaptation returns and the trained parameters are compared
// for equality, bit for bit (test/algos/regressionRuns.ts says what each run covers).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { REGRESSION_RUNS, type RegressionResult, runRegression } from './regressionRuns';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'algos');

beforeAll(async () => {
  await initBackend('wasm');
});

describe('learner regression fixtures (npm run fixtures:algos)', () => {
  for (const run of REGRESSION_RUNS) {
    it(`${run.name} reproduces its recorded metrics exactly`, async () => {
      const recorded = JSON.parse(
        readFileSync(join(dir, `${run.name}.json`), 'utf8'),
      ) as RegressionResult;
      const now = await runRegression(run);
      expect(now.metrics).toHaveLength(run.iterations);
      // toStrictEqual on numbers is Object.is: exact, and -0 ≠ 0.
      expect(now.metrics).toStrictEqual(recorded.metrics);
      expect(now.adaptReturns).toStrictEqual(recorded.adaptReturns);
      expect(now.params).toStrictEqual(recorded.params);
    });
  }
});
