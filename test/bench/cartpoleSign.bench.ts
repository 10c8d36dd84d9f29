// `npm run bench:cartpole-sign`: why cart-pole's gain has a sign. On the held-out test tasks
// (evaluation seed 0, 20 episodes each), mean return of: no push; one fixed linear balancing
// controller; the same controller told the task's gain sign (an oracle). Also on the same
// tasks with every gain made positive, where the fixed controller alone balances everything.
import { cartpole, CartPoleEnv, type CartPoleTask } from '../../envs/cartpole';
import { Rng } from '../../src/core/rng';

type Policy = (obs: Float32Array, task: CartPoleTask) => number;

function episodeReturn(task: CartPoleTask, policy: Policy, seed: number): number {
  const env = new CartPoleEnv(task, seed);
  let obs = env.reset({ seed }).obs;
  let total = 0;
  for (let t = 0; t < env.horizon; t++) {
    const r = env.step(new Float32Array([policy(obs, task)]));
    total += r.reward;
    obs = r.obs;
    if (r.terminated) break;
  }
  return total;
}

const linear = (o: Float32Array): number =>
  Math.max(-1, Math.min(1, 20 * o[2] + o[3] + 0.1 * o[0] + 0.2 * o[1]));
const POLICIES: [string, Policy][] = [
  ['no push', () => 0],
  ['fixed controller', (o) => linear(o)],
  ['controller told the sign (oracle)', (o, t) => Math.sign(t.gain) * linear(o)],
];
const tasks = cartpole.sampleTasks(40, new Rng(0), 'test');
const positive = tasks.map((t) => ({ ...t, gain: Math.abs(t.gain) }));
const mean = (ts: CartPoleTask[], p: Policy): number =>
  ts.reduce(
    (a, t, i) =>
      a +
      Array.from({ length: 20 }, (_, e) => episodeReturn(t, p, 1000 * i + e)).reduce(
        (x, y) => x + y,
        0,
      ) /
        20,
    0,
  ) / ts.length;
console.log(
  `cartpole, 40 held-out test tasks (eval seed 0, ${tasks.filter((t) => t.gain < 0).length} with a negative gain), 20 episodes each`,
);
console.log('| policy | signed gain (the family) | same tasks, gain made positive |');
console.log('|---|---|---|');
for (const [name, p] of POLICIES)
  console.log(`| ${name} | ${mean(tasks, p).toFixed(1)} | ${mean(positive, p).toFixed(1)} |`);
