// The trainer: owns the tfjs backend, at most one live meta-training run (./liveRun.ts) and
// the evaluation learners (./evaluations.ts). It speaks the protocol: `handle(raw)` takes
// any incoming message (validated here, junk included) and returns the reply; events go out
// through `emit`. Transport-free, so it runs in a child process, an Electron utilityProcess
// (see src/host/trainerProcess.ts) or in-process in tests.
//
// Before a run trains, the trainer takes the run's lock (./runLock.ts: one writer per run,
// across processes) and checks the config: every field's range, then the memory a
// meta-iteration would need (./resources.ts). Resuming refuses, and changes nothing, when the
// run's checkpoints exist but none loads; damaged checkpoints it skips are reported as
// non-fatal `mrl:error.raised` events, not only in events.log.
import { Rng } from '../core/rng';
import type { Checkpoint } from '../algos/metaLearner';
import { initBackend, type BackendName } from '../tf/backend';
import { formatIssues, type RunConfig } from '../shared/config';
import type { JsonObject } from '../shared/json';
import {
  ProtocolError,
  isCommandChannel,
  parseCall,
  parseCommand,
  type CommandChannel,
  type CommandPayload,
  type CommandReplies,
  type ReplyMessage,
  type TrainerStatus,
} from '../shared/protocol';
import {
  cleanTempCheckpoints,
  listCheckpoints,
  loadLatestCheckpoint,
  type WriteOptions,
} from './checkpoint';
import {
  deleteRun,
  logEvent,
  newRunId,
  readMeta,
  runDirOf,
  truncateMetrics,
  writeMeta,
} from './runDir';
import {
  algoById,
  familyById,
  newRunMeta,
  resolveRunConfig,
  type ResolvedConfig,
} from './runConfig';
import { LiveRun, type CheckpointStat, type Emit } from './liveRun';
import { restoreBest } from './metaControl';
import { Evaluations } from './evaluations';
import { algoCatalog, familyCatalog, warmFamilyCatalog } from './catalog';
import { acquireRunLock, RunLockedError, type RunLock } from './runLock';
import { estimateTrainingMemory, memoryRefusal } from './resources';
import { DEFAULT_EXAMPLES_ROOT, RunRoots } from './exampleRuns';

export type { CheckpointStat, Emit };

export interface TrainerOptions {
  runsRoot: string;
  /** Read-only example runs listed beside the user's (default: the checkout's examples/runs; null: none). */
  examplesRoot?: string | null;
  emit: Emit;
  /** Test hook for checkpoint writes (see checkpoint.ts). */
  checkpointHooks?: WriteOptions;
}

/** Take a run's lock, as a protocol refusal naming the holder when another process has it. */
async function lockRun(dir: string): Promise<RunLock> {
  try {
    return await acquireRunLock(dir);
  } catch (err) {
    if (err instanceof RunLockedError) throw new ProtocolError(err.message, 'failed');
    throw err;
  }
}

export class Trainer {
  private live: LiveRun | null = null;
  private readonly evals: Evaluations;
  private backend: string | null = null;
  /** A start or resume in progress: shutdown waits for it before stopping the run. */
  private launching: Promise<unknown> | null = null;
  readonly checkpointStats: CheckpointStat[] = [];

  private readonly roots: RunRoots;

  constructor(private readonly opts: TrainerOptions) {
    warmFamilyCatalog();
    this.roots = new RunRoots(
      opts.runsRoot,
      opts.examplesRoot === undefined ? DEFAULT_EXAMPLES_ROOT : opts.examplesRoot,
    );
    this.evals = new Evaluations({
      rootOf: (runId) => this.roots.rootOf(runId),
      evaluationsDirOf: (runId) => this.roots.evaluationsDir(runId),
      onBackend: (name) => (this.backend = name ?? this.backend),
      onSkipped: (payload) => opts.emit('mrl:error.raised', payload),
    });
  }

  // -------------------------------------------------------------------------------------
  // Message handling
  // -------------------------------------------------------------------------------------

  /** Handle one incoming message; never throws. Returns null for junk that carries no usable id. */
  async handle(raw: unknown): Promise<ReplyMessage | null> {
    const id =
      typeof raw === 'object' &&
      raw !== null &&
      Number.isInteger((raw as { id?: unknown }).id) &&
      (raw as { id: number }).id >= 0
        ? (raw as { id: number }).id
        : null;
    try {
      const call = parseCall(raw);
      const result = await this.dispatch(call.channel, parseCommand(call.channel, call.payload));
      return { kind: 'reply', id: call.id, ok: true, result };
    } catch (err) {
      const e =
        err instanceof ProtocolError
          ? err
          : new ProtocolError(err instanceof Error ? err.message : String(err), 'failed');
      if (id === null) {
        this.opts.emit('mrl:error.raised', {
          runId: null,
          iteration: null,
          message: e.message,
          fatal: false,
        });
        return null;
      }
      return { kind: 'reply', id, ok: false, error: { message: e.message, code: e.code } };
    }
  }

