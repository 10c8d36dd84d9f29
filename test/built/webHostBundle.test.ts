// The web host serving what `npm run build` produced: out/renderer (the page Electron loads)
// with the built trainer behind it. The page and every asset it names load with the access
// token, and in headless Chromium the app starts without a console error or a failed
// request and lists the families and learners the built trainer sends over the WebSocket.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from '../e2e/app/webHostFixture';
import { assertBuilt, builtTrainerLauncher } from './builtApp';

let fx: Fixture;

beforeAll(async () => {
  assertBuilt();
  fx = await startFixture({
    asBuilt: true,
    launcher: (runsRoot, log) => builtTrainerLauncher({ runsRoot, log }),
  });
});
afterAll(async () => {
  await fx?.close();
  if (fx) rmSync(fx.runsRoot, { recursive: true, force: true });
});

describe('the web host on the built renderer', () => {
  it('serves the page and every asset it names, only with the token', async () => {
    expect((await fetch(fx.host.origin + '/')).status).toBe(401);
    const page = await fetch(fx.host.url);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    const html = await page.text();
    expect(html).toContain('http-equiv="Content-Security-Policy"');
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const a of assets) {
      const r = await fetch(`${fx.host.origin}/${a}`, { headers: { cookie } });
      expect(r.status, a).toBe(200);
      expect(r.headers.get('content-type'), a).toMatch(
        a.endsWith('.js') ? /javascript/ : a.endsWith('.css') ? /text\/css/ : /./,
      );
      expect((await r.arrayBuffer()).byteLength, a).toBeGreaterThan(0);
    }
  });

  it('starts in Chromium and shows what the built trainer sends', async () => {
    const page = await fx.browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico'))
        problems.push(m.text());
    });
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico'))
        problems.push(`${r.url()}: HTTP ${r.status()}`);
    });
    await page.goto(fx.host.url);
    // Families and learners come from the trainer (mrl:families.list, mrl:algos.list).
    for (const id of ['family-point-nav', 'family-cartpole', 'algo-maml', 'algo-rl2']) {
      await page.getByTestId(id).waitFor({ timeout: 60_000 });
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});
