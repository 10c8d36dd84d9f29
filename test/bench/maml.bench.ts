// Wall seconds per MAML meta-iteration with the paper's settings (20 tasks × 20 episodes, 1
// inner step, second order, TRPO with 10 CG iterations) on the wasm backend, split into
// sampling / inner (advantages + adaptation) / outer (TRPO). Prints the median over the
// timed iterations (after one warm-up), on point-nav for the default curvature subsample and
// for the full-batch curvature that pytorch-maml-rl uses, or on any family (`--family`).
//
// `--against DIR` compares this checkout with another one (e.g. a `git worktree` of an older
// commit) on the family's defaults: each round runs the same seeded iterations in a child
// process of either checkout, in alternating order (ABBA), so both see the same machine load,
// and prints each side's medians, the ratio and the load average of every run. `--algo`
// picks another learner (rl2: sampling / update).
//
//   npm run bench:maml -- [--family point-nav] [--iterations 10] [--workers 2] [--seed 1]
//   npm run bench:maml -- --family cheetah-vel --against ../base --rounds 2 --iterations 2
// Reference: pytorch-maml-rl, 64-64 tanh, same settings, 2 sampler workers: ~6.6 s/it.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'point-nav' },
    algo: { type: 'string', default: 'maml' },
    iterations: { type: 'string', default: '10' },
    workers: { type: 'string' },
    seed: { type: 'string', default: '1' },
    against: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    // Internal: run the timed iterations of the checkout at this root and print them as JSON.
    child: { type: 'string' },
    'cg-subsample': { type: 'string' },
  },
});
const iterations = Number(values.iterations);
const seed = Number(values.seed);
const rounds = Number(values.rounds);
if (!(iterations >= 1) || !Number.isInteger(seed) || !(rounds >= 1))
  throw new Error(
    'bench:maml: --iterations and --rounds take positive integers, --seed an integer',
  );
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
type Row = Record<string, number>;

/** Warm-up plus `iterations` timed meta-iterations of the checkout at `root`, in this process. */
async function measure(root: string, hyper: Record<string, number>): Promise<Row[]> {
  const from = (p: string) => import(pathToFileURL(path.join(root, p)).href);
  const [{ getFamily }, { getAlgo, resolveHyper }, { Rng }, sampler, { initBackend }] =
    await Promise.all([
      from('envs/registry.ts'),
      from('src/algos/registry.ts'),
      from('src/core/rng.ts'),
      from('src/samplers/sampler.ts'),
      from('src/tf/backend.ts'),
    ]);
  await initBackend('wasm');
  const family = getFamily(values.family);
  const spec = getAlgo(values.algo);
  const config = resolveHyper(spec, family.id, hyper);
  const workers = values.workers ? Number(values.workers) : sampler.defaultWorkerCount();
  const learner = await spec.create({ family, config, seed, workers });
  const rng = new Rng(seed);
  const rows: Row[] = [];
  for (let it = 0; it <= iterations; it++) {
    // CPU time of every thread of the process (main, sampler and update workers): unlike
    // wall time it hardly depends on what else the machine is running.
    const cpu0 = process.cpuUsage();
    const m = await learner.metaTrainStep(
      family.sampleTasks(spec.metaBatchSize(config), rng, 'train'),
    );
    const cpu = process.cpuUsage(cpu0);
    const steps = m['env/steps'] ?? m['samples/env_steps'];
    if (it > 0) rows.push({ ...m, cpu: (cpu.user + cpu.system) / 1e6, steps });
  }
  await learner.dispose();
  return rows;
}

const phases = (rows: Row[]) =>
  Object.keys(rows[0])
    .filter((k) => k.startsWith('time/') && k !== 'time/total')
    .sort();
const med = (rows: Row[], k: string) => median(rows.map((r) => r[k]));

if (values.child) {
  const sub = values['cg-subsample'];
  const rows = await measure(values.child, sub ? { cgSubsample: Number(sub) } : {});
  console.log(JSON.stringify(rows));
  process.exit(0);
}

console.log(
  `${values.family}, ${values.algo}, wasm, ${values.workers ?? 'default'} sampler workers, seed ${seed}, ${iterations} timed iterations after one warm-up, load average ${load()}`,
);

