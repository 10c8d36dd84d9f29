// electron-vite build of the desktop app: main process, sandboxed preload, Vue renderer.
// Sources follow the architecture's rooms (electron/main, electron/preload, renderer/),
// not electron-vite's default src/{main,preload,renderer}, so every entry is explicit.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Bundle our own sources (src/, envs/) but leave npm packages external: tfjs-wasm
      // loads its .wasm files relative to its package folder at run time.
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          // The trainer runs in a utilityProcess (src/host/trainerProcess.ts detects it), and
          // its samplers start worker threads on ./samplerWorker.js and ./trialSamplerWorker.js next to it.
          trainer: resolve(root, 'src/host/trainerProcess.ts'),
          samplerWorker: resolve(root, 'src/samplers/samplerWorker.ts'),
          trialSamplerWorker: resolve(root, 'src/samplers/trialSamplerWorker.ts'),
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
