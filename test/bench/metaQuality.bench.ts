// `npm run bench:meta-quality`: one benchmark for whether a learner meta-learns on a family,
// measured like the MAML paper. It trains a run with `metarl train` (or reuses --run), then
// evaluates it on held-out test tasks against the paper's baselines:
//   pretrained  one policy trained on all tasks, fine-tuned by gradient steps;
//   random      an untrained policy fine-tuned by gradient steps (step size tuned, as pretrained's,
//               on training tasks);
//   oracle      a policy that sees the task parameters, evaluated as it is.
// Pretrained and oracle runs of a family and seed are trained once into --baselines and reused
// by every learner's benchmark (a finished run there with the same family, seed and length).
// For RL², stage k is episode k+1 of a trial; its baselines take as many gradient steps. For
// nearest-task, stage 0 is its exploration episode and stage 1 the nearest known task's policy
// (default --steps 1, so the baselines take one gradient step).
// --meta-control JSON trains with meta-control (src/shared/metaControl.ts: meta-validation,
// early stopping, schedules; `off` turns off a learner's default for the family, as MAML's
// on mujoco-cheetah-vel) and --checkpoint best evaluates the checkpoint it chose on
// meta-validation (default: the latest). --name labels the learner's run for the runs list
// (the baselines keep theirs), so a benchmarked run can be shipped as an example as it is.
//
//   npm run bench:meta-quality -- --family F --algo maml|rl2|reptile|meta-sgd|nearest-task --seed S
//     [--iterations N] [--run DIR] [--baselines DIR] [--baseline-iterations N]
//     [--protocol default|paper] [--tasks 40] [--steps K] [--eval-seed 0]
//     [--out runs/bench-meta] [--preview-every 0] [--hp key=value …] [--no-random]
//     [--meta-control JSON|off] [--checkpoint latest|best] [--name LABEL]
//
// Prints a table, then as its LAST line one JSON object:
//   {"family","algo","seed","iterations","wallMinutes","envSteps","returns":[R0,R1,…],
//    "oracle","gain":[g1,…],"baselines":{"pretrained":[…],"random":[…]}, …}
// with g_k = (R_k − R_0) / (R_oracle − R_0). wallMinutes and envSteps are the run's training
// totals from its metrics.jsonl (so they are also right for a reused --run). MAML on the MuJoCo
// half-cheetahs adds "paper": the MAML paper's returns, oracle and gains (./paperResults.ts)
// and "runGain", this run's gains against the paper's oracle.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { familyIds, getFamily } from '../../envs/registry';
import { prepareFamily, type TaskFamily } from '../../src/core/env';
import { createRandomInit } from '../../src/algos/mamlSpecs';
import { getAlgo } from '../../src/algos/registry';
import { locateRun } from '../../src/cli/commands/common';
import { type EvalProtocol, getEvalProtocol } from '../../src/training/evalProtocol';
import { evaluateBaselines, evaluateLearner } from '../../src/training/evaluate';
import { listRunIds, readMeta, readMetrics, readState, runDirOf } from '../../src/training/runDir';
import { loadRunLearner } from '../../src/training/runLoader';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { PAPER_MAML, gainRatios } from './paperResults';

const LEARNERS = ['maml', 'rl2', 'reptile', 'meta-sgd', 'nearest-task'] as const;
type Learner = (typeof LEARNERS)[number];

