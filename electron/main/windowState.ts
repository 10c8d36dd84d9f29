// Window position and size remembered between launches (a JSON file in the user-data
// folder, written atomically). A saved position on a display that is gone is discarded so
// the window never opens off-screen.
import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { WindowBounds } from './security';

export const DEFAULT_BOUNDS: WindowBounds = { width: 1280, height: 820 };

const StateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20000),
  height: z.number().int().min(300).max(20000),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof StateSchema>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Read the saved state; a missing or corrupt file gives the defaults (never an error dialog). */
export function loadWindowState(file: string, displays: Rect[]): WindowState {
  let saved: WindowState;
  try {
    saved = StateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return { ...DEFAULT_BOUNDS, maximized: false };
  }
  if (saved.x === undefined || saved.y === undefined) return saved;
  const { x, y } = saved;
  // Keep the position only if the window's top-left area is on some display.
  const visible = displays.some(
    (d) => x + 40 >= d.x && y >= d.y && x + 40 <= d.x + d.width && y + 40 <= d.y + d.height,
  );
  return visible ? saved : { width: saved.width, height: saved.height, maximized: saved.maximized };
}

export function saveWindowState(file: string, state: WindowState): void {
  writeFileAtomic.sync(file, JSON.stringify(state, null, 2) + '\n');
}
