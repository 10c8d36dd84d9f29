// The main process's relay in front of the shared TrainerHost (with a simulated trainer
// process): one handler per protocol command, the sender checked, payloads validated before
// the host sees them, replies paired with calls, stream events forwarded to the windows that
// subscribed, a trainer crash reported and the next command served by a new trainer.
import { describe, expect, it } from 'vitest';
import type { WebContents } from 'electron';
import { registerRelay } from '../../electron/main/relay';
import { TrainerHost, type TrainerChannel } from '../../src/host/trainerHost';
import { COMMAND_CHANNELS, type CallMessage, type WireMessage } from '../../src/shared/protocol';
import { FakeContents, FakeIpcMain } from './fakes';

const APP_PAGE = 'file:///app/out/renderer/index.html';

/** A trainer process stand-in: answers calls with { echoed: channel } unless told otherwise. */
class FakeTrainer implements TrainerChannel {
  received: CallMessage[] = [];
  private toHost: ((raw: unknown) => void) | null = null;
  private exit: ((why: string) => void) | null = null;
  autoReply = true;
  send(m: WireMessage): void {
    const call = m as CallMessage;
    this.received.push(call);
    if (this.autoReply)
      queueMicrotask(() =>
        this.toHost?.({ kind: 'reply', id: call.id, ok: true, result: { echoed: call.channel } }),
      );
  }
  onMessage(h: (raw: unknown) => void): void {
    this.toHost = h;
  }
  onExit(h: (why: string) => void): void {
    this.exit = h;
  }
  terminate(): void {
    this.exit?.('terminated');
  }
  kill(): void {
    this.exit?.('killed by SIGKILL');
  }
  emit(m: WireMessage): void {
    this.toHost?.(m);
  }
}

function setup() {
  const ipc = new FakeIpcMain();
  const win = new FakeContents();
  const trainers: FakeTrainer[] = [];
  const host = new TrainerHost(() => {
    const t = new FakeTrainer();
    trainers.push(t);
    return t;
  });
  const dispose = registerRelay({
    ipcMain: ipc,
    host,
    isTrustedSender: (sender: WebContents, url) => sender === win.asContents() && url === APP_PAGE,
  });
  return { ipc, win, trainers, dispose };
}

describe('registerRelay', () => {
  it('registers exactly the protocol command channels', () => {
    const { ipc } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual([...COMMAND_CHANNELS].sort());
  });

  it('forwards a valid command through the host to the trainer and returns its reply', async () => {
    const { ipc, win, trainers } = setup();
    await expect(ipc.invoke('mrl:runs.list', win, {})).resolves.toEqual({
      ok: true,
      result: { echoed: 'mrl:runs.list' },
    });
    await expect(ipc.invoke('mrl:run.pause', win, { runId: 'r1' })).resolves.toEqual({
      ok: true,
      result: { echoed: 'mrl:run.pause' },
    });
    expect(trainers).toHaveLength(1);
    expect(trainers[0].received.map((c) => c.channel)).toEqual(['mrl:runs.list', 'mrl:run.pause']);
    expect(trainers[0].received[1].payload).toEqual({ runId: 'r1' });
  });

  it('refuses an invalid payload with a message naming the field, without starting a trainer', async () => {
    const { ipc, win, trainers } = setup();
    const r = (await ipc.invoke('mrl:run.start', win, {
      config: { family: 'point-nav', algo: 'maml', iterations: 0 },
    })) as {
      ok: false;
      error: { message: string; code: string };
    };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('invalid');
    expect(r.error.message).toMatch(/config\.iterations/);
    expect(((await ipc.invoke('mrl:run.pause', win, 'rm -rf /')) as { ok: boolean }).ok).toBe(
      false,
    );
    expect(trainers).toHaveLength(0);
  });

  it('refuses commands from another sender or another page', async () => {
    const { ipc, win, trainers } = setup();
    const r1 = (await ipc.invoke('mrl:runs.list', new FakeContents(), {})) as {
      ok: boolean;
      error: { message: string };
    };
    expect(r1.ok).toBe(false);
    expect(r1.error.message).toMatch(/not the app's window/);
    expect(
      ((await ipc.invoke('mrl:runs.list', win, {}, 'https://evil.example/')) as { ok: boolean }).ok,
    ).toBe(false);
    expect(trainers).toHaveLength(0);
  });

  it('forwards only subscribed streams, with the current status on subscribe', async () => {
    const { ipc, win, trainers } = setup();
    await ipc.invoke('mrl:runs.list', win, {});
    const t = trainers[0];
    const metrics = {
      runId: 'r',
      iteration: 1,
      time: 't',
      wallMs: 1,
      metrics: { 'returns/pre': -40 },
    };
    t.emit({ kind: 'event', channel: 'mrl:metrics.added', payload: metrics });
    expect(win.sent).toEqual([]);
    await ipc.invoke('mrl:stream.subscribe', win, {
      streams: ['mrl:status.changed', 'mrl:metrics.added'],
    });
    expect(win.sent.map((s) => s.channel)).toEqual(['mrl:status.changed']);
    t.emit({ kind: 'event', channel: 'mrl:metrics.added', payload: metrics });
    t.emit({
      kind: 'event',
      channel: 'mrl:progress.changed',
      payload: { runId: 'r', iteration: 2, phase: 'sampling', fraction: 0.1 },
    });
    expect(win.sent.map((s) => s.channel)).toEqual(['mrl:status.changed', 'mrl:metrics.added']);
    expect(win.sent[1].payload).toEqual(metrics);
    await ipc.invoke('mrl:stream.unsubscribe', win, { streams: ['mrl:metrics.added'] });
    t.emit({ kind: 'event', channel: 'mrl:metrics.added', payload: metrics });
    expect(win.sent).toHaveLength(2);
  });

  it('reports a trainer crash to the pending call and the window, and starts a new trainer next time', async () => {
    const { ipc, win, trainers } = setup();
    await ipc.invoke('mrl:stream.subscribe', win, {
      streams: ['mrl:status.changed', 'mrl:error.raised'],
    });
    await ipc.invoke('mrl:runs.list', win, {});
    trainers[0].autoReply = false;
    const pending = ipc.invoke('mrl:run.evaluate', win, { runId: 'r' });
    await new Promise((r) => setTimeout(r, 0));
    trainers[0].kill();
    const r = (await pending) as { ok: boolean; error: { code: string; message: string } };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('crashed');
    expect(
      win.sent.some(
        (s) =>
          s.channel === 'mrl:status.changed' &&
          (s.payload as { state: string }).state === 'crashed',
      ),
    ).toBe(true);
    expect(win.sent.some((s) => s.channel === 'mrl:error.raised')).toBe(true);
    await expect(ipc.invoke('mrl:runs.list', win, {})).resolves.toMatchObject({ ok: true });
    expect(trainers).toHaveLength(2);
  });

  it('closes a window connection when the window goes, and dispose removes the handlers', async () => {
    const { ipc, win, trainers, dispose } = setup();
    await ipc.invoke('mrl:stream.subscribe', win, { streams: ['mrl:metrics.added'] });
    await ipc.invoke('mrl:runs.list', win, {});
    win.emit('destroyed');
    trainers[0].emit({
      kind: 'event',
      channel: 'mrl:metrics.added',
      payload: { runId: 'r', iteration: 1, time: 't', wallMs: 1, metrics: {} },
    });
    expect(win.sent.filter((s) => s.channel === 'mrl:metrics.added')).toHaveLength(0);
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });
});
