// Electron main process of Meta-RL Studio: one secure window, the application menu, window
// state, and the trainer in a utilityProcess relayed to the window over the typed protocol.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  screen,
  session,
  shell,
  utilityProcess,
} from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { menuTemplate } from './menu';
import { examplesFolder } from './examplesFolder';
import { chooseRunsFolder, fallbackNotice } from './runsFolder';
import { registerRelay } from './relay';
import {
  createSecureWindow,
  DEV_CONTENT_SECURITY_POLICY,
  hardenContents,
  hardenSession,
  isAppUrl,
} from './security';
import { utilityTrainerLauncher } from './trainerProcess';
import { TrainerHost } from '../../src/host/trainerHost';
import { loadWindowState, saveWindowState } from './windowState';

const here = import.meta.dirname;
/** Chosen when the app is ready (runsFolder.ts): Documents, METARL_RUNS_DIR, or the fallback. */
let runsDir = '';
const stateFile = path.join(app.getPath('userData'), 'window-state.json');
// The dev server's URL is honoured only in development: a packaged app always loads its own
// files, whatever the environment says (it would otherwise trust another origin, with the
// development CSP).
const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const appUrl = devUrl ?? pathToFileURL(path.join(here, '../renderer/index.html')).href;

let mainWindow: BrowserWindow | null = null;
let host: TrainerHost | null = null;
let quitting = false;

function createWindow(): BrowserWindow {
  const displays = screen.getAllDisplays().map((d) => d.workArea);
  const state = loadWindowState(stateFile, displays);
  const win = createSecureWindow(path.join(here, '../preload/index.cjs'), {
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
  });
  if (state.maximized) win.maximize();
  hardenContents(win.webContents, appUrl);
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    const b = win.getNormalBounds();
    try {
      saveWindowState(stateFile, { ...b, maximized: win.isMaximized() });
    } catch (err) {
      console.warn(`could not save the window state: ${(err as Error).message}`);
    }
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(appUrl);
  return win;
}

function showAbout(): void {
  const opts = {
    type: 'info' as const,
    title: 'About Meta-RL Studio',
    message: `Meta-RL Studio ${app.getVersion()}`,
    detail: `Meta-train MAML and RL² on physics task families and watch them adapt.\n\nElectron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}\nRuns folder: ${runsDir}`,
  };
  if (mainWindow) void dialog.showMessageBox(mainWindow, opts);
  else void dialog.showMessageBox(opts);
}

// One instance: a second launch focuses the existing window (two trainers on one runs
// folder would fight over it).
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => hardenContents(contents, appUrl));

  void app.whenReady().then(() => {
    let runsNotice: ReturnType<typeof fallbackNotice> = null;
    try {
      const choice = chooseRunsFolder({
        override: process.env.METARL_RUNS_DIR,
        documents: () => app.getPath('documents'),
        userData: app.getPath('userData'),
      });
      runsDir = choice.dir;
      runsNotice = fallbackNotice(choice);
    } catch (err) {
      dialog.showErrorBox(
        'Meta-RL Studio cannot start',
        `Neither the Documents folder nor the app's own folder (${app.getPath('userData')}) can hold its runs: ${(err as Error).message}`,
      );
      app.exit(1);
      return;
    }
    hardenSession(session.defaultSession, devUrl ? DEV_CONTENT_SECURITY_POLICY : undefined);
    // The trainer starts with the first command, in its own process. The tfjs backend is
    // chosen per run (auto: native GPU/CPU bindings if installed, else wasm), so a machine
    // without CUDA runs on wasm; nothing to set here.
    host = new TrainerHost(
      utilityTrainerLauncher({
        fork: (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
        entry: path.join(here, 'trainer.js'),
        runsRoot: runsDir,
        examplesRoot: examplesFolder({
          isPackaged: app.isPackaged,
          resourcesPath: process.resourcesPath,
          bundleDir: here,
        }),
        log: (line) => console.log(line),
      }),
    );
    registerRelay({
      ipcMain,
      host,
      isTrustedSender: (sender, frameUrl) =>
        mainWindow !== null &&
        sender === mainWindow.webContents &&
        frameUrl !== undefined &&
        isAppUrl(frameUrl, appUrl),
    });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(
          {
            // The live (or last) run's folder when there is one, else the runs folder.
            openRunsFolder: () =>
              void shell.openPath(
                host?.status.runId ? path.join(runsDir, host.status.runId) : runsDir,
              ),
            showAbout,
            quit: () => app.quit(),
          },
          process.platform,
        ),
      ),
    );
    mainWindow = createWindow();
    if (runsNotice) void dialog.showMessageBox(mainWindow, { type: 'warning', ...runsNotice });
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quitting stops a live run with a checkpoint first (the trainer's SIGTERM handling).
  app.on('before-quit', (event) => {
    if (quitting || !host) return;
    event.preventDefault();
    quitting = true;
    void host.close(15_000).finally(() => app.quit());
  });
}
