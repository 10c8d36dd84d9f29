// The live-run store: status, metric rows (backfilled from the run's file when a run appears,
// then streamed), preview episodes grouped per preview iteration, errors, and commands.
// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../renderer/src/stores/app';
import { useTrainingStore } from '../../renderer/src/stores/training';
import type { Transport } from '../../renderer/src/transport';
import type { StreamName } from '../../src/shared/protocol';

function fakeTransport() {
  const listeners = new Map<StreamName, ((p: unknown) => void)[]>();
  const calls: { channel: string; payload: unknown }[] = [];
  const replies: Record<string, unknown> = {};
  const t: Transport = {
    kind: 'websocket',
    call: (async (channel: string, payload: unknown) => {
      calls.push({ channel, payload });
      if (!(channel in replies)) throw new Error(`no reply for ${channel}`);
      return replies[channel];
    }) as Transport['call'],
    listen: ((s: StreamName, l: (p: unknown) => void) => {
      listeners.set(s, [...(listeners.get(s) ?? []), l]);
      return () => {};
    }) as Transport['listen'],
    onConnection: () => () => {},
    close: () => {},
  };
  const emit = (s: StreamName, p: unknown) => (listeners.get(s) ?? []).forEach((l) => l(p));
  return { t, calls, replies, emit };
}

const status = (over: object) => ({
  state: 'running',
  runId: 'r1',
  family: 'point-nav',
  algo: 'maml',
  iteration: 1,
  iterations: 5,
  backend: 'wasm',
  elapsedMs: 0,
  etaMs: null,
  ...over,
});
const row = (iteration: number) => ({
  iteration,
  time: '',
  wallMs: 10,
  metrics: { 'returns/pre': -40 + iteration },
});
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('training store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('backfills a run that appears, then appends streamed rows of that run only', async () => {
    const f = fakeTransport();
    useAppStore().use(f.t);
    const s = useTrainingStore();
    s.init();
    f.replies['mrl:run.open'] = {
      metrics: [row(1), row(2)],
      summary: { runId: 'r1', name: 'my run' },
      config: { previewEvery: 5, hyper: {} },
    };
    f.emit('mrl:status.changed', status({ iteration: 2 }));
    f.emit('mrl:metrics.added', { runId: 'r1', ...row(3) }); // arrives while the file is read
    await flush();
    expect(f.calls.find((c) => c.channel === 'mrl:run.open')?.payload).toEqual({ runId: 'r1' });
    expect(s.rows.map((r) => r.iteration)).toEqual([1, 2, 3]);
    f.emit('mrl:metrics.added', { runId: 'other', ...row(4) });
    f.emit('mrl:metrics.added', { runId: 'r1', ...row(4) });
    expect(s.rows.map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
    expect(s.live).toBe(true);
    expect(s.runName).toBe('my run');
  });

  it('shows a pause as requested until the trainer has paused after its iteration', async () => {
    const f = fakeTransport();
    useAppStore().use(f.t);
    const s = useTrainingStore();
    s.init();
    f.replies['mrl:run.open'] = {
      metrics: [],
      summary: { runId: 'r1' },
      config: { previewEvery: 5, hyper: {} },
    };
    f.emit('mrl:status.changed', status({}));
    let answer: (v: unknown) => void = () => {};
    const base = f.t.call;
    f.t.call = (async (channel: string, payload: unknown) =>
      channel === 'mrl:run.pause'
        ? new Promise<unknown>((r) => (answer = r))
        : base(channel as never, payload as never)) as typeof f.t.call;
    const pausing = s.pause();
    expect(s.pauseRequested).toBe(true);
    f.emit('mrl:status.changed', status({ iteration: 2 })); // the iteration in flight finishes
    expect(s.pauseRequested).toBe(true);
    f.emit('mrl:status.changed', status({ state: 'paused', iteration: 2 }));
    expect(s.pauseRequested).toBe(false);
    answer({ status: status({ state: 'paused', iteration: 2 }) });
    await pausing;
    expect(s.pauseRequested).toBe(false);
    expect(s.status.state).toBe('paused');
  });

  it('keeps the episodes of the newest preview, one per stage, in stage order', () => {
    const f = fakeTransport();
    useAppStore().use(f.t);
    const s = useTrainingStore();
    s.init();
    f.replies['mrl:run.open'] = {
      metrics: [],
      summary: { runId: 'r1' },
      config: { previewEvery: 5, hyper: {} },
    };
    f.emit('mrl:status.changed', status({}));
    const ep = (iteration: number, stage: number) => ({
      runId: 'r1',
      iteration,
      task: {},
      scene: {},
      stageUnit: 'step',
      stages: 2,
      episode: {
        stage,
        index: 0,
        return: -stage,
        length: 1,
        observations: [],
        actions: [],
        rewards: [],
      },
    });
    f.emit('mrl:preview.added', ep(2, 1));
    f.emit('mrl:preview.added', ep(2, 0));
    expect(s.preview.map((e) => e.episode.stage)).toEqual([0, 1]);
    f.emit('mrl:preview.added', ep(4, 0));
    expect(s.preview.map((e) => [e.iteration, e.episode.stage])).toEqual([[4, 0]]);
  });

  it('starts a run with the config and records failures as errors', async () => {
    const f = fakeTransport();
    useAppStore().use(f.t);
    const s = useTrainingStore();
    f.replies['mrl:run.start'] = {
      runId: 'r2',
      config: {},
      status: status({ runId: 'r2', state: 'starting' }),
    };
    await expect(s.start({ family: 'point-nav', algo: 'maml', iterations: 5 })).resolves.toBe('r2');
    expect(f.calls[0]).toEqual({
      channel: 'mrl:run.start',
      payload: { config: { family: 'point-nav', algo: 'maml', iterations: 5 } },
    });
    expect(s.status.state).toBe('starting');
    await expect(s.pause()).rejects.toThrow(/no reply for mrl:run.pause/);
    expect(s.errors.map((e) => e.message)).toEqual(['no reply for mrl:run.pause']);
    expect(s.busy).toBe(false);
  });
});
