// What the desktop package holds (dist/linux-unpacked from `npm run pack:dir`): the bundles
// and the packages they load at run time, nothing of the renderer's libraries (bundled into
// out/renderer) or the CLI's, tfjs-wasm's binaries outside the asar archive, the example runs
// as plain files in resources/examples/runs (where the desktop app points its trainer). Then
// the trainer is run from the package's own files, extracted outside the repository so that
// no module can come from the repository's node_modules: it lists and evaluates the example
// runs, and a MAML run (sampler and update workers) and an RL² run must train, so nothing
// they need was left out.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/host/client';
import { TrainerHost } from '../../src/host/trainerHost';
import { WORKER_ENTRIES } from '../../src/samplers/workers';
import type { ProtocolClient } from '../../src/shared/protocolClient';
import { examplesFolder } from '../../electron/main/examplesFolder';
import { listRunIds } from '../../src/training/runDir';
import { builtTrainerLauncher, ROOT } from './builtApp';

const asar = createRequire(import.meta.url)('@electron/asar') as {
  listPackage(file: string, opts: { isPack: boolean }): string[];
  extractAll(file: string, dest: string): void;
};
const RESOURCES = path.join(ROOT, 'dist', 'linux-unpacked', 'resources');
const ARCHIVE = path.join(RESOURCES, 'app.asar');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe('the desktop package', () => {
  let entries: string[];
  let extracted: string;
  beforeAll(() => {
    if (!existsSync(ARCHIVE))
      throw new Error(
        `${ARCHIVE} is missing: run \`npm run pack:dir\` first (npm run test:built does)`,
      );
    entries = asar
      .listPackage(ARCHIVE, { isPack: false })
      .map((e) => e.replace(/\\/g, '/').replace(/^\//, ''));
    extracted = mkdtempSync(path.join(tmpdir(), 'metarl-package-'));
    asar.extractAll(ARCHIVE, extracted);
  });
  afterAll(() => {
    if (extracted) rmSync(extracted, { recursive: true, force: true });
  });

  it('holds the bundles and run-time packages only, with the wasm binaries unpacked', () => {
    const packages = new Set(
      entries
        .filter((e) => e.startsWith('node_modules/'))
        .map((e) =>
          e
            .split('/')
            .slice(1, e.split('/')[1].startsWith('@') ? 3 : 2)
            .join('/'),
        ),
    );
    for (const p of [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-wasm',
      'matter-js',
      'zod',
      'pure-rand',
      'write-file-atomic',
    ])
      expect(packages).toContain(p);
    for (const p of [
      'tsx',
      'esbuild',
      '@esbuild/linux-x64',
      'vue',
      'three',
      'chart.js',
      'pinia',
      'vue-router',
      'sirv',
      'ws',
      'commander',
      'cli-progress',
      'electron',
      'typescript',
      'vite',
    ]) {
      expect(packages, p).not.toContain(p);
    }
    const top = new Set(entries.map((e) => e.split('/')[0]));
    expect([...top].sort()).toEqual(['node_modules', 'out', 'package.json']);
    for (const f of [
      'out/main/index.js',
      'out/main/trainer.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
      ...Object.keys(WORKER_ENTRIES).map((n) => `out/main/${n}.js`),
    ]) {
      expect(entries).toContain(f);
    }
    expect(
      entries.filter((e) => e.endsWith('.map') || e.endsWith('.d.ts') || e.startsWith('out/.')),
    ).toEqual([]);
    const wasm = filesUnder(path.join(RESOURCES, 'app.asar.unpacked'))
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => path.basename(f));
    expect([...new Set(wasm)].sort()).toEqual([
      'mujoco.wasm',
      'tfjs-backend-wasm-simd.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm',
      'tfjs-backend-wasm.wasm',
    ]);
  });

  it('stays small (npm run pack:dir prints its contents and size)', () => {
    const total = filesUnder(RESOURCES).reduce((s, f) => s + statSync(f).size, 0);
    // A guard against the renderer or CLI libraries creeping back in (they add > 100 MiB); the
    // runtime itself is about 50 MiB, 22 of it MuJoCo's WebAssembly build.
    expect(total / 2 ** 20).toBeLessThan(70);
  });

  it('ships the example runs as plain files beside the archive, small, and its trainer lists and evaluates them', async () => {
    const source = path.join(ROOT, 'examples', 'runs');
    const shipped = examplesFolder({
      isPackaged: true,
      resourcesPath: RESOURCES,
      bundleDir: path.join(ARCHIVE, 'out', 'main'),
    });
    const ids = await listRunIds(source);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    // Exactly the repository's run folders, file for file (its README stays behind).
    const files = (root: string) =>
      filesUnder(root)
        .map((f) => `${path.relative(root, f)} ${statSync(f).size}`)
        .sort();
    expect(files(shipped)).toEqual(files(source).filter((f) => !f.startsWith('README.md ')));
    const bytes = filesUnder(shipped).reduce((sum, f) => sum + statSync(f).size, 0);
    // One checkpoint and the return curve per run: tens of KB each.
    expect(bytes / 2 ** 20).toBeLessThan(0.25 * ids.length);

    const runsRoot = mkdtempSync(path.join(tmpdir(), 'metarl-package-runs-'));
    const host = new TrainerHost(
      builtTrainerLauncher({
        runsRoot,
        out: path.join(extracted, 'out'),
        examplesRoot: shipped,
      }),
    );
    const client: ProtocolClient = connectInProcess(host);
    try {
      const { runs } = await client.call('mrl:runs.list', {});
      expect(runs.filter((r) => r.example).map((r) => r.runId)).toEqual(ids);
      for (const runId of ids) {
        const ev = await client.call('mrl:run.evaluate', {
          runId,
          tasks: 2,
          steps: 1,
          episodesPerStage: 2,
        });
        expect(ev.returns).toHaveLength(2);
        for (const r of ev.returns) expect(Number.isFinite(r)).toBe(true);
      }
    } finally {
      client.close();
      await host.close(10_000);
      rmSync(runsRoot, { recursive: true, force: true });
    }
  }, 240_000);

  it('trains MAML and RL² from its own files', async () => {
    const runsRoot = mkdtempSync(path.join(tmpdir(), 'metarl-package-runs-'));
    const log: string[] = [];
    const host = new TrainerHost(
      builtTrainerLauncher({ runsRoot, out: path.join(extracted, 'out'), log: (l) => log.push(l) }),
    );
    const client: ProtocolClient = connectInProcess(host);
    try {
      for (const [algo, hyper] of [
        ['maml', { metaBatchSize: 4, episodesPerTask: 4 }],
        ['rl2', { metaBatchSize: 4, trialsPerTask: 2, epochs: 1, minibatches: 1 }],
      ] as const) {
        const finished = new Promise<string>((resolve, reject) => {
          const off = client.on('mrl:status.changed', (s) => {
            if (s.algo !== algo) return;
            if (s.state === 'finished') resolve(s.runId!);
            if (s.state === 'failed' || s.state === 'crashed')
              reject(new Error(`${algo} ${s.state}: ${s.message}\n${log.join('\n')}`));
            if (s.state === 'finished' || s.state === 'failed' || s.state === 'crashed') off();
          });
        });
        await client.call('mrl:run.start', {
          config: { family: 'point-nav', algo, iterations: 2, workers: 2, previewEvery: 0, hyper },
        });
        const runId = await finished;
        const meta = JSON.parse(
          readFileSync(path.join(runsRoot, runId, 'config.json'), 'utf8'),
        ) as { backend: { name: string } };
        expect(meta.backend.name).toBe('wasm');
      }
    } finally {
      client.close();
      await host.close(10_000);
      rmSync(runsRoot, { recursive: true, force: true });
    }
  }, 240_000);
});
