// `npm run bench:rl2-quality`: meta-train RL² and evaluate it on 40 held-out test tasks,
// printing the mean return of each episode of a trial.
// Environment variables: FAMILY (point-nav | cartpole | all; default all), SEED (1),
// ITERS (the family's default), WORKERS (sampler threads, default one per core), CONFIG (JSON overrides of the RL² config), TASKS (40),
// TRIALS (trials per test task, 20), EVAL_SEED (0, as `metarl eval`), BACKEND (wasm), CKPT (write the final checkpoint
// as JSON here, also every LOG_EVERY iterations), CKPT_IN (start from this checkpoint JSON;
// with no ITERS it is only evaluated), LOG_EVERY (10).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Checkpoint } from '../../src/algos/metaLearner';
import { initBackend, type BackendName } from '../../src/tf/backend';
import { familyIds, getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { Rl2, rl2Spec } from '../../src/algos/rl2';
import { defaultWorkerCount } from '../../src/samplers/sampler';

const env = process.env;
const backend = (env.BACKEND ?? 'wasm') as BackendName;
const seed = Number(env.SEED ?? 1);
const overrides = JSON.parse(env.CONFIG ?? '{}') as Record<string, unknown>;
const testTasks = Number(env.TASKS ?? 40);
const trials = Number(env.TRIALS ?? 20);
const logEvery = Number(env.LOG_EVERY ?? 10);
const wanted =
  env.FAMILY && env.FAMILY !== 'all'
    ? [env.FAMILY]
    : ['point-nav', 'cartpole'].filter((f) => familyIds().includes(f));

const info = await initBackend(backend);
const rows: string[] = [];
for (const familyId of wanted) {
  const family = getFamily(familyId);
  const config = rl2Spec.configSchema.parse(overrides);
  const learner = new Rl2({
    family,
    config,
    seed,
    workers: Number(env.WORKERS ?? defaultWorkerCount()),
  });
  const iters = env.CKPT_IN
    ? Number(env.ITERS ?? 0)
    : Number(env.ITERS ?? rl2Spec.defaultIterations(familyId));
  const save = async (): Promise<void> => {
    if (!env.CKPT) return;
    const c = await learner.saveState();
    writeFileSync(
      `${env.CKPT}.${familyId}.json`,
      JSON.stringify(c, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v)),
    );
  };
  let startIteration = 0;
  if (env.CKPT_IN) {
    const raw = JSON.parse(readFileSync(env.CKPT_IN, 'utf8')) as Checkpoint;
    const revive = (m: Checkpoint['params']) =>
      Object.fromEntries(
        Object.entries(m).map(([k, t]) => [
          k,
          { shape: t.shape, data: Float32Array.from(t.data as unknown as number[]) },
        ]),
      );
    await learner.loadState({
      ...raw,
      params: revive(raw.params),
      optimizerTensors: revive(raw.optimizerTensors),
    });
    console.log(`[${familyId}] loaded ${env.CKPT_IN} (iteration ${raw.iteration})`);
    startIteration = raw.iteration;
  }
  const K = learner.config.episodesPerTrial;
  // Resumed runs draw a different task stream (seed + 1000 + iteration) so tasks do not repeat.
  const taskRng = new Rng(seed + 1000 + startIteration);
  let envSteps = 0;
  const t0 = performance.now();
  for (let it = 1; it <= iters; it++) {
    const m = await learner.metaTrainStep(
      family.sampleTasks(learner.config.metaBatchSize, taskRng, 'train'),
    );
    envSteps += m['samples/env_steps'];
    if (it % logEvery === 0 || it === 1 || it === iters) {
      const eps = Array.from({ length: K }, (_, k) =>
        m[`returns/episode_${k + 1}`].toFixed(2),
      ).join(' / ');
      console.log(
        `[${familyId}] it ${it}/${iters} episodes ${eps}  std ${m['policy/std'].toFixed(3)}  kl ${m['losses/approx_kl'].toFixed(4)}  ` +
          `vloss ${m['losses/value'].toFixed(3)} gn ${m['losses/grad_norm'].toFixed(2)}  sample ${m['time/sampling'].toFixed(2)}s update ${m['time/update'].toFixed(2)}s  steps ${envSteps}`,
      );
      await save();
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  await save();
  // The protocol of src/training/evaluate.ts (what `metarl eval` runs): test tasks drawn
  // from Rng(seed), task i adapted with seed + i; kept per task here for the standard error.
  const evalSeed = Number(env.EVAL_SEED ?? 0);
  const perTask: number[][] = [];
  for (const [i, task] of family.sampleTasks(testTasks, new Rng(evalSeed), 'test').entries()) {
    perTask.push(
      (await learner.adapt(task, { steps: K - 1, episodesPerStage: trials, seed: evalSeed + i }))
        .returns,
    );
  }
  const r = { returns: [] as number[], stderr: [] as number[] };
  for (let k = 0; k < K; k++) {
    const xs = perTask.map((p) => p[k]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    r.returns.push(m);
    r.stderr.push(
      Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1) / xs.length),
    );
  }
  rows.push(
    `| ${familyId} | ${seed} | ${iters} | ${envSteps} | ${r.returns.map((v, k) => `${v.toFixed(2)} ± ${r.stderr[k].toFixed(2)}`).join(' → ')} | ${(trainSeconds / 60).toFixed(1)} |`,
  );
  console.log(
    `[${familyId}] eval on ${testTasks} test tasks (eval seed ${evalSeed}, ${trials} trials each): ${JSON.stringify({ returns: r.returns })}`,
  );
  await learner.dispose();
}
console.log(
  `\nRL² held-out evaluation (backend ${info.name}; ${testTasks} test tasks × ${trials} trials; mean ± s.e. over tasks)`,
);
console.log(
  '| family | seed | meta-iterations | env steps | episode 1 → 2 → … (mean ± s.e.) | train min |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
