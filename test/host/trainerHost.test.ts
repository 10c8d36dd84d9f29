// TrainerHost with an in-memory trainer channel: replies go back to the caller under its own
// id, events reach only connections subscribed to their stream, bad calls are answered by the
// host without reaching the trainer, and a trainer exit rejects pending calls as 'crashed'.
import { describe, expect, it } from 'vitest';
import { TrainerHost, type TrainerChannel } from '../../src/host/trainerHost';
import type { CallMessage, WireMessage } from '../../src/shared/protocol';

function fakeTrainer() {
  const received: CallMessage[] = [];
  let toHost: (m: unknown) => void = () => {};
  let exit: (why: string) => void = () => {};
  let launches = 0;
  const launch = (): TrainerChannel => {
    launches++;
    return {
      send: (m: WireMessage) => received.push(m as CallMessage),
      onMessage: (h) => (toHost = h),
      onExit: (h) => (exit = h),
      terminate: () => exit('terminated'),
      kill: () => exit('killed'),
    };
  };
  return {
    launch,
    received,
    emit: (m: unknown) => toHost(m),
    exit: (why: string) => exit(why),
    launches: () => launches,
  };
}

const status = {
  state: 'running',
  runId: 'r1',
  family: 'point-nav',
  algo: 'maml',
  iteration: 3,
  iterations: 10,
  backend: 'wasm',
  elapsedMs: 1,
  etaMs: 2,
};

describe('TrainerHost', () => {
  it('routes replies by id and events by subscription', () => {
    const t = fakeTrainer();
    const host = new TrainerHost(t.launch);
    const a: WireMessage[] = [];
    const b: WireMessage[] = [];
    const ca = host.connect((m) => a.push(m));
    const cb = host.connect((m) => b.push(m));
    ca.handle({
      kind: 'call',
      id: 1,
      channel: 'mrl:stream.subscribe',
      payload: { streams: ['mrl:preview.added', 'mrl:status.changed'] },
    });
    cb.handle({
      kind: 'call',
      id: 1,
      channel: 'mrl:stream.subscribe',
      payload: { streams: ['mrl:metrics.added'] },
    });
    expect(t.launches()).toBe(0); // subscriptions are the host's business
    expect(a.map((m) => m.kind)).toEqual(['reply', 'event']); // reply + current status
    ca.handle({ kind: 'call', id: 7, channel: 'mrl:runs.list', payload: {} });
    cb.handle({ kind: 'call', id: 7, channel: 'mrl:trainer.status', payload: {} });
    expect(t.received.map((m) => m.channel)).toEqual(['mrl:runs.list', 'mrl:trainer.status']);
    expect(t.received[0].id).not.toBe(t.received[1].id);
    t.emit({ kind: 'reply', id: t.received[1].id, ok: true, result: { status } });
    t.emit({ kind: 'reply', id: t.received[0].id, ok: true, result: { runs: [] } });
    expect(b.at(-1)).toEqual({ kind: 'reply', id: 7, ok: true, result: { status } });
    expect(a.at(-1)).toEqual({ kind: 'reply', id: 7, ok: true, result: { runs: [] } });
    const before = [a.length, b.length];
    t.emit({
      kind: 'event',
      channel: 'mrl:metrics.added',
      payload: { runId: 'r1', iteration: 3, time: 'x', wallMs: 1, metrics: {} },
    });
    t.emit({ kind: 'event', channel: 'mrl:status.changed', payload: status });
    expect([a.length - before[0], b.length - before[1]]).toEqual([1, 1]);
    expect((a.at(-1) as { channel: string }).channel).toBe('mrl:status.changed');
    expect((b.at(-1) as { channel: string }).channel).toBe('mrl:metrics.added');
    expect(host.status).toEqual(status);
    cb.close();
    t.emit({
      kind: 'event',
      channel: 'mrl:metrics.added',
      payload: { runId: 'r1', iteration: 4, time: 'x', wallMs: 1, metrics: {} },
    });
    expect(b.length - before[1]).toBe(1);
  });

  it('answers invalid calls itself and reports a trainer exit as a crash', () => {
    const t = fakeTrainer();
    const host = new TrainerHost(t.launch);
    const out: WireMessage[] = [];
    const c = host.connect((m) => out.push(m));
    c.handle(
      '{"kind":"call","id":2,"channel":"mrl:run.start","payload":{"config":{"family":"point-nav"}}}',
    );
    expect(out[0]).toMatchObject({ kind: 'reply', id: 2, ok: false, error: { code: 'invalid' } });
    expect((out[0] as { error: { message: string } }).error.message).toMatch(
      /payload\.config\.algo/,
    );
    expect(t.launches()).toBe(0);
    c.handle({
      kind: 'call',
      id: 0,
      channel: 'mrl:stream.subscribe',
      payload: { streams: ['mrl:status.changed', 'mrl:error.raised'] },
    });
    c.handle({ kind: 'call', id: 3, channel: 'mrl:run.pause', payload: { runId: 'r1' } });
    t.emit({ kind: 'event', channel: 'mrl:status.changed', payload: status });
    out.length = 0;
    t.exit('killed by SIGKILL');
    expect(out[0]).toMatchObject({ kind: 'reply', id: 3, ok: false, error: { code: 'crashed' } });
    expect(out.slice(1).map((m) => (m as { channel: string }).channel)).toEqual([
      'mrl:status.changed',
      'mrl:error.raised',
    ]);
    expect(host.status.state).toBe('crashed');
    expect(host.status.message).toMatch(
      /killed by SIGKILL.*run r1 was running.*resumed from its last checkpoint/,
    );
    c.handle({ kind: 'call', id: 4, channel: 'mrl:runs.list', payload: {} });
    expect(t.launches()).toBe(2);
  });

  it.each([
    [4, /can be resumed from its checkpoint 4\.$/],
    [null, /had no checkpoint yet\.$/],
  ])(
    'the crash message promises only a checkpoint that exists (live checkpoint %s)',
    (checkpoint, expected) => {
      const t = fakeTrainer();
      const host = new TrainerHost(t.launch);
      host.connect(() => {}).handle({ kind: 'call', id: 1, channel: 'mrl:runs.list', payload: {} });
      t.emit({ kind: 'event', channel: 'mrl:status.changed', payload: { ...status, checkpoint } });
      t.exit('killed by SIGKILL');
      expect(host.status.message).toMatch(expected);
      expect(host.status.message).not.toMatch(/if it has one/);
    },
  );
});
