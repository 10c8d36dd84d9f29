// The dashboard's "Rollout workers" panel for a run sampled by workers behind Redis: one row
// per connected worker with its version, threads, env steps/s, jobs and failures (the last
// error in a tooltip); the command to start a worker when none is connected; "Redis
// unreachable" when the trainer has lost Redis; no panel for a run sampled locally.
// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import { beforeEach, describe, expect, it } from 'vitest';
import DashboardView from '../../../renderer/src/views/DashboardView.vue';
import { useTrainingStore } from '../../../renderer/src/stores/training';
import type { ClusterStatus, ClusterWorkerInfo } from '../../../src/shared/cluster';
import type { TrainerStatus } from '../../../src/shared/protocol';

const worker = (over: Partial<ClusterWorkerInfo>): ClusterWorkerInfo => ({
  id: 'w1',
  host: 'box-a',
  pid: 4101,
  version: '0.1.0',
  concurrency: 2,
  jobs: 40,
  steps: 80_000,
  stepsPerSec: 12_345.6,
  failures: 0,
  lastError: null,
  startedAt: 1,
  seenAt: 2,
  ...over,
});

function mountWith(cluster: ClusterStatus | undefined) {
  const t = useTrainingStore();
  const status: TrainerStatus = {
    state: 'running',
    runId: 'r1',
    family: 'cheetah-vel',
    algo: 'maml',
    iteration: 3,
    iterations: 500,
    backend: 'wasm',
    elapsedMs: 1000,
    etaMs: null,
    ...(cluster ? { cluster } : {}),
  };
  t.status = status;
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }],
  });
  return mount(DashboardView, {
    global: { plugins: [router], stubs: { RunCharts: true, RunPreview: true } },
  });
}

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('rollout workers on the dashboard', () => {
  it('lists every connected worker with its figures and last error', async () => {
    const w = mountWith({
      url: 'redis://10.0.0.5:6379',
      connected: true,
      workers: [
        worker({}),
        worker({ id: 'w2', host: 'box-b', pid: 77, failures: 2, lastError: 'job 12: stalled' }),
      ],
    });
    await flushPromises();
    const panel = w.get('[data-testid="cluster-panel"]');
    expect(panel.text()).toContain('redis://10.0.0.5:6379');
    expect(panel.text()).toContain('2 connected');
    const rows = w.findAll('[data-testid="cluster-worker"]');
    expect(rows).toHaveLength(2);
    const cells = rows[1].findAll('td').map((c) => c.text());
    expect(cells[0]).toBe('box-b · 77');
    expect(cells.slice(1)).toEqual(['0.1.0', '2', '12.3 k', '40', '2']);
    expect(rows[1].findAll('td')[5].attributes('title')).toBe('job 12: stalled');
  });

  it('says how to start a worker when none is connected, and when Redis is unreachable', async () => {
    const none = mountWith({ url: 'redis://10.0.0.5:6379', connected: true, workers: [] });
    await flushPromises();
    expect(none.get('[data-testid="cluster-panel"]').text()).toContain(
      'metarl worker --redis redis://10.0.0.5:6379',
    );
    setActivePinia(createPinia());
    const lost = mountWith({ url: 'redis://10.0.0.5:6379', connected: false, workers: [] });
    await flushPromises();
    expect(lost.get('[data-testid="cluster-panel"]').text()).toContain('Redis unreachable');
  });

  it('shows no panel for a run sampled by local threads', async () => {
    const w = mountWith(undefined);
    await flushPromises();
    expect(w.find('[data-testid="cluster-panel"]').exists()).toBe(false);
  });
});
