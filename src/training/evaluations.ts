// Adaptation and evaluation on a run's checkpoints, for the trainer's `mrl:run.adapt` and
// `mrl:run.evaluate`: one learner loaded from a checkpoint is kept for repeated viewer calls,
// and requests run one at a time (they share that learner and the tfjs backend).
import { readEnv } from '../core/env';
import { Rng } from '../core/rng';
import { backendInfo } from '../tf/backend';
import type { JsonObject } from '../shared/json';
import {
  ProtocolError,
  type AdaptReply,
  type CommandPayload,
  type CommandReplies,
  type StreamPayloads,
} from '../shared/protocol';
import { listCheckpoints } from './checkpoint';
import {
  CheckpointChoiceError,
  loadRunLearner,
  resolveCheckpoint,
  type CheckpointChoice,
  type LoadedRun,
  type ResolvedCheckpoint,
} from './runLoader';
import { runDirOf } from './runDir';
import {
  episodeToJson,
  evaluateBaselines,
  evaluateWithSpread,
  inTrainingDistribution,
  randomBaseline,
  tunesStepSize,
} from './evaluate';
import { saveEvaluation } from './savedEvaluations';

export interface EvaluationsOptions {
  /** The runs folder a run lives in (the user's, or the shipped examples'). */
  rootOf(runId: string): string;
  /** Where a run's evaluations are saved. */
  evaluationsDirOf(runId: string): string;
  /** The backend the loaded learner runs on (for the trainer's status). */
  onBackend(name: string | null): void;
  /** A damaged checkpoint was skipped while loading a run. */
  onSkipped(payload: StreamPayloads['mrl:error.raised']): void;
}

