// A run another process is training (it holds the run's lock): the Runs page and the run's
// page say "training (in another process)", and the run's page offers neither Delete nor
// Resume; a refused delete keeps the page with the trainer's reason.
// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import RunsView from '../../../renderer/src/views/RunsView.vue';
import RunDetailView from '../../../renderer/src/views/RunDetailView.vue';
import { useAppStore } from '../../../renderer/src/stores/app';
import type { Transport } from '../../../renderer/src/transport';
import type { RunSummary } from '../../../src/shared/protocol';

const summary = (over: Partial<RunSummary>): RunSummary => ({
  runId: 'r1',
  family: 'point-nav',
  algo: 'maml',
  seed: 1,
  backend: 'wasm',
  createdAt: '2026-12-02T08:00:00.000Z',
  iteration: 3,
  iterations: 10,
  checkpoints: [2],
  bestReturn: -10,
  state: 'stopped',
  ...over,
});
const locked = summary({
  state: 'running',
  lockedBy: { pid: 4242, host: 'box', since: '2026-12-02T08:00:00.000Z' },
  message: 'training (in another process: pid 4242 on box, since …)',
});

function setup(runs: RunSummary[], deleteError?: string) {
  const calls: string[] = [];
  const t: Transport = {
    kind: 'websocket',
    call: (async (channel: string) => {
      calls.push(channel);
      if (channel === 'mrl:runs.list') return { runs };
      if (channel === 'mrl:run.open')
        return {
          summary: runs[0],
          config: {
            family: 'point-nav',
            algo: 'maml',
            seed: 1,
            backend: 'wasm',
            iterations: 10,
            hyper: {},
          },
          metrics: [],
          meta: {},
        };
      if (channel === 'mrl:run.delete') {
        if (deleteError) throw new Error(deleteError);
        return { runId: runs[0].runId, deleted: true };
      }
      throw new Error(`unexpected ${channel}`);
    }) as Transport['call'],
    listen: (() => () => {}) as Transport['listen'],
    onConnection: () => () => {},
    close: () => {},
  };
  useAppStore().use(t);
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }],
  });
  return { calls, router };
}

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('runs trained by another process', () => {
  it('the Runs page labels them "training (in another process)"', async () => {
    const { router } = setup([locked, summary({ runId: 'r2' })]);
    const w = mount(RunsView, { global: { plugins: [router] } });
    await flushPromises();
    expect(w.get('[data-testid="run-state-r1"]').text()).toBe('training (in another process)');
    expect(w.get('[data-testid="run-state-r2"]').text()).toBe('stopped');
  });

  it("the run's page refuses Delete and Resume for them", async () => {
    const { router } = setup([locked]);
    const w = mount(RunDetailView, {
      props: { runId: 'r1' },
      global: { plugins: [router], stubs: { RunCharts: true } },
    });
    await flushPromises();
    expect(w.get('[data-testid="run-detail-state"]').text()).toBe('training (in another process)');
    const del = w.get('[data-testid="delete-run"]');
    expect(del.attributes('disabled')).toBeDefined();
    expect(del.attributes('title')).toMatch(/pid 4242 on box/);
    expect(w.get('[data-testid="resume-run"]').attributes('disabled')).toBeDefined();
  });

  it('a delete the trainer refuses stays on the page with its reason', async () => {
    const { router, calls } = setup(
      [summary({})],
      'Run r1 is being trained by another process (pid 7 on box, since x)',
    );
    vi.stubGlobal('confirm', () => true);
    const push = vi.spyOn(router, 'push');
    const w = mount(RunDetailView, {
      props: { runId: 'r1' },
      global: { plugins: [router], stubs: { RunCharts: true } },
    });
    await flushPromises();
    await w.get('[data-testid="delete-run"]').trigger('click');
    await flushPromises();
    expect(calls).toContain('mrl:run.delete');
    expect(push).not.toHaveBeenCalled();
    expect(w.text()).toContain('being trained by another process (pid 7 on box');
    vi.unstubAllGlobals();
  });
});
