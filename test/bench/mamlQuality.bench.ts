// Reproduces the MAML paper's 2-D navigation result (Finn et al. 2017, Fig. 2 / Table): trains
// MAML and the "pretrained" baseline on point-nav with the paper's budget (20 tasks × 20
// episodes per meta-iteration), then evaluates MAML, pretrained, random init (and the oracle
// if trained) on 40 and 400 held-out test tasks after 0…3 gradient steps (20 episodes each).
// Random init and pretrained are fine-tuned with the step size that does best on training
// tasks; the oracle is evaluated without fine-tuning.
//
//   npm run bench:maml-quality -- [--seed 1] [--iterations 200] [--phase all|maml|pretrained|oracle|eval]
//                                  [--out runs/bench-maml] [--config '{"cgSubsample":0.25}'] [--workers 2]
//
// Phases can run in separate processes (train maml and pretrained side by side, then eval);
// checkpoints go to --out as JSON so eval can reuse them.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getFamily } from '../../envs/registry';
import { evaluateLearner, tuneStepSize } from '../../src/algos/evaluate';
import { tunesStepSize } from '../../src/training/evaluate';
import { createRandomInit } from '../../src/algos/mamlSpecs';
import type { Checkpoint, MetaLearner } from '../../src/algos/metaLearner';
import { getAlgo, resolveHyper } from '../../src/algos/registry';
import { Rng } from '../../src/core/rng';
import type { JsonObject } from '../../src/shared/json';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { initBackend } from '../../src/tf/backend';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string' },
    phase: { type: 'string', default: 'all' },
    out: { type: 'string', default: 'runs/bench-maml' },
    config: { type: 'string', default: '{}' },
    workers: { type: 'string' },
    'eval-seed': { type: 'string', default: '1000' },
    /** Continue training from the checkpoint in --out (same seed: the run continues exactly). */
    resume: { type: 'boolean', default: false },
    steps: { type: 'string', default: '3' },
    /** Which learners to evaluate (eval phase): any of maml, pretrained, oracle, random. */
    learners: { type: 'string', default: 'maml,pretrained,oracle,random' },
    /** Test-task counts to evaluate on. */
    tasks: { type: 'string', default: '40,400' },
  },
});
const seed = Number(values.seed);
const family = getFamily('point-nav');
const workers = values.workers ? Number(values.workers) : defaultWorkerCount();
const outDir = values.out as string;
const overrides = JSON.parse(values.config as string) as Record<string, unknown>;
fs.mkdirSync(outDir, { recursive: true });

function saveCheckpoint(file: string, c: Checkpoint): void {
  const json = JSON.stringify({
    ...c,
    params: Object.fromEntries(
      Object.entries(c.params).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]),
    ),
    optimizerTensors: {},
  });
  fs.writeFileSync(file + '.tmp', json);
  fs.renameSync(file + '.tmp', file);
}

function loadCheckpoint(file: string): Checkpoint {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const v of Object.values(raw.params) as { data: number[] | Float32Array }[])
    v.data = Float32Array.from(v.data as number[]);
  return raw as Checkpoint;
}

async function train(algo: 'maml' | 'pretrained' | 'oracle'): Promise<void> {
  const spec = getAlgo(algo);
  const config = resolveHyper(spec, family.id, overrides as JsonObject);
  const iterations = values.iterations
    ? Number(values.iterations)
    : spec.defaultIterations(family.id);
  const learner = await spec.create({ family, config, seed, workers });
  const rng = new Rng(seed + 1);
  const ckpt = path.join(outDir, `${algo}-seed${seed}.json`);
  let start = 0;
  if (values.resume && fs.existsSync(ckpt)) {
    const c = loadCheckpoint(ckpt);
    await learner.loadState(c);
    start = c.iteration;
    // Replay the task draws of the iterations already done.
    for (let it = 0; it < start; it++) family.sampleTasks(spec.metaBatchSize(config), rng, 'train');
    console.log(`resumed ${algo} at iteration ${start}`);
  }
  const log = fs.createWriteStream(path.join(outDir, `${algo}-seed${seed}.metrics.jsonl`), {
    flags: start > 0 ? 'a' : 'w',
  });
  const t0 = performance.now();
  for (let it = start; it < iterations; it++) {
    const tasks = family.sampleTasks(spec.metaBatchSize(config), rng, 'train');
    const m = await learner.metaTrainStep(tasks);
    log.write(JSON.stringify({ iteration: it, ...m }) + '\n');
    console.log(
      `${algo} it ${it + 1}/${iterations} pre ${m['returns/pre'].toFixed(1)}` +
        (m['returns/post_1'] !== undefined ? ` post ${m['returns/post_1'].toFixed(1)}` : '') +
        ` kl ${(m['losses/kl'] ?? 0).toFixed(4)} ${m['time/total'].toFixed(1)}s (elapsed ${((performance.now() - t0) / 60000).toFixed(1)} min)`,
    );
    if ((it + 1) % 10 === 0 || it + 1 === iterations)
      saveCheckpoint(path.join(outDir, `${algo}-seed${seed}.json`), await learner.saveState());
  }
  log.end();
  await learner.dispose();
}

