// Window state persistence (atomic file, bad files and vanished displays handled) and the
// application menu's entries.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { DEFAULT_BOUNDS, loadWindowState, saveWindowState } from '../../electron/main/windowState';
import { menuTemplate } from '../../electron/main/menu';
import { tempDir } from '../helpers/tempDir';

const DISPLAY = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('window state', () => {
  it('round-trips and falls back to defaults on a missing or corrupt file', () => {
    const dir = tempDir('winstate-');
    const file = path.join(dir, 'window-state.json');
    expect(loadWindowState(file, DISPLAY)).toEqual({ ...DEFAULT_BOUNDS, maximized: false });
    saveWindowState(file, { x: 100, y: 50, width: 1400, height: 900, maximized: true });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ x: 100, width: 1400 });
    expect(loadWindowState(file, DISPLAY)).toEqual({
      x: 100,
      y: 50,
      width: 1400,
      height: 900,
      maximized: true,
    });
    writeFileSync(file, '{"width": "huge"');
    expect(loadWindowState(file, DISPLAY)).toEqual({ ...DEFAULT_BOUNDS, maximized: false });
  });

  it('drops a position that is on no display', () => {
    const dir = tempDir('winstate-');
    const file = path.join(dir, 'window-state.json');
    saveWindowState(file, { x: 3000, y: 200, width: 1000, height: 700, maximized: false });
    expect(loadWindowState(file, DISPLAY)).toEqual({ width: 1000, height: 700, maximized: false });
  });
});

function items(t: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return t.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? items(i.submenu) : [])]);
}

describe('menuTemplate', () => {
  it('has open run folder, about and quit wired to the actions, on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const actions = { openRunsFolder: vi.fn(), showAbout: vi.fn(), quit: vi.fn() };
      const all = items(menuTemplate(actions, platform));
      const byId = (id: string) => all.find((i) => i.id === id);
      (byId('open-runs-folder')!.click as () => void)();
      (byId('about')!.click as () => void)();
      (byId('quit')!.click as () => void)();
      expect(actions.openRunsFolder).toHaveBeenCalledTimes(1);
      expect(actions.showAbout).toHaveBeenCalledTimes(1);
      expect(actions.quit).toHaveBeenCalledTimes(1);
    }
  });
});
