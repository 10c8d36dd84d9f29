// Load a run's meta-learner from one of its checkpoints (the latest by default, the best on
// meta-validation, or a saved iteration), for adaptation and evaluation in the trainer and in
// the CLI. Which checkpoint is asked for is checked first (resolveCheckpoint): a choice the
// run does not offer is refused naming the field and the run's choices.
import { prepareFamily, type TaskFamily } from '../core/env';
import type { MetaLearner } from '../algos/metaLearner';
import { getAlgo, type AlgoSpec } from '../algos/registry';
import { getFamily } from '../../envs/registry';
import { initBackend, type BackendName } from '../tf/backend';
import { formatIssues } from '../shared/config';
import { checkpointDir, listCheckpoints, loadLatestCheckpoint, readCheckpoint } from './checkpoint';
import { readMeta, runDirOf, type RunMeta } from './runDir';
import { findBest, NO_BEST, type BestRecord } from './metaControl';

/** A checkpoint: the latest (also when left out), the best on meta-validation, or a saved iteration. */
export type CheckpointChoice = number | 'best' | 'latest' | undefined;

/** A checkpoint choice the run does not offer (the message names the field and the run's choices). */
export class CheckpointChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointChoiceError';
  }
}

export interface ResolvedCheckpoint {
  /** The iteration to load; undefined: the latest that loads. */
  iteration: number | undefined;
  /** What was asked for. */
  kind: 'latest' | 'best' | 'iteration';
  /** The run's best checkpoint on meta-validation, if it has one. */
  best: BestRecord | null;
}

/**
 * The checkpoint `which` names in a run, refused with a CheckpointChoiceError when the run has
 * no such checkpoint ("best" on a run without meta-control's best, an iteration never saved).
 * `field` names the setting in the message (`--iteration`, `payload.iteration`).
 */
export async function resolveCheckpoint(
  runsRoot: string,
  runId: string,
  which: CheckpointChoice,
  field = 'iteration',
): Promise<ResolvedCheckpoint> {
  const dir = runDirOf(runsRoot, runId);
  const best = await findBest(dir).catch((err: Error) => {
    if (which === 'best') throw new Error(`Run ${runId}: ${err.message}`);
    return null;
  });
  if (which === undefined || which === 'latest')
    return { iteration: undefined, kind: 'latest', best };
  await readMeta(dir); // an unknown run is refused as such, not for its missing checkpoints
  const saved = await listCheckpoints(dir);
  const offered = best && saved.includes(best.iteration) ? best : null;
  const choices = () =>
    [
      '"latest"',
      ...(offered
        ? [
            `"best" (iteration ${offered.iteration}, validation return ${offered.validationReturn.toFixed(2)})`,
          ]
        : []),
      saved.length ? `a saved iteration: ${saved.join(', ')}` : 'no saved iteration yet',
    ].join(', ');
  if (which === 'best') {
    if (!best)
      throw new CheckpointChoiceError(
        `${field}: run ${runId} has no best checkpoint: ${NO_BEST}. Choices: ${choices()}`,
      );
    if (!offered)
      throw new CheckpointChoiceError(
        `${field}: run ${runId}'s best checkpoint (iteration ${best.iteration}) is no longer saved. Choices: ${choices()}`,
      );
    return { iteration: best.iteration, kind: 'best', best };
  }
  if (!saved.includes(which))
    throw new CheckpointChoiceError(
      `${field}: run ${runId} has no checkpoint at iteration ${which}. Choices: ${choices()}`,
    );
  return { iteration: which, kind: 'iteration', best };
}

export interface LoadedRun {
  runId: string;
  meta: RunMeta;
  family: TaskFamily;
  spec: AlgoSpec;
  learner: MetaLearner;
  /** The checkpoint's iteration. */
  iteration: number;
  /** Which checkpoint was asked for. */
  chosen: ResolvedCheckpoint;
}

export interface LoadOptions {
  workers?: number;
  /** A damaged newer checkpoint was skipped (the next older one that loads is used). */
  onSkip?: (iteration: number, err: Error) => void;
  /** The setting that chose the checkpoint, named when the choice is refused (default "iteration"). */
  field?: string;
}

export async function loadRunLearner(
  runsRoot: string,
  runId: string,
  which?: CheckpointChoice,
  opts: LoadOptions = {},
): Promise<LoadedRun> {
  const dir = runDirOf(runsRoot, runId);
  // 'best': the iteration meta-control chose on meta-validation (never on test tasks).
  const chosen = await resolveCheckpoint(runsRoot, runId, which, opts.field);
  const { iteration } = chosen;
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
  return { runId, meta, family, spec, learner, iteration: stored.learner.iteration, chosen };
}
