// RL² trial sampler: rolls out many trials at once (tasks × trials per task), each trial
// being K consecutive episodes of the same task, with ONE batched recurrent policy
// forward per time step for all trials.
//
// RL² input (garage's RL2Env wrapper, Duan et al. 2016): the policy sees
//   [observation, previous action, previous reward, done]
// where "previous" is the transition that led to this observation. At the start of a
// trial they are zeros. When an episode ends, the env is reset at once and the first
// observation of the next episode carries the last action/reward of the finished episode
// and done = 1 (garage drops that final transition because its wrapper returns zeros on
// reset; keeping it is what the RL² paper describes and tells the agent the episode ended
// and how it ended). The hidden state is reset only at the start of a trial: the caller
// starts every trial from zeros and this loop never touches it between episodes.
//
// Trials run in-process (no worker threads), so the numbers do not depend on how many
// workers the machine has. All randomness comes from the Rng passed in (action noise,
// env seeds), consumed in slot order.
import * as tf from '@tensorflow/tfjs';
import type { TaskFamily, Env } from '../core/env';
import type { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import type { EpisodeRecord } from '../algos/metaLearner';
import { type GruParams, logStdValues, policyStep } from '../policies/gruPolicy';

/** Size of the RL² policy input for a family. */
export function rl2InputSize(observationSize: number, actionSize: number): number {
  return observationSize + actionSize + 2;
}

export interface TrialSampleOptions {
  family: TaskFamily;
  /** One entry per trial slot (repeat a task to give it several trials). */
  tasks: JsonObject[];
  /** K: episodes per trial. */
  episodesPerTrial: number;
  params: GruParams;
  hiddenSize: number;
  rng: Rng;
  /** Multiply rewards by this before feeding them back as input (keeps inputs O(1)). */
  rewardInputScale: number;
  /** Draw actions from the Gaussian (training) or take the mean. */
  deterministic?: boolean;
  /** Keep per-episode observations/actions/rewards (and frames) as EpisodeRecords. */
  record?: boolean;
  recordFrames?: boolean;
}

/**
 * The rollout storage of one batch of trials, row-major [trial, step, ...], allocated once.
 * Step t of trial i is valid iff t < lengths[i] (mask).
 */
export interface TrialBatch {
  numTrials: number;
  /** Storage length per trial: K × horizon. */
  maxSteps: number;
  inputSize: number;
  actionSize: number;
  inputs: Float32Array;
  /** Raw (unclipped) sampled actions in policy units. */
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  mask: Float32Array;
  /** Episode index (0..K-1) of each step. */
  episodeOf: Uint8Array;
  lengths: Int32Array;
  /** Return and length of episode k of trial i at [i·K + k]. */
  episodeReturns: Float64Array;
  episodeLengths: Int32Array;
  envSteps: number;
  /** Present when `record` was asked for: in stage (episode index) order, then trial order. */
  records?: EpisodeRecord[];
}

/** Policy units → env units: the unit box [-1, 1]^A maps onto the action space (then clipped). */
function actionMap(env: Env): { center: Float32Array; half: Float32Array } {
  const { low, high } = env.actionSpace;
  const A = low.length;
  const center = new Float32Array(A);
  const half = new Float32Array(A);
  for (let k = 0; k < A; k++) {
    const finite = Number.isFinite(low[k]) && Number.isFinite(high[k]);
    center[k] = finite ? (low[k] + high[k]) / 2 : 0;
    half[k] = finite ? (high[k] - low[k]) / 2 : 1;
  }
  return { center, half };
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function sampleTrials(o: TrialSampleOptions): TrialBatch {
  const { family, tasks, params, rng } = o;
  const K = o.episodesPerTrial;
  if (!Number.isInteger(K) || K < 1 || K > 255) throw new Error(`episodesPerTrial must be an integer in [1, 255], got ${K}`);
  const N = tasks.length;
  if (N === 0) throw new Error('sampleTrials: no tasks');
  const O = family.observationSize;
  const A = family.actionSize;
  const I = rl2InputSize(O, A);
  const T = K * family.horizon;
  const H = o.hiddenSize;

  const envs: Env[] = [];
  const obs = new Float32Array(N * O);
  for (let i = 0; i < N; i++) {
    const seed = rng.seed();
    const env = family.make(tasks[i], seed);
    envs.push(env);
    obs.set(env.reset({ seed }).obs, i * O);
  }
  const { center, half } = actionMap(envs[0]);

  const batch: TrialBatch = {
    numTrials: N,
    maxSteps: T,
    inputSize: I,
    actionSize: A,
    inputs: new Float32Array(N * T * I),
    actions: new Float32Array(N * T * A),
    logProbs: new Float32Array(N * T),
    values: new Float32Array(N * T),
    rewards: new Float32Array(N * T),
    mask: new Float32Array(N * T),
    episodeOf: new Uint8Array(N * T),
    lengths: new Int32Array(N),
    episodeReturns: new Float64Array(N * K),
    episodeLengths: new Int32Array(N * K),
    envSteps: 0,
  };

  // Per-slot trial state.
  const prevAction = new Float32Array(N * A);
  const prevReward = new Float32Array(N);
  const prevDone = new Float32Array(N);
  const episode = new Int32Array(N);
  const active = new Uint8Array(N).fill(1);
  let numActive = N;

  // Recording (adaptation / viewer).
  const records: EpisodeRecord[] | undefined = o.record ? [] : undefined;
  const recObs: number[][] = [];
  const recAct: number[][] = [];
  const recRew: number[][] = [];
  const recFrames: Float32Array[][] = [];
  const startRecord = (i: number): void => {
    recObs[i] = [];
    recAct[i] = [];
    recRew[i] = [];
    recFrames[i] = o.recordFrames ? [envs[i].frame()] : [];
  };
  if (records) for (let i = 0; i < N; i++) startRecord(i);

  const logStd = logStdValues(params);
  const std = logStd.map((v) => Math.exp(v));
  let logNorm = 0;
  for (let k = 0; k < A; k++) logNorm += logStd[k] + HALF_LOG_2PI;

  const x = new Float32Array(N * I);
  const envAction = new Float32Array(A);
  let h: tf.Tensor2D = tf.zeros([N, H]);
  try {
    for (let t = 0; t < T && numActive > 0; t++) {
      x.fill(0);
      for (let i = 0; i < N; i++) {
        if (!active[i]) continue;
        const base = i * I;
        for (let k = 0; k < O; k++) x[base + k] = obs[i * O + k];
        for (let k = 0; k < A; k++) x[base + O + k] = prevAction[i * A + k];
        x[base + O + A] = prevReward[i] * o.rewardInputScale;
        x[base + O + A + 1] = prevDone[i];
      }
      const out = policyStep(params, x, h, N);
      h.dispose();
      h = out.h;

      for (let i = 0; i < N; i++) {
        if (!active[i]) continue;
        const s = i * T + t;
        batch.inputs.set(x.subarray(i * I, (i + 1) * I), s * I);
        let lp = -logNorm;
        for (let k = 0; k < A; k++) {
          const eps = o.deterministic ? 0 : rng.normal();
          const a = out.mean[i * A + k] + std[k] * eps;
          batch.actions[s * A + k] = a;
          lp -= 0.5 * eps * eps;
          const u = a < -1 ? -1 : a > 1 ? 1 : a;
          prevAction[i * A + k] = u;
          envAction[k] = center[k] + half[k] * u;
        }
        batch.logProbs[s] = lp;
        batch.values[s] = out.value[i];
        batch.mask[s] = 1;
        batch.episodeOf[s] = episode[i];

        const env = envs[i];
        const r = env.step(envAction);
        batch.envSteps++;
        batch.rewards[s] = r.reward;
        const ek = i * K + episode[i];
        batch.episodeReturns[ek] += r.reward;
        batch.episodeLengths[ek]++;
        if (records) {
          for (let k = 0; k < O; k++) recObs[i].push(obs[i * O + k]);
          for (let k = 0; k < A; k++) recAct[i].push(envAction[k]);
          recRew[i].push(r.reward);
          if (o.recordFrames) recFrames[i].push(env.frame());
        }
        prevReward[i] = r.reward;
        if (r.terminated || r.truncated) {
          if (records) {
            records.push({
              stage: episode[i],
              index: i,
              return: batch.episodeReturns[ek],
              length: batch.episodeLengths[ek],
              observations: Float32Array.from(recObs[i]),
              actions: Float32Array.from(recAct[i]),
              rewards: Float32Array.from(recRew[i]),
              ...(o.recordFrames ? { frames: recFrames[i] } : {}),
            });
          }
          episode[i]++;
          if (episode[i] >= K) {
            active[i] = 0;
            numActive--;
            batch.lengths[i] = t + 1;
            continue;
          }
          // Next episode of the same trial: the env resets, the hidden state does not.
          obs.set(env.reset().obs, i * O);
          prevDone[i] = 1;
          if (records) startRecord(i);
        } else {
          obs.set(r.obs, i * O);
          prevDone[i] = 0;
        }
      }
    }
  } finally {
    h.dispose();
  }
  // A trial can only stop early if every episode ended; with a horizon it never runs past T.
  for (let i = 0; i < N; i++) if (active[i]) batch.lengths[i] = T;
  if (records) batch.records = records.sort((a, b) => a.stage - b.stage || a.index - b.index);
  // Envs on a WebAssembly simulator hold heap memory the garbage collector cannot free.
  for (const e of envs) e.close?.();
  return batch;
}