  /** Validated commands. Public so in-process hosts can call it with typed payloads. */
  async dispatch<C extends CommandChannel>(
    channel: C,
    payload: CommandPayload<C>,
  ): Promise<CommandReplies[C]> {
    if (!isCommandChannel(channel))
      throw new ProtocolError(`Unknown command channel "${channel}"`, 'unknown-channel');
    const p = payload as never;
    const handlers: {
      [K in CommandChannel]: (p: CommandPayload<K>) => Promise<CommandReplies[K]>;
    } = {
      'mrl:run.start': (x) => this.launchGuard(() => this.start(x)),
      'mrl:run.pause': (x) => this.pause(x.runId),
      'mrl:run.resume': (x) => this.launchGuard(() => this.resume(x.runId, x.iterations)),
      'mrl:run.stop': (x) => this.stop(x.runId),
      'mrl:run.adapt': (x) => this.evals.serialEval(() => this.evals.adapt(x)),
      'mrl:run.evaluate': (x) => this.evals.serialEval(() => this.evals.evaluate(x)),
      'mrl:runs.list': async () => ({ runs: await this.listRuns() }),
      'mrl:run.open': (x) => this.open(x.runId),
      'mrl:run.delete': (x) => this.delete(x.runId),
      'mrl:families.list': async () => ({ families: await familyCatalog() }),
      'mrl:algos.list': async () => ({ algos: algoCatalog() }),
      'mrl:tasks.sample': async (x) => {
        const family = familyById(x.family);
        return {
          family: family.id,
          split: x.split,
          tasks: family.sampleTasks(x.n, new Rng(x.seed), x.split) as JsonObject[],
        };
      },
      'mrl:trainer.status': async () => ({ status: this.status() }),
      // A trainer spoken to directly sends every stream; hosts filter per client.
      'mrl:stream.subscribe': async (x) => ({ streams: x.streams }),
      'mrl:stream.unsubscribe': async (x) => ({ streams: x.streams }),
    };
    return (handlers[channel] as (p: never) => Promise<CommandReplies[C]>)(p);
  }

  status(): TrainerStatus {
    if (!this.live) {
      return {
        state: 'idle',
        runId: null,
        family: null,
        algo: null,
        iteration: 0,
        iterations: 0,
        backend: this.backend,
        elapsedMs: 0,
        etaMs: null,
      };
    }
    return this.live.status();
  }

  private emitStatus(): void {
    this.opts.emit('mrl:status.changed', this.status());
  }

  private isActive(): boolean {
    return !!this.live?.active;
  }

  private async launchGuard<T>(f: () => Promise<T>): Promise<T> {
    const p = f();
    this.launching = p;
    try {
      return await p;
    } finally {
      if (this.launching === p) this.launching = null;
    }
  }

  // -------------------------------------------------------------------------------------
  // Starting and resuming
  // -------------------------------------------------------------------------------------

  /** Validate a config against the registries, the learner's schema and the memory limit; throws naming the field. */
  resolveConfig(config: RunConfig): ResolvedConfig {
    return resolveRunConfig(config);
  }

  private async initBackend(
    requested: string,
  ): Promise<{ requested: string; name: string; provider: string; tfjs: string }> {
    const info = await initBackend(requested as BackendName);
    this.backend = info.name;
    return { requested, name: info.name, provider: info.provider, tfjs: info.tfjsVersion };
  }

  private async start(
    p: CommandPayload<'mrl:run.start'>,
  ): Promise<CommandReplies['mrl:run.start']> {
    if (this.isActive())
      throw new ProtocolError(
        `A run is already training (${this.live!.runId}); stop it first`,
        'failed',
      );
    const { config, family, spec } = resolveRunConfig(p.config);
    const backend = await this.initBackend(config.backend);
    const runId = await newRunId(this.opts.runsRoot, config.family, config.algo, config.seed);
    const dir = runDirOf(this.opts.runsRoot, runId);
    const lock = await lockRun(dir);
    const meta = newRunMeta(runId, config, backend);
    try {
      await writeMeta(dir, meta);
      await logEvent(
        dir,
        `created run ${runId}: ${config.family} / ${config.algo}, seed ${config.seed}, ${config.iterations} iterations, backend ${backend.name} (${backend.provider})`,
      );
    } catch (err) {
      await lock.release();
      throw err;
    }
    const seedRng = new Rng(config.seed);
    const rng = seedRng.split();
    const previewTask = (
      config.preview.task
        ? family.parseTask(config.preview.task)
        : family.sampleTasks(1, seedRng.split(), 'test')[0]
    ) as JsonObject;
    await this.launch({
      runId,
      dir,
      meta,
      family,
      spec,
      rng,
      iteration: 0,
      previewTask,
      checkpoint: null,
      lock,
    });
    return { runId, config, status: this.status() };
  }