async function evaluate(): Promise<void> {
  const steps = Number(values.steps);
  const learners: [string, MetaLearner, string][] = [];
  const wanted = (values.learners as string).split(',');
  for (const algo of (['maml', 'pretrained', 'oracle'] as const).filter((a) =>
    wanted.includes(a),
  )) {
    const file = path.join(outDir, `${algo}-seed${seed}.json`);
    if (!fs.existsSync(file)) continue;
    const spec = getAlgo(algo);
    const l = await spec.create({
      family,
      config: resolveHyper(spec, family.id, overrides as JsonObject),
      seed,
      workers,
    });
    const c = loadCheckpoint(file);
    await l.loadState(c);
    learners.push([`${algo} (${c.iteration} it)`, l, algo]);
  }
  if (wanted.includes('random'))
    learners.push([
      'random init',
      createRandomInit(family, seed, workers, overrides as JsonObject),
      'random',
    ]);
  const evalSeed = Number(values['eval-seed']);
  // Random init and pretrained fine-tune with their best step size on training tasks
  // (MAML's would be unfair to them); MAML uses its own, the oracle is not fine-tuned.
  const stepSizes = new Map<MetaLearner, number>();
  for (const [name, l, algo] of learners) {
    if (!tunesStepSize(algo, 'step')) continue;
    const t = await tuneStepSize(l, family, { steps, seed: evalSeed });
    stepSizes.set(l, t.stepSize);
    console.log(
      `${name}: step size ${t.stepSize} (best on 20 training tasks; ${t.scores
        .map(
          (x) =>
            `${x.stepSize}: ${x.returns
              .slice(1)
              .map((r) => r.toFixed(1))
              .join('/')}`,
        )
        .join(', ')})`,
    );
  }
  for (const n of (values.tasks as string).split(',').map(Number)) {
    console.log(
      `\npoint-nav, ${n} held-out test tasks (eval seed ${evalSeed}), 20 episodes per step, training seed ${seed}`,
    );
    console.log(
      `| learner | ${Array.from({ length: steps + 1 }, (_, k) => `${k} steps`).join(' | ')} |`,
    );
    console.log(`|---|${Array.from({ length: steps + 1 }, () => '---').join('|')}|`);
    for (const [name, l] of learners) {
      const stepSize = stepSizes.get(l);
      const r = await evaluateLearner(l, family, {
        tasks: n,
        steps,
        episodesPerStage: 20,
        seed: evalSeed,
        ...(stepSize !== undefined ? { stepSize } : {}),
      });
      console.log(
        `| ${name} | ${r.returns.map((x, k) => `${x.toFixed(1)} ± ${r.stderr[k].toFixed(1)}`).join(' | ')} |`,
      );
    }
  }
  for (const [, l] of learners) await l.dispose();
}

const backend = await initBackend('wasm');
console.log(
  `backend ${backend.name} (tfjs ${backend.tfjsVersion}), seed ${seed}, workers ${workers}, overrides ${JSON.stringify(overrides)}`,
);
const phase = values.phase as string;
if (phase === 'all' || phase === 'maml') await train('maml');
if (phase === 'all' || phase === 'pretrained') await train('pretrained');
if (phase === 'oracle') await train('oracle');
if (phase === 'all' || phase === 'eval') await evaluate();
