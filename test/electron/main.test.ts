// The main process entry wired together, with the whole Electron module replaced by a test
// double: one secure window on the app page, the session hardened, a handler per protocol
// command, the trainer forked lazily as a utilityProcess, and the application menu.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions } from 'electron';
import { COMMAND_CHANNELS } from '../../src/shared/protocol';
import { tempDir } from '../helpers/tempDir';

const dir = tempDir('metarl-main-');
type FakeWinContents = EventEmitter & {
  setWindowOpenHandler: ReturnType<typeof vi.fn>;
  send: ReturnType<typeof vi.fn>;
  isDestroyed(): boolean;
};
const created: {
  options: BrowserWindowConstructorOptions;
  url?: string;
  contents: FakeWinContents;
}[] = [];
const handlers = new Map<string, unknown>();
const forks: { modulePath: string; args: string[] }[] = [];
let menu: MenuItemConstructorOptions[] = [];
const sessionCalls: string[] = [];
let ready!: () => void;
const whenReady = new Promise<void>((r) => (ready = r));

function electronDouble() {
  class BrowserWindow extends EventEmitter {
    static all: BrowserWindow[] = [];
    static getAllWindows = () => BrowserWindow.all;
    webContents: FakeWinContents;
    constructor(options: BrowserWindowConstructorOptions) {
      super();
      const contents: FakeWinContents = Object.assign(new EventEmitter(), {
        setWindowOpenHandler: vi.fn(),
        send: vi.fn(),
        isDestroyed: () => false,
      });
      this.webContents = contents;
      created.push({ options, contents });
      BrowserWindow.all.push(this);
    }
    loadURL(url: string) {
      created[created.length - 1].url = url;
      return Promise.resolve();
    }
    maximize() {}
    show() {}
    isMaximized() {
      return false;
    }
    getNormalBounds() {
      return { x: 0, y: 0, width: 1280, height: 820 };
    }
  }
  const app = Object.assign(new EventEmitter(), {
    getPath: (name: string) => path.join(dir, name),
    getVersion: () => '0.1.0',
    requestSingleInstanceLock: () => true,
    whenReady: () => whenReady,
    quit: vi.fn(),
  });
  return {
    app,
    BrowserWindow,
    dialog: { showMessageBox: vi.fn() },
    ipcMain: {
      handle: (c: string, h: unknown) => handlers.set(c, h),
      removeHandler: (c: string) => handlers.delete(c),
    },
    Menu: {
      buildFromTemplate: (t: MenuItemConstructorOptions[]) => (menu = t),
      setApplicationMenu: vi.fn(),
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => sessionCalls.push('permission-request'),
        setPermissionCheckHandler: () => sessionCalls.push('permission-check'),
        webRequest: { onHeadersReceived: () => sessionCalls.push('csp-header') },
      },
    },
    shell: { openPath: vi.fn() },
    utilityProcess: {
      fork: (modulePath: string, args: string[]) => {
        forks.push({ modulePath, args });
        return Object.assign(new EventEmitter(), {
          postMessage: vi.fn(),
          kill: vi.fn(),
          stdout: null,
          stderr: null,
        });
      },
    },
  };
}

describe('electron main entry', () => {
  it('opens one hardened window on the app page and relays the protocol to a lazily started trainer', async () => {
    process.env.METARL_RUNS_DIR = path.join(dir, 'runs');
    vi.doMock('electron', electronDouble);
    await import('../../electron/main/index');
    expect(created).toHaveLength(0);
    ready();
    await whenReady;
    await new Promise((r) => setTimeout(r, 0));

    expect(created).toHaveLength(1);
    const win = created[0];
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(win.options.webPreferences?.preload).toMatch(/preload[/\\]index\.cjs$/);
    expect(win.url).toMatch(/^file:\/\/.*renderer\/index\.html$/);
    // Navigation guard, new-window handler and webview guard installed on the window's contents.
    expect(win.contents.listenerCount('will-navigate')).toBeGreaterThan(0);
    expect(win.contents.setWindowOpenHandler).toHaveBeenCalled();
    expect(sessionCalls.sort()).toEqual(['csp-header', 'permission-check', 'permission-request']);

    expect([...handlers.keys()].sort()).toEqual([...COMMAND_CHANNELS].sort());
    expect(forks).toHaveLength(0);
    // A command from the window starts the trainer with the runs folder.
    const handler = handlers.get('mrl:runs.list') as (e: unknown, p: unknown) => Promise<unknown>;
    void handler({ sender: win.contents, senderFrame: { url: win.url } }, {});
    await new Promise((r) => setTimeout(r, 0));
    expect(forks).toHaveLength(1);
    expect(forks[0].modulePath).toMatch(/trainer\.js$/);
    // In development the example runs are the checkout's (examplesFolder.ts).
    expect(forks[0].args).toEqual([
      '--runs',
      path.join(dir, 'runs'),
      '--examples',
      path.resolve(import.meta.dirname, '../../examples/runs'),
    ]);

    const ids = JSON.stringify(menu);
    for (const id of ['open-runs-folder', 'about', 'quit']) expect(ids).toContain(`"id":"${id}"`);
  });
});
