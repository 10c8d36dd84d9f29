// The viewer's task when the user sets one while a sampled task is still on its way from the
// trainer: a floor click or a slider edit made before the reply arrives is kept (the late
// reply is dropped, and so is a late error), while a sample asked for after the edit replaces
// it; of two overlapping samples, only the newer one applies.
import { createPinia, setActivePinia } from 'pinia';
import { ref } from 'vue';
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../../renderer/src/stores/app';
import type { Transport } from '../../../renderer/src/transport';
import { TaskRequests, useViewerTask } from '../../../renderer/src/viewer/useViewerTask';
import type { ViewerErrors } from '../../../renderer/src/viewer/useViewerRuns';

/** A trainer whose `mrl:tasks.sample` replies wait until the test settles them. */
function setup() {
  const pending: { seed: number; settle: (goal: number[] | Error) => void }[] = [];
  const t: Transport = {
    kind: 'websocket',
    call: ((channel: string, payload: { seed: number }) => {
      if (channel !== 'mrl:tasks.sample') throw new Error(`unexpected ${channel}`);
      return new Promise<unknown>((resolve, reject) =>
        pending.push({
          seed: payload.seed,
          settle: (g) =>
            g instanceof Error
              ? reject(g)
              : resolve({ family: 'point-nav', split: 'test', tasks: [{ goal: g }] }),
        }),
      );
    }) as Transport['call'],
    listen: (() => () => {}) as Transport['listen'],
    onConnection: () => () => {},
    close: () => {},
  };
  useAppStore().use(t);
  const errors = ref<ViewerErrors>({});
  let changes = 0;
  const v = useViewerTask({ family: () => 'point-nav', errors, onChange: () => changes++ });
  return { v, errors, pending, changes: () => changes };
}

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('the viewer task: a user edit wins over a sample asked for before it', () => {
  it('keeps a goal placed on the floor before the initial sampled task arrives', async () => {
    const { v, pending, changes } = setup();
    const sampled = v.sampleTask();
    v.setTask({ goal: [0.3, -0.2] }, 'placed');
    pending[0].settle([-0.4, 0.1]);
    await sampled;
    expect(v.task.value).toEqual({ goal: [0.3, -0.2] });
    expect(v.taskSource.value).toBe('placed');
    expect(changes()).toBe(1);
  });

  it('keeps a slider edit, and drops the late request’s error too', async () => {
    const { v, errors, pending } = setup();
    const sampled = v.sampleTask();
    v.setTask({ goal: [0.1, 0.1] }, 'edited');
    pending[0].settle(new Error('trainer busy'));
    await sampled;
    expect(v.task.value).toEqual({ goal: [0.1, 0.1] });
    expect(v.taskSource.value).toBe('edited');
    expect(errors.value.task).toBeUndefined();
  });

  it('a sample asked for after the edit replaces it; of two samples the newer applies', async () => {
    const { v, pending } = setup();
    v.setTask({ goal: [0.3, -0.2] }, 'placed');
    v.taskSeed.value = 1;
    const first = v.sampleTask();
    v.taskSeed.value = 2;
    const second = v.sampleTask();
    expect(pending.map((p) => p.seed)).toEqual([1, 2]);
    pending[1].settle([0.5, 0.5]);
    await second;
    pending[0].settle([-0.5, -0.5]);
    await first;
    expect(v.task.value).toEqual({ goal: [0.5, 0.5] });
    expect(v.taskSource.value).toBe('sampled');
  });

  it('TaskRequests: only the latest request is current, and an edit makes none current', () => {
    const r = new TaskRequests();
    const a = r.request();
    expect(r.current(a)).toBe(true);
    const b = r.request();
    expect([r.current(a), r.current(b)]).toEqual([false, true]);
    r.edited();
    expect(r.current(b)).toBe(false);
    expect(r.current(r.request())).toBe(true);
  });
});
