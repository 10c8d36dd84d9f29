// The trainer: owns the tfjs backend, at most one live meta-training run (its learner, its
// run directory) and the evaluation learners. It speaks the protocol: `handle(raw)` takes
// any incoming message (validated here, junk included) and returns the reply; events go out
// through `emit`. Transport-free, so it runs in a child process, an Electron utilityProcess
// (see src/host/trainerProcess.ts) or in-process in tests.
//
// Training loop, one meta-iteration at a time:
//   sample tasks with the trainer's own rng → learner.metaTrainStep → guard (finite metrics)
//   → metrics.jsonl + event → live preview every N → learner.saveState → guard (finite
//   params) → checkpoint every N and at the end / stop.
// Pause and stop take effect between meta-iterations. The trainer's task rng is part of each
// checkpoint, so a resumed run draws the same tasks and reproduces the uninterrupted metrics.
import os from 'node:os';
import fs from 'node:fs';
import { z } from 'zod';
import type { TaskFamily } from '../core/env';
import { Rng } from '../core/rng';
import type { Checkpoint, MetaLearner } from '../algos/metaLearner';
import { ALGOS, getAlgo, resolveHyper, withFamilyDefaults, type AlgoSpec } from '../algos/registry';
import { getFamily, listFamilies } from '../../envs/registry';
import { backendInfo, initBackend, type BackendName } from '../tf/backend';
import { formatIssues, type ResolvedRunConfig } from '../shared/config';
import { type ClusterStatus, isRemoteSampler } from '../shared/cluster';
import type { ClusterMonitor } from '../samplers/clusterMonitor';
import type { JsonObject } from '../shared/json';
import {
  ProtocolError,
  isCommandChannel,
  parseCall,
  parseCommand,
  type AdaptReply,
  type CommandChannel,
  type CommandPayload,
  type CommandReplies,
  type MetricsRow,
  type ReplyMessage,
  type RunState,
  type StreamName,
  type StreamPayloads,
  type TrainerStatus,
  type FamilyInfo,
  type AlgoInfo,
} from '../shared/protocol';
import { cleanTempCheckpoints, listCheckpoints, loadLatestCheckpoint, writeCheckpoint } from './checkpoint';
import { loadRunLearner, type LoadedRun } from './runLoader';
import {
  appendMetrics,
  deleteRun,
  logEvent,
  newRunId,
  readMeta,
  readMetrics,
  runDirOf,
  truncateMetrics,
  writeMeta,
  writeState,
  type RunMeta,
} from './runDir';
import { episodeToJson, evaluateBaseline, evaluateWithSpread, inTrainingDistribution, tunesStepSize } from './evaluate';
import { DEFAULT_EXAMPLES_ROOT, RunRoots } from './exampleRuns';
import { evaluationsDir, loadEvaluations, saveEvaluation } from './savedEvaluations';

export type Emit = <S extends StreamName>(stream: S, payload: StreamPayloads[S]) => void;

export interface TrainerOptions {
  runsRoot: string;
  /** Read-only example runs listed beside the user's (default: the checkout's examples/runs; null: none). */
  examplesRoot?: string | null;
  emit: Emit;
  /** Test hook for checkpoint writes (see checkpoint.ts). */
  checkpointHooks?: Parameters<typeof writeCheckpoint>[2];
}

/** Where a checkpoint's figures go (for the runtime benchmark). */
export interface CheckpointStat {
  iteration: number;
  bytes: number;
  ms: number;
}

interface LiveRun {
  runId: string;
  dir: string;
  meta: RunMeta;
  family: TaskFamily;
  spec: AlgoSpec;
  learner: MetaLearner;
  rng: Rng;
  iteration: number;
  state: RunState;
  message?: string;
  previewTask: JsonObject;
  lastCheckpoint: number | null;
  /** Iteration wall times of this session, for the ETA. */
  wallMs: number[];
  elapsedMs: number;
  pauseRequested: boolean;
  stopRequested: boolean;
  /** Waiters for the loop reaching a between-iterations state. */
  settle: Array<() => void>;
  resumeSignal: (() => void) | null;
  loop: Promise<void> | null;
}

interface ClusterWatch {
  monitor: ClusterMonitor | null;
  status: ClusterStatus | null;
  stopped: boolean;
}

function appVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function defaultWorkers(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

/** First non-finite scalar of a metrics record, or null. */
function firstNonFinite(metrics: Record<string, number>): string | null {
  for (const [k, v] of Object.entries(metrics)) if (typeof v !== 'number' || !Number.isFinite(v)) return `${k} = ${v}`;
  return null;
}

function nonFiniteTensor(c: Checkpoint): string | null {
  for (const [group, tensors] of [
    ['parameter', c.params],
    ['optimiser tensor', c.optimizerTensors],
  ] as const) {
    for (const [name, t] of Object.entries(tensors)) {
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) return `${group} "${name}"[${i}] = ${t.data[i]}`;
      }
    }
  }
  return null;
}

export class Trainer {
  private live: LiveRun | null = null;
  /** A learner loaded from a checkpoint for adapt/evaluate, kept for repeated viewer calls. */
  private evalLearner: (LoadedRun & { key: string }) | null = null;
  private evalQueue: Promise<unknown> = Promise.resolve();
  private backend: string | null = null;
  readonly checkpointStats: CheckpointStat[] = [];

  private readonly roots: RunRoots;

  constructor(private readonly opts: TrainerOptions) {
    this.roots = new RunRoots(opts.runsRoot, opts.examplesRoot === undefined ? DEFAULT_EXAMPLES_ROOT : opts.examplesRoot);
  }

  // -------------------------------------------------------------------------------------
  // Message handling
  // -------------------------------------------------------------------------------------

  /** Handle one incoming message; never throws. Returns null for junk that carries no usable id. */
  async handle(raw: unknown): Promise<ReplyMessage | null> {
    const id = typeof raw === 'object' && raw !== null && Number.isInteger((raw as { id?: unknown }).id) && (raw as { id: number }).id >= 0 ? (raw as { id: number }).id : null;
    try {
      const call = parseCall(raw);
      const result = await this.dispatch(call.channel, parseCommand(call.channel, call.payload));
      return { kind: 'reply', id: call.id, ok: true, result };
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError(err instanceof Error ? err.message : String(err), 'failed');
      if (id === null) {
        this.opts.emit('mrl:error.raised', { runId: null, iteration: null, message: e.message, fatal: false });
        return null;
      }
      return { kind: 'reply', id, ok: false, error: { message: e.message, code: e.code } };
    }
  }

  /** Validated commands. Public so in-process hosts can call it with typed payloads. */
  async dispatch<C extends CommandChannel>(channel: C, payload: CommandPayload<C>): Promise<CommandReplies[C]> {
    if (!isCommandChannel(channel)) throw new ProtocolError(`Unknown command channel "${channel}"`, 'unknown-channel');
    const p = payload as never;
    const handlers: { [K in CommandChannel]: (p: CommandPayload<K>) => Promise<CommandReplies[K]> } = {
      'mrl:run.start': (x) => this.start(x),
      'mrl:run.pause': (x) => this.pause(x.runId),
      'mrl:run.resume': (x) => this.resume(x.runId, x.iterations),
      'mrl:run.stop': (x) => this.stop(x.runId),
      'mrl:run.adapt': (x) => this.serialEval(() => this.adapt(x)),
      'mrl:run.evaluate': (x) => this.serialEval(() => this.evaluate(x)),
      'mrl:runs.list': async () => ({ runs: await this.listRuns() }),
      'mrl:run.open': (x) => this.open(x.runId),
      'mrl:run.delete': (x) => this.delete(x.runId),
      'mrl:families.list': async () => ({ families: this.families() }),
      'mrl:algos.list': async () => ({ algos: this.algos() }),
      'mrl:tasks.sample': async (x) => {
        const family = this.family(x.family);
        return { family: family.id, split: x.split, tasks: family.sampleTasks(x.n, new Rng(x.seed), x.split) as JsonObject[] };
      },
      'mrl:trainer.status': async () => ({ status: this.status() }),
      // A trainer spoken to directly sends every stream; hosts filter per client.
      'mrl:stream.subscribe': async (x) => ({ streams: x.streams }),
      'mrl:stream.unsubscribe': async (x) => ({ streams: x.streams }),
    };
    return (handlers[channel] as (p: never) => Promise<CommandReplies[C]>)(p);
  }

