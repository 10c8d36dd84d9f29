// The main process entry on first launch, against a double of the whole Electron module:
// with Documents refused, the window still opens, runs go to the user-data folder, a notice
// says so and the trainer gets that folder; a packaged app ignores ELECTRON_RENDERER_URL
// (its own page, the production CSP), while development honours it; the trainer gets the
// example runs of the app's resources folder.
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/tempDir';

interface Launch {
  dir: string;
  urls: string[];
  dialogs: { type?: string; message: string; detail?: string }[];
  errorBoxes: string[];
  forks: { args: string[] }[];
  csp: string[];
  handlers: Map<string, (e: unknown, p: unknown) => Promise<unknown>>;
  /** The window's webContents (the relay trusts only its messages). */
  contents: unknown[];
  exitCode: number | null;
  /** The production and development CSPs (security.ts, loaded under the same double). */
  policies: { production: string; development: string };
}

/** Import electron/main/index afresh against a double; resolves once the app is "ready". */
async function launch(opts: {
  isPackaged: boolean;
  documents: () => string;
  userData?: string;
}): Promise<Launch> {
  const dir = tempDir('metarl-first-launch-');
  const l: Launch = {
    dir,
    urls: [],
    dialogs: [],
    errorBoxes: [],
    forks: [],
    csp: [],
    handlers: new Map(),
    contents: [],
    exitCode: null,
    policies: { production: '', development: '' },
  };
  const userData = opts.userData ?? path.join(dir, 'userData');
  // Electron's: the packaged app's resources folder, where its example runs are.
  (process as { resourcesPath?: string }).resourcesPath = path.join(dir, 'resources');
  vi.resetModules();
  vi.doMock('electron', () => {
    class BrowserWindow extends EventEmitter {
      static getAllWindows = () => [];
      webContents = Object.assign(new EventEmitter(), {
        setWindowOpenHandler: () => {},
        send: () => {},
        isDestroyed: () => false,
      });
      constructor() {
        super();
        l.contents.push(this.webContents);
      }
      loadURL(url: string) {
        l.urls.push(url);
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
    return {
      app: Object.assign(new EventEmitter(), {
        isPackaged: opts.isPackaged,
        getPath: (name: string) =>
          name === 'documents'
            ? opts.documents()
            : name === 'userData'
              ? userData
              : path.join(dir, name),
        getVersion: () => '0.1.0',
        requestSingleInstanceLock: () => true,
        whenReady: () => Promise.resolve(),
        quit: vi.fn(),
        exit: (code: number) => (l.exitCode = code),
      }),
      BrowserWindow,
      dialog: {
        showMessageBox: (...a: unknown[]) => {
          l.dialogs.push(a[a.length - 1] as Launch['dialogs'][number]);
          return Promise.resolve({ response: 0 });
        },
        showErrorBox: (title: string, content: string) => l.errorBoxes.push(`${title}: ${content}`),
      },
      ipcMain: {
        handle: (c: string, h: Launch['handlers'] extends Map<string, infer H> ? H : never) =>
          l.handlers.set(c, h),
        removeHandler: () => {},
      },
      Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => {} },
      screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
      session: {
        defaultSession: {
          setPermissionRequestHandler: () => {},
          setPermissionCheckHandler: () => {},
          webRequest: {
            onHeadersReceived: (
              h: (
                d: { responseHeaders: object },
                cb: (r: { responseHeaders: Record<string, string[]> }) => void,
              ) => void,
            ) =>
              h({ responseHeaders: {} }, (r) =>
                l.csp.push(r.responseHeaders['Content-Security-Policy'][0]),
              ),
          },
        },
      },
      shell: { openPath: vi.fn() },
      utilityProcess: {
        fork: (_modulePath: string, args: string[]) => {
          l.forks.push({ args });
          return Object.assign(new EventEmitter(), {
            postMessage: () => {},
            kill: () => true,
            stdout: null,
            stderr: null,
          });
        },
      },
    };
  });
  await import('../../electron/main/index');
  const security = await import('../../electron/main/security');
  l.policies = {
    production: security.CONTENT_SECURITY_POLICY,
    development: security.DEV_CONTENT_SECURITY_POLICY,
  };
  // whenReady resolved: let its continuation run.
  await new Promise((r) => setTimeout(r, 0));
  return l;
}

const saved = { renderer: process.env.ELECTRON_RENDERER_URL, runs: process.env.METARL_RUNS_DIR };
afterEach(() => {
  vi.doUnmock('electron');
  delete (process as { resourcesPath?: string }).resourcesPath;
  for (const [k, v] of [
    ['ELECTRON_RENDERER_URL', saved.renderer],
    ['METARL_RUNS_DIR', saved.runs],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('electron main on first launch', () => {
  it('opens its window with runs in the user-data folder, and says so, when Documents is refused', async () => {
    delete process.env.METARL_RUNS_DIR;
    const l = await launch({
      isPackaged: true,
      documents: () => {
        throw new Error("Failed to get 'documents' path");
      },
    });
    expect(l.urls).toHaveLength(1);
    expect(l.exitCode).toBeNull();
    expect(l.dialogs).toHaveLength(1);
    expect(l.dialogs[0].type).toBe('warning');
    expect(l.dialogs[0].message).toContain(path.join(l.dir, 'userData', 'runs'));
    expect(l.dialogs[0].detail).toContain("Failed to get 'documents' path");
    // The trainer writes where the notice says.
    void l.handlers.get('mrl:runs.list')!(
      { sender: l.contents[0], senderFrame: { url: l.urls[0] } },
      {},
    ).catch(() => {});
    await new Promise((r) => setTimeout(r, 0));
    expect(l.forks.map((f) => f.args)).toEqual([
      [
        '--runs',
        path.join(l.dir, 'userData', 'runs'),
        '--examples',
        path.join(l.dir, 'resources', 'examples', 'runs'),
      ],
    ]);
  });

  it('shows no notice when Documents works', async () => {
    delete process.env.METARL_RUNS_DIR;
    const docs = tempDir('metarl-docs-');
    const l = await launch({ isPackaged: true, documents: () => docs });
    expect(l.urls).toHaveLength(1);
    expect(l.dialogs).toEqual([]);
  });

  it('says plainly why it cannot start when no folder at all can hold runs', async () => {
    delete process.env.METARL_RUNS_DIR;
    // A user-data "folder" that is a file cannot hold a runs folder.
    const blocker = path.join(tempDir('metarl-blocked-'), 'userData');
    writeFileSync(blocker, '');
    const l = await launch({
      isPackaged: true,
      documents: () => {
        throw new Error('no Documents');
      },
      userData: blocker,
    });
    expect(l.exitCode).toBe(1);
    expect(l.errorBoxes).toHaveLength(1);
    expect(l.errorBoxes[0]).toContain(blocker);
    expect(l.errorBoxes[0]).toContain('ENOTDIR');
    expect(l.urls).toEqual([]);
  });

  it('ignores ELECTRON_RENDERER_URL when packaged: its own page, the production CSP', async () => {
    process.env.ELECTRON_RENDERER_URL = 'http://127.0.0.1:5173/';
    process.env.METARL_RUNS_DIR = tempDir('metarl-runs-');
    const l = await launch({ isPackaged: true, documents: () => tmpdir() });
    expect(l.urls).toHaveLength(1);
    expect(l.urls[0]).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
    expect(l.csp).toEqual([l.policies.production]);
  });

  it('loads the dev server in development', async () => {
    process.env.ELECTRON_RENDERER_URL = 'http://127.0.0.1:5173/';
    process.env.METARL_RUNS_DIR = tempDir('metarl-runs-');
    const l = await launch({ isPackaged: false, documents: () => tmpdir() });
    expect(l.urls).toEqual(['http://127.0.0.1:5173/']);
    expect(l.csp).toEqual([l.policies.development]);
    expect(l.policies.development).not.toBe(l.policies.production);
  });
});
