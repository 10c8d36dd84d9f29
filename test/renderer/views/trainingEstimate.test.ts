// New run's expected training times: each family card times the chosen learner with that
// family's defaults from a run of the same kind (this machine's newest, else a shipped
// example), says so when none exists, and the estimate under the run settings
// follows the chosen settings. Each reference run is opened once.
// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import CardEstimate from '../../../renderer/src/components/CardEstimate.vue';
import TrainingEstimate from '../../../renderer/src/components/TrainingEstimate.vue';
import { clearReferenceRuns } from '../../../renderer/src/lib/referenceRuns';
import { useAppStore } from '../../../renderer/src/stores/app';
import { useRunsStore } from '../../../renderer/src/stores/runs';
import type { Transport } from '../../../renderer/src/transport';
import type { AlgoInfo, RunSummary } from '../../../src/shared/protocol';

const summary = (over: Partial<RunSummary>): RunSummary => ({
  runId: 'r',
  family: 'cartpole',
  algo: 'maml',
  seed: 1,
  backend: 'wasm',
  createdAt: '2026-12-01T00:00:00Z',
  iteration: 4,
  iterations: 4,
  checkpoints: [4],
  bestReturn: null,
  state: 'finished',
  ...over,
});

const maml: AlgoInfo = {
  id: 'maml',
  title: 'MAML',
  description: '',
  stageUnit: 'step',
  defaults: { metaBatchSize: 20, episodesPerTask: 20, innerSteps: 1 },
  familyDefaults: {
    cartpole: { metaBatchSize: 20, episodesPerTask: 20, innerSteps: 1 },
    reacher: { metaBatchSize: 20, episodesPerTask: 20, innerSteps: 1 },
  },
  schema: {},
  defaultIterations: { cartpole: 60, reacher: 500 },
  familyMetaControl: { cartpole: null, reacher: null },
};

/** Runs with their mean iteration time (ms) and meta-batch; the first row is a warm-up. */
function setup(
  runs: { s: RunSummary; ms: number; metaBatchSize: number }[],
  /** Holds back the runs list until it resolves. */
  listGate: Promise<void> = Promise.resolve(),
) {
  const opened: string[] = [];
  const t: Transport = {
    kind: 'websocket',
    call: (async (channel: string, payload: { runId: string }) => {
      if (channel === 'mrl:runs.list') {
        await listGate;
        return { runs: runs.map((r) => r.s) };
      }
      if (channel !== 'mrl:run.open') throw new Error(`unexpected ${channel}`);
      opened.push(payload.runId);
      const r = runs.find((x) => x.s.runId === payload.runId)!;
      return {
        summary: r.s,
        config: { hyper: { metaBatchSize: r.metaBatchSize, episodesPerTask: 20, innerSteps: 1 } },
        metrics: [30000, r.ms, r.ms, r.ms].map((wallMs, i) => ({
          iteration: i + 1,
          time: '',
          wallMs,
          metrics: {},
        })),
        meta: {},
        evaluations: [],
      };
    }) as Transport['call'],
    listen: (() => () => {}) as Transport['listen'],
    onConnection: () => () => {},
    close: () => {},
  };
  useAppStore().use(t);
  return opened;
}

beforeEach(() => {
  setActivePinia(createPinia());
  clearReferenceRuns();
});

describe('expected training time on New run', () => {
  it('times each family card from a run of its kind, says when there is none, and opens each run once', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const opened = setup(
      [
        { s: summary({ runId: 'ex', example: true }), ms: 2000, metaBatchSize: 20 },
        {
          s: summary({ runId: 'own', family: 'reacher', createdAt: '2026-12-02T00:00:00Z' }),
          ms: 500,
          metaBatchSize: 20,
        },
      ],
      gate,
    );
    // Before the runs list has arrived, the card is finding out, not saying "not timed".
    const early = mount(CardEstimate, { props: { family: 'cartpole', algo: maml } });
    const listed = useRunsStore().refresh();
    await flushPromises();
    expect(early.text()).toBe('MAML: timing…');
    release();
    await listed;
    const cart = mount(CardEstimate, { props: { family: 'cartpole', algo: maml } });
    const reacher = mount(CardEstimate, { props: { family: 'reacher', algo: maml } });
    const again = mount(CardEstimate, { props: { family: 'cartpole', algo: maml } });
    // While its reference run is being opened, a card does not claim there is none.
    expect(cart.text()).toBe('MAML: timing…');
    await flushPromises();
    // 60 default iterations × the example's 2 s mean (the warm-up left out).
    const el = cart.get('[data-testid="card-estimate-cartpole"]');
    expect(el.attributes('data-seconds')).toBe('120');
    expect(el.text()).toContain('MAML, 60 iterations');
    expect(el.text()).toContain('timed where the example trained');
    const pointNav = mount(CardEstimate, { props: { family: 'point-nav', algo: maml } });
    await flushPromises();
    expect(pointNav.get('[data-testid="card-estimate-point-nav"]').text()).toBe(
      'MAML: not timed on this machine yet',
    );
    // Reacher's own run, scaled to its 500 default iterations.
    expect(reacher.get('[data-testid="card-estimate-reacher"]').attributes('data-seconds')).toBe(
      '250',
    );
    expect(again.get('[data-testid="card-estimate-cartpole"]').attributes('data-seconds')).toBe(
      '120',
    );
    expect(opened.sort()).toEqual(['ex', 'own']);
  });

  it("prefers this machine's newest run to an example and scales to the chosen settings", async () => {
    setup([
      { s: summary({ runId: 'old' }), ms: 4000, metaBatchSize: 20 },
      { s: summary({ runId: 'ex', example: true }), ms: 3000, metaBatchSize: 20 },
      {
        s: summary({ runId: 'new', createdAt: '2026-12-03T00:00:00Z' }),
        ms: 1000,
        metaBatchSize: 20,
      },
    ]);
    await useRunsStore().refresh();
    const card = mount(CardEstimate, { props: { family: 'cartpole', algo: maml } });
    const below = mount(TrainingEstimate, {
      props: {
        family: 'cartpole',
        algo: 'maml',
        hyper: { metaBatchSize: 40, episodesPerTask: 20, innerSteps: 1 },
        iterations: 100,
      },
    });
    await flushPromises();
    const el = card.get('[data-testid="card-estimate-cartpole"]');
    expect(el.attributes('data-seconds')).toBe('60');
    expect(el.text()).toContain('on this machine');
    // Twice the tasks: twice the episodes per iteration. Both runs are candidates below, equally
    // close in size and as long, so the newest is kept: 100 × 1 s × 2.
    const est = below.get('[data-testid="training-estimate"]');
    expect(est.attributes('data-seconds')).toBe('200');
    expect(est.text()).toContain('scaled ×2 for the chosen settings');
    // While a value it reads is invalid, no figure (it would be the generic default's).
    await below.setProps({ settingsValid: false });
    expect(est.attributes('data-seconds')).toBe('');
    expect(est.text()).toContain('appears once the iterations and hyper-parameters are valid');
    expect(est.text()).not.toContain('about');
  });
});
