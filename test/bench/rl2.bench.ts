// `npm run bench:rl2`: wall seconds per RL² meta-iteration on point-nav with the default
// config (10 tasks × 4 trials × 2 episodes of 100 steps = 8 000 env steps), split into
// sampling vs the PPO update, on the chosen backend (wasm by default). Trials are sampled on
// WORKERS worker threads (default: one per core; 0 = the training thread).
import { loadavg } from 'node:os';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { initBackend, type BackendName } from '../../src/tf/backend';
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { Rl2 } from '../../src/algos/rl2';

const backend = (process.env.BACKEND ?? 'wasm') as BackendName;
const iterations = Number(process.env.ITERS ?? 5);
const familyId = process.env.FAMILY ?? 'point-nav';
const workers =
  process.env.WORKERS !== undefined ? Number(process.env.WORKERS) : defaultWorkerCount();

const info = await initBackend(backend);
const family = getFamily(familyId);
const learner = new Rl2({ family, config: {}, seed: 1, workers });
const rng = new Rng(2);
const rows: { sampling: number; update: number; total: number; steps: number }[] = [];
for (let it = 0; it <= iterations; it++) {
  const tasks = family.sampleTasks(learner.config.metaBatchSize, rng, 'train');
  const m = await learner.metaTrainStep(tasks);
  // The first iteration pays for kernel compilation; it is reported but not averaged.
  if (it > 0)
    rows.push({
      sampling: m['time/sampling'],
      update: m['time/update'],
      total: m['time/total'],
      steps: m['samples/env_steps'],
    });
  console.log(
    `iter ${it}${it === 0 ? ' (warm-up)' : ''}: sampling ${m['time/sampling'].toFixed(2)} s, update ${m['time/update'].toFixed(2)} s, total ${m['time/total'].toFixed(2)} s, ${m['samples/env_steps']} env steps`,
  );
}
const mean = (k: 'sampling' | 'update' | 'total' | 'steps') =>
  rows.reduce((a, r) => a + r[k], 0) / rows.length;
console.log(
  `\nRL² on ${familyId}, backend ${info.name}, ${workers} sampler workers, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' ',
    )}, hidden ${learner.config.hiddenSize}, ${learner.config.metaBatchSize} tasks × ${learner.config.trialsPerTask} trials × ${learner.config.episodesPerTrial} episodes`,
);
console.log('| sampling s | update s | total s/iter | env steps/iter | env steps/s |');
console.log('|---|---|---|---|---|');
console.log(
  `| ${mean('sampling').toFixed(2)} | ${mean('update').toFixed(2)} | ${mean('total').toFixed(2)} | ${mean('steps').toFixed(0)} | ${(mean('steps') / mean('total')).toFixed(0)} |`,
);
await learner.dispose();
