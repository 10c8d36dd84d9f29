// A run being trained: its learner, its task rng, its lock and the loop that advances it one
// meta-iteration at a time.
//
//   sample tasks with the run's own rng → learner.metaTrainStep → guard (finite metrics)
//   → live preview every N → meta-validation every N (with meta-control) →
//   learner.saveState → guard (finite params) → metrics.jsonl + event → checkpoint every N,
//   at a new best on meta-validation, and at the end / stop / early stop.
//
// With meta-control (./metaControl.ts) the tasks exclude the meta-validation split and the
// outer step size follows its schedule; its state is part of each checkpoint too.
//
// Pause and stop take effect between meta-iterations. The task rng is part of each
// checkpoint, so a resumed run draws the same tasks and reproduces the uninterrupted metrics.
// The run's lock (runLock.ts) is held from creation to the end state; if another process
// takes it over (it judged this one dead), the loop stops without writing anything more.
import { prepareFamily, readEnv, type TaskFamily } from '../core/env';
import type { Rng } from '../core/rng';
import type { Checkpoint, MetaLearner } from '../algos/metaLearner';
import type { AlgoSpec } from '../algos/registry';
import type { JsonObject } from '../shared/json';
import { describeError } from '../shared/config';
import { type ClusterStatus, isRemoteSampler } from '../shared/cluster';
import type { ClusterMonitor } from '../samplers/clusterMonitor';
import {
  isLiveState,
  type MetricsRow,
  type RunLockHolder,
  type RunState,
  type StreamName,
  type StreamPayloads,
  type TrainerStatus,
} from '../shared/protocol';
import { writeCheckpoint } from './checkpoint';
import { appendMetrics, logEvent, writeState, type RunMeta } from './runDir';
import { describeHolder, type RunLock } from './runLock';
import { episodeToJson } from './evaluate';
import { MetaController, writeBest } from './metaControl';
import { firstNonFinite, nonFiniteTensor } from './finiteGuards';

export type Emit = <S extends StreamName>(stream: S, payload: StreamPayloads[S]) => void;

/** Where a checkpoint's figures go (for the runtime benchmark). */
export interface CheckpointStat {
  iteration: number;
  bytes: number;
  ms: number;
}

export interface LiveRunContext {
  emit: Emit;
  /** Test hook for checkpoint writes (see checkpoint.ts). */
  checkpointHooks?: Parameters<typeof writeCheckpoint>[2];
  checkpointStats: CheckpointStat[];
  /** The trainer's status changed (it emits it). */
  statusChanged(): void;
}

export interface LiveRunArgs {
  runId: string;
  dir: string;
  meta: RunMeta;
  family: TaskFamily;
  spec: AlgoSpec;
  rng: Rng;
  iteration: number;
  previewTask: JsonObject;
  checkpoint: Checkpoint | null;
  elapsedMs?: number;
  lock: RunLock;
  /** Meta-control's state from the checkpoint resumed from. */
  metaControlState?: JsonObject;
}

export class LiveRun {
  readonly runId: string;
  readonly dir: string;
  readonly meta: RunMeta;
  readonly family: TaskFamily;
  readonly spec: AlgoSpec;
  learner: MetaLearner | null = null;
  iteration: number;
  state: RunState = 'starting';
  message?: string;
  lastCheckpoint: number | null;
  /** Iteration wall times of this session, for the ETA. */
  private readonly wallMs: number[] = [];
  private elapsedMs: number;
  pauseRequested = false;
  stopRequested = false;
  /** Set when another process took the run's lock over: nothing more may be written. */
  private lostLock: RunLockHolder | null | undefined;
  /** Waiters for the loop reaching a between-iterations state. */
  private readonly settle: Array<() => void> = [];
  private resumeSignal: (() => void) | null = null;
  loop: Promise<void> | null = null;
  private readonly rng: Rng;
  private readonly previewTask: JsonObject;
  private readonly lock: RunLock;
  /** Meta-validation, best checkpoint, early stopping and schedules, when the run has them. */
  private readonly control: MetaController | null;
  /** Early stopping ended training (the run finishes at this iteration). */
  private earlyStopped = false;
  /** Rollout workers for the dashboard, when the run samples through Redis. */
  private cluster: {
    monitor: ClusterMonitor | null;
    status: ClusterStatus | null;
    stopped: boolean;
  } = {
    monitor: null,
    status: null,
    stopped: true,
  };

