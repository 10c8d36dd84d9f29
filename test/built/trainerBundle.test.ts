// The trainer as it ships: `out/main/trainer.js` from `npm run build`, started the way the
// desktop app starts it (its utilityProcess launcher, played by a Node child process) and
// driven over the protocol by the shared host. Every learner the New run screen offers trains
// two meta-iterations on point-nav and on a matter-js family with the default worker layout
// (2 sampler workers, 2 MAML update threads), then evaluates and adapts; the checkout's
// example runs are listed as examples and evaluate. A missing module, a worker the bundle
// lacks, or a hang fails it (every wait has a timeout).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/host/client';
import { TrainerHost } from '../../src/host/trainerHost';
import type { RunConfigInput } from '../../src/shared/config';
import type { ProtocolClient } from '../../src/shared/protocolClient';
import { listRunIds } from '../../src/training/runDir';
import { assertBuilt, builtTrainerLauncher, OUT, ROOT } from './builtApp';

const pkg = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'),
) as { version: string };

interface Session {
  host: TrainerHost;
  client: ProtocolClient;
  log: string[];
  runsRoot: string;
  close(): Promise<void>;
}

function openSession(out = OUT): Session {
  const runsRoot = mkdtempSync(path.join(tmpdir(), 'metarl-built-runs-'));
  const log: string[] = [];
  const host = new TrainerHost(builtTrainerLauncher({ runsRoot, out, log: (l) => log.push(l) }));
  const client = connectInProcess(host);
  return {
    host,
    client,
    log,
    runsRoot,
    async close() {
      client.close();
      await host.close(10_000);
      rmSync(runsRoot, { recursive: true, force: true });
    },
  };
}

