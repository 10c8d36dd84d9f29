// The viewer's task: a held-out test task sampled by the trainer (when a run is chosen, and on
// "Sample a test task"), or one the user set — a goal clicked on the floor, sliders edited.
// Sampling is a round trip to the trainer, so a reply can arrive after the user has already
// set a task: every sample request carries an id, and only the reply to the newest request
// made since the user's last edit may set the task. The user's edit always wins over a
// sample asked for before it; a sample asked for after it (a new run, the Sample button)
// replaces it.
import { ref } from 'vue';
import type { Ref } from 'vue';
import type { JsonObject } from '../../../src/shared/json';
import { useAppStore } from '../stores/app';
import type { ViewerErrors } from './useViewerRuns';

export type TaskSource = 'sampled' | 'placed' | 'edited';

/** Request ids: a sampled reply applies only while its request is the latest thing asked for. */
export class TaskRequests {
  private latest = 0;
  /** A sample request starts: its id. */
  request(): number {
    return ++this.latest;
  }
  /** The user set the task: every sample still in flight is stale. */
  edited(): void {
    this.latest++;
  }
  /** Whether the reply to request `id` may still set the task. */
  current(id: number): boolean {
    return id === this.latest;
  }
}

export function useViewerTask(opts: {
  /** The family of the chosen run (none: nothing to sample). */
  family: () => string | undefined;
  errors: Ref<ViewerErrors>;
  /** The task changed: what was replayed for the old one no longer applies. */
  onChange: () => void;
}) {
  const app = useAppStore();
  const task = ref<JsonObject>({});
  const taskSeed = ref(0);
  const taskSource = ref<TaskSource>('sampled');
  const requests = new TaskRequests();

  async function sampleTask(): Promise<void> {
    const family = opts.family();
    if (!family) return;
    const id = requests.request();
    try {
      const reply = await app
        .api()
        .call('mrl:tasks.sample', { family, split: 'test', n: 1, seed: taskSeed.value });
      if (!requests.current(id)) return;
      task.value = reply.tasks[0];
      taskSource.value = 'sampled';
      opts.errors.value = { ...opts.errors.value, task: undefined };
      opts.onChange();
    } catch (err) {
      if (!requests.current(id)) return;
      opts.errors.value = { ...opts.errors.value, task: (err as Error).message };
    }
  }

  /** The user set the task (a floor click places a goal; sliders edit it). */
  function setTask(t: JsonObject, source: Exclude<TaskSource, 'sampled'>): void {
    requests.edited();
    task.value = t;
    taskSource.value = source;
    opts.onChange();
  }

  return { task, taskSeed, taskSource, sampleTask, setTask };
}