  constructor(
    a: LiveRunArgs,
    private readonly ctx: LiveRunContext,
  ) {
    this.runId = a.runId;
    this.dir = a.dir;
    this.meta = a.meta;
    this.family = a.family;
    this.spec = a.spec;
    this.rng = a.rng;
    this.iteration = a.iteration;
    this.previewTask = a.previewTask;
    this.lastCheckpoint = a.checkpoint ? a.iteration : null;
    this.elapsedMs = a.elapsedMs ?? 0;
    this.lock = a.lock;
    this.control = a.meta.config.metaControl
      ? new MetaController(a.family, a.meta.config.metaControl, a.metaControlState)
      : null;
    this.lock.onLost = (holder) => {
      this.lostLock = holder;
      this.stopRequested = true;
      this.resumeSignal?.();
    };
  }

  get active(): boolean {
    return isLiveState(this.state);
  }

  status(): TrainerStatus {
    const mean = this.wallMs.length
      ? this.wallMs.reduce((a, b) => a + b, 0) / this.wallMs.length
      : null;
    const remaining = this.meta.config.iterations - this.iteration;
    return {
      state: this.state,
      runId: this.runId,
      family: this.meta.config.family,
      algo: this.meta.config.algo,
      iteration: this.iteration,
      iterations: this.meta.config.iterations,
      backend: this.meta.backend.name,
      elapsedMs: Math.round(this.elapsedMs),
      etaMs: mean === null ? null : Math.round(mean * Math.max(0, remaining)),
      checkpoint: this.lastCheckpoint,
      ...(this.message ? { message: this.message } : {}),
      ...(this.cluster.status && !this.cluster.stopped ? { cluster: this.cluster.status } : {}),
    };
  }

  /** Create the learner (from the checkpoint, if any) and start the loop; throws (run marked failed) if the learner cannot be built. */
  async begin(checkpoint: Checkpoint | null): Promise<void> {
    await writeState(this.dir, 'starting', this.iteration);
    this.ctx.statusChanged();
    try {
      const c = this.meta.config;
      await prepareFamily(this.family);
      this.learner = await this.spec.create({
        family: this.family,
        config: c.hyper,
        seed: c.seed,
        workers: c.workers,
        sampler: c.sampler,
      });
      this.watchCluster(c.sampler);
      if (checkpoint) await this.learner.loadState(checkpoint);
    } catch (err) {
      await this.fail(`could not create the learner: ${describeError(err, 'config.hyper')}`, false);
      throw new Error(this.message!);
    }
    this.learner.onProgress = (phase, fraction) =>
      this.ctx.emit('mrl:progress.changed', {
        runId: this.runId,
        iteration: this.iteration + 1,
        phase,
        fraction: Math.max(0, Math.min(1, fraction)),
      });
    this.state = 'running';
    await writeState(this.dir, 'running', this.iteration);
    this.ctx.statusChanged();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const cfg = this.meta.config;
    try {
      while (this.iteration < cfg.iterations && !this.earlyStopped) {
        if (this.stopRequested) break;
        if (this.pauseRequested) {
          this.state = 'paused';
          await writeState(this.dir, 'paused', this.iteration);
          await logEvent(this.dir, `paused at iteration ${this.iteration}`);
          this.ctx.statusChanged();
          this.settled();
          await new Promise<void>((resolve) => (this.resumeSignal = resolve));
          this.resumeSignal = null;
          if (this.stopRequested) break;
          this.state = 'running';
          await writeState(this.dir, 'running', this.iteration);
          await logEvent(this.dir, `resumed at iteration ${this.iteration}`);
          this.ctx.statusChanged();
          continue;
        }
        await this.iterate();
        if (this.state === 'failed') return;
      }
      if (this.lostLock !== undefined) {
        const who = this.lostLock ? ` (${describeHolder(this.lostLock)})` : '';
        return await this.fail(
          `another process took over the run's lock${who}; this trainer stopped writing to it`,
          false,
        );
      }
      await this.finish(
        (this.iteration >= cfg.iterations || this.earlyStopped) && !this.stopRequested
          ? 'finished'
          : 'stopped',
      );
    } catch (err) {
      await this.fail(`iteration ${this.iteration + 1}: ${(err as Error).message}`, true);
    }
  }

