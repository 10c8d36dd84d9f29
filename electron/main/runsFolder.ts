// Where the desktop app keeps its runs. The user's Documents folder by default (easy to find
// and back up), or METARL_RUNS_DIR. When that folder cannot be created (macOS privacy
// prompts refused, Windows Controlled Folder Access, a Documents path the system does not
// report) the app must still open: it falls back to its own user-data folder and says so.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface RunsFolderChoice {
  /** The folder runs are written to (created). */
  dir: string;
  /** Set when the preferred folder was refused and `dir` is the fallback. */
  refused?: { wanted: string; reason: string };
}

export interface RunsFolderOptions {
  /** METARL_RUNS_DIR, if set. */
  override?: string;
  /** app.getPath('documents'); may throw where the system has no such folder. */
  documents: () => string;
  /** app.getPath('userData'). */
  userData: string;
  mkdir?: (dir: string) => void;
}

const mkdirp = (dir: string) => void mkdirSync(dir, { recursive: true });

export function chooseRunsFolder(opts: RunsFolderOptions): RunsFolderChoice {
  const mkdir = opts.mkdir ?? mkdirp;
  let wanted = opts.override ?? '(the Documents folder)';
  try {
    wanted = opts.override ?? path.join(opts.documents(), 'Meta-RL Studio', 'runs');
    mkdir(wanted);
    return { dir: wanted };
  } catch (err) {
    const reason = (err as Error).message;
    const dir = path.join(opts.userData, 'runs');
    // If even the app's own folder cannot be created, this throws: nothing else to fall back to.
    mkdir(dir);
    return { dir, refused: { wanted, reason } };
  }
}

/** The notice shown once when the fallback is in use. */
export function fallbackNotice(
  choice: RunsFolderChoice,
): { title: string; message: string; detail: string } | null {
  if (!choice.refused) return null;
  return {
    title: 'Runs folder',
    message: `Meta-RL Studio could not create its runs folder at ${choice.refused.wanted}, so runs are saved in ${choice.dir} instead.`,
    detail: `Reason: ${choice.refused.reason}\n\nTo use another folder, allow Meta-RL Studio to access Documents in your system's privacy settings, or set METARL_RUNS_DIR before starting the app. File › Open Run Folder shows where they are.`,
  };
}
