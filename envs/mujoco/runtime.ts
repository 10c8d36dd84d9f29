// The MuJoCo WebAssembly runtime (npm @mujoco/mujoco, DeepMind's official build), loaded at
// most once per thread: compiling its 10 MB module takes about a second, so it happens on
// first use, not on import (processes that never simulate a MuJoCo family never pay it).
// Families on MuJoCo expose `prepare()`, which awaits this; their `make()` is synchronous
// like every family's and throws a clear error until the runtime is ready.
//
// Compiled models are cached per thread by their MJCF text: a model is read-only while
// simulating, so every env of a family shares one MjModel and owns only its MjData. The
// cache holds one model per distinct MJCF string (two here), for the thread's lifetime.
//
// Locating the .wasm: the package's loader finds mujoco.wasm next to its own mujoco.js
// (import.meta.url), so it works unchanged from node_modules. A bundle that inlines the
// loader must instead keep the package external (as the Electron build does for every npm
// package) or pass `wasmDir` (the folder holding mujoco.wasm, e.g. resolved with
// `createRequire(import.meta.url).resolve('@mujoco/mujoco/mujoco.wasm')`) — the same way
// tfjs-backend-wasm gets its files through setWasmPaths.
import type { MainModule, MjModel } from '@mujoco/mujoco';

let runtime: MainModule | null = null;
let loading: Promise<MainModule> | null = null;
const models = new Map<string, MjModel>();

/** Load the runtime (once per thread; later calls return the same promise). */
export function loadMujoco(opts: { wasmDir?: string } = {}): Promise<MainModule> {
  if (runtime) return Promise.resolve(runtime);
  if (!loading) {
    loading = (async () => {
      const { default: factory } = await import('@mujoco/mujoco');
      const dir = opts.wasmDir;
      const mod = await factory(
        dir ? { locateFile: (file: string) => `${dir.replace(/\/$/, '')}/${file}` } : {},
      );
      runtime = mod;
      return mod;
    })();
    // A failed load may be retried (e.g. after fixing wasmDir).
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** The loaded runtime, or an error saying what to await first. */
export function mujoco(): MainModule {
  if (!runtime) {
    throw new Error(
      'The MuJoCo runtime is not loaded in this thread: await family.prepare() (or loadMujoco()) before make()',
    );
  }
  return runtime;
}

/** The compiled model for an MJCF string (compiled on first use, then shared). */
export function modelFor(xml: string): MjModel {
  let m = models.get(xml);
  if (!m) {
    m = mujoco().MjModel.from_xml_string(xml);
    models.set(xml, m);
  }
  return m;
}

/** Size of the WebAssembly heap in bytes (it only grows: flat over make/close means no leak). */
export function wasmHeapBytes(): number {
  const m = modelFor(PROBE_XML);
  return (m.body_mass as Float64Array).buffer.byteLength;
}

/** A minimal model whose arrays give a view onto the heap, for wasmHeapBytes. */
const PROBE_XML =
  '<mujoco model="probe"><worldbody><geom type="sphere" size="0.1"/></worldbody></mujoco>';
