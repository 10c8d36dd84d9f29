// `npm run bench:rl2`: wall seconds per RL² meta-iteration with the default config on FAMILY
// (default point-nav; the family's own defaults included, as New run and `metarl train` give
// them), split into sampling vs the PPO update, for each way the update can differentiate: the
// tfjs BPTT (the reference) and plain-JS BPTT, each on one thread and on UPDATE_THREADS
// threads (default 2). Medians over ITERS iterations after a warm-up, on the chosen backend
// (wasm by default), and the update's speed-up over the first row's (tfjs on one thread). Each
// configuration trains from the same seed on the same tasks, from scratch or, with
// CHECKPOINT=<run>/checkpoints/<iteration>, from a stored checkpoint of a run with the same
// config (where a family's episodes are long only once its policy has learned, as cart-pole's).
// Trials are sampled on WORKERS worker threads (default: one per core; 0 = the training thread).
// HP='{"metaBatchSize":40}' lays RL² hyper-parameters over the family's defaults (checked by
// the learner's schema); GRADIENTS=tfjs or GRADIENTS=js times only that update.
import { loadavg } from 'node:os';
import { defaultWorkerCount } from '../../src/samplers/sampler';
import { initBackend, type BackendName } from '../../src/tf/backend';
import { getFamily } from '../../envs/registry';
import { Rng } from '../../src/core/rng';
import { Rl2, rl2ConfigSchema, type Rl2Config } from '../../src/algos/rl2';
import { rl2FamilyDefaults } from '../../src/algos/rl2FamilyDefaults';
import { readCheckpoint } from '../../src/training/checkpoint';

const backend = (process.env.BACKEND ?? 'wasm') as BackendName;
const iterations = Number(process.env.ITERS ?? 5);
const familyId = process.env.FAMILY ?? 'point-nav';
const threads = Number(process.env.UPDATE_THREADS ?? 2);
const workers =
  process.env.WORKERS !== undefined ? Number(process.env.WORKERS) : defaultWorkerCount();

const checkpoint = process.env.CHECKPOINT;
const gradients = process.env.GRADIENTS;
if (gradients !== undefined && gradients !== 'tfjs' && gradients !== 'js')
  throw new Error(`GRADIENTS must be tfjs or js, not ${JSON.stringify(gradients)}`);
let overrides: Partial<Rl2Config> = {};
if (process.env.HP !== undefined) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(process.env.HP);
  } catch (e) {
    throw new Error(`HP is not JSON: ${(e as Error).message}`);
  }
  const checked = rl2ConfigSchema.partial().safeParse(parsed);
  if (!checked.success)
    throw new Error(
      `HP: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  // Only the keys given: the schema would fill in its defaults for the rest.
  const given = new Set(Object.keys(parsed as object));
  overrides = Object.fromEntries(
    Object.entries(checked.data).filter(([k]) => given.has(k)),
  ) as Partial<Rl2Config>;
}
const info = await initBackend(backend);
const family = getFamily(familyId);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const allSetups: { label: string; config: Partial<Rl2Config> }[] = [
  { label: 'tfjs, 1 thread', config: { gradients: 'tfjs', updateThreads: 1 } },
  { label: `tfjs, ${threads} threads`, config: { gradients: 'tfjs', updateThreads: threads } },
  { label: 'js, 1 thread', config: { gradients: 'js', updateThreads: 1 } },
  { label: `js, ${threads} threads`, config: { gradients: 'js', updateThreads: threads } },
];
const setups = allSetups.filter((s) => gradients === undefined || s.config.gradients === gradients);
const rows: { label: string; sampling: number; update: number; total: number; steps: number }[] =
  [];
let shape = '';
for (const { label, config } of setups) {
  const learner = new Rl2({
    family,
    config: { ...rl2FamilyDefaults(familyId), ...overrides, ...config } as Partial<Rl2Config>,
    seed: 1,
    workers,
  });
  shape = `hidden ${learner.config.hiddenSize}, ${learner.config.metaBatchSize} tasks × ${learner.config.trialsPerTask} trials × ${learner.config.episodesPerTrial} episodes, ${learner.config.epochs} epochs × ${learner.config.minibatches} minibatches`;
  if (checkpoint) await learner.loadState((await readCheckpoint(checkpoint)).learner);
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
  `\nRL² on ${familyId}${checkpoint ? ` from ${checkpoint}` : ''}, backend ${info.name}, ${workers} sampler workers, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${shape}`,
);
console.log(
  `| update | sampling s | update s | total s/iter | env steps/iter | update speed-up vs ${rows[0].label} |`,
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.label} | ${r.sampling.toFixed(2)} | ${r.update.toFixed(2)} | ${r.total.toFixed(2)} | ${r.steps.toFixed(0)} | ${(rows[0].update / r.update).toFixed(2)}× |`,
  );
}
