// Where the desktop app's trainer looks for the example runs: the packaged app's resources
// folder (electron-builder's extraResources), or in development the checkout's examples/runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesFolder } from '../../electron/main/examplesFolder';

describe('examplesFolder', () => {
  it('is <resources>/examples/runs when packaged', () => {
    expect(
      examplesFolder({
        isPackaged: true,
        resourcesPath: '/opt/Meta-RL Studio/resources',
        bundleDir: '/opt/Meta-RL Studio/resources/app.asar/out/main',
      }),
    ).toBe(path.join('/opt/Meta-RL Studio/resources', 'examples', 'runs'));
  });

  it("is the checkout's examples/runs in development (out/main two levels below it)", () => {
    expect(
      examplesFolder({
        isPackaged: false,
        resourcesPath: '/usr/lib/electron/resources',
        bundleDir: path.resolve('/src/metarl/out/main'),
      }),
    ).toBe(path.resolve('/src/metarl/examples/runs'));
  });
});
