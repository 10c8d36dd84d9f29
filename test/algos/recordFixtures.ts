// `npm run fixtures:algos [name…]`: (re)record the learners' regression fixtures
// (test/algos/regressionRuns.ts). Only run this when a learner's results change on purpose.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/tf/backend';
import { REGRESSION_RUNS, runRegression } from './regressionRuns';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'algos');
mkdirSync(dir, { recursive: true });
await initBackend('wasm');
const wanted = process.argv.slice(2);
for (const run of REGRESSION_RUNS.filter((r) => !wanted.length || wanted.includes(r.name))) {
  const t0 = performance.now();
  const result = await runRegression(run);
  const file = join(dir, `${run.name}.json`);
  // Temp + rename: an interrupted run never leaves a half-written fixture.
  writeFileSync(file + '.tmp', JSON.stringify(result, null, 1) + '\n');
  renameSync(file + '.tmp', file);
  console.log(
    `recorded ${run.name}: ${run.iterations} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${file}`,
  );
}
