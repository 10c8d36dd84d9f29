// Trained example runs shipped with the app (examples/runs/, made by the project's own CLI),
// listed beside the user's runs from the first start so there is an agent to watch before any
// training. They are read-only: opened, adapted and evaluated like any run, never resumed
// into or deleted. A run of the user's with the same id wins over an example.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../shared/protocol';
import { listRunIds, runDirOf, summarize } from './runDir';

/** The examples folder of a source checkout (the packaged app passes its own). */
export const DEFAULT_EXAMPLES_ROOT = path.resolve(import.meta.dirname, '../../examples/runs');

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
    const s = await summarize(this.rootOf(runId), runId, example ? undefined : live(runId));
    return example ? { ...s, example: true } : s;
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
}
