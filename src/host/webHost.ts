// The web host: a local HTTP + WebSocket server (127.0.0.1 only) that serves the built
// renderer and bridges the protocol to a trainer child process, so the same UI runs in a
// browser (remote machine over an SSH tunnel, headless Chromium in tests).
//
// Access control: a random token is printed in the URL. A page load with `?token=` sets an
// HttpOnly SameSite=Strict cookie so the page's assets and its WebSocket (`/ws`) carry it.
// Every HTTP request and WebSocket upgrade must carry the token (query or cookie), name a
// loopback host in its Host header (no DNS rebinding; any port, for SSH tunnels), and, if it
// has an Origin, come from that same origin; WebSocket upgrades must have that Origin.
// Anything else is refused (401/403). Every response carries the page's
// Content-Security-Policy as a header too (the built page also has it as a meta tag, which
// cannot say frame-ancestors and applies only once parsed).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import sirv from 'sirv';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../shared/csp';
import { TrainerHost, type TrainerLauncher } from './trainerHost';

export interface WebHostOptions {
  /** Trainer launcher (e.g. forkTrainer({ runsRoot })). */
  launcher: TrainerLauncher;
  /** Directory of the built renderer (index.html + assets); null/missing serves a notice. */
  rendererDir: string | null;
  /** 0 = any free port. */
  port?: number;
  /** Interface to bind; only loopback addresses are accepted. */
  host?: string;
  /** Fixed token (tests); default: 32 random bytes, base64url. */
  token?: string;
}

export interface WebHost {
  url: string;
  origin: string;
  token: string;
  port: number;
  trainerHost: TrainerHost;
  close(): Promise<void>;
}

const COOKIE = 'mrl_token';
const CSP = contentSecurityPolicy({ header: true });
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function rendererBuilt(dir: string | null): boolean {
  return !!dir && fs.existsSync(path.join(dir, 'index.html'));
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const bind = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(bind))
    throw new Error(
      `The web host binds to loopback only (127.0.0.1, ::1 or localhost), not "${bind}"`,
    );
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const trainerHost = new TrainerHost(opts.launcher);
  const built = rendererBuilt(opts.rendererDir);
  const serveStatic = built
    ? sirv(opts.rendererDir!, { single: true, dev: false, etag: true })
    : null;
  let port = 0;
  // A loopback name with any port (an SSH tunnel may remap the port); never another name, so
  // a DNS-rebinding page cannot reach the host under its own domain.
  const loopbackHost = (h: string | undefined): boolean => {
    if (!h) return false;
    const m = /^(\[::1\]|127\.0\.0\.1|localhost)(?::(\d{1,5}))?$/.exec(h);
    return !!m;
  };

  /** Why a request must be refused, or null. */
  function refuse(
    req: IncomingMessage,
    requireOrigin: boolean,
  ): { status: number; reason: string } | null {
    const host = req.headers.host;
    if (!loopbackHost(host)) return { status: 403, reason: 'Forbidden: unexpected Host header' };
    // The page's own origin is the Host it was loaded from.
    const origin = req.headers.origin;
    if (origin !== undefined ? origin !== `http://${host}` : requireOrigin)
      return { status: 403, reason: 'Forbidden: cross-origin request' };
    const url = new URL(req.url ?? '/', 'http://x');
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req), token)) {
      return {
        status: 401,
        reason:
          'Unauthorized: open the URL printed by `metarl serve` / `npm run web` (it carries the access token)',
      };
    }
    return null;
  }

  const notBuilt = `<!doctype html><meta charset="utf-8"><title>Meta-RL Studio</title><p>The renderer is not built (no index.html in ${opts.rendererDir ?? '(none)'}). Run <code>npm run build:web</code> and restart, or start with <code>npm run web</code>, which builds it first. The protocol is served on <code>/ws</code> meanwhile.</p>`;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    const no = refuse(req, false);
    if (no) {
      res.writeHead(no.status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(no.reason + '\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (sameToken(url.searchParams.get('token'), token)) {
      res.setHeader(
        'Set-Cookie',
        `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
      res.end('Method not allowed\n');
      return;
    }
    if (!serveStatic) {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(notBuilt);
      return;
    }
    serveStatic(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const no = pathname === '/ws' ? refuse(req, true) : { status: 404, reason: 'Not Found' };
    if (no) {
      socket.write(
        `HTTP/1.1 ${no.status} ${no.status === 401 ? 'Unauthorized' : no.status === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${no.reason}\n`,
      );
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const conn = trainerHost.connect((m) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
      });
      ws.on('message', (data, isBinary) => conn.handle(isBinary ? null : data.toString()));
      ws.on('close', () => conn.close());
      ws.on('error', () => conn.close());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bind, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const hostName = bind === '::1' ? '[::1]' : bind;
  const origin = `http://${hostName}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    trainerHost,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await trainerHost.close();
    },
  };
}