  private async iterate(): Promise<void> {
    const cfg = this.meta.config;
    const learner = this.learner!;
    const it = this.iteration + 1;
    const t0 = performance.now();
    this.ctx.emit('mrl:progress.changed', {
      runId: this.runId,
      iteration: it,
      phase: 'sampling',
      fraction: 0,
    });
    const n = this.spec.metaBatchSize(cfg.hyper);
    const tasks = this.control
      ? this.control.trainingTasks(n, this.rng)
      : (this.family.sampleTasks(n, this.rng, 'train') as JsonObject[]);
    const scheduled = this.control?.applySchedule(learner, it, cfg.iterations) ?? {};
    const metrics = { ...(await learner.metaTrainStep(tasks)), ...scheduled };
    if (this.lostLock !== undefined) return;
    const bad = firstNonFinite(metrics);
    if (bad) return this.fail(`iteration ${it}: non-finite metric ${bad}`, true);
    if (cfg.previewEvery > 0 && it % cfg.previewEvery === 0) {
      this.ctx.emit('mrl:progress.changed', {
        runId: this.runId,
        iteration: it,
        phase: 'preview',
        fraction: 0.95,
      });
      const badPreview = await this.preview(it);
      if (badPreview)
        return this.fail(
          `iteration ${it}: non-finite return in the live preview (${badPreview})`,
          true,
        );
    }
    // Validation, like the preview, comes before the state is saved: the checkpoint is the
    // learner as the next iteration starts from it, whatever adaptation may have touched.
    const validated = await this.validate(it);
    if (validated === 'failed') return;
    Object.assign(metrics, validated?.metrics ?? {});
    const state = await learner.saveState();
    const badParam = nonFiniteTensor(state);
    if (badParam) return this.fail(`iteration ${it}: non-finite ${badParam}`, true);
    const wallMs = performance.now() - t0;
    this.iteration = it;
    this.wallMs.push(wallMs);
    this.elapsedMs += wallMs;
    const row: MetricsRow = {
      iteration: it,
      time: new Date().toISOString(),
      wallMs: Math.round(wallMs * 1000) / 1000,
      metrics,
    };
    await appendMetrics(this.dir, row);
    this.ctx.emit('mrl:metrics.added', {
      runId: this.runId,
      ...row,
      emittedAt: performance.timeOrigin + performance.now(),
    });
    if (
      it % cfg.checkpointEvery === 0 ||
      it === cfg.iterations ||
      this.stopRequested ||
      this.earlyStopped ||
      validated?.isBest
    ) {
      this.ctx.emit('mrl:progress.changed', {
        runId: this.runId,
        iteration: it,
        phase: 'checkpoint',
        fraction: 1,
      });
      await this.checkpoint(state);
    }
    if (validated?.isBest) {
      const best = this.control!.state;
      await writeBest(this.dir, { iteration: it, validationReturn: best.best! });
      await logEvent(this.dir, `best on meta-validation: iteration ${it} (${best.best})`);
    }
    this.ctx.statusChanged();
  }

  /** Meta-validation at iteration `it` when due; sets `earlyStopped` when patience runs out. */
  private async validate(it: number) {
    const cfg = this.meta.config;
    if (!this.control?.due(it, cfg.iterations)) return null;
    this.ctx.emit('mrl:progress.changed', {
      runId: this.runId,
      iteration: it,
      phase: 'validation',
      fraction: 0.97,
    });
    const v = await this.control.validate(this.learner!, it);
    const bad = firstNonFinite(v.metrics);
    if (bad) {
      await this.fail(`iteration ${it}: non-finite meta-validation ${bad}`, true);
      return 'failed' as const;
    }
    if (v.stop && it < cfg.iterations) {
      this.earlyStopped = true;
      const s = this.control.state;
      await logEvent(
        this.dir,
        `early stopping at iteration ${it}: ${s.sinceImprovement} validations without an improvement above ${this.control.config.earlyStopping!.threshold}; best iteration ${s.bestIteration} (${s.best})`,
      );
    }
    return v;
  }

  private async preview(it: number): Promise<string | null> {
    const p = this.meta.config.preview;
    const scene = readEnv(this.family, this.previewTask, (env) => env.scene());
    // Default: 3 gradient steps (MAML), or the trial's remaining episodes (RL²).
    const steps =
      p.steps ??
      (this.spec.stageUnit === 'episode'
        ? Math.max(1, Number(this.meta.config.hyper.episodesPerTrial ?? 2) - 1)
        : 3);
    const res = await this.learner!.adapt(
      this.previewTask,
      {
        steps,
        episodesPerStage: p.episodesPerStage,
        seed: this.meta.config.seed,
        recordFrames: true,
      },
      (ep) => {
        if (ep.index >= p.framesPerStage) return;
        this.ctx.emit('mrl:preview.added', {
          runId: this.runId,
          iteration: it,
          task: this.previewTask,
          scene,
          stageUnit: this.spec.stageUnit,
          stages: steps + 1,
          episode: episodeToJson(ep, true),
        });
      },
    );
    const i = res.returns.findIndex((x) => !Number.isFinite(x));
    return i >= 0 ? `stage ${i}: ${res.returns[i]}` : null;
  }

