// Wall seconds per MAML meta-iteration on point-nav with the paper's settings (20 tasks ×
// 20 episodes, 1 inner step, second order, TRPO with 10 CG iterations), on the wasm
// backend, split into sampling / inner (advantages + adaptation) / outer (TRPO). Prints the
// median over the timed iterations (after one warm-up), for the default curvature subsample
// and for the full-batch curvature that pytorch-maml-rl uses.
//
//   npm run bench:maml -- [--iterations 10] [--workers 2] [--seed 1]
// Reference (issue): pytorch-maml-rl, 64-64 tanh, same settings, 2 sampler workers: ~6.6 s/it.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { getFamily } from '../../envs/registry';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { Rng } from '../../src/core/rng';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '10' },
    workers: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const iterations = Number(values.iterations);
const workers = values.workers ? Number(values.workers) : defaultWorkerCount();
const seed = Number(values.seed);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const backend = await initBackend('wasm');
const family = getFamily('point-nav');
console.log(
  `backend ${backend.name} (tfjs ${backend.tfjsVersion}), ${workers} sampler workers, seed ${seed}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  '| curvature batch | wall s/it | sampling | inner | outer | CPU s/it (all threads) | env steps/s |',
);
console.log('|---|---|---|---|---|---|---|');
for (const cgSubsample of [0.25, 1]) {
  const spec = getAlgo('maml');
  const config = resolveHyper(spec, family.id, { cgSubsample });
  const learner = await spec.create({ family, config, seed, workers });
  const rng = new Rng(seed);
  const rows: Record<string, number>[] = [];
  for (let it = 0; it <= iterations; it++) {
    // CPU time of every thread of the process (main, sampler and update workers): unlike
    // wall time it hardly depends on what else the machine is running.
    const cpu0 = process.cpuUsage();
    const m = await learner.metaTrainStep(family.sampleTasks(20, rng, 'train'));
    const cpu = process.cpuUsage(cpu0);
    if (it > 0) rows.push({ ...m, cpu: (cpu.user + cpu.system) / 1e6 });
  }
  await learner.dispose();
  const med = (k: string) => median(rows.map((r) => r[k]));
  console.log(
    `| ${cgSubsample === 1 ? 'all episodes (pytorch-maml-rl)' : `${cgSubsample * 100}% of episodes (default)`} | ${med('time/total').toFixed(2)} | ${med('time/sampling').toFixed(2)} | ${med('time/inner').toFixed(2)} | ${med('time/outer').toFixed(2)} | ${med('cpu').toFixed(2)} | ${Math.round(median(rows.map((r) => r['env/steps'] / r['time/sampling'])))} |`,
  );
}
console.log(
  `load average after: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
