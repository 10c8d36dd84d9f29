#!/usr/bin/env node
// `npm run pack:dir`: electron-builder's unpacked Linux app (dist/linux-unpacked) from the
// current build (`npm run build`), for checking what the package holds where Electron's own
// runtime cannot be downloaded. electron-builder is pointed (electronDist) at a stand-in
// folder with Electron's file names and no content, so everything it adds of the app's own
// (resources/app.asar, app.asar.unpacked) is real and only the Electron binary is not.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const electronVersion = JSON.parse(
  readFileSync(require.resolve('electron/package.json'), 'utf8'),
).version;

const standIn = mkdtempSync(path.join(tmpdir(), 'metarl-electron-stand-in-'));
try {
  writeFileSync(
    path.join(standIn, 'electron'),
    '#!/bin/sh\necho "stand-in for the Electron binary" >&2\nexit 1\n',
  );
  chmodSync(path.join(standIn, 'electron'), 0o755);
  writeFileSync(path.join(standIn, 'version'), electronVersion);
  mkdirSync(path.join(standIn, 'resources'));
  mkdirSync(path.join(standIn, 'locales'));
  rmSync(path.join(root, 'dist', 'linux-unpacked'), { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [
      require.resolve('electron-builder/cli.js'),
      '--dir',
      '--linux',
      '--x64',
      '--config',
      'build/electron-builder.yml',
      `-c.electronDist=${standIn}`,
      `-c.electronVersion=${electronVersion}`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  process.exitCode = r.status ?? 1;
  if (r.status === 0) summarise(path.join(root, 'dist', 'linux-unpacked', 'resources'));
} finally {
  rmSync(standIn, { recursive: true, force: true });
}

/** Print what the package holds: MiB per bundle folder and per npm package, and the total. */
function summarise(resources) {
  const asar = require('@electron/asar');
  const sizes = new Map();
  const add = (parts, bytes) => {
    const depth =
      parts[0] === 'node_modules' ? (parts[1].startsWith('@') ? 3 : 2) : Math.min(2, parts.length);
    const key = parts.slice(0, depth).join('/');
    sizes.set(key, (sizes.get(key) ?? 0) + bytes);
  };
  const walk = (node, parts) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      if (child.files) walk(child, [...parts, name]);
      else add([...parts, name], Number(child.size ?? 0));
    }
  };
  walk(asar.getRawHeader(path.join(resources, 'app.asar')).header, []);
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const mib = (b) => (b / 2 ** 20).toFixed(2).padStart(7);
  console.log('\nresources/app.asar (+ app.asar.unpacked), MiB:');
  for (const [k, b] of [...sizes].sort((x, y) => y[1] - x[1]))
    if (b >= 0.05 * 2 ** 20) console.log(`${mib(b)}  ${k}`);
  console.log(`${mib(total)}  total (${sizes.size} entries; those under 0.05 MiB not listed)`);
}