  status(): TrainerStatus {
    const r = this.live;
    if (!r) {
      return { state: 'idle', runId: null, family: null, algo: null, iteration: 0, iterations: 0, backend: this.backend, elapsedMs: 0, etaMs: null };
    }
    const mean = r.wallMs.length ? r.wallMs.reduce((a, b) => a + b, 0) / r.wallMs.length : null;
    const remaining = r.meta.config.iterations - r.iteration;
    return {
      state: r.state,
      runId: r.runId,
      family: r.meta.config.family,
      algo: r.meta.config.algo,
      iteration: r.iteration,
      iterations: r.meta.config.iterations,
      backend: r.meta.backend.name,
      elapsedMs: Math.round(r.elapsedMs),
      etaMs: mean === null ? null : Math.round(mean * Math.max(0, remaining)),
      ...(r.message ? { message: r.message } : {}),
      ...(this.cluster.status && !this.cluster.stopped ? { cluster: this.cluster.status } : {}),
    };
  }

  private emitStatus(): void {
    this.opts.emit('mrl:status.changed', this.status());
  }

  private family(id: string): TaskFamily {
    try {
      return getFamily(id);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'invalid');
    }
  }

  private algo(id: string): AlgoSpec {
    try {
      return getAlgo(id);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'invalid');
    }
  }

  private isActive(): boolean {
    return !!this.live && ['starting', 'running', 'paused', 'stopping'].includes(this.live.state);
  }

  // -------------------------------------------------------------------------------------
  // Starting and resuming
  // -------------------------------------------------------------------------------------

  /** Validate a config against the registries and the learner's schema; throws naming the field. */
  resolveConfig(config: CommandPayload<'mrl:run.start'>['config']): { config: ResolvedRunConfig; family: TaskFamily; spec: AlgoSpec } {
    const family = this.family(config.family);
    const spec = this.algo(config.algo);
    if (isRemoteSampler(config.sampler) && !spec.remoteSampling) {
      throw new ProtocolError(`Invalid run config:\nconfig.sampler: ${spec.title} samples in the trainer; rollout workers serve ${ALGOS.filter((a) => a.remoteSampling).map((a) => a.id).join(', ')}`, 'invalid');
    }
    const hyper = spec.configSchema.safeParse(withFamilyDefaults(spec, family.id, config.hyper), { reportInput: true });
    if (!hyper.success) throw new ProtocolError(`Invalid run config:\n${formatIssues(hyper.error, 'config.hyper')}`, 'invalid');
    if (config.preview.task) {
      try {
        family.parseTask(config.preview.task);
      } catch (err) {
        throw new ProtocolError(`Invalid run config: config.preview.${(err as Error).message}`, 'invalid');
      }
    }
    return {
      config: {
        ...config,
        iterations: config.iterations ?? spec.defaultIterations(family.id),
        workers: config.workers ?? defaultWorkers(),
        hyper: hyper.data,
      },
      family,
      spec,
    };
  }

  private async initBackend(requested: string): Promise<{ requested: string; name: string; provider: string; tfjs: string }> {
    const info = await initBackend(requested as BackendName);
    this.backend = info.name;
    return { requested, name: info.name, provider: info.provider, tfjs: info.tfjsVersion };
  }

  private async start(p: CommandPayload<'mrl:run.start'>): Promise<CommandReplies['mrl:run.start']> {
    if (this.isActive()) throw new ProtocolError(`A run is already training (${this.live!.runId}); stop it first`, 'failed');
    const { config, family, spec } = this.resolveConfig(p.config);
    const backend = await this.initBackend(config.backend);
    const runId = await newRunId(this.opts.runsRoot, config.family, config.algo, config.seed);
    const dir = runDirOf(this.opts.runsRoot, runId);
    const meta: RunMeta = {
      runId,
      createdAt: new Date().toISOString(),
      config,
      backend: { requested: backend.requested, name: backend.name, provider: backend.provider },
      versions: { app: appVersion(), node: process.version, tfjs: backend.tfjs },
    };
    await writeMeta(dir, meta);
    await logEvent(dir, `created run ${runId}: ${config.family} / ${config.algo}, seed ${config.seed}, ${config.iterations} iterations, backend ${backend.name} (${backend.provider})`);
    const seedRng = new Rng(config.seed);
    const rng = seedRng.split();
    const previewTask = (config.preview.task ? family.parseTask(config.preview.task) : family.sampleTasks(1, seedRng.split(), 'test')[0]) as JsonObject;
    await this.launch({ runId, dir, meta, family, spec, rng, iteration: 0, previewTask, checkpoint: null });
    return { runId, config, status: this.status() };
  }

  private async launch(a: {
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
  }): Promise<void> {
    await this.disposeEvalLearner();
    const live: LiveRun = {
      runId: a.runId,
      dir: a.dir,
      meta: a.meta,
      family: a.family,
      spec: a.spec,
      learner: null as unknown as MetaLearner,
      rng: a.rng,
      iteration: a.iteration,
      state: 'starting',
      previewTask: a.previewTask,
      lastCheckpoint: a.checkpoint ? a.iteration : null,
      wallMs: [],
      elapsedMs: a.elapsedMs ?? 0,
      pauseRequested: false,
      stopRequested: false,
      settle: [],
      resumeSignal: null,
      loop: null,
    };
    this.live = live;
    await writeState(a.dir, 'starting', a.iteration);
    this.emitStatus();
    try {
      live.learner = await a.spec.create({ family: a.family, config: a.meta.config.hyper, seed: a.meta.config.seed, workers: a.meta.config.workers, sampler: a.meta.config.sampler });
      this.watchCluster(a.meta.config.sampler);
      if (a.checkpoint) await live.learner.loadState(a.checkpoint);
    } catch (err) {
      await this.fail(live, `could not create the learner: ${(err as Error).message}`, false);
      throw new ProtocolError(live.message!, 'failed');
    }
    live.learner.onProgress = (phase, fraction) =>
      this.opts.emit('mrl:progress.changed', { runId: live.runId, iteration: live.iteration + 1, phase, fraction: Math.max(0, Math.min(1, fraction)) });
    live.state = 'running';
    await writeState(a.dir, 'running', a.iteration);
    this.emitStatus();
    live.loop = this.loop(live);
  }

  private async resume(runId: string, iterations?: number): Promise<CommandReplies['mrl:run.resume']> {
    const r = this.live;
    if (r && r.runId === runId && (r.state === 'paused' || (r.state === 'running' && r.pauseRequested))) {
      r.pauseRequested = false;
      if (iterations !== undefined && iterations !== r.meta.config.iterations) {
        r.meta.config.iterations = Math.max(iterations, r.iteration);
        await writeMeta(r.dir, r.meta);
      }
      r.resumeSignal?.();
      return { status: this.status() };
    }
    if (this.isActive()) {
      if (r!.runId === runId) throw new ProtocolError(`Run ${runId} is already ${r!.state}`, 'failed');
      throw new ProtocolError(`A run is already training (${r!.runId}); stop it first`, 'failed');
    }
    await this.resumeFromDisk(runId, iterations);
    return { status: this.status() };
  }

  private async resumeFromDisk(runId: string, iterations?: number): Promise<void> {
    this.writable(runId, 'resumed');
    const dir = runDirOf(this.opts.runsRoot, runId);
    const meta = await readMeta(dir).catch((err: Error) => {
      throw new ProtocolError(`Cannot resume ${runId}: ${err.message}`, 'failed');
    });
    const family = this.family(meta.config.family);
    const spec = this.algo(meta.config.algo);
    const backend = await this.initBackend(meta.config.backend);
    await cleanTempCheckpoints(dir);
    const skipped: string[] = [];
    const stored = await loadLatestCheckpoint(dir, Infinity, (it, err) => skipped.push(`checkpoint ${it} skipped: ${err.message}`));
    for (const s of skipped) await logEvent(dir, s);
    if (iterations !== undefined) meta.config.iterations = iterations;
    const start = stored ? stored.learner.iteration : 0;
    if (meta.config.iterations <= start) {
      throw new ProtocolError(`Run ${runId} already has ${start} iterations; ask for more (e.g. iterations ${start + 10}) to continue it`, 'failed');
    }
    if (backend.name !== meta.backend.name) {
      await logEvent(dir, `note: resumed on backend ${backend.name}, the run started on ${meta.backend.name}; results may differ from an uninterrupted run`);
    }
    await writeMeta(dir, meta);
    await truncateMetrics(dir, start);
    const seedRng = new Rng(meta.config.seed);
    const freshRng = seedRng.split();
    const previewTask = (meta.config.preview.task ? family.parseTask(meta.config.preview.task) : family.sampleTasks(1, seedRng.split(), 'test')[0]) as JsonObject;
    await logEvent(dir, stored ? `resumed from checkpoint ${start}` : 'no checkpoint found: restarting from iteration 0');
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
    });
  }

  // -------------------------------------------------------------------------------------
  // The loop
  // -------------------------------------------------------------------------------------

  private async loop(r: LiveRun): Promise<void> {
    const cfg = r.meta.config;
    try {
      while (r.iteration < cfg.iterations) {
        if (r.stopRequested) break;
        if (r.pauseRequested) {
          r.state = 'paused';
          await writeState(r.dir, 'paused', r.iteration);
          await logEvent(r.dir, `paused at iteration ${r.iteration}`);
          this.emitStatus();
          this.settled(r);
          await new Promise<void>((resolve) => (r.resumeSignal = resolve));
          r.resumeSignal = null;
          if (r.stopRequested) break;
          r.state = 'running';
          await writeState(r.dir, 'running', r.iteration);
          await logEvent(r.dir, `resumed at iteration ${r.iteration}`);
          this.emitStatus();
          continue;
        }
        await this.iterate(r);
        if (r.state === 'failed') return;
      }
      await this.finish(r, r.iteration >= cfg.iterations && !r.stopRequested ? 'finished' : 'stopped');
    } catch (err) {
      await this.fail(r, `iteration ${r.iteration + 1}: ${(err as Error).message}`, true);
    }
  }

  private async iterate(r: LiveRun): Promise<void> {
    const cfg = r.meta.config;
    const it = r.iteration + 1;
    const t0 = performance.now();
    this.opts.emit('mrl:progress.changed', { runId: r.runId, iteration: it, phase: 'sampling', fraction: 0 });
    const tasks = r.family.sampleTasks(r.spec.metaBatchSize(cfg.hyper), r.rng, 'train') as JsonObject[];
    const metrics = await r.learner.metaTrainStep(tasks);
    const bad = firstNonFinite(metrics);
    if (bad) return this.fail(r, `iteration ${it}: non-finite metric ${bad}`, true);
    if (cfg.previewEvery > 0 && it % cfg.previewEvery === 0) {
      this.opts.emit('mrl:progress.changed', { runId: r.runId, iteration: it, phase: 'preview', fraction: 0.95 });
      const badPreview = await this.preview(r, it);
      if (badPreview) return this.fail(r, `iteration ${it}: non-finite return in the live preview (${badPreview})`, true);
    }
    const state = await r.learner.saveState();
    const badParam = nonFiniteTensor(state);
    if (badParam) return this.fail(r, `iteration ${it}: non-finite ${badParam}`, true);
    const wallMs = performance.now() - t0;
    r.iteration = it;
    r.wallMs.push(wallMs);
    r.elapsedMs += wallMs;
    const row: MetricsRow = { iteration: it, time: new Date().toISOString(), wallMs: Math.round(wallMs * 1000) / 1000, metrics };
    await appendMetrics(r.dir, row);
    this.opts.emit('mrl:metrics.added', { runId: r.runId, ...row, emittedAt: performance.timeOrigin + performance.now() });
    if (it % cfg.checkpointEvery === 0 || it === cfg.iterations || r.stopRequested) {
      this.opts.emit('mrl:progress.changed', { runId: r.runId, iteration: it, phase: 'checkpoint', fraction: 1 });
      await this.checkpoint(r, state);
    }
    this.emitStatus();
  }

  private async preview(r: LiveRun, it: number): Promise<string | null> {
    const p = r.meta.config.preview;
    const scene = r.family.make(r.previewTask, 0).scene();
    // Default: 3 gradient steps (MAML), or the trial's remaining episodes (RL²).
    const steps = p.steps ?? (r.spec.stageUnit === 'episode' ? Math.max(1, Number(r.meta.config.hyper.episodesPerTrial ?? 2) - 1) : 3);
    const res = await r.learner.adapt(
      r.previewTask,
      { steps, episodesPerStage: p.episodesPerStage, seed: r.meta.config.seed, recordFrames: true },
      (ep) => {
        if (ep.index >= p.framesPerStage) return;
        this.opts.emit('mrl:preview.added', {
          runId: r.runId,
          iteration: it,
          task: r.previewTask,
          scene,
          stageUnit: r.spec.stageUnit,
          stages: steps + 1,
          episode: episodeToJson(ep, true),
        });
      },
    );
    const i = res.returns.findIndex((x) => !Number.isFinite(x));
    return i >= 0 ? `stage ${i}: ${res.returns[i]}` : null;
  }

  private async checkpoint(r: LiveRun, state: Checkpoint): Promise<void> {
    state.iteration = r.iteration;
    const res = await writeCheckpoint(r.dir, { learner: state, trainer: { rng: r.rng.getState(), elapsedMs: r.elapsedMs } }, this.opts.checkpointHooks);
    r.lastCheckpoint = r.iteration;
    this.checkpointStats.push({ iteration: r.iteration, bytes: res.bytes, ms: res.ms });
    await logEvent(r.dir, `checkpoint ${r.iteration} written (${res.bytes} bytes, ${res.ms.toFixed(1)} ms)`);
  }

  private async finish(r: LiveRun, state: 'finished' | 'stopped'): Promise<void> {
    if (r.lastCheckpoint !== r.iteration && r.iteration > 0) await this.checkpoint(r, await r.learner.saveState());
    r.state = state;
    await writeState(r.dir, state, r.iteration);
    await logEvent(r.dir, `${state} at iteration ${r.iteration}`);
    await this.releaseLearner(r);
    this.emitStatus();
    this.settled(r);
  }

  private async fail(r: LiveRun, message: string, duringTraining: boolean): Promise<void> {
    const last = r.lastCheckpoint;
    r.state = 'failed';
    r.message = `${message}. The run was stopped; ${last !== null ? `the last good checkpoint is iteration ${last}` : 'no checkpoint was written'}.`;
    await writeState(r.dir, 'failed', r.iteration, r.message).catch(() => {});
    await logEvent(r.dir, `FAILED: ${r.message}`).catch(() => {});
    this.opts.emit('mrl:error.raised', { runId: r.runId, iteration: duringTraining ? r.iteration + 1 : null, message: r.message, fatal: true });
    await this.releaseLearner(r);
    this.emitStatus();
    this.settled(r);
  }

  /** Rollout workers for the dashboard, when the run samples through Redis. */
  private cluster: ClusterWatch = { monitor: null, status: null, stopped: true };

  private watchCluster(sampler: string | undefined): void {
    this.stopClusterWatch();
    const watch: ClusterWatch = { monitor: null, status: null, stopped: false };
    this.cluster = watch;
    if (!isRemoteSampler(sampler)) return;
    // Loaded on demand: runs that sample locally never load the Redis client.
    void import('../samplers/clusterMonitor').then((m) => {
      if (watch.stopped) return;
      watch.monitor = m.watchCluster(sampler, (s) => {
        watch.status = s;
        this.emitStatus();
      });
    });
  }

  private stopClusterWatch(): void {
    this.cluster.stopped = true;
    this.cluster.monitor?.stop();
  }

  private async releaseLearner(r: LiveRun): Promise<void> {
    this.stopClusterWatch();
    if (!r.learner) return;
    r.learner.onProgress = null;
    await r.learner.dispose().catch(() => {});
  }

  private settled(r: LiveRun): void {
    for (const f of r.settle.splice(0)) f();
  }

  /** Resolves when the loop reaches paused / stopped / finished / failed. */
  private waitSettled(r: LiveRun): Promise<void> {
    if (!['running', 'stopping', 'starting'].includes(r.state)) return Promise.resolve();
    return new Promise((resolve) => r.settle.push(resolve));
  }

  private requireLive(runId: string): LiveRun {
    const r = this.live;
    if (!r || r.runId !== runId || !this.isActive()) throw new ProtocolError(`Run ${runId} is not training in this trainer`, 'failed');
    return r;
  }

  private async pause(runId: string): Promise<CommandReplies['mrl:run.pause']> {
    const r = this.requireLive(runId);
    if (r.state === 'paused') return { status: this.status() };
    if (r.state === 'stopping') throw new ProtocolError(`Run ${runId} is stopping`, 'failed');
    r.pauseRequested = true;
    await this.waitSettled(r);
    return { status: this.status() };
  }

  private async stop(runId: string): Promise<CommandReplies['mrl:run.stop']> {
    const r = this.requireLive(runId);
    r.stopRequested = true;
    if (r.state === 'paused') {
      r.state = 'stopping';
      r.resumeSignal?.();
    } else {
      r.state = 'stopping';
    }
    this.emitStatus();
    await this.waitSettled(r);
    await r.loop;
    return { status: this.status(), checkpoint: r.lastCheckpoint };
  }

  /** Stop the live run (checkpointing it) and release everything: for process shutdown. */
  async shutdown(): Promise<void> {
    const r = this.live;
    if (r && this.isActive()) {
      r.stopRequested = true;
      r.state = 'stopping';
      r.resumeSignal?.();
      await r.loop;
    }
    await this.disposeEvalLearner();
  }

  /** The live run's loop, for in-process callers that wait for a run to end. */
  whenIdle(): Promise<void> {
    return this.live?.loop ?? Promise.resolve();
  }

  // -------------------------------------------------------------------------------------
  // Adaptation and evaluation on checkpoints
  // -------------------------------------------------------------------------------------

  private serialEval<T>(f: () => Promise<T>): Promise<T> {
    const next = this.evalQueue.then(f, f);
    this.evalQueue = next.catch(() => undefined);
    return next;
  }

  private async disposeEvalLearner(): Promise<void> {
    const e = this.evalLearner;
    this.evalLearner = null;
    if (e) await e.learner.dispose().catch(() => {});
  }

  private async learnerFor(runId: string, iteration?: number) {
    const key = iteration === undefined ? null : `${runId}@${iteration}`;
    if (key && this.evalLearner?.key === key) return this.evalLearner;
    if (iteration === undefined && this.evalLearner?.key.startsWith(`${runId}@`)) {
      // The latest checkpoint may have moved on since (a live run): reuse only if it has not.
      const latest = (await listCheckpoints(runDirOf(this.roots.rootOf(runId), runId))).pop();
      if (latest === this.evalLearner.iteration) return this.evalLearner;
    }
    await this.disposeEvalLearner();
    let loaded;
    try {
      loaded = await loadRunLearner(this.roots.rootOf(runId), runId, iteration);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'failed');
    }
    this.backend = backendInfo()?.name ?? this.backend;
    this.evalLearner = { ...loaded, key: `${runId}@${loaded.iteration}` };
    return this.evalLearner;
  }

  private async adapt(p: CommandPayload<'mrl:run.adapt'>): Promise<AdaptReply> {
    const e = await this.learnerFor(p.runId, p.iteration);
    let task: JsonObject;
    try {
      task = (p.task ? e.family.parseTask(p.task) : e.family.sampleTasks(1, new Rng(p.seed), 'test')[0]) as JsonObject;
    } catch (err) {
      throw new ProtocolError(`Invalid task for ${e.family.id}: ${(err as Error).message}`, 'invalid');
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
      scene: e.family.make(task, 0).scene(),
      returns: res.returns,
      episodes: res.episodes.map((ep) => episodeToJson(ep, ep.index < p.framesPerStage)),
    };
  }

  private async evaluate(p: CommandPayload<'mrl:run.evaluate'>): Promise<CommandReplies['mrl:run.evaluate']> {
    const e = await this.learnerFor(p.runId, p.iteration);
    const opts = { tasks: p.tasks, steps: p.steps, episodesPerStage: p.episodesPerStage, seed: p.seed };
    const { returns, stderr } = await evaluateWithSpread(e.learner, e.family, opts);
    const baselines: Record<string, number[]> = {};
    const baselineStepSizes: Record<string, number> = {};
    for (const b of p.baselines ?? []) {
      // 'random': the run's learner untrained (fine-tuned from scratch); otherwise another run's id.
      let learner: MetaLearner;
      let algo = 'random';
      if (b === 'random') {
        learner = await e.spec.create({ family: e.family, config: e.meta.config.hyper, seed: e.meta.config.seed, workers: e.meta.config.workers });
      } else {
        const other = await loadRunLearner(this.roots.rootOf(b), b).catch((err: Error) => {
          throw new ProtocolError(`Baseline "${b}" is neither "random" nor a run with a checkpoint: ${err.message}`, 'invalid');
        });
        if (other.family.id !== e.family.id) {
          await other.learner.dispose();
          throw new ProtocolError(`Baseline ${b} is a ${other.family.id} run; ${p.runId} is ${e.family.id}`, 'invalid');
        }
        learner = other.learner;
        algo = other.meta.config.algo;
      }
      try {
        // Random init and pretrained fine-tune with their best step size on training tasks.
        const r = await evaluateBaseline(learner, e.family, opts, tunesStepSize(algo, e.spec.stageUnit));
        baselines[b] = r.returns;
        if (r.stepSize !== undefined) baselineStepSizes[b] = r.stepSize;
      } finally {
        await learner.dispose();
      }
    }
    const extra = p.baselines?.length ? { baselines, ...(Object.keys(baselineStepSizes).length ? { baselineStepSizes } : {}) } : {};
    const reply = { runId: p.runId, iteration: e.iteration, stageUnit: e.spec.stageUnit, tasks: p.tasks, returns, stderr, ...extra };
    await saveEvaluation(this.evaluationsDirOf(p.runId), reply, { episodesPerStage: p.episodesPerStage, seed: p.seed });
    return reply;
  }

  private evaluationsDirOf(runId: string): string {
    const example = this.roots.isExample(runId);
    return evaluationsDir(runDirOf(this.roots.rootOf(runId), runId), example ? { runsRoot: this.opts.runsRoot, runId } : null);
  }

  private writable(runId: string, action: string): void {
    try {
      this.roots.assertWritable(runId, action);
    } catch (err) {
      throw new ProtocolError((err as Error).message, 'invalid');
    }
  }

  // -------------------------------------------------------------------------------------
  // Runs, families, learners
  // -------------------------------------------------------------------------------------

  private liveFor(runId: string) {
    const r = this.live;
    return r && r.runId === runId ? { state: r.state, iteration: r.iteration, message: r.message } : undefined;
  }

  private async listRuns() {
    return this.roots.list((id) => this.liveFor(id));
  }

  private async open(runId: string): Promise<CommandReplies['mrl:run.open']> {
    const dir = runDirOf(this.roots.rootOf(runId), runId);
    const meta = await readMeta(dir).catch((err: Error) => {
      throw new ProtocolError(`Unknown run ${runId}: ${err.message}`, 'failed');
    });
    return {
      summary: await this.roots.summary(runId, (id) => this.liveFor(id)),
      evaluations: await loadEvaluations(this.evaluationsDirOf(runId)),
      config: meta.config,
      metrics: await readMetrics(dir),
      meta: { createdAt: meta.createdAt, backend: meta.backend, versions: meta.versions } as unknown as JsonObject,
    };
  }

  private async delete(runId: string): Promise<CommandReplies['mrl:run.delete']> {
    this.writable(runId, 'deleted');
    if (this.live?.runId === runId && this.isActive()) throw new ProtocolError(`Run ${runId} is training; stop it before deleting it`, 'failed');
    if (this.evalLearner?.key.startsWith(`${runId}@`)) await this.disposeEvalLearner();
    await deleteRun(this.opts.runsRoot, runId).catch((err: Error) => {
      throw new ProtocolError(`Cannot delete ${runId}: ${err.message}`, 'failed');
    });
    if (this.live?.runId === runId) this.live = null;
    return { runId, deleted: true };
  }

  private families(): FamilyInfo[] {
    return listFamilies().map((info) => {
      const f = getFamily(info.id);
      const task = f.sampleTasks(1, new Rng(0), 'test')[0] as JsonObject;
      const env = f.make(task, 0);
      env.reset({ seed: 0 });
      return { ...info, scene: env.scene(), previewFrame: Array.from(env.frame()), sampleTask: task };
    });
  }

  private algos(): AlgoInfo[] {
    const families = listFamilies().map((f) => f.id);
    return ALGOS.map((a) => {
      let schema: JsonObject = {};
      try {
        schema = z.toJSONSchema(a.configSchema, { unrepresentable: 'any', io: 'input' }) as JsonObject;
      } catch {
        /* a schema zod cannot describe: forms fall back to the defaults */
      }
      return {
        id: a.id,
        title: a.title,
        description: a.description,
        stageUnit: a.stageUnit,
        defaults: a.configSchema.parse({}),
        familyDefaults: Object.fromEntries(families.map((f) => [f, resolveHyper(a, f)])),
        schema,
        defaultIterations: Object.fromEntries(families.map((f) => [f, a.defaultIterations(f)])),
      };
    });
  }
}
