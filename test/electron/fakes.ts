// Test doubles of the Electron objects the main process and preload use. Typed against
// Electron's own declarations (Pick<…>), so a change in Electron's API fails the typecheck.
import { EventEmitter } from 'node:events';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';

/** A WebContents stand-in: events, send(), a window-open handler, destroyed state. */
export class FakeContents extends EventEmitter {
  sent: { channel: string; payload: unknown }[] = [];
  openHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  destroyed = false;
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(h: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.openHandler = h;
  }
  asContents(): WebContents {
    return this as unknown as WebContents;
  }
}

type Handler = (event: IpcMainInvokeEvent, payload: unknown) => unknown;

/** ipcMain stand-in recording handlers; `invoke` calls one as Electron would. */
export class FakeIpcMain implements Pick<IpcMain, 'handle' | 'removeHandler'> {
  handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(
    channel: string,
    sender: FakeContents,
    payload: unknown,
    frameUrl = 'file:///app/out/renderer/index.html',
  ): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    const event = {
      sender: sender.asContents(),
      senderFrame: { url: frameUrl },
    } as unknown as IpcMainInvokeEvent;
    return h(event, payload);
  }
}
