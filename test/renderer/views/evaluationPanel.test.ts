// The Evaluate panel on a run's page chooses the checkpoint to evaluate: the latest, the best
// on meta-validation (offered only when the run has one, with its iteration and validation
// return) or a saved iteration; the choice goes to the trainer as `iteration`, and the saved
// result says which checkpoint it scored.
// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import EvaluationPanel from '../../../renderer/src/components/EvaluationPanel.vue';
import { useAppStore } from '../../../renderer/src/stores/app';
import { useRunsStore } from '../../../renderer/src/stores/runs';
import type { Transport } from '../../../renderer/src/transport';
import type { CommandRequest, EvaluateReply } from '../../../src/shared/protocol';

const BEST = { iteration: 20, validationReturn: -9.87 };

function setup() {
  const asked: CommandRequest<'mrl:run.evaluate'>[] = [];
  const t: Transport = {
    kind: 'websocket',
    call: (async (channel: string, payload: CommandRequest<'mrl:run.evaluate'>) => {
      if (channel === 'mrl:runs.list') return { runs: [] };
      if (channel !== 'mrl:run.evaluate') throw new Error(`unexpected ${channel}`);
      asked.push(payload);
      const it = payload.iteration;
      const reply: EvaluateReply = {
        runId: payload.runId,
        iteration: it === 'best' ? BEST.iteration : it === 'latest' ? 30 : (it as number),
        checkpoint: it === 'best' ? 'best' : it === 'latest' ? 'latest' : 'iteration',
        ...(it === 'best' ? { validationReturn: BEST.validationReturn } : {}),
        stageUnit: 'step',
        tasks: 10,
        returns: [-40, -20],
        stderr: [1, 1],
        perTask: [
          { task: { goal: [0.3, 0.4] }, returns: [-50, -10] },
          { task: { goal: [0, 0.1] }, returns: [-30, -30] },
        ],
      };
      return reply;
    }) as Transport['call'],
    listen: (() => () => {}) as Transport['listen'],
    onConnection: () => () => {},
    close: () => {},
  };
  useAppStore().use(t);
  // The panel shows the opened run's evaluations.
  useRunsStore().opened = { summary: { runId: 'r1' } } as never;
  return asked;
}

let router: Router;

// Attached to the document: the task-by-task chart (chart.js) measures its container.
const mountPanel = (best: typeof BEST | null) =>
  mount(EvaluationPanel, {
    props: { runId: 'r1', family: 'point-nav', disabled: false, checkpoints: [10, 20, 30], best },
    attachTo: document.body,
    global: { plugins: [router] },
  });

beforeEach(async () => {
  setActivePinia(createPinia());
  const page = { template: '<div />' };
  router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: page },
      { path: '/viewer', component: page },
    ],
  });
  await router.push('/');
});

describe('Evaluate a chosen checkpoint', () => {
  it('offers the best on meta-validation, sends "best", and labels the result with it', async () => {
    const asked = setup();
    const w = mountPanel(BEST);
    await flushPromises();
    const options = w.findAll('[data-testid="evaluate-checkpoint"] option').map((o) => o.text());
    expect(options).toEqual([
      'Latest (iteration 30)',
      'Best on meta-validation (iteration 20, validation return -9.87)',
      'Iteration 30',
      'Iteration 20',
      'Iteration 10',
    ]);
    await w.get('[data-testid="evaluate-checkpoint"]').setValue('best');
    await w.get('[data-testid="evaluate-run"]').trigger('click');
    await flushPromises();
    expect(asked.map((p) => p.iteration)).toEqual(['best']);
    expect(w.get('[data-testid="evaluation-meta"]').text()).toContain(
      'checkpoint 20, the best on meta-validation (validation return -9.87)',
    );
  });

  it('sends the latest by default and a saved iteration when one is picked', async () => {
    const asked = setup();
    const w = mountPanel(BEST);
    await flushPromises();
    await w.get('[data-testid="evaluate-run"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="evaluation-meta"]').text()).toContain('checkpoint 30 (the latest)');
    await w.get('[data-testid="evaluate-checkpoint"]').setValue('10');
    await w.get('[data-testid="evaluate-run"]').trigger('click');
    await flushPromises();
    expect(asked.map((p) => p.iteration)).toEqual(['latest', 10]);
    const meta = w.get('[data-testid="evaluation-meta"]').text();
    expect(meta).toContain('checkpoint 10 ·');
    expect(meta).not.toContain('best');
    expect(w.findAll('[data-testid="evaluation-pick"] option').map((o) => o.text())).toEqual([
      expect.stringMatching(/checkpoint 30$/),
      expect.stringMatching(/checkpoint 10$/),
    ]);
  });

  it('offers no "best" for a run trained without meta-control', async () => {
    setup();
    const w = mountPanel(null);
    await flushPromises();
    const values = w
      .findAll('[data-testid="evaluate-checkpoint"] option')
      .map((o) => (o.element as HTMLOptionElement).value);
    expect(values).toEqual(['latest', '30', '20', '10']);
  });

  it('falls back to the latest when the chosen checkpoint is no longer offered', async () => {
    const asked = setup();
    const w = mountPanel(BEST);
    await flushPromises();
    await w.get('[data-testid="evaluate-checkpoint"]').setValue('best');
    await w.setProps({ best: null, checkpoints: [10, 30] });
    await w.get('[data-testid="evaluate-run"]').trigger('click');
    await flushPromises();
    expect(asked.map((p) => p.iteration)).toEqual(['latest']);
  });

  it('draws each task’s return per stage along a task axis the user picks', async () => {
    setup();
    const w = mountPanel(null);
    await flushPromises();
    await w.get('[data-testid="evaluate-run"]').trigger('click');
    await flushPromises();
    const plot = w.get('[data-testid="task-returns"]');
    // Stage 0 then stage 1, one [x, return] per task; x is the goal's distance first.
    expect(plot.attributes('data-axis')).toBe('|goal|');
    expect(JSON.parse(plot.attributes('data-points')!)).toEqual([
      [
        [0.5, -50],
        [0.1, -30],
      ],
      [
        [0.5, -10],
        [0.1, -30],
      ],
    ]);
    const axes = w.findAll('[data-testid="task-returns-axis"] option').map((o) => o.text());
    expect(axes).toEqual(['|goal|', 'goal[0]', 'goal[1]']);
    await w.get('[data-testid="task-returns-axis"]').setValue('goal[0]');
    expect(plot.attributes('data-axis')).toBe('goal[0]');
    expect(JSON.parse(plot.attributes('data-points')!)[1]).toEqual([
      [0.3, -10],
      [0, -30],
    ]);
    // Any task can be watched in the Viewer: listed along the axis, with its returns.
    const listed = w.findAll('[data-testid="task-returns-pick"] option').map((o) => o.text());
    expect(listed.slice(1)).toEqual(['goal[0] 0 · -30 → -30', 'goal[0] 0.3 · -50 → -10']);
    expect(w.get('[data-testid="task-returns-watch"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="task-returns-pick"]').setValue('0');
    await w.get('[data-testid="task-returns-watch"]').trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/viewer');
    expect(router.currentRoute.value.query).toEqual({
      run: 'r1',
      task: JSON.stringify({ goal: [0.3, 0.4] }),
    });
  });
});
