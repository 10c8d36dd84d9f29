// The web host: refuses HTTP requests and WebSocket upgrades without the token, from another
// origin or with a foreign Host header; serves the renderer with the token; bridges the
// protocol to a real trainer child process; reports a killed trainer as 'crashed' and starts
// a new one on the next command.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebHost, type WebHost } from '../../src/host/webHost';
import { contentSecurityPolicy } from '../../src/shared/csp';
import { forkTrainer } from '../../src/host/trainerHost';
import { connectWebSocket } from '../../src/host/client';
import type { StreamPayloads } from '../../src/shared/protocol';

let root: string;
let renderer: string;
let web: WebHost;
const hill = fileURLToPath(new URL('../training/hillClimber.ts', import.meta.url));

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-web-'));
  renderer = path.join(root, 'renderer');
  await fs.mkdir(renderer);
  await fs.writeFile(
    path.join(renderer, 'index.html'),
    '<!doctype html><title>studio</title><div id="app"></div>',
  );
  web = await startWebHost({
    launcher: forkTrainer({ runsRoot: path.join(root, 'runs'), preload: [hill] }),
    rendererDir: renderer,
    port: 0,
  });
});
afterAll(async () => {
  await web?.close();
  await fs.rm(root, { recursive: true, force: true });
});

function get(
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; cookie?: string; csp?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: web.port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          body,
          cookie: res.headers['set-cookie']?.[0],
          csp: res.headers['content-security-policy'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
  });
}

function upgrade(query: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}/ws${query}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('error', () => {});
  });
}

describe('web host access control', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(web.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${web.port}/\\?token=[A-Za-z0-9_-]{40,}$`),
    );
  });

  it('refuses HTTP without the token, with a wrong one, from another origin or Host', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get(`/?token=${web.token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`/?token=${web.token}`, { Host: `evil.example:${web.port}` })).status).toBe(
      403,
    );
    expect(
      (await get(`/?token=${web.token}`, { Host: `127.0.0.1.evil.example:${web.port}` })).status,
    ).toBe(403);
    // Loaded as localhost, the page's origin is http://localhost:PORT; 127.0.0.1's origin is then foreign.
    expect(
      (
        await get(`/?token=${web.token}`, {
          Host: `localhost:${web.port}`,
          Origin: `http://127.0.0.1:${web.port}`,
        })
      ).status,
    ).toBe(403);
    // Through an SSH tunnel that remaps the port.
    expect(
      (
        await get(`/?token=${web.token}`, {
          Host: 'localhost:8080',
          Origin: 'http://localhost:8080',
        })
      ).status,
    ).toBe(200);
    const ok = await get(`/?token=${web.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('studio');
    expect(ok.cookie).toMatch(/^mrl_token=.*HttpOnly; SameSite=Strict/);
    // The cookie then authorises the page's other requests (SPA fallback serves index.html).
    const cookie = ok.cookie!.split(';')[0];
    expect((await get('/runs', { Cookie: cookie })).status).toBe(200);
    expect((await get('/runs', { Cookie: 'mrl_token=wrong' })).status).toBe(401);
  });

  it('sends the Content-Security-Policy as a response header, on the page and on refusals', async () => {
    const page = await get(`/?token=${web.token}`);
    expect(page.csp).toBe(contentSecurityPolicy({ header: true }));
    const directives = page.csp!.split('; ');
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain("script-src 'self'");
    expect(directives).toContain("connect-src 'self'");
    expect(directives).toContain("frame-ancestors 'none'");
    expect(page.csp).not.toMatch(/unsafe-(inline|eval)/);
    expect((await get('/')).csp).toBe(page.csp);
  });

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    expect(await upgrade('', { Origin: web.origin })).toBe(401);
    expect(await upgrade('?token=bad', { Origin: web.origin })).toBe(401);
    expect(await upgrade(`?token=${web.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(`?token=${web.token}`, {})).toBe(403);
    expect(await upgrade(`?token=${web.token}`, { Origin: `http://localhost:${web.port}` })).toBe(
      403,
    );
    expect(await upgrade(`?token=${web.token}`, { Origin: web.origin })).toBe('open');
    expect(await upgrade('', { Origin: web.origin, Cookie: `mrl_token=${web.token}` })).toBe(
      'open',
    );
  });
});

describe('web host protocol bridge', () => {
  it('trains through a real trainer process, survives junk, and recovers from a trainer crash', async () => {
    const client = connectWebSocket(
      `ws://127.0.0.1:${web.port}/ws?token=${web.token}`,
      web.origin,
      { onProtocolError: () => {} },
    );
    const metrics: StreamPayloads['mrl:metrics.added'][] = [];
    const statuses: StreamPayloads['mrl:status.changed'][] = [];
    const errors: StreamPayloads['mrl:error.raised'][] = [];
    client.on('mrl:metrics.added', (m) => metrics.push(m));
    client.on('mrl:status.changed', (s) => statuses.push(s));
    client.on('mrl:error.raised', (e) => errors.push(e));
    const families = await client.call('mrl:families.list', {});
    expect(families.families.map((f) => f.id)).toContain('point-nav');
    await expect(client.call('mrl:run.pause', { runId: '../../etc' })).rejects.toThrow(
      /payload\.runId/,
    );

    const { runId } = await client.call('mrl:run.start', {
      config: {
        family: 'point-nav',
        algo: 'test-hill',
        seed: 3,
        iterations: 4,
        backend: 'cpu',
        previewEvery: 0,
      },
    });
    for (let i = 0; i < 200 && !statuses.some((s) => s.state === 'finished'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(metrics.map((m) => m.iteration)).toEqual([1, 2, 3, 4]);
    expect(metrics[0].runId).toBe(runId);

    // A slow run, then the trainer dies mid-run: the client hears 'crashed' and an error.
    await client.call('mrl:run.start', {
      config: {
        family: 'point-nav',
        algo: 'test-hill',
        seed: 3,
        iterations: 1000,
        backend: 'cpu',
        hyper: { slowMs: 200 },
      },
    });
    const pid = web.trainerHost.trainerPid!;
    const pending = client.call('mrl:run.pause', { runId: statuses[statuses.length - 1].runId! });
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toThrow(
      /trainer process stopped unexpectedly \(killed by SIGKILL\)/,
    );
    for (let i = 0; i < 100 && !statuses.some((s) => s.state === 'crashed'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(statuses.some((s) => s.state === 'crashed')).toBe(true);
    expect(errors.some((e) => e.fatal && /stopped unexpectedly/.test(e.message))).toBe(true);
    // The next command starts a fresh trainer, which sees the runs on disk.
    const list = await client.call('mrl:runs.list', {});
    expect(web.trainerHost.trainerPid).not.toBe(pid);
    expect(list.runs.map((r) => r.runId)).toContain(runId);
    expect(list.runs.find((r) => r.runId !== runId)?.message).toMatch(/interrupted/);
    client.close();
  });
});
