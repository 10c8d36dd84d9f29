// `npm start` where Electron's runtime cannot be fetched (offline, like CI machines): one
// plain sentence pointing to `npm run web`, exit code 1, no stack trace. Where the binary
// is already installed, the availability check must say so instead. The script must act
// from any folder: one whose path has spaces and non-ASCII characters, and a symlink to it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without type declarations
import { electronAvailable, OFFLINE_MESSAGE } from '../../scripts/start.js';
import { tempDir } from '../helpers/tempDir';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '../..');
const electronDir = path.dirname(require.resolve('electron/package.json'));
const installed = existsSync(path.join(electronDir, 'dist', 'version'));
// A download host that refuses at once, and an empty cache: the fetch must fail here.
const offlineEnv = {
  ...process.env,
  ELECTRON_MIRROR: 'http://127.0.0.1:9/',
  electron_config_cache: tempDir('electron-cache-'),
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

  it('runs from a folder whose path has spaces and non-ASCII characters, and through a symlink to it', () => {
    const base = tempDir('metarl start ');
    const app = path.join(base, 'Méta RL – études 学习');
    mkdirSync(path.join(app, 'scripts'), { recursive: true });
    copyFileSync(path.join(ROOT, 'scripts', 'start.js'), path.join(app, 'scripts', 'start.js'));
    copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    const linked = path.join(base, 'linked app');
    symlinkSync(app, linked, 'dir');
    for (const dir of [app, linked]) {
      // `--version` reaches electron-vite when Electron is installed (it prints its version and
      // exits without opening a window); without Electron the script must say so. Either way
      // the script must act: before, such a folder made it exit 0 having done nothing.
      const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'start.js'), '--version'], {
        cwd: dir,
        encoding: 'utf8',
        env: offlineEnv,
        timeout: 60_000,
      });
      if (installed) {
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/electron-vite/);
      } else {
        expect(r.status).toBe(1);
        expect(r.stderr.trim()).toBe(OFFLINE_MESSAGE);
      }
    }
  });
});
