// `npm start` where Electron's runtime cannot be fetched (offline, like CI machines): one
// plain sentence pointing to `npm run web`, exit code 1, no stack trace. Where the binary
// is already installed, the availability check must say so instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without type declarations
import { electronAvailable, OFFLINE_MESSAGE } from '../../scripts/start.js';

const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));
const installed = existsSync(path.join(electronDir, 'dist', 'version'));
// A download host that refuses at once, and an empty cache: the fetch must fail here.
const offlineEnv = {
  ...process.env,
  ELECTRON_MIRROR: 'http://127.0.0.1:9/',
  electron_config_cache: mkdtempSync(path.join(tmpdir(), 'electron-cache-')),
};

describe('scripts/start.js', () => {
  it(
    installed
      ? 'finds the installed Electron binary'
      : 'reports the missing runtime in one sentence',
    () => {
      if (installed) {
        expect(electronAvailable({ env: offlineEnv })).toEqual({ ok: true });
        return;
      }
      const r = spawnSync(process.execPath, ['scripts/start.js'], {
        encoding: 'utf8',
        env: offlineEnv,
        timeout: 60_000,
      });
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toEqual([OFFLINE_MESSAGE]);
      expect(OFFLINE_MESSAGE).toContain('npm run web');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    },
  );
});
