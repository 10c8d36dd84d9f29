// `npm run fixtures:envs [family…]`: (re)record the trajectories the env tests replay.
// Only run this when a family's dynamics change on purpose.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFamily } from '../../envs/registry';
import { prepareFamily } from '../../src/core/env';
import { RECORDING_INPUTS, record } from './recording';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'envs');
mkdirSync(dir, { recursive: true });
const wanted = process.argv.slice(2);
for (const id of wanted.length ? wanted : Object.keys(RECORDING_INPUTS)) {
  await prepareFamily(getFamily(id));
  const rec = record(id);
  const file = join(dir, `${id}.json`);
  // Temp + rename: an interrupted run never leaves a half-written fixture.
  writeFileSync(file + '.tmp', JSON.stringify(rec) + '\n');
  renameSync(file + '.tmp', file);
  console.log(`recorded ${id}: ${rec.steps} steps → ${file}`);
}
