// Load a run's meta-learner from one of its checkpoints (the latest by default), for
// adaptation and evaluation in the trainer and in the CLI.
import { prepareFamily, type TaskFamily } from '../core/env';
import type { MetaLearner } from '../algos/metaLearner';
import { getAlgo, type AlgoSpec } from '../algos/registry';
import { getFamily } from '../../envs/registry';
import { initBackend, type BackendName } from '../tf/backend';
import { checkpointDir, loadLatestCheckpoint, readCheckpoint } from './checkpoint';
import { readMeta, runDirOf, type RunMeta } from './runDir';

export interface LoadedRun {
  runId: string;
  meta: RunMeta;
  family: TaskFamily;
  spec: AlgoSpec;
  learner: MetaLearner;
  /** The checkpoint's iteration. */
  iteration: number;
}

export async function loadRunLearner(runsRoot: string, runId: string, iteration?: number, opts: { workers?: number } = {}): Promise<LoadedRun> {
  const dir = runDirOf(runsRoot, runId);
  const meta = await readMeta(dir);
  const stored =
    iteration === undefined
      ? await loadLatestCheckpoint(dir)
      : await readCheckpoint(checkpointDir(dir, iteration)).catch((err: Error) => {
          throw new Error(`Run ${runId} has no loadable checkpoint at iteration ${iteration}: ${err.message}`);
        });
  if (!stored) throw new Error(`Run ${runId} has no checkpoint yet`);
  const family = getFamily(meta.config.family);
  await prepareFamily(family);
  const spec = getAlgo(meta.config.algo);
  await initBackend(meta.config.backend as BackendName);
  const learner = await spec.create({ family, config: meta.config.hyper, seed: meta.config.seed, workers: opts.workers ?? meta.config.workers });
  try {
    await learner.loadState(stored.learner);
  } catch (err) {
    await learner.dispose();
    throw err;
  }
  return { runId, meta, family, spec, learner, iteration: stored.learner.iteration };
}
