// When the end-to-end tests cannot start a browser they fail with one sentence saying why,
// and leave nothing running: no web host listening, no trainer, no browser, no vite server.
import { afterEach, describe, expect, it } from 'vitest';
import { BrowserUnavailableError, chooseBrowser } from '../browser';
import { openHarness } from '../viewer/sceneHarness';
import { startFixture } from './webHostFixture';

/** Servers, sockets and child processes this test process holds, by kind. */
function liveResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo())
    if (/TCP|Process|Pipe/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** Let closed handles drop out of the resource list. */
const settle = () => new Promise((r) => setTimeout(r, 200));

const saved = process.env.CHROMIUM_PATH;
afterEach(() => {
  if (saved === undefined) delete process.env.CHROMIUM_PATH;
  else process.env.CHROMIUM_PATH = saved;
});

function expectOneSentence(e: unknown, mentions: RegExp): void {
  expect(e).toBeInstanceOf(BrowserUnavailableError);
  const message = (e as Error).message;
  expect(message).toMatch(mentions);
  expect(message).not.toContain('\n');
  expect(message).toMatch(/CHROMIUM_PATH/);
  expect(message.trim().endsWith('.')).toBe(true);
}

describe('a browser that cannot start', () => {
  it('uses the packaged Chromium unless CHROMIUM_PATH is set, and never a system path by default', async () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      const choice = await chooseBrowser({});
      expect(choice.source).toBe('@sparticuz/chromium');
      expect(choice.executablePath).not.toMatch(/^\/usr\//);
    } else {
      // Elsewhere the package has no binary: the person is told to set CHROMIUM_PATH.
      expectOneSentence(await chooseBrowser({}).catch((e: unknown) => e), /Linux x64 only/);
    }
    const named = await chooseBrowser({ CHROMIUM_PATH: process.execPath });
    expect(named).toMatchObject({ source: 'CHROMIUM_PATH', executablePath: process.execPath });
  });

  it('a CHROMIUM_PATH that does not exist: one sentence, nothing started', async () => {
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    const before = liveResources();
    const err = await startFixture().catch((e: unknown) => e);
    expectOneSentence(err, /\/nonexistent\/chromium, which does not exist/);
    await settle();
    expect(liveResources()).toEqual(before);
  });

  it('a CHROMIUM_PATH that is not a browser: one sentence, no web host or trainer left running', async () => {
    process.env.CHROMIUM_PATH = process.execPath; // exists, runs, but is not Chromium
    const before = liveResources();
    const err = await startFixture().catch((e: unknown) => e);
    expectOneSentence(err, /Could not start the browser .* \(from CHROMIUM_PATH\)/);
    await settle();
    expect(liveResources()).toEqual(before);
  });

  it('the scene harness closes its vite server when the browser fails', async () => {
    process.env.CHROMIUM_PATH = process.execPath;
    const before = liveResources();
    const err = await openHarness().catch((e: unknown) => e);
    expectOneSentence(err, /Could not start the browser/);
    await settle();
    expect(liveResources()).toEqual(before);
  });
});
