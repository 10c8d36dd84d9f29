// Sampling throughput through Redis rollout workers against the local sampler, per
// meta-iteration (one MAML sampling stage: the family's default meta-batch, 20 tasks × 20
// episodes; 80 000 env steps on cheetah-vel), for N `metarl worker` processes (one thread
// each) vs N local threads, interleaved iteration by iteration so both see the same load.
// Then the fixed cost of one job (many one-episode jobs through one worker) and, from it, a
// projection for 8 machines.
//
//   npm run bench:scale -- --family cheetah-vel --workers 1,2,4 [--iterations 5] [--tasks 20] [--episodes 20]
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/core/rng';
import { initParams, type GaussianMlpSpec } from '../../src/policies/gaussianMlp';
import { resolveFamily } from '../../src/samplers/families';
import { RedisSampler } from '../../src/samplers/redisSampler';
import { Sampler, type SampleRequest } from '../../src/samplers/sampler';
import type { JsonObject } from '../../src/shared/json';
import { startRedis } from '../cluster/redisServer';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'cheetah-vel' },
    workers: { type: 'string', default: '1,2,4' },
    iterations: { type: 'string', default: '5' },
    tasks: { type: 'string', default: '20' },
    episodes: { type: 'string', default: '20' },
    machines: { type: 'string', default: '8' },
  },
});
const counts = values.workers.split(',').map(Number);
const iterations = Number(values.iterations);
const T = Number(values.tasks);
const E = Number(values.episodes);
const machines = Number(values.machines);
if (
  !counts.every((n) => Number.isInteger(n) && n >= 1) ||
  !(iterations >= 1) ||
  !(T >= 1) ||
  !(E >= 1)
) {
  throw new Error(
    'bench:scale: --workers takes a list of positive integers (e.g. 1,2,4); --iterations, --tasks, --episodes positive integers',
  );
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const family = resolveFamily(values.family);
const spec: GaussianMlpSpec = {
  obsSize: family.observationSize,
  actSize: family.actionSize,
  hidden: [64, 64],
  activation: 'tanh',
  initStd: 1,
};
function request(i: number, tasks = T, episodes = E, fam = family.id, sp = spec): SampleRequest {
  const f = resolveFamily(fam);
  const rng = new Rng(100 + i);
  return {
    familyId: fam,
    tasks: f.sampleTasks(tasks, rng, 'train') as JsonObject[],
    params: [initParams(sp, rng.split())],
    spec: sp,
    episodesPerTask: episodes,
    seed: i,
    normalizeActions: true,
  };
}

const bin = new URL('../../bin/metarl.js', import.meta.url).pathname;
function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const p = spawn(process.execPath, [bin, 'worker', '--redis', url, '--concurrency', '1'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        let out = '';
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('taking jobs')) resolve(p);
        });
        p.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      });
    }),
  );
}
async function stopWorkers(ps: ChildProcess[]): Promise<void> {
  await Promise.all(
    ps.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
}

const redis = await startRedis();
console.log(
  `bench:scale — ${family.id}, ${T} tasks × ${E} episodes per iteration, policy 64-64 tanh, ${iterations} timed iterations after 1 warm-up`,
);
console.log(`machine: ${os.cpus().length} cores, load average before: ${load()}`);
console.log('');
console.log(
  `| workers | local s/it | redis s/it | local steps/s | redis steps/s | overhead per iteration | per job (${T} jobs/it) |`,
);
console.log('|---|---|---|---|---|---|---|');
const perJobFromIterations: number[] = [];
try {
  for (const n of counts) {
    const workers = await startWorkers(redis.url, n);
    const local = new Sampler(n);
    const remote = new RedisSampler({ url: redis.url, learner: 'maml' });
    const tl: number[] = [];
    const tr: number[] = [];
    let steps = 0;
    for (let i = 0; i <= iterations; i++) {
      const req = request(i);
      // Alternate which goes first so a drift in load does not favour one.
      const order = i % 2 === 0 ? ['local', 'redis'] : ['redis', 'local'];
      for (const which of order) {
        const t0 = performance.now();
        const r = await (which === 'local' ? local.sample(req) : remote.sample(req));
        const dt = (performance.now() - t0) / 1000;
        steps = r.steps;
        if (i > 0) (which === 'local' ? tl : tr).push(dt);
      }
    }
    await remote.close();
    await local.close();
    await stopWorkers(workers);
    const ml = median(tl);
    const mr = median(tr);
    const over = mr - ml;
    perJobFromIterations.push(over / T);
    console.log(
      `| ${n} | ${ml.toFixed(3)} | ${mr.toFixed(3)} | ${Math.round(steps / ml)} | ${Math.round(steps / mr)} | ${(over * 1000).toFixed(0)} ms (${((mr / ml - 1) * 100).toFixed(1)}%) | ${((over / T) * 1000).toFixed(1)} ms |`,
    );
  }

  // The fixed cost of a job: J one-episode point-nav jobs (deterministic, ~100 steps) through
  // one worker against the same work on one local thread.
  const J = 200;
  const tiny = () => ({
    ...request(0, J, 1, 'point-nav', { ...spec, obsSize: 2, actSize: 2 }),
    deterministic: true,
  });
  const [w] = await startWorkers(redis.url, 1);
  const local = new Sampler(1);
  const remote = new RedisSampler({ url: redis.url, learner: 'maml' });
  const dl: number[] = [];
  const dr: number[] = [];
  for (let i = 0; i <= 5; i++) {
    const req = tiny();
    let t0 = performance.now();
    await local.sample(req);
    const a = performance.now() - t0;
    t0 = performance.now();
    await remote.sample(req);
    const b = performance.now() - t0;
    if (i > 0) {
      dl.push(a);
      dr.push(b);
    }
  }
  await remote.close();
  await local.close();
  await stopWorkers([w]);
  const perJob = (median(dr) - median(dl)) / J;
  console.log('');
  console.log(
    `fixed cost per job (${J} one-episode jobs, 1 worker, median of 5): ${perJob.toFixed(2)} ms (local ${median(dl).toFixed(0)} ms, redis ${median(dr).toFixed(0)} ms)`,
  );

  // Projection: a meta-iteration's compute divides over the machines' cores; the per-job
  // cost is counted as if it were all serial at the trainer (pessimistic: most of it is
  // spent in parallel on the workers).
  const cores = os.cpus().length;
  const oneThread = await (async () => {
    const s = new Sampler(1);
    await s.sample(request(98)); // warm-up: thread start and JIT
    const t0 = performance.now();
    const r = await s.sample(request(99));
    await s.close();
    return { sec: (performance.now() - t0) / 1000, steps: r.steps };
  })();
  const jobs = T;
  const compute = oneThread.sec / (machines * cores);
  const overhead = (jobs * Math.max(perJob, 0)) / 1000;
  const projected = compute + overhead;
  console.log(
    `projection, ${machines} machines × ${cores} cores: one thread takes ${oneThread.sec.toFixed(2)} s for an iteration (${oneThread.steps} steps); ` +
      `${oneThread.sec.toFixed(2)} / ${machines * cores} + ${jobs} jobs × ${Math.max(perJob, 0).toFixed(2)} ms = ${projected.toFixed(3)} s/it ≈ ${Math.round(oneThread.steps / projected)} steps/s ` +
      `(${(oneThread.sec / projected).toFixed(1)}× one thread; overhead ${((overhead / projected) * 100).toFixed(1)}% of the iteration)`,
  );
} finally {
  await redis.kill();
  console.log(`load average after: ${load()}`);
}