const { values } = parseArgs({
  options: {
    family: { type: 'string' },
    algo: { type: 'string' },
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string' },
    run: { type: 'string' },
    baselines: { type: 'string', default: 'runs/bench-baselines' },
    'baseline-iterations': { type: 'string' },
    protocol: { type: 'string', default: 'default' },
    tasks: { type: 'string', default: '40' },
    steps: { type: 'string' },
    'eval-seed': { type: 'string', default: '0' },
    out: { type: 'string', default: 'runs/bench-meta' },
    'preview-every': { type: 'string', default: '0' },
    hp: { type: 'string', multiple: true, default: [] },
    'no-random': { type: 'boolean', default: false },
    workers: { type: 'string' },
    'meta-control': { type: 'string' },
    checkpoint: { type: 'string', default: 'latest' },
    name: { type: 'string' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`bench:meta-quality: ${msg}\n`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

if (!values.family) fail(`--family is required (one of ${familyIds().join(', ')})`);
if (!values.algo) fail(`--algo is required (one of ${LEARNERS.join(', ')})`);
let family: TaskFamily;
try {
  family = getFamily(values.family);
} catch (err) {
  fail((err as Error).message);
}
// Families on a WebAssembly simulator (MuJoCo) load it before their first make().
await prepareFamily(family);
if (!(LEARNERS as readonly string[]).includes(values.algo))
  fail(`Unknown learner "${values.algo}" for this benchmark. Known: ${LEARNERS.join(', ')}`);
const algo = values.algo as Learner;
let protocol: EvalProtocol;
try {
  protocol = getEvalProtocol(values.protocol);
} catch (err) {
  fail((err as Error).message);
}
const seed = intArg('seed', values.seed, 0)!;
const iterations = intArg('iterations', values.iterations, 1);
const baselineIterations = intArg('baseline-iterations', values['baseline-iterations'], 1);
const tasks = intArg('tasks', values.tasks, 1)!;
const evalSeed = intArg('eval-seed', values['eval-seed'], 0)!;
const workers = intArg('workers', values.workers, 1) ?? defaultWorkerCount();
if (values.run !== undefined && values.name !== undefined)
  fail('--name labels the run this benchmark trains; it does not rename a --run');
if (values.checkpoint !== 'latest' && values.checkpoint !== 'best')
  fail(`--checkpoint must be latest or best, got "${values.checkpoint}"`);
if (values['meta-control'] !== undefined && values['meta-control'].trim() !== 'off') {
  try {
    JSON.parse(values['meta-control']);
  } catch (err) {
    fail(`--meta-control is not valid JSON: ${(err as Error).message}`);
  }
}
const BIN = fileURLToPath(new URL('../../bin/metarl.js', import.meta.url));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** `metarl train` in a child process (the product's own path); resolves to the run id. */
function train(
  runsDir: string,
  learner: string,
  iters: number | undefined,
  hp: string[],
  metaControl?: string,
  name?: string,
): Promise<string> {
  const args = [
    BIN,
    'train',
    '--env',
    family.id,
    '--algo',
    learner,
    '--seed',
    String(seed),
    '--out',
    runsDir,
    '--quiet',
    '--preview-every',
    values['preview-every']!,
    '--workers',
    String(workers),
  ];
  if (iters !== undefined) args.push('--iterations', String(iters));
  for (const h of hp) args.push('--hp', h);
  if (metaControl !== undefined) args.push('--meta-control', metaControl);
  if (name !== undefined) args.push('--name', name);
  console.log(`training: metarl ${args.slice(1).join(' ')}  (load ${load()})`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /Run (\S+) finished/.exec(out);
      if (code === 0 && m) resolve(m[1]);
      else reject(new Error(`metarl train exited with ${code}: ${out.trim()}`));
    });
  });
}

/**
 * A finished baseline run of this family and seed in `dir`, trained for the requested length
 * (--baseline-iterations, else the baseline's own default for the family), else null.
 */
async function findBaseline(dir: string, learner: string): Promise<string | null> {
  if (!fs.existsSync(dir)) return null;
  const length = baselineIterations ?? getAlgo(learner).defaultIterations(family.id);
  for (const id of (await listRunIds(dir)).reverse()) {
    const meta = await readMeta(runDirOf(dir, id));
    const state = await readState(runDirOf(dir, id));
    const c = meta.config;
    if (
      c.family === family.id &&
      c.algo === learner &&
      c.seed === seed &&
      state?.state === 'finished' &&
      c.iterations === length
    )
      return id;
  }
  return null;
}

async function trainingTotals(
  root: string,
  runId: string,
): Promise<{ iterations: number; wallMinutes: number; envSteps: number }> {
  const rows = await readMetrics(runDirOf(root, runId));
  let ms = 0;
  let steps = 0;
  for (const r of rows) {
    ms += r.wallMs;
    steps += r.metrics['env/steps'] ?? r.metrics['samples/env_steps'] ?? 0;
  }
  return { iterations: rows.length, wallMinutes: ms / 60000, envSteps: steps };
}

const t0 = performance.now();
// The learner's run.
let main: { root: string; runId: string };
if (values.run) {
  main = locateRun(values.run, values.out!);
} else {
  fs.mkdirSync(values.out!, { recursive: true });
  main = {
    root: path.resolve(values.out!),
    runId: await train(
      values.out!,
      algo,
      iterations,
      values.hp!,
      values['meta-control'],
      values.name,
    ),
  };
}
const mainRun = await loadRunLearner(
  main.root,
  main.runId,
  values.checkpoint === 'best' ? 'best' : undefined,
  { workers },
);
if (mainRun.meta.config.family !== family.id || mainRun.meta.config.algo !== algo) {
  fail(
    `--run ${values.run} is a ${mainRun.meta.config.family} / ${mainRun.meta.config.algo} run, not ${family.id} / ${algo}`,
  );
}
// Baselines: reuse or train once per family and seed.
const baseRoot = path.resolve(values.baselines!);
fs.mkdirSync(baseRoot, { recursive: true });
const baseIds: Record<'pretrained' | 'oracle', string> = { pretrained: '', oracle: '' };
for (const b of ['pretrained', 'oracle'] as const) {
  const found = await findBaseline(baseRoot, b);
  if (found) console.log(`${b}: reusing ${path.join(baseRoot, found)}`);
  baseIds[b] = found ?? (await train(baseRoot, b, baselineIterations, []));
}

const steps =
  intArg('steps', values.steps, 0) ??
  (algo === 'rl2'
    ? Number(mainRun.meta.config.hyper.episodesPerTrial ?? 2) - 1
    : algo === 'nearest-task'
      ? 1
      : 3);
const opts = {
  tasks,
  steps,
  episodesPerStage: protocol.episodesPerStage,
  seed: evalSeed,
  ...(protocol.laterStepRatio !== undefined ? { laterStepRatio: protocol.laterStepRatio } : {}),
};
console.log(
  `evaluating on ${tasks} held-out ${family.id} test tasks (eval seed ${evalSeed}, protocol ${protocol.name}, ${protocol.episodesPerStage} episodes per stage)  (load ${load()})`,
);
const returns = await evaluateLearner(mainRun.learner, family, opts);
await mainRun.learner.dispose();

// Pretrained and random init fine-tune with their best step size on training tasks.
const random = async () =>
  // The same network as the learner's when it is a gradient learner; RL²'s is a GRU, so its
  // random-init baseline is the MAML paper's (an untrained MLP, fine-tuned by steps).
  algo === 'maml'
    ? getAlgo('maml').create({ family, config: mainRun.meta.config.hyper, seed, workers })
    : createRandomInit(family, seed, workers);
const { returns: baselines, stepSizes } = await evaluateBaselines(
  family,
  [
    {
      name: 'pretrained',
      create: async () => ({
        learner: (await loadRunLearner(baseRoot, baseIds.pretrained, undefined, { workers }))
          .learner,
        tune: true,
      }),
    },
    ...(values['no-random']
      ? []
      : [{ name: 'random', create: async () => ({ learner: await random(), tune: true }) }]),
  ],
  opts,
);
const oracleRun = await loadRunLearner(baseRoot, baseIds.oracle, undefined, { workers });
const oracle = (await evaluateLearner(oracleRun.learner, family, { ...opts, steps: 0 }))[0];
await oracleRun.learner.dispose();

const gain = gainRatios(returns, oracle);
const published = algo === 'maml' ? PAPER_MAML[family.id] : undefined;
const paper = published && {
  returns: published.returns,
  oracle: published.oracle,
  gain: gainRatios(published.returns, published.oracle),
  /** This run's gains measured against the paper's oracle. */
  runGain: gainRatios(returns, published.oracle),
};
const totals = await trainingTotals(main.root, main.runId);
const unit = getAlgo(algo).stageUnit;
const label = (k: number) =>
  unit === 'episode' ? `episode ${k + 1}` : `${k} step${k === 1 ? '' : 's'}`;
console.log(
  `\n${family.id} · ${algo} · seed ${seed} · ${totals.iterations} iterations (${totals.wallMinutes.toFixed(1)} min training, ${totals.envSteps} env steps) · run ${path.join(main.root, main.runId)}`,
);
const mc = mainRun.meta.config.metaControl;
if (mc)
  console.log(
    `meta-control ${JSON.stringify(mc)}: trained ${totals.iterations} of ${mainRun.meta.config.iterations} iterations; evaluated checkpoint ${mainRun.iteration} (${values.checkpoint})`,
  );
console.log(
  `baselines: pretrained ${baseIds.pretrained}, oracle ${baseIds.oracle} in ${baseRoot}; step sizes ${JSON.stringify(stepSizes)} (best on training tasks)`,
);
console.log(`| stage | ${algo} | gain | pretrained | random |`);
console.log('|---|---|---|---|---|');
for (let k = 0; k < returns.length; k++) {
  const b = (n: string) => (baselines[n]?.[k] === undefined ? '' : baselines[n][k].toFixed(2));
  console.log(
    `| ${label(k)} | ${returns[k].toFixed(2)} | ${k === 0 ? '' : gain[k - 1].toFixed(2)} | ${b('pretrained')} | ${b('random')} |`,
  );
}
console.log(`| oracle | ${oracle.toFixed(2)} | | | |`);
if (paper) {
  const g = (x: number[]) => x.map((v) => v.toFixed(2)).join(' / ');
  console.log(
    `the MAML paper: ${paper.returns.join(' / ')}, oracle ${paper.oracle}, gains ${g(paper.gain)}; this run's gains against the paper's oracle: ${g(paper.runGain)}`,
  );
}
console.log(`bench wall ${((performance.now() - t0) / 60000).toFixed(1)} min, load ${load()}`);
console.log(
  JSON.stringify({
    family: family.id,
    algo,
    seed,
    iterations: totals.iterations,
    wallMinutes: Number(totals.wallMinutes.toFixed(2)),
    envSteps: totals.envSteps,
    returns,
    oracle,
    gain,
    baselines,
    baselineStepSizes: stepSizes,
    protocol: protocol.name,
    tasks,
    evalSeed,
    checkpoint: mainRun.iteration,
    ...(mc ? { metaControl: mc, plannedIterations: mainRun.meta.config.iterations } : {}),
    ...(paper ? { paper } : {}),
    run: path.join(main.root, main.runId),
  }),
);
