// `npm run bench:rl2`: wall seconds per RL² meta-iteration with the default config on FAMILY
// (default point-nav), split into sampling vs the PPO update, for each way the update can
// differentiate: the tfjs BPTT on one thread (the reference), plain-JS BPTT on one thread and
// on UPDATE_THREADS threads (default 2). Medians over ITERS iterations after a warm-up, on the
// chosen backend (wasm by default), and the update's speed-up over the tfjs one. Each
// configuration trains from the same seed on the same tasks. Trials are sampled on WORKERS
// worker threads (default: one per core; 0 = the training thread).
import { loadavg } from 'node:os';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { initBackend, type BackendName } from '../../src/tf/backend';
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { Rl2, type Rl2Config } from '../../src/algos/rl2';

const backend = (process.env.BACKEND ?? 'wasm') as BackendName;
const iterations = Number(process.env.ITERS ?? 5);
const familyId = process.env.FAMILY ?? 'point-nav';
const threads = Number(process.env.UPDATE_THREADS ?? 2);
const workers =
  process.env.WORKERS !== undefined ? Number(process.env.WORKERS) : defaultWorkerCount();

const info = await initBackend(backend);
const family = getFamily(familyId);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const setups: { label: string; config: Partial<Rl2Config> }[] = [
  { label: 'tfjs, 1 thread', config: { gradients: 'tfjs', updateThreads: 1 } },
  { label: 'js, 1 thread', config: { gradients: 'js', updateThreads: 1 } },
  { label: `js, ${threads} threads`, config: { gradients: 'js', updateThreads: threads } },
];
const rows: { label: string; sampling: number; update: number; total: number; steps: number }[] =
  [];
let shape = '';
for (const { label, config } of setups) {
  const learner = new Rl2({ family, config, seed: 1, workers });
  shape = `hidden ${learner.config.hiddenSize}, ${learner.config.metaBatchSize} tasks × ${learner.config.trialsPerTask} trials × ${learner.config.episodesPerTrial} episodes, ${learner.config.epochs} epochs × ${learner.config.minibatches} minibatches`;
  const rng = new Rng(2);
  const m: Record<string, number>[] = [];
  for (let it = 0; it <= iterations; it++) {
    const tasks = family.sampleTasks(learner.config.metaBatchSize, rng, 'train');
    const r = await learner.metaTrainStep(tasks);
    // The first iteration pays for kernel compilation and thread start-up: not counted.
    if (it > 0) m.push(r);
  }
  await learner.dispose();
  const med = (k: string) => median(m.map((r) => r[k]));
  rows.push({
    label,
    sampling: med('time/sampling'),
    update: med('time/update'),
    total: med('time/total'),
    steps: med('samples/env_steps'),
  });
  console.log(`${label}: update ${med('time/update').toFixed(2)} s (median of ${m.length})`);
}
console.log(
  `\nRL² on ${familyId}, backend ${info.name}, ${workers} sampler workers, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${shape}`,
);
console.log(
  '| update | sampling s | update s | total s/iter | env steps/iter | update speed-up vs tfjs |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.label} | ${r.sampling.toFixed(2)} | ${r.update.toFixed(2)} | ${r.total.toFixed(2)} | ${r.steps.toFixed(0)} | ${(rows[0].update / r.update).toFixed(2)}× |`,
  );
}
