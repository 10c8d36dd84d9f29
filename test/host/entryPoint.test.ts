// isEntryPoint compares real paths: a folder with spaces or non-ASCII characters (percent-
// encoded in a file URL) and a symlinked path to the same file both count as the entry point.
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isEntryPoint } from '../../src/host/entryPoint';
import { tempDir } from '../helpers/tempDir';

describe('isEntryPoint', () => {
  const dir = tempDir('metarl entry é 学 ');
  const file = path.join(dir, 'main.js');
  writeFileSync(file, '');
  const link = path.join(tempDir('metarl-link-'), 'linked main.js');
  symlinkSync(file, link);

  it('matches the file through its percent-encoded URL, its path and a symlink to it', () => {
    const url = pathToFileURL(file).href;
    expect(url).toContain('%20');
    expect(isEntryPoint(url, file)).toBe(true);
    expect(isEntryPoint(url, link)).toBe(true);
  });

  it('rejects another file, a missing argv[1] or a non-file URL', () => {
    const other = path.join(dir, 'other.js');
    writeFileSync(other, '');
    expect(isEntryPoint(pathToFileURL(file).href, other)).toBe(false);
    expect(isEntryPoint(pathToFileURL(file).href, undefined)).toBe(false);
    expect(isEntryPoint(pathToFileURL(file).href, path.join(dir, 'missing.js'))).toBe(false);
    expect(isEntryPoint('data:text/javascript,', file)).toBe(false);
  });
});
