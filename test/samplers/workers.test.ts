// The worker resolver: every worker entry in the sources is registered (so the build makes
// it an input), the source entries exist, and a worker that cannot start or dies makes the
// request that needs it fail at once, naming its file, instead of waiting forever.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  startWorker,
  startWorkerAt,
  WORKER_ENTRIES,
  workerEntry,
  type WorkerName,
} from '../../src/samplers/workers';
import { tempDir } from '../helpers/tempDir';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

/** The next error the worker reports after a message is posted to it. */
async function errorAfterPost(w: ReturnType<typeof startWorker>): Promise<Error> {
  const next = once(w, 'error');
  w.postMessage({ id: 1 });
  return (await next)[0] as Error;
}

describe('worker entries', () => {
  it('registers every worker module of the sources, and each resolves to its .ts file through the tsx boot', () => {
    const workers = [
      ...sourceFiles(path.join(ROOT, 'src')),
      ...sourceFiles(path.join(ROOT, 'envs')),
    ]
      // A worker-thread entry is a module that listens on worker_threads' parentPort (the
      // trainer's own entry listens on Electron's process.parentPort, not this one).
      .filter(
        (f) =>
          /from 'node:worker_threads'/.test(readFileSync(f, 'utf8')) &&
          /\bparentPort\b/.test(readFileSync(f, 'utf8')),
      )
      .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
      .sort();
    expect(Object.values(WORKER_ENTRIES).sort()).toEqual(workers);
    for (const name of Object.keys(WORKER_ENTRIES) as WorkerName[]) {
      const e = workerEntry(name);
      expect(e.file).toBe(path.join(ROOT, WORKER_ENTRIES[name]));
      expect(e.boot).toBe(path.join(ROOT, 'src/samplers/tsWorkerBoot.mjs'));
    }
    expect(() => workerEntry('nope' as WorkerName)).toThrow(/Unknown worker "nope"/);
  });

  it('refuses at once, naming the file, when an entry is missing', () => {
    const file = path.join(tmpdir(), 'no-such-dir', 'samplerWorker.js');
    expect(() => startWorkerAt('samplerWorker', { file })).toThrow(
      `Cannot start the samplerWorker worker: ${file} does not exist`,
    );
  });

  it('reports a worker that fails while loading to every later request, naming its file', async () => {
    const dir = tempDir('metarl-workers-');
    const file = path.join(dir, 'brokenWorker.mjs');
    writeFileSync(file, "import './missingModule.mjs';\n");
    const w = startWorkerAt('brokenWorker', { file });
    const errors: Error[] = [];
    w.on('error', (e) => errors.push(e));
    // (events.once would reject on the 'error' event itself.)
    await new Promise((resolve) => w.on('exit', resolve));
    expect(errors[0].message).toContain(path.join(dir, 'missingModule.mjs'));
    // Posted after the failure: answered by the same error, not by silence.
    expect((await errorAfterPost(w)).message).toContain('missingModule.mjs');
  });

  it('turns an exit nobody asked for into an error naming the file', async () => {
    const dir = tempDir('metarl-workers-');
    const file = path.join(dir, 'quitterWorker.mjs');
    writeFileSync(file, 'process.exit(3);\n');
    const w = startWorkerAt('quitterWorker', { file });
    const [err] = (await once(w, 'error')) as [Error];
    expect(err.message).toBe(`The quitterWorker worker (${file}) exited unexpectedly with code 3`);
    expect((await errorAfterPost(w)).message).toBe(err.message);
  });

  it('starts the real sampler worker from the sources and stops it quietly', async () => {
    const w = startWorker('samplerWorker');
    const errors: Error[] = [];
    w.on('error', (e) => errors.push(e));
    await once(w, 'online');
    expect(await w.terminate()).toBe(1);
    expect(errors).toEqual([]);
  });
});