  private async launch(
    a: ConstructorParameters<typeof LiveRun>[0] & { checkpoint: Checkpoint | null },
  ): Promise<void> {
    await this.evals.disposeEvalLearner();
    const live = new LiveRun(a, {
      emit: this.opts.emit,
      checkpointHooks: this.opts.checkpointHooks,
      checkpointStats: this.checkpointStats,
      statusChanged: () => this.emitStatus(),
    });
    this.live = live;
    try {
      await live.begin(a.checkpoint);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'failed');
    }
  }

  private async resume(
    runId: string,
    iterations?: number,
  ): Promise<CommandReplies['mrl:run.resume']> {
    const r = this.live;
    if (
      r &&
      r.runId === runId &&
      (r.state === 'paused' || (r.state === 'running' && r.pauseRequested))
    ) {
      if (iterations !== undefined && iterations !== r.meta.config.iterations) {
        r.meta.config.iterations = Math.max(iterations, r.iteration);
        await writeMeta(r.dir, r.meta);
      }
      r.unpause();
      return { status: this.status() };
    }
    if (this.isActive()) {
      if (r!.runId === runId)
        throw new ProtocolError(`Run ${runId} is already ${r!.state}`, 'failed');
      throw new ProtocolError(`A run is already training (${r!.runId}); stop it first`, 'failed');
    }
    await this.resumeFromDisk(runId, iterations);
    return { status: this.status() };
  }

  /**
   * Continue a run from its newest checkpoint that loads. Every check comes before the first
   * write, so a refused resume leaves the run exactly as it was.
   */
  private async resumeFromDisk(runId: string, iterations?: number): Promise<void> {
    this.writable(runId, 'resumed');
    const dir = runDirOf(this.opts.runsRoot, runId);
    const meta = await readMeta(dir).catch((err: Error) => {
      throw new ProtocolError(`Cannot resume ${runId}: ${err.message}`, 'failed');
    });
    const family = familyById(meta.config.family);
    const spec = algoById(meta.config.algo);
    const hyper = spec.configSchema.safeParse(meta.config.hyper, { reportInput: true });
    if (!hyper.success) {
      throw new ProtocolError(
        `Cannot resume ${runId}: its stored config (config.json) is not valid for ${spec.id}:\n${formatIssues(hyper.error, 'config.hyper', spec.configSchema)}`,
        'failed',
      );
    }
    if (iterations !== undefined) meta.config.iterations = iterations;
    const refusal = memoryRefusal(
      estimateTrainingMemory(family, spec, hyper.data),
      meta.config.allowLarge,
    );
    if (refusal) throw new ProtocolError(`Cannot resume ${runId}: ${refusal}`, 'failed');
    const lock = await lockRun(dir);
    let launched = false;
    try {
      const backend = await this.initBackend(meta.config.backend);
      const skipped: { it: number; message: string }[] = [];
      const stored = await loadLatestCheckpoint(dir, Infinity, (it, err) =>
        skipped.push({ it, message: err.message }),
      );
      const existing = await listCheckpoints(dir);
      if (!stored && existing.length > 0) {
        throw new ProtocolError(
          `Cannot resume ${runId}: none of its ${existing.length} checkpoint${existing.length === 1 ? '' : 's'} (${existing.join(', ')}) loads, and restarting from iteration 0 would discard its history; nothing was changed.\n` +
            skipped.map((s) => `  checkpoint ${s.it}: ${s.message}`).join('\n'),
          'failed',
        );
      }
      const start = stored ? stored.learner.iteration : 0;
      if (meta.config.iterations <= start) {
        throw new ProtocolError(
          `Run ${runId} already has ${start} iterations; ask for more (e.g. iterations ${start + 10}) to continue it`,
          'failed',
        );
      }
      // From here on the run is changed.
      await cleanTempCheckpoints(dir);
      for (const s of skipped) {
        const message = `Checkpoint ${s.it} of ${runId} is damaged and was skipped (${s.message}); resuming from ${stored ? `checkpoint ${start}` : 'the start'}`;
        await logEvent(dir, message);
        this.opts.emit('mrl:error.raised', { runId, iteration: s.it, message, fatal: false });
      }
      if (backend.name !== meta.backend.name) {
        await logEvent(
          dir,
          `note: resumed on backend ${backend.name}, the run started on ${meta.backend.name}; results may differ from an uninterrupted run`,
        );
      }
      await writeMeta(dir, meta);
      await truncateMetrics(dir, start);
      await restoreBest(dir, stored?.trainer.metaControl);
      const seedRng = new Rng(meta.config.seed);
      const freshRng = seedRng.split();
      const previewTask = (
        meta.config.preview.task
          ? family.parseTask(meta.config.preview.task)
          : family.sampleTasks(1, seedRng.split(), 'test')[0]
      ) as JsonObject;
      await logEvent(
        dir,
        stored
          ? `resumed from checkpoint ${start}`
          : 'no checkpoint yet: starting from iteration 0',
      );
      launched = true;
      await this.launch({
        runId,
        dir,
        meta,
        family,
        spec,
        rng: stored ? Rng.fromState(stored.trainer.rng) : freshRng,
        iteration: start,
        previewTask,
        checkpoint: stored ? stored.learner : null,
        elapsedMs: stored?.trainer.elapsedMs ?? 0,
        lock,
        metaControlState: stored?.trainer.metaControl,
      });
    } finally {
      // Once launched, the live run owns the lock (and releases it when it ends).
      if (!launched) await lock.release();
    }
  }

  // -------------------------------------------------------------------------------------
  // Pause, stop, shutdown
  // -------------------------------------------------------------------------------------

  private requireLive(runId: string): LiveRun {
    const r = this.live;
    if (!r || r.runId !== runId || !this.isActive())
      throw new ProtocolError(`Run ${runId} is not training in this trainer`, 'failed');
    return r;
  }

  private async pause(runId: string): Promise<CommandReplies['mrl:run.pause']> {
    const r = this.requireLive(runId);
    if (r.state === 'paused') return { status: this.status() };
    if (r.state === 'stopping') throw new ProtocolError(`Run ${runId} is stopping`, 'failed');
    r.pauseRequested = true;
    await r.waitSettled();
    return { status: this.status() };
  }

  private async stop(runId: string): Promise<CommandReplies['mrl:run.stop']> {
    const r = this.requireLive(runId);
    await r.requestStop();
    return { status: this.status(), checkpoint: r.lastCheckpoint };
  }

  /** Stop the live run (checkpointing it) and release everything: for process shutdown. */
  async shutdown(): Promise<void> {
    // A run being started is let to start, so it is stopped with its state written.
    await this.launching?.catch(() => {});
    const r = this.live;
    if (r && this.isActive()) await r.requestStop();
    await this.evals.disposeEvalLearner();
  }

  /** The live run's loop, for in-process callers that wait for a run to end. */
  whenIdle(): Promise<void> {
    return this.live?.loop ?? Promise.resolve();
  }

  // -------------------------------------------------------------------------------------
  // Runs
  // -------------------------------------------------------------------------------------

  private writable(runId: string, action: string): void {
    try {
      this.roots.assertWritable(runId, action);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'invalid');
    }
  }

  // -------------------------------------------------------------------------------------

  private liveFor(runId: string) {
    const r = this.live;
    return r && r.runId === runId
      ? { state: r.state, iteration: r.iteration, message: r.message }
      : undefined;
  }

  private async listRuns() {
    return this.roots.list((id) => this.liveFor(id));
  }

  private async open(runId: string): Promise<CommandReplies['mrl:run.open']> {
    return this.roots
      .open(runId, (id) => this.liveFor(id))
      .catch((err: Error) => {
        throw new ProtocolError(`Unknown run ${runId}: ${err.message}`, 'failed');
      });
  }

  private async delete(runId: string): Promise<CommandReplies['mrl:run.delete']> {
    this.writable(runId, 'deleted');
    if (this.live?.runId === runId && this.isActive())
      throw new ProtocolError(`Run ${runId} is training; stop it before deleting it`, 'failed');
    if (this.evals.holds(runId)) await this.evals.disposeEvalLearner();
    await deleteRun(this.opts.runsRoot, runId).catch((err: Error) => {
      throw new ProtocolError(`Cannot delete ${runId}: ${err.message}`, 'failed');
    });
    if (this.live?.runId === runId) this.live = null;
    return { runId, deleted: true };
  }
}
