// The application menu: open the runs folder, about, quit (plus the standard Edit/View
// roles so copy/paste and zoom work as users expect). Built from plain data so a test can
// check it without Electron.
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openRunsFolder(): void;
  showAbout(): void;
  quit(): void;
}

export function menuTemplate(
  actions: MenuActions,
  platform: NodeJS.Platform,
): MenuItemConstructorOptions[] {
  const isMac = platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        id: 'open-runs-folder',
        label: 'Open Run Folder',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: () => actions.openRunsFolder(),
      },
      { type: 'separator' },
      isMac
        ? { id: 'close', role: 'close' }
        : { id: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
    ],
  };
  const help: MenuItemConstructorOptions = {
    label: 'Help',
    submenu: [{ id: 'about', label: 'About Meta-RL Studio', click: () => actions.showAbout() }],
  };
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) {
    template.push({
      label: 'Meta-RL Studio',
      submenu: [
        { id: 'about', label: 'About Meta-RL Studio', click: () => actions.showAbout() },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { type: 'separator' },
        {
          id: 'quit',
          label: 'Quit Meta-RL Studio',
          accelerator: 'Cmd+Q',
          click: () => actions.quit(),
        },
      ],
    });
  }
  template.push(
    file,
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
  );
  if (!isMac) template.push(help);
  return template;
}
