// Is this module the program Node was asked to run? Compared as real file paths, not as
// strings: a folder with spaces or non-ASCII characters is percent-encoded in
// import.meta.url, Windows paths have drive letters and backslashes, and Node resolves
// symlinks for the main module but leaves process.argv[1] as typed.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isEntryPoint(
  importMetaUrl: string,
  argv1: string | undefined = process.argv[1],
): boolean {
  if (!argv1 || !importMetaUrl.startsWith('file:')) return false;
  try {
    return realpathSync(fileURLToPath(importMetaUrl)) === realpathSync(argv1);
  } catch {
    return false;
  }
}
