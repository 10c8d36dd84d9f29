// The web host under junk, over its real WebSocket (loopback only) with a real trainer
// process behind it: 5 000 seeded random messages — JSON of any shape, call-shaped messages
// with every channel and random payloads, spoofed replies, events and shutdown messages,
// text that is not JSON, binary frames. Afterwards the host and the same trainer process are
// still up and answer a valid request; no client message ever stopped the trainer.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startWebHost, type WebHost } from '../../src/host/webHost';
import { forkTrainer } from '../../src/host/trainerHost';
import { COMMAND_CHANNELS, STREAM_NAMES } from '../../src/shared/protocol';

let root: string;
let web: WebHost;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mrl-fuzz-'));
  web = await startWebHost({
    launcher: forkTrainer({ runsRoot: path.join(root, 'runs') }),
    rendererDir: null,
    port: 0,
  });
});
afterAll(async () => {
  await web?.close();
  await fs.rm(root, { recursive: true, force: true });
});

const channel = fc.oneof(
  fc.constantFrom(...COMMAND_CHANNELS, ...STREAM_NAMES, 'mrl:nope', '', '__proto__', 'constructor'),
  fc.string(),
);
const message: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      kind: fc.constant('call'),
      id: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string()),
      channel,
      payload: fc.jsonValue(),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      kind: fc.constant('call'),
      id: fc.nat(),
      channel: fc.constantFrom('mrl:stream.subscribe', 'mrl:stream.unsubscribe'),
      payload: fc.record({ streams: fc.array(channel) }),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        kind: fc.constantFrom('reply', 'event', 'shutdown', 'call'),
        id: fc.nat(),
        ok: fc.boolean(),
        channel,
        payload: fc.jsonValue(),
      },
      { requiredKeys: ['kind'] },
    )
    .map((v) => JSON.stringify(v)),
  fc.constant(JSON.stringify({ kind: 'shutdown' })),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}/ws?token=${web.token}`, {
      origin: web.origin,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function reply(
  ws: WebSocket,
  id: number,
  timeoutMs: number,
): Promise<{ ok: boolean; result?: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no reply to ${id} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as {
        kind: string;
        id?: number;
        ok: boolean;
        result?: unknown;
      };
      if (m.kind === 'reply' && m.id === id) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('web host fuzz', () => {
  it('stays up, keeps its trainer and answers after 5 000 random messages', async () => {
    expect(web.url.startsWith('http://127.0.0.1:')).toBe(true);
    const ws = await open();
    // Start the trainer and note which process it is.
    const first = reply(ws, 1_000_001, 60_000);
    ws.send(
      JSON.stringify({ kind: 'call', id: 1_000_001, channel: 'mrl:trainer.status', payload: {} }),
    );
    expect((await first).ok).toBe(true);
    const pid = web.trainerHost.trainerPid;
    expect(pid).toBeGreaterThan(0);
    // A second client watches for a crash the whole time.
    const watcher = await open();
    const states: string[] = [];
    watcher.on('message', (d) => {
      const m = JSON.parse(d.toString()) as {
        kind: string;
        channel?: string;
        payload?: { state?: string };
      };
      if (m.channel === 'mrl:status.changed' && m.payload?.state) states.push(m.payload.state);
    });
    watcher.send(
      JSON.stringify({
        kind: 'call',
        id: 1,
        channel: 'mrl:stream.subscribe',
        payload: { streams: ['mrl:status.changed'] },
      }),
    );

    const junk = fc.sample(message, { numRuns: 5000, seed: 20261202 });
    expect(junk).toHaveLength(5000);
    for (let i = 0; i < junk.length; i++) {
      ws.send(junk[i]);
      // Bounded: let the host drain every few hundred messages.
      if (i % 250 === 249) await new Promise((r) => setImmediate(r));
    }
    const after = reply(ws, 1_000_002, 120_000);
    ws.send(
      JSON.stringify({
        kind: 'call',
        id: 1_000_002,
        channel: 'mrl:tasks.sample',
        payload: { family: 'point-nav', n: 2, seed: 4 },
      }),
    );
    const r = await after;
    expect(r.ok).toBe(true);
    expect((r.result as { tasks: unknown[] }).tasks).toHaveLength(2);
    expect(web.trainerHost.trainerPid).toBe(pid);
    process.kill(pid!, 0); // still alive
    expect(states).not.toContain('crashed');
    ws.close();
    watcher.close();
  }, 240_000);
});