function within<T>(what: string, ms: number, p: Promise<T>, log: string[]): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what}: no answer within ${ms / 1000} s (a hang)\n${log.slice(-15).join('\n')}`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Start a run and resolve with its id when it finishes; reject with its message when it fails. */
async function train(s: Session, config: RunConfigInput): Promise<string> {
  const states = new Map<string, { state: string; message?: string }>();
  let runId: string | null = null;
  let settle: ((err: Error | null) => void) | null = null;
  const check = () => {
    const st = runId ? states.get(runId) : undefined;
    if (!st || !settle) return;
    if (st.state === 'finished') settle(null);
    else if (['failed', 'crashed', 'stopped'].includes(st.state))
      settle(new Error(`${config.family}/${config.algo} ${st.state}: ${st.message}`));
  };
  const done = new Promise<void>(
    (resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())),
  );
  const off = s.client.on('mrl:status.changed', (st) => {
    if (st.runId) states.set(st.runId, { state: st.state, message: st.message });
    check();
  });
  try {
    runId = (await s.client.call('mrl:run.start', { config })).runId;
    check();
    await done;
    return runId;
  } finally {
    off();
  }
}

// Small batches keep it fast; the worker layout is the default one (2 sampler workers on a
// 2-core machine; pinned here so a bigger machine exercises the same path).
const MAML_HYPER = { metaBatchSize: 4, episodesPerTask: 4 };
const HYPER: Record<string, Record<string, number>> = {
  maml: MAML_HYPER,
  pretrained: MAML_HYPER,
  oracle: MAML_HYPER,
  rl2: { metaBatchSize: 4, trialsPerTask: 2, epochs: 1, minibatches: 1 },
  reptile: MAML_HYPER,
  'meta-sgd': MAML_HYPER,
  // On cart-pole it matches new tasks by its known policies (the family default).
  'nearest-task': { prototypes: 2, candidates: 4, queryTasks: 2, episodesPerTask: 2 },
};
/** Learners whose outer update splits over update threads (Reptile's has no outer gradient). */
const UPDATE_THREADS = new Set(['maml', 'pretrained', 'oracle', 'meta-sgd']);
const CASES = ['point-nav', 'cartpole'].flatMap((family) =>
  Object.keys(HYPER).map((algo) => ({ family, algo })),
);

describe('the built trainer bundle (out/main/trainer.js)', () => {
  let s: Session;
  beforeAll(() => {
    assertBuilt();
    s = openSession();
  });
  afterAll(async () => {
    await s?.close();
  });

  it("lists the checkout's example runs (examples/runs beside out/) as examples, and evaluates one", async () => {
    const shipped = await listRunIds(path.join(ROOT, 'examples', 'runs'));
    expect(shipped.length).toBeGreaterThanOrEqual(2);
    const { runs } = await within(
      'listing runs',
      60_000,
      s.client.call('mrl:runs.list', {}),
      s.log,
    );
    expect(runs.filter((r) => r.example).map((r) => r.runId)).toEqual(shipped);
    const ev = await within(
      `evaluating example ${shipped[0]}`,
      60_000,
      s.client.call('mrl:run.evaluate', {
        runId: shipped[0],
        tasks: 2,
        steps: 1,
        episodesPerStage: 2,
      }),
      s.log,
    );
    expect(ev.returns).toHaveLength(2);
    for (const r of ev.returns) expect(Number.isFinite(r)).toBe(true);
  }, 120_000);

  for (const { family, algo } of CASES) {
    it(`trains ${algo} on ${family} for 2 iterations, then evaluates and adapts`, async () => {
      const config: RunConfigInput = {
        family,
        algo,
        seed: 3,
        iterations: 2,
        workers: 2,
        checkpointEvery: 1,
        previewEvery: 1,
        preview: { episodesPerStage: 2, framesPerStage: 1 },
        hyper: HYPER[algo],
      };
      const runId = await within(`training ${family}/${algo}`, 120_000, train(s, config), s.log);

      const dir = path.join(s.runsRoot, runId);
      const meta = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
        versions: { app: string };
        backend: { name: string };
        config: { workers: number; hyper: { updateThreads?: number; matchBy?: string } };
      };
      expect(meta.versions.app).toBe(pkg.version);
      expect(meta.config.workers).toBe(2);
      if (UPDATE_THREADS.has(algo)) {
        // The outer update splits over threads on the wasm/cpu backends: one update worker here.
        expect(meta.config.hyper.updateThreads).toBe(2);
        expect(['wasm', 'cpu']).toContain(meta.backend.name);
      }
      const rows = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(rows).toHaveLength(2);

      const ev = await within(
        `evaluating ${family}/${algo}`,
        60_000,
        s.client.call('mrl:run.evaluate', { runId, tasks: 2, steps: 1, episodesPerStage: 2 }),
        s.log,
      );
      expect(ev.returns.length).toBeGreaterThanOrEqual(1);
      for (const r of ev.returns) expect(Number.isFinite(r)).toBe(true);

      const ad = await within(
        `adapting ${family}/${algo}`,
        60_000,
        s.client.call('mrl:run.adapt', { runId, steps: 1, episodesPerStage: 2, framesPerStage: 1 }),
        s.log,
      );
      expect(ad.returns.length).toBeGreaterThanOrEqual(2);
      for (const r of ad.returns) expect(Number.isFinite(r)).toBe(true);
      expect(ad.episodes.some((e) => (e.frames?.length ?? 0) > 0)).toBe(true);
      if (algo === 'nearest-task' && family === 'cartpole') {
        // The family default: the exploration stage runs the known policies themselves.
        expect(meta.config.hyper.matchBy).toBe('policies');
        expect(ad.episodes.find((e) => e.stage === 0)?.label).toBe(
          'exploration: the 2 known policies, 1 each',
        );
      }
    }, 240_000);
  }
});

describe('a bundle missing a worker entry', () => {
  // A copy of out/main inside out/ (so npm packages still resolve) without one worker file.
  const copies: string[] = [];
  function bundleWithout(file: string): string {
    const out = mkdtempSync(path.join(OUT, '.test-missing-'));
    copies.push(out);
    cpSync(path.join(OUT, 'main'), path.join(out, 'main'), { recursive: true });
    rmSync(path.join(out, 'main', file));
    return out;
  }
  afterAll(() => {
    for (const c of copies) rmSync(c, { recursive: true, force: true });
  });

  const needs: [string, string][] = [
    ['samplerWorker.js', 'maml'],
    ['mamlUpdateWorker.js', 'maml'],
    ['trialSamplerWorker.js', 'rl2'],
    ['ppoWorker.js', 'rl2'],
  ];
  for (const [file, algo] of needs) {
    it(`fails the ${algo} run at once, naming ${file}`, async () => {
      const out = bundleWithout(file);
      const s = openSession(out);
      try {
        const config: RunConfigInput = {
          family: 'point-nav',
          algo,
          iterations: 2,
          workers: 2,
          previewEvery: 0,
          hyper: HYPER[algo],
        };
        const err = await within(
          `a run without ${file}`,
          60_000,
          train(s, config).then(
            () => null,
            (e: Error) => e,
          ),
          s.log,
        );
        expect(err).toBeInstanceOf(Error);
        expect(err!.message).toContain(path.join(out, 'main', file));
      } finally {
        await s.close();
      }
    }, 120_000);
  }
});
