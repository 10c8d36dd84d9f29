// Resource bounds of a run, checked before any training starts: a config inside every
// field's range can still ask for more memory than the machine has (a 4 × 1024 policy with
// 1000 tasks × 1000 episodes per meta-iteration). The estimate counts the dominant terms:
//
//   steps  = tasks × episodes per task × horizon × stages held at once
//            (MAML: every stage's rollouts are kept for the meta-gradient, stages = innerSteps + 1;
//             RL²: episodes per task = trialsPerTask × episodesPerTrial, one stage)
//   bytes  = 4 × [ steps × (obs + 2·act + 6 + 4·A)  +  32 × P ]
//
// where A is the policy's activations per step (MLP: the sum of the hidden widths; GRU: 4 ×
// hidden, its gates and state), kept for the forward, backward and curvature passes, obs +
// 2·act + 6 the per-step rollout record (observation, action, its mean, reward, value,
// advantage, log-probability, weights), and P the policy's parameter count, held in some 32
// copies (gradients, optimiser moments, conjugate-gradient vectors, worker replicas).
// It is an estimate of the order of magnitude, not a bound: it decides whether a run is
// plainly too large for this machine, not how close to the edge one may go.
import os from 'node:os';
import type { AlgoSpec } from '../algos/registry';
import type { JsonObject } from '../shared/json';

export interface FamilySize {
  observationSize: number;
  actionSize: number;
  horizon: number;
}

export interface MemoryEstimate {
  bytes: number;
  /** Environment steps held at once. */
  steps: number;
  /** Policy parameters. */
  parameters: number;
  /** How the figure was reached, in words (for refusal messages). */
  detail: string;
}

/** Limit above which a run is refused unless the config allows large runs: half this machine's memory. */
export function memoryLimitBytes(): number {
  return Math.floor(os.totalmem() / 2);
}

const int = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

function mlpParameters(sizes: number[]): number {
  let p = 0;
  for (let i = 0; i + 1 < sizes.length; i++) p += sizes[i] * sizes[i + 1] + sizes[i + 1];
  return p;
}

/** The memory a meta-iteration of `spec` with validated hyper-parameters `hyper` needs on `family`. */
export function estimateTrainingMemory(
  family: FamilySize,
  spec: AlgoSpec,
  hyper: JsonObject,
): MemoryEstimate {
  const obs = family.observationSize;
  const act = family.actionSize;
  const tasks = spec.metaBatchSize(hyper);
  let episodes: number;
  let stages = 1;
  let activations: number;
  let parameters: number;
  if (Array.isArray(hyper.hidden)) {
    // Gaussian MLP learners (MAML and its baselines).
    const hidden = hyper.hidden.map((h) => int(h, 0));
    episodes = int(hyper.episodesPerTask, 1);
    stages = int(hyper.innerSteps, 0) + 1;
    activations = hidden.reduce((a, b) => a + b, 0);
    parameters = mlpParameters([obs, ...hidden, act]) + act;
  } else if (typeof hyper.hiddenSize === 'number') {
    // Recurrent learners (RL²): input = observation, previous action, reward, done.
    const h = hyper.hiddenSize;
    const input = obs + act + 2;
    episodes = int(hyper.trialsPerTask, 1) * int(hyper.episodesPerTrial, 1);
    activations = 4 * h;
    parameters = 3 * (input + h) * h + 6 * h + (h + 1) * (act + 1) + act;
  } else {
    episodes = 1;
    activations = 0;
    parameters = act;
  }
  const steps = tasks * episodes * family.horizon * stages;
  const bytes = 4 * (steps * (obs + 2 * act + 6 + 4 * activations) + 32 * parameters);
  const detail =
    `${tasks} tasks × ${episodes} episodes × ${family.horizon} steps × ${stages} stage${stages === 1 ? '' : 's'} = ${steps.toLocaleString('en-US')} steps held, ` +
    `${(obs + 2 * act + 6 + 4 * activations).toLocaleString('en-US')} floats each; ${parameters.toLocaleString('en-US')} parameters`;
  return { bytes, steps, parameters, detail };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${units[i]}`;
}

/** A refusal message when the estimate is above the limit and large runs are not allowed; null otherwise. */
export function memoryRefusal(
  estimate: MemoryEstimate,
  allowLarge: boolean,
  limit = memoryLimitBytes(),
): string | null {
  if (allowLarge || estimate.bytes <= limit) return null;
  return (
    `This run would need about ${formatBytes(estimate.bytes)} of memory (${estimate.detail}), above the limit of ${formatBytes(limit)} (half of this machine's memory). ` +
    'Lower the tasks, episodes, hidden sizes or inner steps, or allow it on a machine that has the memory: --allow-large (config "allowLarge": true).'
  );
}
