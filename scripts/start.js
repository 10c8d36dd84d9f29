#!/usr/bin/env node
// `npm start`: run the desktop app in development (electron-vite dev). Electron 41+ fetches
// its runtime binary on first launch; on a machine that cannot reach the download host
// (offline, firewalled) that fetch fails with a long stack trace. Check for it first and,
// if it cannot be had, say so in one sentence and point to the browser UI instead.
import { spawn, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Is Electron's binary present, or can its own installer fetch it now? */
export function electronAvailable({ timeoutMs = 120_000, env = process.env } = {}) {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  // install.js exits 0 at once if the binary is there, else downloads and unpacks it.
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env,
  });
  if (r.status === 0) return { ok: true };
  const text = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const first = text.split('\n').find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|timed out/i.test(l));
  return {
    ok: false,
    reason: r.error ? r.error.message : (first ?? `installer exited with ${r.status}`).trim(),
  };
}

export const OFFLINE_MESSAGE =
  "Electron's runtime is not installed and could not be downloaded (no connection to its download host), " +
  'so the desktop window cannot open here: run `npm run web` to use Meta-RL Studio in your browser instead.';

function main() {
  const check = electronAvailable();
  if (!check.ok) {
    console.error(OFFLINE_MESSAGE);
    if (process.env.METARL_DEBUG) console.error(`(detail: ${check.reason})`);
    process.exit(1);
  }
  const bin = path.join(
    path.dirname(require.resolve('electron-vite/package.json')),
    'bin',
    'electron-vite.js',
  );
  const child = spawn(process.execPath, [bin, 'dev', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
}

/**
 * Run directly (not imported by a test)? Compared as real paths: import.meta.url is
 * percent-encoded (spaces, non-ASCII), Windows paths are not URLs, and argv[1] may be a symlink.
 */
function invokedDirectly() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]);
  } catch {
    return false;
  }
}

if (invokedDirectly()) main();
