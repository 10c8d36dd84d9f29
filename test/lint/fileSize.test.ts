// No source file over 500 lines (a house rule): every .ts, .mts, .mjs and .vue file under
// src/, envs/, electron/ and renderer/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_LINES = 500;
const FOLDERS = ['src', 'envs', 'electron', 'renderer'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.(ts|mts|mjs|vue)$/.test(e.name) ? [p] : [];
  });
}

function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n');
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}

describe('source file size', () => {
  it('finds the source files (the scan is not empty)', () => {
    const files = FOLDERS.flatMap((f) => sourceFiles(join(root, f)));
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith(join('src', 'algos', 'maml.ts')))).toBe(true);
  });

  it(`no file under ${FOLDERS.join('/, ')}/ exceeds ${MAX_LINES} lines`, () => {
    const over = FOLDERS.flatMap((f) => sourceFiles(join(root, f)))
      .map((f) => ({ file: relative(root, f), lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.file}: ${x.lines} lines`);
    expect(over).toEqual([]);
  });

  it('counts lines as an editor does', () => {
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount('')).toBe(0);
  });
});
