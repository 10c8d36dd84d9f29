// Past runs: the list from the runs folder, one opened run's config and curves, and its
// evaluation on held-out tasks.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  CheckpointChoice,
  CommandReply,
  RunSummary,
  SavedEvaluation,
} from '../../../src/shared/protocol';
import { useAppStore } from './app';

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  const list = ref<RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const opened = shallowRef<CommandReply<'mrl:run.open'> | null>(null);
  /** The opened run's evaluations, oldest first (saved with the run, so they survive a reload). */
  const evaluations = shallowRef<SavedEvaluation[]>([]);
  const evaluating = ref(false);
  /** Why the last evaluation failed, shown beside the Evaluate control. */
  const evaluateError = ref<string | null>(null);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const reply = await app.api().call('mrl:runs.list', {});
      list.value = [...reply.runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function open(runId: string): Promise<void> {
    error.value = null;
    evaluateError.value = null;
    evaluations.value = [];
    opened.value = null;
    try {
      opened.value = await app.api().call('mrl:run.open', { runId });
      evaluations.value = opened.value.evaluations ?? [];
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function evaluate(
    runId: string,
    tasks = 10,
    steps = 3,
    baselines: string[] = [],
    /** The checkpoint: the latest, the best on meta-validation, or a saved iteration. */
    checkpoint: CheckpointChoice = 'latest',
  ): Promise<void> {
    evaluating.value = true;
    evaluateError.value = null;
    const how = { tasks, steps, episodesPerStage: 10, seed: 0 };
    try {
      const reply = await app.api().call('mrl:run.evaluate', {
        runId,
        iteration: checkpoint,
        ...how,
        ...(baselines.length ? { baselines } : {}),
      });
      if (opened.value?.summary.runId === runId) {
        const saved: SavedEvaluation = {
          ...reply,
          savedAt: new Date().toISOString(),
          episodesPerStage: how.episodesPerStage,
          seed: how.seed,
        };
        evaluations.value = [...evaluations.value, saved];
      }
    } catch (err) {
      evaluateError.value = (err as Error).message;
    } finally {
      evaluating.value = false;
    }
  }

  /** Delete a run; false (with the reason in `error`) when the trainer refused. */
  async function remove(runId: string): Promise<boolean> {
    try {
      await app.api().call('mrl:run.delete', { runId });
      list.value = list.value.filter((r) => r.runId !== runId);
      return true;
    } catch (err) {
      error.value = (err as Error).message;
      return false;
    }
  }

  return {
    list,
    loading,
    error,
    opened,
    evaluations,
    evaluating,
    evaluateError,
    refresh,
    open,
    evaluate,
    remove,
  };
});