  private async checkpoint(state: Checkpoint): Promise<void> {
    state.iteration = this.iteration;
    const res = await writeCheckpoint(
      this.dir,
      {
        learner: state,
        trainer: {
          rng: this.rng.getState(),
          elapsedMs: this.elapsedMs,
          ...(this.control ? { metaControl: this.control.state as unknown as JsonObject } : {}),
        },
      },
      this.ctx.checkpointHooks,
    );
    this.lastCheckpoint = this.iteration;
    this.ctx.checkpointStats.push({ iteration: this.iteration, bytes: res.bytes, ms: res.ms });
    await logEvent(
      this.dir,
      `checkpoint ${this.iteration} written (${res.bytes} bytes, ${res.ms.toFixed(1)} ms)`,
    );
  }

  private async finish(state: 'finished' | 'stopped'): Promise<void> {
    if (this.lastCheckpoint !== this.iteration && this.iteration > 0)
      await this.checkpoint(await this.learner!.saveState());
    this.state = state;
    await writeState(this.dir, state, this.iteration);
    await logEvent(this.dir, `${state} at iteration ${this.iteration}`);
    await this.release();
    this.ctx.statusChanged();
    this.settled();
  }

  /** Mark the run failed (on disk too, unless its lock is lost), release it, tell everyone. */
  async fail(message: string, duringTraining: boolean): Promise<void> {
    const last = this.lastCheckpoint;
    this.state = 'failed';
    this.message = `${message}. The run was stopped; ${last !== null ? `the last good checkpoint is iteration ${last}` : 'no checkpoint was written'}.`;
    if (this.lostLock === undefined) {
      await writeState(this.dir, 'failed', this.iteration, this.message).catch(() => {});
      await logEvent(this.dir, `FAILED: ${this.message}`).catch(() => {});
    }
    this.ctx.emit('mrl:error.raised', {
      runId: this.runId,
      iteration: duringTraining ? this.iteration + 1 : null,
      message: this.message,
      fatal: true,
    });
    await this.release();
    this.ctx.statusChanged();
    this.settled();
  }

  private watchCluster(sampler: string | undefined): void {
    this.stopClusterWatch();
    const watch = {
      monitor: null as ClusterMonitor | null,
      status: null as ClusterStatus | null,
      stopped: false,
    };
    this.cluster = watch;
    if (!isRemoteSampler(sampler)) return;
    // Loaded on demand: runs that sample locally never load the Redis client.
    void import('../samplers/clusterMonitor').then((m) => {
      if (watch.stopped) return;
      watch.monitor = m.watchCluster(sampler, (s) => {
        watch.status = s;
        this.ctx.statusChanged();
      });
    });
  }

  private stopClusterWatch(): void {
    this.cluster.stopped = true;
    this.cluster.monitor?.stop();
  }

  private async release(): Promise<void> {
    this.stopClusterWatch();
    if (this.learner) {
      this.learner.onProgress = null;
      await this.learner.dispose().catch(() => {});
    }
    await this.lock.release().catch(() => {});
  }

  private settled(): void {
    for (const f of this.settle.splice(0)) f();
  }

  /** Resolves when the loop reaches paused / stopped / finished / failed. */
  waitSettled(): Promise<void> {
    if (!['running', 'stopping', 'starting'].includes(this.state)) return Promise.resolve();
    return new Promise((resolve) => this.settle.push(resolve));
  }

  /** Continue a paused run (or cancel a pause not yet reached). */
  unpause(): void {
    this.pauseRequested = false;
    this.resumeSignal?.();
  }

  /** Ask the loop to stop after the current iteration (with a checkpoint) and wait for it. */
  async requestStop(): Promise<void> {
    this.stopRequested = true;
    this.state = 'stopping';
    this.resumeSignal?.();
    this.ctx.statusChanged();
    await this.waitSettled();
    await this.loop;
  }
}
