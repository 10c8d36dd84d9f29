// The runs folder: Documents (or METARL_RUNS_DIR) when it can be created, else the app's
// user-data folder with a notice naming both folders and the reason.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseRunsFolder, fallbackNotice } from '../../electron/main/runsFolder';
import { tempDir } from '../helpers/tempDir';

const base = () => tempDir('metarl-runs-folder-');

describe('chooseRunsFolder', () => {
  it('uses Documents/Meta-RL Studio/runs, or METARL_RUNS_DIR, and creates it', () => {
    const b = base();
    const docs = chooseRunsFolder({
      documents: () => path.join(b, 'Documents'),
      userData: path.join(b, 'data'),
    });
    expect(docs).toEqual({ dir: path.join(b, 'Documents', 'Meta-RL Studio', 'runs') });
    expect(existsSync(docs.dir)).toBe(true);
    expect(fallbackNotice(docs)).toBeNull();
    const own = chooseRunsFolder({
      override: path.join(b, 'mine'),
      documents: () => path.join(b, 'Documents'),
      userData: path.join(b, 'data'),
    });
    expect(own.dir).toBe(path.join(b, 'mine'));
  });

  it('falls back to the user-data folder when Documents is refused, and says why', () => {
    const b = base();
    const docs = path.join(b, 'Documents');
    const refuse = (dir: string) => {
      // As macOS privacy controls refuse (permission bits would not stop root, who runs CI).
      if (dir.startsWith(docs))
        throw Object.assign(new Error(`EPERM: operation not permitted, mkdir '${dir}'`), {
          code: 'EPERM',
        });
      mkdirSync(dir, { recursive: true });
    };
    const choice = chooseRunsFolder({
      documents: () => docs,
      userData: path.join(b, 'data'),
      mkdir: refuse,
    });
    expect(choice.dir).toBe(path.join(b, 'data', 'runs'));
    expect(existsSync(choice.dir)).toBe(true);
    expect(choice.refused?.wanted).toBe(path.join(docs, 'Meta-RL Studio', 'runs'));
    const notice = fallbackNotice(choice)!;
    expect(notice.message).toContain(path.join(docs, 'Meta-RL Studio', 'runs'));
    expect(notice.message).toContain(path.join(b, 'data', 'runs'));
    expect(notice.detail).toContain('EPERM');
  });

  it('falls back when the system reports no Documents folder at all', () => {
    const b = base();
    const choice = chooseRunsFolder({
      documents: () => {
        throw new Error("Failed to get 'documents' path");
      },
      userData: path.join(b, 'data'),
    });
    expect(choice.dir).toBe(path.join(b, 'data', 'runs'));
    expect(choice.refused).toEqual({
      wanted: '(the Documents folder)',
      reason: "Failed to get 'documents' path",
    });
  });

  it('throws when even the user-data folder cannot be created', () => {
    expect(() =>
      chooseRunsFolder({
        documents: () => '/nowhere',
        userData: '/nowhere-either',
        mkdir: () => {
          throw new Error('EACCES');
        },
      }),
    ).toThrow('EACCES');
  });
});
