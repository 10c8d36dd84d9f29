// Past runs: the list from the runs folder, one opened run's config and curves, and its
// evaluation on held-out tasks.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CommandReply, EvaluateReply, RunSummary } from '../../../src/shared/protocol';
import { useAppStore } from './app';

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  const list = ref<RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const opened = shallowRef<CommandReply<'mrl:run.open'> | null>(null);
  const evaluation = shallowRef<EvaluateReply | null>(null);
  const evaluating = ref(false);

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
    evaluation.value = null;
    opened.value = null;
    try {
      opened.value = await app.api().call('mrl:run.open', { runId });
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function evaluate(runId: string, tasks = 10, steps = 3): Promise<void> {
    evaluating.value = true;
    error.value = null;
    try {
      evaluation.value = await app
        .api()
        .call('mrl:run.evaluate', { runId, tasks, steps, episodesPerStage: 10 });
    } catch (err) {
      error.value = (err as Error).message;
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

  return { list, loading, error, opened, evaluation, evaluating, refresh, open, evaluate, remove };
});
