// Node side of the viewer's end-to-end tests: builds the renderer, starts the web host
// (`npm run web`'s server, in process) with a forked trainer on a temporary runs folder,
// trains the tiny runs the tests need through the protocol, and opens the app in headless
// Chromium (test/e2e/browser.ts, via playwright-core). Self-contained: nothing from a previous run is reused.
import type { Page } from 'playwright-core';
import { connectInProcess } from '../../../src/host/client';
import type { WebHost } from '../../../src/host/webHost';
import type { RunConfigInput } from '../../../src/shared/config';
import type { ProtocolClient } from '../../../src/shared/protocolClient';
import { startFixture } from '../app/webHostFixture';

export interface AppHarness {
  host: WebHost;
  client: ProtocolClient;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  runsRoot: string;
  train(config: RunConfigInput): Promise<string>;
  close(): Promise<void>;
}

/**
 * The desktop engineer's fixture (built renderer, web host, forked trainer on a fresh runs
 * folder, headless Chromium) plus what the viewer tests need: a page that accepts downloads,
 * console-error capture, and a `train` helper over the protocol.
 */
export async function openApp(opts: { preload?: string[] } = {}): Promise<AppHarness> {
  const fx = await startFixture({ preload: opts.preload });
  const { host, runsRoot, trainerLog } = fx;
  const client = connectInProcess(host.trainerHost);
  const cleanup = async () => {
    client.close();
    await fx.close();
  };
  try {
    const page = await fx.browser.newPage({
      viewport: { width: 1440, height: 960 },
      acceptDownloads: true,
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      // The browser's own favicon probe is not the app's error.
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico'))
        errors.push(`${m.text()} (${m.location().url})`);
    });

    async function train(config: RunConfigInput): Promise<string> {
      // Status events of other (earlier) runs also flow: match on the run id the start reply names.
      const seen = new Map<string, { state: string; message?: string }>();
      let runId: string | null = null;
      let settle: ((err: Error | null) => void) | null = null;
      const check = () => {
        const s = runId ? seen.get(runId) : undefined;
        if (!s || !settle) return;
        if (s.state === 'finished' || s.state === 'stopped') settle(null);
        else if (s.state === 'failed' || s.state === 'crashed')
          settle(
            new Error(
              `training ${config.family}/${config.algo} ${s.state}: ${s.message}\n${trainerLog.slice(-20).join('\n')}`,
            ),
          );
      };
      const done = new Promise<string>((resolveDone, reject) => {
        settle = (err) => {
          settle = null;
          off();
          if (err) reject(err);
          else resolveDone(runId!);
        };
      });
      const off = client.on('mrl:status.changed', (s) => {
        if (s.runId) seen.set(s.runId, { state: s.state, message: s.message });
        check();
      });
      try {
        runId = (await client.call('mrl:run.start', { config })).runId;
      } catch (e) {
        off();
        throw e;
      }
      check();
      return done;
    }

    return { host, client, page, errors, runsRoot, train, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * How many pixels of a PNG (e.g. a screenshot of the scene) lie within `tol` per channel of
 * each colour. Decoded by the page's own canvas, so no PNG library is needed in Node.
 */
export async function countColors(
  page: Page,
  png: Buffer,
  colors: string[],
  tol = 30,
): Promise<number[]> {
  return page.evaluate(
    async ([b64, cols, t]) => {
      // Runs in the page; typed loosely because the Node test config has no DOM types. An
      // <img> from a data: URL is what the app's CSP allows (img-src data:), unlike fetch.
      const G = globalThis as unknown as {
        Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
        OffscreenCanvas: new (
          w: number,
          h: number,
        ) => {
          getContext(k: '2d'): {
            drawImage(i: unknown, x: number, y: number): void;
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
        };
      };
      const bmp = new G.Image();
      bmp.src = `data:image/png;base64,${b64}`;
      await bmp.decode();
      const g = new G.OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
      g.drawImage(bmp, 0, 0);
      const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
      return cols.map((hex) => {
        const r = parseInt(hex.slice(1, 3), 16);
        const gg = parseInt(hex.slice(3, 5), 16);
        const b = parseInt(hex.slice(5, 7), 16);
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (
            Math.abs(d[i] - r) <= t &&
            Math.abs(d[i + 1] - gg) <= t &&
            Math.abs(d[i + 2] - b) <= t
          )
            n++;
        }
        return n;
      });
    },
    [png.toString('base64'), colors, tol] as const,
  );
}
