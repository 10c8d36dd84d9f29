// Load a run's meta-learner from one of its checkpoints (the latest by default, or the best on
// meta-validation), for adaptation and evaluation in the trainer and in the CLI.
import { prepareFamily, type TaskFamily } from '../core/env';
import type { MetaLearner } from '../algos/metaLearner';
import { getAlgo, type AlgoSpec } from '../algos/registry';
import { getFamily } from '../../envs/registry';
import { initBackend, type BackendName } from '../tf/backend';
import { formatIssues } from '../shared/config';
import { checkpointDir, loadLatestCheckpoint, readCheckpoint } from './checkpoint';
import { readMeta, runDirOf, type RunMeta } from './runDir';
import { readBest } from './metaControl';

export interface LoadedRun {
  runId: string;
  meta: RunMeta;
  family: TaskFamily;
  spec: AlgoSpec;
  learner: MetaLearner;
  /** The checkpoint's iteration. */
  iteration: number;
}

export interface LoadOptions {
  workers?: number;
  /** A damaged newer checkpoint was skipped (the next older one that loads is used). */
  onSkip?: (iteration: number, err: Error) => void;
}

export async function loadRunLearner(
  runsRoot: string,
  runId: string,
  which?: number | 'best',
  opts: LoadOptions = {},
): Promise<LoadedRun> {
  const dir = runDirOf(runsRoot, runId);
  // 'best': the iteration meta-control chose on meta-validation (never on test tasks).
  const iteration =
    which === 'best'
      ? (
          await readBest(dir).catch((err: Error) => {
            throw new Error(`Run ${runId}: ${err.message}`);
          })
        ).iteration
      : which;
  const meta = await readMeta(dir);
  const skipped: string[] = [];
  const stored =
    iteration === undefined
      ? await loadLatestCheckpoint(dir, Infinity, (it, err) => {
          skipped.push(`checkpoint ${it}: ${err.message}`);
          opts.onSkip?.(it, err);
        })
      : await readCheckpoint(checkpointDir(dir, iteration)).catch((err: Error) => {
          throw new Error(
            `Run ${runId} has no loadable checkpoint at iteration ${iteration}: ${err.message}`,
          );
        });
  if (!stored)
    throw new Error(
      skipped.length
        ? `Run ${runId} has no checkpoint that loads:\n  ${skipped.join('\n  ')}`
        : `Run ${runId} has no checkpoint yet`,
    );
  const family = getFamily(meta.config.family);
  await prepareFamily(family);
  const spec = getAlgo(meta.config.algo);
  const hyper = spec.configSchema.safeParse(meta.config.hyper, { reportInput: true });
  if (!hyper.success)
    throw new Error(
      `Run ${runId}: its stored config (config.json) is not valid for ${spec.id}:\n${formatIssues(hyper.error, 'config.hyper', spec.configSchema)}`,
    );
  await initBackend(meta.config.backend as BackendName);
  const learner = await spec.create({
    family,
    config: meta.config.hyper,
    seed: meta.config.seed,
    workers: opts.workers ?? meta.config.workers,
  });
  try {
    await learner.loadState(stored.learner);
  } catch (err) {
    await learner.dispose();
    throw err;
  }
  return { runId, meta, family, spec, learner, iteration: stored.learner.iteration };
}