if (!values.against) {
  const subs = values['cg-subsample']
    ? values['cg-subsample'].split(',').map(Number)
    : values.family === 'point-nav' && values.algo === 'maml'
      ? [0.25, 1]
      : [undefined];
  for (const sub of subs) {
    const rows = await measure(here, sub === undefined ? {} : { cgSubsample: sub });
    const ph = phases(rows);
    if (sub === subs[0]) {
      console.log(
        `| curvature batch | wall s/it | ${ph.map((k) => k.slice(5)).join(' | ')} | CPU s/it (all threads) | env steps/s |`,
      );
      console.log(`|---|---|${ph.map(() => '---|').join('')}---|---|`);
    }
    const label =
      sub === undefined
        ? 'default'
        : sub === 1
          ? 'all episodes (pytorch-maml-rl)'
          : `${sub * 100}% of episodes${sub === 0.25 ? ' (default)' : ''}`;
    console.log(
      `| ${label} | ${med(rows, 'time/total').toFixed(2)} | ${ph.map((k) => med(rows, k).toFixed(2)).join(' | ')} | ${med(rows, 'cpu').toFixed(2)} | ${Math.round(median(rows.map((r) => r.steps / r['time/sampling'])))} |`,
    );
  }
} else {
  const other = path.resolve(values.against);
  const child = (root: string) =>
    new Promise<Row[]>((resolve, reject) => {
      const args = [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        root,
        '--family',
        values.family,
        '--algo',
        values.algo,
        '--iterations',
        String(iterations),
        '--seed',
        String(seed),
        ...(values.workers ? ['--workers', values.workers] : []),
        ...(values['cg-subsample'] ? ['--cg-subsample', values['cg-subsample']] : []),
      ];
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('error', reject);
      p.on('exit', (code) => {
        const last = out.trim().split('\n').at(-1) ?? '';
        if (code === 0 && last.startsWith('[')) resolve(JSON.parse(last) as Row[]);
        else reject(new Error(`bench:maml: the run of ${root} exited with ${code}: ${out}`));
      });
    });
  const sides = { this: here, against: other };
  const rows: Record<keyof typeof sides, Row[]> = { this: [], against: [] };
  // Every run is the same seeded iterations: all results but the timings must be equal.
  const runs: Row[][] = [];
  for (let r = 0; r < rounds; r++) {
    const order: (keyof typeof sides)[] = r % 2 ? ['this', 'against'] : ['against', 'this'];
    for (const side of order) {
      const before = load();
      const got = await child(sides[side]);
      rows[side].push(...got);
      runs.push(got);
      console.log(
        `round ${r + 1} ${side === 'this' ? 'this checkout' : other}: ${got.map((g) => g['time/total'].toFixed(2)).join(', ')} s/it (CPU ${got.map((g) => g.cpu.toFixed(2)).join(', ')} s), load average ${before} → ${load()}`,
      );
    }
  }
  const ph = phases(rows.this);
  console.log(`\n| | wall s/it | ${ph.map((k) => k.slice(5)).join(' | ')} | CPU s/it |`);
  console.log(`|---|---|${ph.map(() => '---|').join('')}---|`);
  const line = (name: string, rs: Row[]) =>
    `| ${name} | ${med(rs, 'time/total').toFixed(2)} | ${ph.map((k) => med(rs, k).toFixed(2)).join(' | ')} | ${med(rs, 'cpu').toFixed(2)} |`;
  console.log(line(other, rows.against));
  console.log(line('this checkout', rows.this));
  const ratio = (k: string) => (med(rows.this, k) / med(rows.against, k)).toFixed(2);
  console.log(
    `| ratio (this / other) | ${ratio('time/total')} | ${ph.map((k) => ratio(k)).join(' | ')} | ${ratio('cpu')} |`,
  );
  const results = (r: Row) =>
    JSON.stringify(Object.entries(r).filter(([k]) => !k.startsWith('time/') && k !== 'cpu'));
  const differ = runs.filter((run) => run.some((r, i) => results(r) !== results(runs[0][i])));
  console.log(
    differ.length === 0
      ? `results (every metric but the timings) identical in all ${runs.length} runs`
      : `results DIFFER between runs (${differ.length} of ${runs.length} differ from the first)`,
  );
  console.log(`load average after: ${load()}`);
}
