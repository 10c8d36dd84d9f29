// Worker-thread entry points, and the one place that turns a worker's name into the file a
// Worker thread starts on:
//   - from the TypeScript sources (CLI, web host, tests: tsx or vitest) the entry is the .ts
//     module, booted through tsWorkerBoot.mjs, which registers tsx inside the thread;
//   - from the electron-vite bundle it is out/main/<name>.js, built as an input of its own
//     beside trainer.js (electron.vite.config.ts builds every entry listed here, and writes
//     the bundle's location into __METARL_BUNDLE_ROOT__ for whichever chunk this lands in).
// A worker that cannot start fails loudly: a missing entry throws at once naming the file,
// and a worker that dies reports its error to every later request instead of leaving it
// unanswered.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Every worker entry: its file name in the bundle (`<name>.js`) and its source, from the repository root. */
export const WORKER_ENTRIES = {
  samplerWorker: 'src/samplers/samplerWorker.ts',
  trialSamplerWorker: 'src/samplers/trialSamplerWorker.ts',
  mamlUpdateWorker: 'src/algos/mamlUpdateWorker.ts',
  ppoWorker: 'src/algos/ppoWorker.ts',
} as const;
export type WorkerName = keyof typeof WORKER_ENTRIES;

/** In a bundle: the path from the chunk holding this code to the bundle root (set by the build). */
declare const __METARL_BUNDLE_ROOT__: string | undefined;

export interface WorkerEntry {
  /** The file the thread runs: a bundled .js, or the .ts source. */
  file: string;
  /** When running from sources: the plain-JS boot file the thread actually starts on. */
  boot?: string;
}

/** Where the worker `name` is, for this process (bundle or sources). */
export function workerEntry(name: WorkerName): WorkerEntry {
  if (!Object.hasOwn(WORKER_ENTRIES, name))
    throw new Error(`Unknown worker "${name}"; known: ${Object.keys(WORKER_ENTRIES).join(', ')}`);
  if (typeof __METARL_BUNDLE_ROOT__ === 'string') {
    return {
      file: fileURLToPath(new URL(`${__METARL_BUNDLE_ROOT__}/${name}.js`, import.meta.url)),
    };
  }
  return {
    file: fileURLToPath(new URL(`../../${WORKER_ENTRIES[name]}`, import.meta.url)),
    boot: fileURLToPath(new URL('./tsWorkerBoot.mjs', import.meta.url)),
  };
}

/**
 * A worker thread that remembers why it died: once it has failed (an error at start-up or
 * later, or an exit nobody asked for), every message posted to it raises that failure again
 * as an 'error' event, so the caller's pending request is rejected rather than left waiting.
 */
class EntryWorker extends Worker {
  private failure: Error | null = null;
  private terminating = false;

  constructor(
    readonly entryName: string,
    readonly entryFile: string,
    file: string,
    options: WorkerOptions,
  ) {
    super(file, options);
    this.on('error', (err: Error) => {
      this.failure ??= err.message.includes(entryFile)
        ? err
        : new Error(`The ${entryName} worker (${entryFile}) failed: ${err.message}`);
    });
    this.on('exit', (code: number) => {
      if (this.terminating || this.failure) return;
      this.failure = new Error(
        `The ${entryName} worker (${entryFile}) exited unexpectedly with code ${code}`,
      );
      this.emit('error', this.failure);
    });
  }

  override postMessage(value: unknown, transferList?: Parameters<Worker['postMessage']>[1]): void {
    if (this.failure) {
      const failure = this.failure;
      setImmediate(() => this.emit('error', failure));
      return;
    }
    super.postMessage(value, transferList);
  }

  override terminate(): Promise<number> {
    this.terminating = true;
    return super.terminate();
  }
}

/** Start the worker thread `name`; throws at once, naming the file, if its entry is missing. */
export function startWorker(name: WorkerName, options: WorkerOptions = {}): Worker {
  return startWorkerAt(name, workerEntry(name), options);
}

/** startWorker on a given entry (tests start deliberately broken ones). */
export function startWorkerAt(
  name: string,
  entry: WorkerEntry,
  options: WorkerOptions = {},
): Worker {
  for (const f of [entry.file, entry.boot]) {
    if (f !== undefined && !existsSync(f)) {
      throw new Error(
        `Cannot start the ${name} worker: ${f} does not exist${entry.boot ? '' : ' (every worker must be a build input: see electron.vite.config.ts)'}`,
      );
    }
  }
  if (entry.boot) {
    return new EntryWorker(name, entry.file, entry.boot, {
      ...options,
      workerData: { ...options.workerData, tsEntry: pathToFileURL(entry.file).href },
    });
  }
  return new EntryWorker(name, entry.file, entry.file, options);
}
