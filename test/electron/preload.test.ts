// The preload's API: only allow-listed mrl: channels, payloads validated before any IPC,
// errors arrive as plain messages, listeners get the payload only and can unsubscribe.
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcRenderer } from 'electron';
import { createMrlApi, type MrlApi } from '../../electron/preload/api';
import { COMMAND_CHANNELS, STREAM_NAMES } from '../../src/shared/protocol';

class FakeIpcRenderer extends EventEmitter {
  invoke = vi.fn(async (_channel: string, _payload: unknown): Promise<unknown> => ({
    ok: true,
    result: { fine: true },
  }));
}

let ipc: FakeIpcRenderer;
let api: MrlApi;
beforeEach(() => {
  ipc = new FakeIpcRenderer();
  api = createMrlApi(ipc as unknown as IpcRenderer);
});

describe('invoke', () => {
  it('forwards a valid command and unwraps the reply', async () => {
    await expect(api.invoke('mrl:runs.list', {})).resolves.toEqual({ fine: true });
    await api.invoke('mrl:run.pause', { runId: 'run-1' });
    expect(ipc.invoke.mock.calls).toEqual([
      ['mrl:runs.list', {}],
      ['mrl:run.pause', { runId: 'run-1' }],
    ]);
  });

  it('refuses channels outside the protocol without touching IPC', async () => {
    for (const ch of [
      'mrl:secret.steal',
      'ELECTRON_BROWSER_REQUIRE',
      '__proto__',
      'toString',
      '',
    ]) {
      await expect(api.invoke(ch as never, {} as never)).rejects.toThrow(/not an mrl: command/);
    }
    // A stream name is not a command.
    await expect(api.invoke('mrl:metrics.added' as never, {} as never)).rejects.toThrow(
      /not an mrl: command/,
    );
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('validates payloads and names the bad field', async () => {
    await expect(api.invoke('mrl:run.pause', { runId: '../../etc' })).rejects.toThrow(
      /payload\.runId/,
    );
    await expect(
      api.invoke('mrl:run.start', { config: { family: 'point-nav', algo: 'maml', seed: -3 } }),
    ).rejects.toThrow(/config\.seed: must be an integer in \[0, 2147483647\]/);
    await expect(api.invoke('mrl:runs.list', { extra: 1 } as never)).rejects.toThrow(
      /unknown field "extra"/,
    );
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('turns an error reply into an Error with the trainer message and code', async () => {
    ipc.invoke.mockResolvedValueOnce({
      ok: false,
      error: { message: 'Run "x" not found', code: 'failed' },
    });
    await expect(api.invoke('mrl:run.open', { runId: 'x' })).rejects.toMatchObject({
      message: 'Run "x" not found',
      code: 'failed',
    });
    ipc.invoke.mockResolvedValueOnce('garbage');
    await expect(api.invoke('mrl:runs.list', {})).rejects.toThrow(/Malformed reply/);
  });

  it('allows every command channel of the protocol', async () => {
    // Every channel passes the allow-list (payload errors are fine; "not an mrl: command" is not).
    for (const ch of COMMAND_CHANNELS) {
      await api
        .invoke(ch, {} as never)
        .catch((e: Error) => expect(e.message).not.toMatch(/not an mrl: command/));
    }
  });
});

describe('on', () => {
  it('delivers the payload only and unsubscribes once', () => {
    const got: unknown[] = [];
    const off = api.on('mrl:metrics.added', (p) => got.push(p));
    ipc.emit('mrl:metrics.added', { sender: 'secret' }, { iteration: 3 });
    expect(got).toEqual([{ iteration: 3 }]);
    off();
    off();
    ipc.emit('mrl:metrics.added', { sender: 'secret' }, { iteration: 4 });
    expect(got).toHaveLength(1);
    expect(ipc.listenerCount('mrl:metrics.added')).toBe(0);
  });

  it('refuses channels that are not protocol streams', () => {
    expect(() => api.on('mrl:run.start' as never, () => {})).toThrow(/not an mrl: stream/);
    expect(() => api.on('ELECTRON_x' as never, () => {})).toThrow(/not an mrl: stream/);
    expect(() => api.on('mrl:status.changed', 'nope' as never)).toThrow(
      /listener must be a function/,
    );
    for (const s of STREAM_NAMES) api.on(s, () => {})();
  });
});

describe('preload entry', () => {
  it('exposes exactly { invoke, on } as window.mrl', async () => {
    const exposed: Record<string, unknown> = {};
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer: new FakeIpcRenderer(),
    }));
    await import('../../electron/preload/index');
    expect(Object.keys(exposed)).toEqual(['mrl']);
    expect(Object.keys(exposed.mrl as object).sort()).toEqual(['invoke', 'on']);
    vi.doUnmock('electron');
  });
});
