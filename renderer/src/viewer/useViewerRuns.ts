// The viewer's run list as a composable: the runs that can be replayed (own runs first,
// then the examples shipped with the app), the chosen run and the run to compare with, and
// the `?run=…&compare=…` query kept in step with them both ways (deep links from the Runs
// screen, back / forward). A run newer than the list (trained since the screen opened)
// fetches the list again, once.
import { computed, ref, watch, type Ref } from 'vue';
import { useRoute } from 'vue-router';
import type { RunSummary } from '../../../src/shared/protocol';
import { useAppStore } from '../stores/app';

export interface ViewerErrors {
  runs?: string;
  task?: string;
  adapt?: string;
  export?: string;
}

export function useViewerRuns(errors: Ref<ViewerErrors>) {
  const app = useAppStore();
  const route = useRoute();
  const runs = ref<RunSummary[]>([]);
  const runA = ref<string>('');
  const runB = ref<string>('');
  const compare = ref(false);

  const usable = computed(() => runs.value.filter((r) => r.checkpoints.length > 0));
  const own = computed(() => usable.value.filter((r) => !r.example));
  const examples = computed(() => usable.value.filter((r) => r.example));
  const summaryA = computed(() => runs.value.find((r) => r.runId === runA.value) ?? null);
  const compareChoices = computed(() =>
    usable.value.filter((r) => r.runId !== runA.value && r.family === summaryA.value?.family),
  );

  async function loadRuns(): Promise<void> {
    try {
      const reply = await app.api().call('mrl:runs.list', {});
      runs.value = [...reply.runs].sort(
        (a, b) =>
          Number(!!a.example) - Number(!!b.example) || b.createdAt.localeCompare(a.createdAt),
      );
      errors.value = { ...errors.value, runs: undefined };
      applyQuery();
    } catch (err) {
      errors.value = { ...errors.value, runs: (err as Error).message };
    }
  }

  let refetched = false;
  /** Follow `?run=…&compare=…` (deep links from the Runs screen, and back/forward). */
  function applyQuery(): void {
    const want = typeof route.query.run === 'string' ? route.query.run : '';
    const other = typeof route.query.compare === 'string' ? route.query.compare : '';
    if (
      (want && !runs.value.some((r) => r.runId === want)) ||
      (other && !runs.value.some((r) => r.runId === other))
    ) {
      // A run newer than our list (trained since the screen opened): fetch the list again, once.
      if (!refetched) {
        refetched = true;
        void loadRuns();
        return;
      }
    }
    refetched = false;
    if (want && usable.value.some((r) => r.runId === want)) runA.value = want;
    else if (!runA.value && usable.value[0]) runA.value = usable.value[0].runId;
    if (other && compareChoices.value.some((r) => r.runId === other)) {
      runB.value = other;
      compare.value = true;
    } else if (!other && compare.value && route.query.run !== undefined) {
      compare.value = false;
    }
  }
  watch(() => [route.query.run, route.query.compare], applyQuery);

  return {
    runs,
    runA,
    runB,
    compare,
    usable,
    own,
    examples,
    summaryA,
    compareChoices,
    loadRuns,
  };
}
