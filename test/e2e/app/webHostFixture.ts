// Starts what `npm run web` starts, for the browser tests: the web host on a free loopback
// port serving the built renderer (out/renderer), with a trainer child process on a fresh
// runs directory; and headless Chromium (test/e2e/browser.ts) driven by playwright-core.
// The browser starts first: when it cannot, nothing else has been started.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../browser';
import { forkTrainer, type TrainerLauncher } from '../../../src/host/trainerHost';
import { startWebHost, type WebHost } from '../../../src/host/webHost';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build the browser renderer unless out/renderer is newer than every renderer/shared source. */
export function ensureRendererBuilt(): void {
  const index = path.join(RENDERER_DIR, 'index.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'renderer')),
    newestMtime(path.join(ROOT, 'src', 'shared')),
  );
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '-c',
      'vite.renderer.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

export interface Fixture {
  host: WebHost;
  browser: Browser;
  runsRoot: string;
  trainerLog: string[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Modules the (source) trainer imports first. */
  preload?: string[];
  /** Another trainer (e.g. the built bundle); default: the sources through tsx. */
  launcher?: (runsRoot: string, log: (line: string) => void) => TrainerLauncher;
  /** Serve out/renderer as it is, without rebuilding a stale one (tests of the build). */
  asBuilt?: boolean;
}

export async function startFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  if (!opts.asBuilt) ensureRendererBuilt();
  const browser = await launchBrowser();
  const runsRoot = mkdtempSync(path.join(tmpdir(), 'metarl-e2e-runs-'));
  const trainerLog: string[] = [];
  const log = (l: string) => trainerLog.push(l);
  let host: WebHost;
  try {
    host = await startWebHost({
      launcher: opts.launcher
        ? opts.launcher(runsRoot, log)
        : forkTrainer({ runsRoot, preload: opts.preload, log }),
      rendererDir: RENDERER_DIR,
      port: 0,
    });
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  }
  return {
    host,
    browser,
    runsRoot,
    trainerLog,
    async close() {
      await browser.close().catch(() => {});
      await host.close();
      rmSync(runsRoot, { recursive: true, force: true });
    },
  };
}
