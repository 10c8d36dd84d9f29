// tfjs backend selection. `auto` prefers the native bindings (GPU, then CPU) when they are
// installed, then the wasm backend (SIMD, ~5× the pure-JS backend here), then `cpu`.
// The native packages are optional: their install downloads libtensorflow, which a machine
// may not be able to do, so they are loaded only if present.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** tfjs's name of the backend in use: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Which package provides it. */
  provider: string;
  tfjsVersion: string;
}

// Not named `require`: bundlers for Electron inject their own module-level `require` shim.
const nodeRequire = createRequire(import.meta.url);
let current: BackendInfo | null = null;

async function tryNative(pkg: string): Promise<boolean> {
  try {
    nodeRequire.resolve(pkg);
  } catch {
    return false;
  }
  try {
    // The native package registers the 'tensorflow' backend with the shared tfjs-core.
    await import(/* @vite-ignore */ pkg);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/** Select and initialise a backend; throws naming the backend if a forced one is unavailable. */
export async function initBackend(requested: BackendName = 'auto'): Promise<BackendInfo> {
  if (!BACKENDS.includes(requested)) {
    throw new Error(`Unknown backend "${requested}". Choose one of: ${BACKENDS.join(', ')}`);
  }
  if (current && (current.requested === requested || current.provider === requested))
    return current;
  const order: Exclude<BackendName, 'auto'>[] =
    requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  for (const b of order) {
    let ok = false;
    if (b === 'tensorflow-gpu') ok = await tryNative('@tensorflow/tfjs-node-gpu');
    else if (b === 'tensorflow') ok = await tryNative('@tensorflow/tfjs-node');
    else if (b === 'wasm') ok = await tryWasm();
    else ok = await tf.setBackend('cpu');
    if (ok) {
      await tf.ready();
      current = { requested, name: tf.getBackend(), provider: b, tfjsVersion: tf.version.tfjs };
      return current;
    }
  }
  throw new Error(
    requested === 'tensorflow-gpu'
      ? 'Backend "tensorflow-gpu" is not available: install @tensorflow/tfjs-node-gpu (needs CUDA), or use --backend auto'
      : requested === 'tensorflow'
        ? 'Backend "tensorflow" is not available: install @tensorflow/tfjs-node, or use --backend auto'
        : `Backend "${requested}" could not be initialised`,
  );
}

export function backendInfo(): BackendInfo | null {
  return current;
}
