// electron-vite build of the desktop app: main process, sandboxed preload, Vue renderer.
// Sources follow the architecture's rooms (electron/main, electron/preload, renderer/),
// not electron-vite's default src/{main,preload,renderer}, so every entry is explicit.
import { readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { WORKER_ENTRIES } from './src/samplers/workers';
import { rendererConfig } from './vite.renderer.config';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };

/**
 * Tell src/samplers/workers.ts where the bundle root (out/main, where the worker entries
 * are) is, seen from the chunk its code ends up in: chunks live in a sub-folder, entries at
 * the root, and the code may land in either.
 */
function bundleRootPlugin(): Plugin {
  return {
    name: 'metarl:bundle-root',
    renderChunk(code, chunk) {
      if (!code.includes('__METARL_BUNDLE_ROOT__')) return null;
      const up = posix.relative(posix.dirname(chunk.fileName), '.') || '.';
      return { code: code.replaceAll('__METARL_BUNDLE_ROOT__', JSON.stringify(up)), map: null };
    },
  };
}

export default defineConfig({
  main: {
    // Bundled runs record the app's version in their config.json (src/training/runConfig.ts).
    define: { __METARL_APP_VERSION__: JSON.stringify(pkg.version) },
    plugins: [bundleRootPlugin()],
    build: {
      outDir: 'out/main',
      // Bundle our own sources (src/, envs/) but leave npm packages external: tfjs-wasm
      // loads its .wasm files relative to its package folder at run time.
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          // The trainer runs in a utilityProcess (src/host/trainerProcess.ts detects it).
          trainer: resolve(root, 'src/host/trainerProcess.ts'),
          // Its worker threads start on out/main/<name>.js (src/samplers/workers.ts).
          ...Object.fromEntries(
            Object.entries(WORKER_ENTRIES).map(([name, source]) => [name, resolve(root, source)]),
          ),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require npm packages at run time: bundle zod in, and emit
      // CommonJS (sandboxed preloads cannot be ES modules).
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
