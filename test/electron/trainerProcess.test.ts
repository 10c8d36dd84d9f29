// The trainer child as main sees it: call envelopes out, replies and events in, and a
// crash reported as a 'crashed' status with the next command starting a fresh trainer.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ForkOptions, UtilityProcess } from 'electron';
import { TrainerProcess } from '../../electron/main/trainerProcess';

class FakeChild extends EventEmitter {
  posted: unknown[] = [];
  killed = false;
  stdout = new EventEmitter();
  stderr = new EventEmitter();
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  kill(): boolean {
    this.killed = true;
    return true;
  }
}

function setup() {
  const children: { child: FakeChild; path: string; args?: string[]; options?: ForkOptions }[] = [];
  const logs: string[] = [];
  const tp = new TrainerProcess({
    fork: (path, args, options) => {
      const child = new FakeChild();
      children.push({ child, path, args, options });
      return child as unknown as UtilityProcess;
    },
    entry: '/app/out/main/trainer.js',
    args: ['--runs', '/tmp/runs'],
    log: (l) => logs.push(l),
  });
  const events: { channel: string; payload: unknown }[] = [];
  tp.onEvent((channel, payload) => events.push({ channel, payload }));
  return { tp, children, events, logs };
}

describe('TrainerProcess', () => {
  it('forks lazily with the entry and args, and pairs replies with calls', async () => {
    const { tp, children } = setup();
    expect(children).toHaveLength(0);
    const a = tp.call('mrl:runs.list', {});
    const b = tp.call('mrl:trainer.status', {});
    expect(children).toHaveLength(1);
    expect(children[0].path).toBe('/app/out/main/trainer.js');
    expect(children[0].args).toEqual(['--runs', '/tmp/runs']);
    expect(children[0].options?.stdio).toBe('pipe');
    const [m1, m2] = children[0].child.posted as { id: number; channel: string; kind: string }[];
    expect(m1).toMatchObject({ kind: 'call', channel: 'mrl:runs.list' });
    children[0].child.emit('message', { kind: 'reply', id: m2.id, ok: true, result: 'second' });
    children[0].child.emit('message', { kind: 'reply', id: m1.id, ok: false, error: { message: 'bad', code: 'failed' } });
    await expect(b).resolves.toBe('second');
    await expect(a).rejects.toMatchObject({ message: 'bad', code: 'failed' });
  });

  it('passes events on and ignores malformed messages', () => {
    const { tp, children, events, logs } = setup();
    void tp.call('mrl:runs.list', {});
    const child = children[0].child;
    child.emit('message', { kind: 'event', channel: 'mrl:progress.changed', payload: { runId: 'r', iteration: 1, phase: 'sampling', fraction: 0.5 } });
    child.emit('message', { kind: 'event', channel: 'mrl:not.a.stream', payload: {} });
    child.emit('message', 42);
    expect(events).toEqual([{ channel: 'mrl:progress.changed', payload: { runId: 'r', iteration: 1, phase: 'sampling', fraction: 0.5 } }]);
    expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(2);
  });

  it('reports a crash, rejects pending calls, and starts a new trainer on the next call', async () => {
    const { tp, children, events } = setup();
    const pending = tp.call('mrl:run.evaluate', { runId: 'r' });
    children[0].child.emit('exit', 134);
    await expect(pending).rejects.toMatchObject({ code: 'crashed' });
    expect(events.map((e) => e.channel)).toEqual(['mrl:status.changed', 'mrl:error.raised']);
    expect(events[0].payload).toMatchObject({ state: 'crashed' });
    expect((events[1].payload as { message: string }).message).toMatch(/exit code 134/);
    void tp.call('mrl:runs.list', {});
    expect(children).toHaveLength(2);
  });

  it('dispose kills the child and refuses further calls', async () => {
    const { tp, children } = setup();
    const p = tp.call('mrl:runs.list', {});
    tp.dispose();
    expect(children[0].child.killed).toBe(true);
    await expect(p).rejects.toMatchObject({ code: 'closed' });
    expect(() => tp.call('mrl:runs.list', {})).toThrow(/shut down/);
  });
});
