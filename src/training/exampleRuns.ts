// Trained example runs shipped with the app (examples/runs/, made by the project's own CLI),
// listed beside the user's runs from the first start so there is an agent to watch before any
// training. They are read-only: opened, adapted and evaluated like any run, never resumed
// into or deleted. A run of the user's with the same id wins over an example. RunRoots finds
// a run in either folder and opens it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../shared/protocol';
import type { JsonObject } from '../shared/json';
import { listRunIds, readMeta, readMetrics, runDirOf, summarize } from './runDir';
import { evaluationsDir, loadEvaluations } from './savedEvaluations';
import { findBest } from './metaControl';

/** In the electron-vite bundle: the path from the chunk holding this code to out/main (set by the build). */
declare const __METARL_BUNDLE_ROOT__: string | undefined;

/**
 * The examples folder of the checkout this code runs from: examples/runs beside src/ for the
 * sources (CLI, web host, tests), and beside out/ for the electron-vite bundle (out/main is
 * two levels below the checkout, whichever chunk this code lands in). The packaged app keeps
 * them in its resources folder and passes that folder to the trainer (`--examples`).
 */
export const DEFAULT_EXAMPLES_ROOT =
  typeof __METARL_BUNDLE_ROOT__ === 'string'
    ? fileURLToPath(new URL(`${__METARL_BUNDLE_ROOT__}/../../examples/runs`, import.meta.url))
    : path.resolve(import.meta.dirname, '../../examples/runs');

type LiveOf = (runId: string) => Parameters<typeof summarize>[2];

export class RunRoots {
  constructor(
    readonly runsRoot: string,
    readonly examplesRoot: string | null,
  ) {}

  isExample(runId: string): boolean {
    if (!this.examplesRoot) return false;
    return (
      !existsSync(path.join(runDirOf(this.runsRoot, runId), 'config.json')) &&
      existsSync(path.join(runDirOf(this.examplesRoot, runId), 'config.json'))
    );
  }

  /** The folder that holds a run's directory. */
  rootOf(runId: string): string {
    return this.isExample(runId) ? this.examplesRoot! : this.runsRoot;
  }

  /** Refuse to change an example, naming what was asked. */
  assertWritable(runId: string, action: string): void {
    if (this.isExample(runId))
      throw new Error(
        `${runId} is an example run shipped with the app and is read-only: it cannot be ${action}; train your own from New run`,
      );
  }

  async summary(runId: string, live: LiveOf): Promise<RunSummary> {
    const example = this.isExample(runId);
    const root = this.rootOf(runId);
    const s = await summarize(root, runId, example ? undefined : live(runId));
    // The best checkpoint on meta-validation, offered for evaluation while it is saved.
    const best = await findBest(runDirOf(root, runId)).catch(() => null);
    const withBest =
      best && s.checkpoints.includes(best.iteration) ? { ...s, bestCheckpoint: best } : s;
    return example ? { ...withBest, example: true } : withBest;
  }

  /** The user's runs, then the examples they do not shadow; unreadable directories are skipped. */
  async list(live: LiveOf): Promise<RunSummary[]> {
    const own = await listRunIds(this.runsRoot);
    const examples = this.examplesRoot
      ? (await listRunIds(this.examplesRoot)).filter((id) => !own.includes(id))
      : [];
    const out: RunSummary[] = [];
    for (const id of [...own, ...examples]) {
      try {
        out.push(await this.summary(id, live));
      } catch {
        /* a run directory being deleted or damaged: skip it */
      }
    }
    return out;
  }

  /** Where a run's saved evaluations live: its own folder, or for an example one under the user's runs. */
  evaluationsDir(runId: string): string {
    const example = this.isExample(runId);
    return evaluationsDir(
      runDirOf(this.rootOf(runId), runId),
      example ? { runsRoot: this.runsRoot, runId } : null,
    );
  }

  /** One run as `mrl:run.open` returns it: summary, config, curves, provenance and saved evaluations. */
  async open(runId: string, live: LiveOf) {
    const dir = runDirOf(this.rootOf(runId), runId);
    const meta = await readMeta(dir);
    return {
      summary: await this.summary(runId, live),
      evaluations: await loadEvaluations(this.evaluationsDir(runId)),
      config: meta.config,
      metrics: await readMetrics(dir),
      meta: {
        createdAt: meta.createdAt,
        backend: meta.backend,
        versions: meta.versions,
      } as unknown as JsonObject,
    };
  }
}
