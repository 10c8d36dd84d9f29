#!/usr/bin/env node
// Security check of the Electron shell with @doyensec/electronegativity (its CLI does not run
// against the newer commander hoisted here, so its runner is called directly). Scans the
// main/preload sources (it parses TypeScript) and, when built, the renderer page (its CSP
// meta tag). Prints every finding; exits 1 on any HIGH or CRITICAL one.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity/dist/runner.js');
const electronVersion = require('electron/package.json').version;

const root = path.resolve(import.meta.dirname, '..');
// One scan over the shell as it ships: main + preload sources and the renderer page (its
// global checks, e.g. navigation limits, need both in the same input).
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'metarl-eneg-'));
fs.cpSync(path.join(root, 'electron'), path.join(stage, 'electron'), { recursive: true });
const built = path.join(root, 'out', 'renderer', 'index.html');
fs.mkdirSync(path.join(stage, 'renderer'));
fs.copyFileSync(
  fs.existsSync(built) ? built : path.join(root, 'renderer', 'index.html'),
  path.join(stage, 'renderer', 'index.html'),
);
const targets = [stage];

async function main() {
  let failed = false;
  for (const input of targets) {
    const result = await run(
      {
        input,
        output: undefined,
        isSarif: false,
        customScan: [],
        excludeFromScan: [],
        severitySet: undefined,
        confidenceSet: undefined,
        isRelative: true,
        isVerbose: false,
        electronUpgrade: undefined,
        electronVersionOverride: electronVersion,
        parserPlugins: [],
      },
      false,
    );
    if (result.errors.length) {
      failed = true;
      for (const e of result.errors)
        console.error(`parse error in ${e.file}: ${e.message ?? e.error ?? JSON.stringify(e)}`);
    }
    const rel = '';
    console.log(
      `electronegativity (electron/ + ${fs.existsSync(built) ? 'built' : 'source'} renderer page): ${result.atomicChecks} atomic + ${result.globalChecks} global checks, ${result.issues.length} finding(s)`,
    );
    for (const i of result.issues) {
      const sev = i.severity.name;
      const high = sev === 'HIGH' || sev === 'CRITICAL';
      if (high) failed = true;
      console.log(
        `  ${high ? '✗' : '·'} ${sev.padEnd(8)} ${i.confidence.name.padEnd(9)} ${i.id}  ${path.join(rel, i.file)}:${i.location?.line ?? '?'}${i.manualReview ? '  (manual review)' : ''}`,
      );
    }
  }
  fs.rmSync(stage, { recursive: true, force: true });
  if (failed) {
    console.error('Security check failed: high-severity findings or parse errors above.');
    process.exit(1);
  }
  console.log('Security check passed: no high-severity findings.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
