// The renderer's transports: the WebSocket one (token from the page URL, envelopes through
// the shared ProtocolClient, one subscribe per stream however many listeners, reconnect with
// re-subscription) and the Electron one over the preload bridge.
// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { electronTransport } from '../../renderer/src/transport/ipc';
import type { MrlBridge } from '../../renderer/src/transport/types';
import { socketUrlFromPage, websocketTransport } from '../../renderer/src/transport/websocket';

type Listener = (ev: { data?: unknown; code?: number; reason?: string }) => void;

class FakeSocket {
  static all: FakeSocket[] = [];
  static OPEN = 1;
  readyState = 0;
  sent: { id: number; channel: string; payload: unknown }[] = [];
  private listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  addEventListener(type: string, l: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.fire('close', { code: 1000, reason: 'closed' });
  }
  fire(type: string, ev: Parameters<Listener>[0] = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }
  reply(id: number, result: unknown): void {
    this.fire('message', { data: JSON.stringify({ kind: 'reply', id, ok: true, result }) });
  }
  event(channel: string, payload: unknown): void {
    this.fire('message', { data: JSON.stringify({ kind: 'event', channel, payload }) });
  }
}

const STATUS = {
  state: 'running',
  runId: 'r',
  family: 'point-nav',
  algo: 'maml',
  iteration: 3,
  iterations: 10,
  backend: 'wasm',
  elapsedMs: 1,
  etaMs: 2,
};

describe('socketUrlFromPage', () => {
  it('passes the page token on to /ws of the same host', () => {
    expect(
      socketUrlFromPage({ protocol: 'http:', host: '127.0.0.1:4123', search: '?token=a-b_c%2F' }),
    ).toBe('ws://127.0.0.1:4123/ws?token=a-b_c%2F');
    expect(socketUrlFromPage({ protocol: 'https:', host: 'h', search: '' })).toBe('wss://h/ws');
  });
});

describe('websocketTransport', () => {
  it('calls, subscribes once per stream, delivers validated events and re-subscribes after a drop', async () => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    const t = websocketTransport({
      url: 'ws://h/ws?token=t',
      retryMs: 100,
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    });
    const states: string[] = [];
    t.onConnection((s) => states.push(s));
    const ws = FakeSocket.all[0];
    const listed = t.call('mrl:runs.list', {});
    ws.fire('open');
    expect(ws.sent[0]).toMatchObject({ kind: 'call', channel: 'mrl:runs.list' });
    ws.reply(ws.sent[0].id, { runs: [] });
    await expect(listed).resolves.toEqual({ runs: [] });

    const got: unknown[] = [];
    const off1 = t.listen('mrl:status.changed', (s) => got.push(s));
    const off2 = t.listen('mrl:status.changed', () => {});
    const subs = () => ws.sent.filter((m) => m.channel === 'mrl:stream.subscribe');
    expect(subs()).toHaveLength(1);
    ws.event('mrl:status.changed', STATUS);
    ws.event('mrl:status.changed', { state: 'bogus' }); // fails the stream schema: dropped
    expect(got).toEqual([STATUS]);
    off1();
    expect(ws.sent.filter((m) => m.channel === 'mrl:stream.unsubscribe')).toHaveLength(0);

    ws.fire('close', { code: 1006, reason: 'host went away' });
    expect(states).toContain('closed');
    await expect(t.call('mrl:runs.list', {})).rejects.toThrow(/Not connected/);
    vi.advanceTimersByTime(150);
    const ws2 = FakeSocket.all[1];
    expect(ws2).toBeDefined();
    ws2.fire('open');
    expect(
      ws2.sent.filter((m) => m.channel === 'mrl:stream.subscribe').map((m) => m.payload),
    ).toEqual([{ streams: ['mrl:status.changed'] }]);
    off2();
    expect(ws2.sent.filter((m) => m.channel === 'mrl:stream.unsubscribe')).toHaveLength(1);
    t.close();
    vi.useRealTimers();
  });
});

describe('electronTransport', () => {
  it('invokes through the bridge and subscribes streams through it', async () => {
    const handlers = new Map<string, (p: unknown) => void>();
    const bridge = {
      invoke: vi.fn(async (channel: string) => ({ echoed: channel })),
      on: vi.fn((channel: string, l: (p: unknown) => void) => {
        handlers.set(channel, l);
        return () => handlers.delete(channel);
      }),
    } as unknown as MrlBridge & { invoke: ReturnType<typeof vi.fn> };
    const t = electronTransport(bridge);
    await expect(t.call('mrl:families.list', {})).resolves.toEqual({ echoed: 'mrl:families.list' });
    const got: unknown[] = [];
    const off = t.listen('mrl:metrics.added', (m) => got.push(m));
    expect(bridge.invoke).toHaveBeenCalledWith('mrl:stream.subscribe', {
      streams: ['mrl:metrics.added'],
    });
    handlers.get('mrl:metrics.added')!({ iteration: 1 });
    expect(got).toEqual([{ iteration: 1 }]);
    off();
    expect(handlers.has('mrl:metrics.added')).toBe(false);
    expect(bridge.invoke).toHaveBeenCalledWith('mrl:stream.unsubscribe', {
      streams: ['mrl:metrics.added'],
    });
  });
});
