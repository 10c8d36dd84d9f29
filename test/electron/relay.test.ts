// The main process's relay: one handler per protocol command, the sender checked, payloads
// validated before the trainer sees them, stream events forwarded only to subscribers.
import { describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { registerRelay, type TrainerLink } from '../../electron/main/relay';
import { COMMAND_CHANNELS, type StreamName, type StreamPayloads } from '../../src/shared/protocol';
import { FakeContents, FakeIpcMain } from './fakes';

const STATUS: StreamPayloads['mrl:status.changed'] = {
  state: 'idle', runId: null, family: null, algo: null, iteration: 0, iterations: 0, backend: null, elapsedMs: 0, etaMs: null,
};

function setup() {
  const ipc = new FakeIpcMain();
  const win = new FakeContents();
  let emit: (<S extends StreamName>(c: S, p: StreamPayloads[S]) => void) | null = null;
  const trainer: TrainerLink & { call: ReturnType<typeof vi.fn> } = {
    call: vi.fn(async (channel: string) => (channel === 'mrl:trainer.status' ? { status: STATUS } : { echoed: channel })),
    onEvent: (l) => {
      emit = l;
      return () => (emit = null);
    },
  };
  const dispose = registerRelay({
    ipcMain: ipc,
    trainer,
    isTrustedSender: (sender: WebContents, url) => sender === win.asContents() && url === 'file:///app/out/renderer/index.html',
  });
  return { ipc, win, trainer, emit: <S extends StreamName>(c: S, p: StreamPayloads[S]) => emit!(c, p), dispose, hasEmitter: () => emit !== null };
}

describe('registerRelay', () => {
  it('registers exactly the protocol command channels', () => {
    const { ipc } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual([...COMMAND_CHANNELS].sort());
  });

  it('forwards a valid command to the trainer and wraps the result', async () => {
    const { ipc, win, trainer } = setup();
    await expect(ipc.invoke('mrl:runs.list', win, {})).resolves.toEqual({ ok: true, result: { echoed: 'mrl:runs.list' } });
    expect(trainer.call).toHaveBeenCalledWith('mrl:runs.list', {});
  });

  it('refuses an invalid payload with a message naming the field, without calling the trainer', async () => {
    const { ipc, win, trainer } = setup();
    const r = (await ipc.invoke('mrl:run.start', win, { config: { family: 'point-nav', algo: 'maml', iterations: 0 } })) as {
      ok: false;
      error: { message: string; code: string };
    };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('invalid');
    expect(r.error.message).toMatch(/config\.iterations/);
    const junk = (await ipc.invoke('mrl:run.pause', win, 'rm -rf /')) as { ok: boolean };
    expect(junk.ok).toBe(false);
    expect(trainer.call).not.toHaveBeenCalled();
  });

  it('refuses commands from another sender or another page', async () => {
    const { ipc, win, trainer } = setup();
    const other = new FakeContents();
    const r1 = (await ipc.invoke('mrl:runs.list', other, {})) as { ok: boolean; error: { message: string } };
    expect(r1).toMatchObject({ ok: false });
    expect(r1.error.message).toMatch(/not the app's window/);
    const r2 = (await ipc.invoke('mrl:runs.list', win, {}, 'https://evil.example/')) as { ok: boolean };
    expect(r2.ok).toBe(false);
    expect(trainer.call).not.toHaveBeenCalled();
  });

  it('reports trainer failures as error replies', async () => {
    const { ipc, win, trainer } = setup();
    trainer.call.mockRejectedValueOnce(Object.assign(new Error('Run "r" is not live'), { code: 'failed' }));
    await expect(ipc.invoke('mrl:run.stop', win, { runId: 'r' })).resolves.toEqual({
      ok: false,
      error: { message: 'Run "r" is not live', code: 'failed' },
    });
  });

  it('forwards only subscribed streams, sends the status on subscribe, and stops on unsubscribe', async () => {
    const { ipc, win, emit } = setup();
    emit('mrl:metrics.added', { runId: 'r', iteration: 1, time: 't', wallMs: 1, metrics: {} });
    expect(win.sent).toEqual([]);
    await ipc.invoke('mrl:stream.subscribe', win, { streams: ['mrl:status.changed', 'mrl:metrics.added'] });
    expect(win.sent).toEqual([{ channel: 'mrl:status.changed', payload: STATUS }]);
    emit('mrl:metrics.added', { runId: 'r', iteration: 2, time: 't', wallMs: 1, metrics: {} });
    emit('mrl:preview.added', {} as StreamPayloads['mrl:preview.added']);
    expect(win.sent.map((s) => s.channel)).toEqual(['mrl:status.changed', 'mrl:metrics.added']);
    await ipc.invoke('mrl:stream.unsubscribe', win, { streams: ['mrl:metrics.added'] });
    emit('mrl:metrics.added', { runId: 'r', iteration: 3, time: 't', wallMs: 1, metrics: {} });
    expect(win.sent).toHaveLength(2);
    win.destroyed = true;
    emit('mrl:status.changed', STATUS);
    expect(win.sent).toHaveLength(2);
  });

  it('dispose removes the handlers and the event forwarding', () => {
    const { ipc, dispose, hasEmitter } = setup();
    dispose();
    expect(ipc.handlers.size).toBe(0);
    expect(hasEmitter()).toBe(false);
  });
});
