// Where the desktop app's trainer finds the example runs shipped with the app
// (examples/runs of the repository). electron-builder copies them beside the archive, as
// plain files (build/electron-builder.yml, extraResources: <resources>/examples/runs); in
// development (`npm start`, not packaged) the bundle runs from the checkout, whose
// examples/runs sits two levels above out/main.
import path from 'node:path';

export interface ExamplesFolderOptions {
  /** app.isPackaged */
  isPackaged: boolean;
  /** process.resourcesPath: the packaged app's resources folder (holds app.asar). */
  resourcesPath: string;
  /** The folder of the main bundle (out/main). */
  bundleDir: string;
}

export function examplesFolder(opts: ExamplesFolderOptions): string {
  return opts.isPackaged
    ? path.join(opts.resourcesPath, 'examples', 'runs')
    : path.resolve(opts.bundleDir, '..', '..', 'examples', 'runs');
}
