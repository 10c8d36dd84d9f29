// The live run: trainer status, the metric rows streamed per meta-iteration, progress
// within an iteration, the latest live-preview episodes and errors. Commands (start, pause,
// resume, stop) go through here so every screen sees the same state.
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type {
  ErrorEvent,
  MetricsRow,
  PreviewEpisode,
  ProgressEvent,
  ResolvedRunConfig,
  RunConfigInput,
  TrainerStatus,
} from '../../../src/shared/protocol';
import { useAppStore } from './app';

const IDLE: TrainerStatus = {
  state: 'idle',
  runId: null,
  family: null,
  algo: null,
  iteration: 0,
  iterations: 0,
  backend: null,
  elapsedMs: 0,
  etaMs: null,
};

export const useTrainingStore = defineStore('training', () => {
  const app = useAppStore();
  const status = ref<TrainerStatus>({ ...IDLE });
  /** Rows of the run shown on the dashboard (shallow: rows are replaced, never mutated). */
  const rows = shallowRef<MetricsRow[]>([]);
  const rowsRunId = ref<string | null>(null);
  const progress = ref<ProgressEvent | null>(null);
  /** Episodes of the newest live preview, one per stage (frames are large: not reactive inside). */
  const preview = shallowRef<PreviewEpisode[]>([]);
  const errors = ref<ErrorEvent[]>([]);
  const busy = ref(false);
  /** Pause asked for: the trainer finishes the current meta-iteration first. */
  const pauseRequested = ref(false);
  /** The loaded run's name (null when it has none) and settings. */
  const runName = ref<string | null>(null);
  const runConfig = shallowRef<ResolvedRunConfig | null>(null);
  let started = false;

  const live = computed(() =>
    ['starting', 'running', 'paused', 'stopping'].includes(status.value.state),
  );

  async function loadRows(runId: string): Promise<void> {
    const opened = await app.api().call('mrl:run.open', { runId });
    runName.value = opened.summary.name ?? null;
    runConfig.value = opened.config;
    // Keep rows that streamed in while the file was read.
    const seen = new Set(opened.metrics.map((r) => r.iteration));
    const extra = rowsRunId.value === runId ? rows.value.filter((r) => !seen.has(r.iteration)) : [];
    rows.value = [...opened.metrics, ...extra].sort((a, b) => a.iteration - b.iteration);
    rowsRunId.value = runId;
  }

  function resetFor(runId: string | null): void {
    rowsRunId.value = runId;
    rows.value = [];
    progress.value = null;
    preview.value = [];
    runName.value = null;
    runConfig.value = null;
  }

  /** Subscribe to the trainer's streams (once per app). */
  function init(): void {
    if (started) return;
    started = true;
    const t = app.api();
    t.listen('mrl:status.changed', (s) => {
      const changedRun = s.runId !== status.value.runId;
      status.value = s;
      if (s.state !== 'running') pauseRequested.value = false;
      if (s.runId && changedRun && rowsRunId.value !== s.runId) {
        resetFor(s.runId);
        loadRows(s.runId).catch(() => {});
      }
    });
    t.listen('mrl:metrics.added', (m) => {
      if (m.runId !== rowsRunId.value) return;
      const { runId: _r, ...row } = m;
      rows.value = [...rows.value.filter((r) => r.iteration !== row.iteration), row];
    });
    t.listen('mrl:progress.changed', (p) => {
      if (p.runId === status.value.runId) progress.value = p;
    });
    t.listen('mrl:preview.added', (p) => {
      if (p.runId !== status.value.runId) return;
      const current = preview.value;
      // A new preview iteration starts a fresh set of stages.
      const base =
        current.length && current[0].iteration === p.iteration
          ? current.filter(
              (e) => e.episode.stage !== p.episode.stage || e.episode.index !== p.episode.index,
            )
          : [];
      preview.value = [...base, markRaw(p)].sort(
        (a, b) => a.episode.stage - b.episode.stage || a.episode.index - b.episode.index,
      );
    });
    t.listen('mrl:error.raised', (e) => {
      errors.value = [...errors.value.slice(-9), e];
    });
  }

  async function run<T>(fn: () => Promise<T>): Promise<T> {
    busy.value = true;
    try {
      return await fn();
    } catch (err) {
      errors.value = [
        ...errors.value.slice(-9),
        {
          runId: status.value.runId,
          iteration: null,
          message: (err as Error).message,
          fatal: false,
        },
      ];
      throw err;
    } finally {
      busy.value = false;
    }
  }

  async function start(config: RunConfigInput): Promise<string> {
    return run(async () => {
      const reply = await app.api().call('mrl:run.start', { config });
      resetFor(reply.runId);
      runConfig.value = reply.config;
      runName.value = reply.config.name ?? null;
      status.value = reply.status;
      errors.value = [];
      return reply.runId;
    });
  }

  async function pause(): Promise<void> {
    pauseRequested.value = true;
    try {
      await run(
        async () =>
          void (status.value = (
            await app.api().call('mrl:run.pause', { runId: status.value.runId! })
          ).status),
      );
    } finally {
      pauseRequested.value = false;
    }
  }
  const stop = () =>
    run(
      async () =>
        void (status.value = (
          await app.api().call('mrl:run.stop', { runId: status.value.runId! })
        ).status),
    );
  async function resume(runId = status.value.runId!, iterations?: number): Promise<void> {
    return run(async () => {
      if (rowsRunId.value !== runId) {
        resetFor(runId);
        await loadRows(runId);
      }
      const reply = await app
        .api()
        .call('mrl:run.resume', iterations ? { runId, iterations } : { runId });
      status.value = reply.status;
    });
  }

  function dismissError(i: number): void {
    errors.value = errors.value.filter((_, j) => j !== i);
  }

  return {
    status,
    rows,
    rowsRunId,
    progress,
    preview,
    errors,
    busy,
    pauseRequested,
    runName,
    runConfig,
    live,
    init,
    start,
    pause,
    resume,
    stop,
    loadRows,
    dismissError,
  };
});
