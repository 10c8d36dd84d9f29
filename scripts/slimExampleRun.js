#!/usr/bin/env node
// Makes a trained run small enough to ship as an example (examples/runs/): keeps only its
// newest checkpoint and, of its metrics, the return curve (returns/* per iteration, with
// each iteration's time and its sampling time, which New run's training-time estimate uses
// to scale sampling and update apart), and drops the events log and a meta-validated run's
// best.json (its "best" is one of the older checkpoints, or the kept one, which its number
// names as well). The run stays a normal run directory: it lists, opens, adapts and
// evaluates like any other.
//   node scripts/slimExampleRun.js examples/runs/<run-id>
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(path.join(dir, 'config.json'))) {
  console.error('usage: node scripts/slimExampleRun.js <run directory with a config.json>');
  process.exit(2);
}
if (existsSync(path.join(dir, 'run.lock'))) {
  console.error(
    `${dir} is being trained (it holds run.lock): stop it first (Ctrl-C checkpoints it), then slim it`,
  );
  process.exit(1);
}
const ckDir = path.join(dir, 'checkpoints');
const its = existsSync(ckDir)
  ? readdirSync(ckDir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b)
  : [];
if (its.length === 0) {
  console.error(`${dir} has no checkpoint: train it first`);
  process.exit(1);
}
for (const it of its.slice(0, -1))
  rmSync(path.join(ckDir, String(it)), { recursive: true, force: true });
for (const n of readdirSync(ckDir))
  if (!/^\d+$/.test(n)) rmSync(path.join(ckDir, n), { recursive: true, force: true });
const rows = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
  .filter((r) => r.iteration <= its[its.length - 1])
  .map((r) => ({
    ...r,
    metrics: Object.fromEntries(
      Object.entries(r.metrics).filter(([k]) => k.startsWith('returns/') || k === 'time/sampling'),
    ),
  }));
writeFileSync(
  path.join(dir, 'metrics.jsonl'),
  rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
);
rmSync(path.join(dir, 'events.log'), { force: true });
rmSync(path.join(dir, 'best.json'), { force: true });
console.log(
  `${dir}: checkpoint ${its[its.length - 1]} kept, ${rows.length} metric rows (returns and sampling time only)`,
);
