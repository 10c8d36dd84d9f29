// The transport-agnostic client: replies resolve/reject the right call, streams are
// subscribed with the first listener and unsubscribed with the last, malformed events are
// dropped, and a closed connection rejects pending calls.
import { describe, expect, it } from 'vitest';
import { createProtocolClient, type ClientTransport } from '../../src/shared/protocolClient';
import type { CallMessage, WireMessage } from '../../src/shared/protocol';

function fakeTransport() {
  const sent: CallMessage[] = [];
  let receive: (m: unknown) => void = () => {};
  let closeHandler: (r: string) => void = () => {};
  const transport: ClientTransport = {
    send: (m: WireMessage) => sent.push(m as CallMessage),
    onMessage: (h) => (receive = h),
    onClose: (h) => (closeHandler = h),
    close: () => closeHandler('closed by test'),
  };
  return {
    transport,
    sent,
    receive: (m: unknown) => receive(m),
    close: (r: string) => closeHandler(r),
  };
}

const status = {
  state: 'running',
  runId: 'r',
  family: 'point-nav',
  algo: 'maml',
  iteration: 2,
  iterations: 10,
  backend: 'wasm',
  elapsedMs: 5,
  etaMs: 20,
};

describe('createProtocolClient', () => {
  it('matches replies to calls by id', async () => {
    const t = fakeTransport();
    const client = createProtocolClient(t.transport);
    const a = client.call('mrl:trainer.status', {});
    const b = client.call('mrl:run.pause', { runId: 'x' });
    expect(t.sent.map((m) => m.channel)).toEqual(['mrl:trainer.status', 'mrl:run.pause']);
    t.receive(
      JSON.stringify({
        kind: 'reply',
        id: t.sent[1].id,
        ok: false,
        error: { message: 'no live run x', code: 'failed' },
      }),
    );
    t.receive({ kind: 'reply', id: t.sent[0].id, ok: true, result: { status } });
    await expect(a).resolves.toEqual({ status });
    await expect(b).rejects.toThrow('no live run x');
  });

  it('subscribes with the first listener, unsubscribes with the last, validates events', () => {
    const t = fakeTransport();
    const errors: Error[] = [];
    const client = createProtocolClient(t.transport, { onProtocolError: (e) => errors.push(e) });
    const got: number[] = [];
    const off1 = client.on('mrl:status.changed', (s) => got.push(s.iteration));
    const off2 = client.on('mrl:status.changed', (s) => got.push(s.iteration * 10));
    expect(t.sent.filter((m) => m.channel === 'mrl:stream.subscribe')).toHaveLength(1);
    t.receive({ kind: 'event', channel: 'mrl:status.changed', payload: status });
    t.receive({
      kind: 'event',
      channel: 'mrl:status.changed',
      payload: { ...status, iteration: 'two' },
    });
    expect(got).toEqual([2, 20]);
    expect(errors).toHaveLength(1);
    off1();
    expect(t.sent.filter((m) => m.channel === 'mrl:stream.unsubscribe')).toHaveLength(0);
    off2();
    off2();
    expect(t.sent.filter((m) => m.channel === 'mrl:stream.unsubscribe')).toHaveLength(1);
  });

  it('rejects pending and later calls when the connection closes', async () => {
    const t = fakeTransport();
    const client = createProtocolClient(t.transport, { onProtocolError: () => {} });
    const reasons: string[] = [];
    client.onClose((r) => reasons.push(r));
    const p = client.call('mrl:runs.list', {});
    t.close('host went away');
    await expect(p).rejects.toThrow(/host went away/);
    await expect(client.call('mrl:runs.list', {})).rejects.toThrow(/closed/);
    expect(reasons).toEqual(['host went away']);
  });
});