export class Evaluations {
  /** A learner loaded from a checkpoint for adapt/evaluate, kept for repeated viewer calls. */
  private evalLearner: (LoadedRun & { key: string }) | null = null;
  private evalQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EvaluationsOptions) {}

  serialEval<T>(f: () => Promise<T>): Promise<T> {
    const next = this.evalQueue.then(f, f);
    this.evalQueue = next.catch(() => undefined);
    return next;
  }

  /** Whether the kept learner belongs to `runId`. */
  holds(runId: string): boolean {
    return !!this.evalLearner?.key.startsWith(`${runId}@`);
  }

  async disposeEvalLearner(): Promise<void> {
    const e = this.evalLearner;
    this.evalLearner = null;
    if (e) await e.learner.dispose().catch(() => {});
  }

  /** Which checkpoint of a run a request names; a choice the run does not offer is refused naming it. */
  private async resolve(runId: string, which: CheckpointChoice): Promise<ResolvedCheckpoint> {
    try {
      return await resolveCheckpoint(this.opts.rootOf(runId), runId, which, 'payload.iteration');
    } catch (err) {
      throw new ProtocolError(
        (err as Error).message,
        err instanceof CheckpointChoiceError ? 'invalid' : 'failed',
      );
    }
  }

  private async learnerFor(runId: string, which: CheckpointChoice) {
    const { iteration } = await this.resolve(runId, which);
    const key = iteration === undefined ? null : `${runId}@${iteration}`;
    if (key && this.evalLearner?.key === key) return this.evalLearner;
    if (iteration === undefined && this.evalLearner?.key.startsWith(`${runId}@`)) {
      // The latest checkpoint may have moved on since (a live run): reuse only if it has not.
      const latest = (await listCheckpoints(runDirOf(this.opts.rootOf(runId), runId))).pop();
      if (latest === this.evalLearner.iteration) return this.evalLearner;
    }
    await this.disposeEvalLearner();
    let loaded;
    try {
      loaded = await loadRunLearner(this.opts.rootOf(runId), runId, iteration, {
        field: 'payload.iteration',
        onSkip: (it, err) =>
          this.opts.onSkipped({
            runId,
            iteration: it,
            message: `Checkpoint ${it} of ${runId} is damaged and was skipped: ${err.message}`,
            fatal: false,
          }),
      });
    } catch (err) {
      throw new ProtocolError(
        (err as Error).message,
        err instanceof CheckpointChoiceError ? 'invalid' : 'failed',
      );
    }
    this.opts.onBackend(backendInfo()?.name ?? null);
    this.evalLearner = { ...loaded, key: `${runId}@${loaded.iteration}` };
    return this.evalLearner;
  }

  async adapt(p: CommandPayload<'mrl:run.adapt'>): Promise<AdaptReply> {
    const e = await this.learnerFor(p.runId, p.iteration);
    let task: JsonObject;
    try {
      task = (
        p.task ? e.family.parseTask(p.task) : e.family.sampleTasks(1, new Rng(p.seed), 'test')[0]
      ) as JsonObject;
    } catch (err) {
      throw new ProtocolError(
        `Invalid task for ${e.family.id}: ${(err as Error).message}`,
        'invalid',
      );
    }
    const res = await e.learner.adapt(task, {
      steps: p.steps,
      episodesPerStage: p.episodesPerStage,
      seed: p.seed,
      recordFrames: p.framesPerStage > 0,
      ...(p.stepSize !== undefined ? { stepSize: p.stepSize } : {}),
    });
    return {
      runId: p.runId,
      iteration: e.iteration,
      algo: e.spec.id,
      family: e.family.id,
      stageUnit: e.spec.stageUnit,
      task,
      inDistribution: inTrainingDistribution(e.family, task),
      scene: readEnv(e.family, task, (env) => env.scene()),
      returns: res.returns,
      episodes: res.episodes.map((ep) => episodeToJson(ep, ep.index < p.framesPerStage)),
    };
  }

  async evaluate(
    p: CommandPayload<'mrl:run.evaluate'>,
  ): Promise<CommandReplies['mrl:run.evaluate']> {
    // The checkpoint asked for, resolved once: the evaluation says which one it scored.
    const chosen = await this.resolve(p.runId, p.iteration);
    const e = await this.learnerFor(p.runId, chosen.iteration ?? 'latest');
    const opts = {
      tasks: p.tasks,
      steps: p.steps,
      episodesPerStage: p.episodesPerStage,
      seed: p.seed,
    };
    const { returns, stderr, perTask } = await evaluateWithSpread(e.learner, e.family, opts);
    const { returns: baselines, stepSizes: baselineStepSizes } = await evaluateBaselines(
      e.family,
      (p.baselines ?? []).map((b) => ({
        name: b,
        // 'random': the run's learner untrained (fine-tuned from scratch); otherwise another run's id.
        // Random init and pretrained fine-tune with their best step size on training tasks.
        create: async () => {
          if (b === 'random') {
            const { learner, stageUnit } = await randomBaseline(e.spec, e.family, e.meta.config);
            return { learner, tune: tunesStepSize('random', stageUnit) };
          }
          const other = await loadRunLearner(this.opts.rootOf(b), b).catch((err: Error) => {
            throw new ProtocolError(
              `Baseline "${b}" is neither "random" nor a run with a checkpoint: ${err.message}`,
              'invalid',
            );
          });
          if (other.family.id !== e.family.id) {
            await other.learner.dispose();
            throw new ProtocolError(
              `Baseline ${b} is a ${other.family.id} run; ${p.runId} is ${e.family.id}`,
              'invalid',
            );
          }
          return {
            learner: other.learner,
            tune: tunesStepSize(other.meta.config.algo, e.spec.stageUnit),
          };
        },
      })),
      opts,
    );
    const extra = p.baselines?.length
      ? { baselines, ...(Object.keys(baselineStepSizes).length ? { baselineStepSizes } : {}) }
      : {};
    const reply = {
      runId: p.runId,
      iteration: e.iteration,
      checkpoint: chosen.kind,
      ...(chosen.kind === 'best' ? { validationReturn: chosen.best!.validationReturn } : {}),
      stageUnit: e.spec.stageUnit,
      tasks: p.tasks,
      returns,
      stderr,
      ...extra,
      perTask,
    };
    await saveEvaluation(this.opts.evaluationsDirOf(p.runId), reply, {
      episodesPerStage: p.episodesPerStage,
      seed: p.seed,
    });
    return reply;
  }
}
