// RL² trial sampler: rolls out many trials at once (tasks × trials per task), each trial
// being K consecutive episodes of the same task with one recurrent policy whose hidden
// state is kept across those episodes.
//
// RL² input (garage's RL2Env wrapper, Duan et al. 2016): the policy sees
//   [observation, previous action, previous reward, done]
// where "previous" is the transition that led to this observation. At the start of a
// trial they are zeros. When an episode ends, the env is reset at once and the first
// observation of the next episode carries the last action/reward of the finished episode
// and done = 1 (garage drops that final transition because its wrapper returns zeros on
// reset; keeping it is what the RL² paper describes and tells the agent the episode ended
// and how it ended). The hidden state is reset only at the start of a trial.
//
// Both cores: trials are split into contiguous ranges over worker threads (TrialSampler),
// like MAML's episode sampler. The policy forward is plain JS (GruJs, the same maths as the
// tfjs cell in src/policies/gruPolicy.ts), so workers need no tfjs. Trial i draws its env
// seed and its action noise from its own streams, derived from (seed, i) only: a batch is
// identical for any number of workers and any split.
import type { Worker } from 'node:worker_threads';
import { prepareFamily, type TaskFamily, type Env } from '../core/env';
import { Rng } from '../core/rng';
import type { JsonObject } from '../shared/json';
import type { EpisodeRecord } from './sampler';
import { type GruWeights, GruJs } from '../policies/gruPolicyJs';
import { episodeSeed } from './rollout';
import { resolveFamily } from './families';
import { startWorker } from './workers';

/** Size of the RL² policy input for a family. */
export function rl2InputSize(observationSize: number, actionSize: number): number {
  return observationSize + actionSize + 2;
}

/** Everything a trial needs, as plain data (it crosses to worker threads as it is). */
export interface TrialRequest {
  /** A registered family id (workers rebuild the family from the registry). */
  familyId: string;
  /** One entry per trial slot (repeat a task to give it several trials). */
  tasks: JsonObject[];
  /** K: episodes per trial. */
  episodesPerTrial: number;
  weights: GruWeights;
  /** Trial i takes its env seed and action noise from (seed, i) alone. */
  seed: number;
  /** Multiply rewards by this before feeding them back as input (keeps inputs O(1)). */
  rewardInputScale: number;
  /**
   * Clip every policy input (observation, previous action, scaled reward) to [−c, c]; 0 or
   * absent = no clipping.
   */
  inputClip?: number;
  /** Take the mean action instead of sampling. */
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

/** One trial as a worker returns it (arrays cut to the trial's length). */
export interface TrialPart {
  slot: number;
  length: number;
  inputs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  episodeOf: Uint8Array;
  episodeReturns: Float64Array;
  episodeLengths: Int32Array;
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

function validate(req: TrialRequest, family: TaskFamily): void {
  const K = req.episodesPerTrial;
  if (!Number.isInteger(K) || K < 1 || K > 255)
    throw new Error(`episodesPerTrial must be an integer in [1, 255], got ${K}`);
  if (req.tasks.length === 0) throw new Error('sampleTrials: no tasks');
  if (!Number.isInteger(req.seed))
    throw new Error(`sampleTrials: seed must be an integer, got ${req.seed}`);
  const I = rl2InputSize(family.observationSize, family.actionSize);
  if (req.weights.inputSize !== I || req.weights.actionSize !== family.actionSize) {
    throw new Error(
      `sampleTrials: policy sizes (${req.weights.inputSize}→${req.weights.actionSize}) do not match family ${family.id} (${I}→${family.actionSize})`,
    );
  }
}

/** Roll out trials [i0, i1) of the request, one after another (each has its own streams). */
export function runTrials(
  family: TaskFamily,
  req: TrialRequest,
  i0: number,
  i1: number,
): TrialPart[] {
  const K = req.episodesPerTrial;
  const O = family.observationSize;
  const A = family.actionSize;
  const I = rl2InputSize(O, A);
  const T = K * family.horizon;
  const policy = new GruJs(req.weights);
  const std = policy.logStd.map((v) => Math.exp(v));
  let logNorm = 0;
  for (let k = 0; k < A; k++) logNorm += policy.logStd[k] + HALF_LOG_2PI;
  const x = new Float32Array(I);
  const clip = req.inputClip ?? 0;
  const mean = new Float64Array(A);
  const envAction = new Float32Array(A);
  const parts: TrialPart[] = [];

  for (let i = i0; i < i1; i++) {
    const envSeed = episodeSeed(req.seed, 2 * i);
    const noise = new Rng(episodeSeed(req.seed, 2 * i + 1));
    const env = family.make(req.tasks[i], envSeed);
    const { center, half } = actionMap(env);
    const inputs = new Float32Array(T * I);
    const actions = new Float32Array(T * A);
    const logProbs = new Float32Array(T);
    const values = new Float32Array(T);
    const rewards = new Float32Array(T);
    const episodeOf = new Uint8Array(T);
    const episodeReturns = new Float64Array(K);
    const episodeLengths = new Int32Array(K);
    const records: EpisodeRecord[] | undefined = req.record ? [] : undefined;
    let recObs: number[] = [];
    let recAct: number[] = [];
    let recRew: number[] = [];
    let recFrames: Float32Array[] = [];

    const obs = new Float32Array(O);
    obs.set(env.reset({ seed: envSeed }).obs);
    if (req.recordFrames) recFrames.push(env.frame());
    const prevAction = new Float32Array(A);
    let prevReward = 0;
    let prevDone = 0;
    let episode = 0;
    policy.resetState();
    let t = 0;
    for (; t < T; t++) {
      x.set(obs, 0);
      x.set(prevAction, O);
      x[O + A] = prevReward * req.rewardInputScale;
      x[O + A + 1] = prevDone;
      if (clip > 0)
        for (let q = 0; q < I; q++) x[q] = x[q] < -clip ? -clip : x[q] > clip ? clip : x[q];
      inputs.set(x, t * I);
      const value = policy.step(x, mean);
      let lp = -logNorm;
      for (let k = 0; k < A; k++) {
        const eps = req.deterministic ? 0 : noise.normal();
        const a = mean[k] + std[k] * eps;
        actions[t * A + k] = a;
        lp -= 0.5 * eps * eps;
        const u = a < -1 ? -1 : a > 1 ? 1 : a;
        prevAction[k] = u;
        envAction[k] = center[k] + half[k] * u;
      }
      logProbs[t] = lp;
      values[t] = value;
      episodeOf[t] = episode;
      const r = env.step(envAction);
      rewards[t] = r.reward;
      episodeReturns[episode] += r.reward;
      episodeLengths[episode]++;
      if (records) {
        for (let k = 0; k < O; k++) recObs.push(obs[k]);
        for (let k = 0; k < A; k++) recAct.push(envAction[k]);
        recRew.push(r.reward);
        if (req.recordFrames) recFrames.push(env.frame());
      }
      prevReward = r.reward;
      if (r.terminated || r.truncated) {
        if (records) {
          records.push({
            stage: episode,
            index: i,
            return: episodeReturns[episode],
            length: episodeLengths[episode],
            observations: Float32Array.from(recObs),
            actions: Float32Array.from(recAct),
            rewards: Float32Array.from(recRew),
            ...(req.recordFrames ? { frames: recFrames } : {}),
          });
          recObs = [];
          recAct = [];
          recRew = [];
          recFrames = [];
        }
        episode++;
        if (episode >= K) {
          t++;
          break;
        }
        // Next episode of the same trial: the env resets, the hidden state does not.
        obs.set(env.reset().obs);
        if (req.recordFrames) recFrames.push(env.frame());
        prevDone = 1;
      } else {
        obs.set(r.obs);
        prevDone = 0;
      }
    }
    const L = t;
    parts.push({
      slot: i,
      length: L,
      inputs: inputs.slice(0, L * I),
      actions: actions.slice(0, L * A),
      logProbs: logProbs.slice(0, L),
      values: values.slice(0, L),
      rewards: rewards.slice(0, L),
      episodeOf: episodeOf.slice(0, L),
      episodeReturns,
      episodeLengths,
      ...(records ? { records } : {}),
    });
    // Envs on a WebAssembly simulator hold heap memory the garbage collector cannot free.
    env.close?.();
  }
  return parts;
}

/** Lay trial parts (any order, covering every slot once) into one row-major batch. */
export function assembleTrials(
  family: TaskFamily,
  req: TrialRequest,
  parts: TrialPart[],
): TrialBatch {
  const N = req.tasks.length;
  const K = req.episodesPerTrial;
  const A = family.actionSize;
  const I = rl2InputSize(family.observationSize, A);
  const T = K * family.horizon;
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
  const records: EpisodeRecord[] = [];
  for (const p of parts) {
    const i = p.slot;
    batch.inputs.set(p.inputs, i * T * I);
    batch.actions.set(p.actions, i * T * A);
    batch.logProbs.set(p.logProbs, i * T);
    batch.values.set(p.values, i * T);
    batch.rewards.set(p.rewards, i * T);
    batch.mask.fill(1, i * T, i * T + p.length);
    batch.episodeOf.set(p.episodeOf, i * T);
    batch.lengths[i] = p.length;
    batch.episodeReturns.set(p.episodeReturns, i * K);
    batch.episodeLengths.set(p.episodeLengths, i * K);
    batch.envSteps += p.length;
    if (p.records) records.push(...p.records);
  }
  if (req.record) batch.records = records.sort((a, b) => a.stage - b.stage || a.index - b.index);
  return batch;
}

/** All trials of a request in the calling thread (tests, tiny jobs). */
export function sampleTrials(family: TaskFamily, req: TrialRequest): TrialBatch {
  validate(req, family);
  return assembleTrials(family, req, runTrials(family, req, 0, req.tasks.length));
}

/** What a trial worker is sent and answers. */
export interface TrialJob {
  id: number;
  req: TrialRequest;
  i0: number;
  i1: number;
}
export type TrialReply = { id: number; parts: TrialPart[] } | { id: number; error: string };

/**
 * Trials over worker threads (one per core by default; 0 = the calling thread). The family
 * must be a registered one: workers rebuild it from its id.
 */
export class TrialSampler {
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (p: TrialPart[]) => void; reject: (err: Error) => void }
  >();
  private closed = false;

  constructor(readonly numWorkers: number) {
    if (!Number.isInteger(numWorkers) || numWorkers < 0)
      throw new Error(`TrialSampler: workers must be a non-negative integer, got ${numWorkers}`);
  }

  /**
   * Threads start on the first batch that uses them, not with the learner: the trainer also
   * builds learners only to load, save or adapt once, and a thread takes a while to boot.
   */
  private startWorkers(): void {
    for (let w = this.workers.length; w < this.numWorkers; w++) {
      const worker = startWorker('trialSamplerWorker');
      worker.on('message', (m: TrialReply) => this.onReply(m));
      worker.on('error', (err) => this.failAll(err));
      // Idle workers must not keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
  }

  private onReply(m: TrialReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('error' in m) p.reject(new Error(`trial sampler worker failed: ${m.error}`));
    else p.resolve(m.parts);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async sample(family: TaskFamily, req: TrialRequest): Promise<TrialBatch> {
    if (this.closed) throw new Error('TrialSampler is closed');
    validate(req, family);
    await prepareFamily(family);
    const N = req.tasks.length;
    if (this.numWorkers === 0) return assembleTrials(family, req, runTrials(family, req, 0, N));
    if (resolveFamily(req.familyId) !== family) {
      throw new Error(
        `TrialSampler: family "${req.familyId}" is not the registered family of that id; sample it with workers: 0`,
      );
    }
    this.startWorkers();
    const W = Math.min(this.workers.length, N);
    const jobs: Promise<TrialPart[]>[] = [];
    for (let w = 0; w < W; w++) {
      const i0 = Math.floor((w * N) / W);
      const i1 = Math.floor(((w + 1) * N) / W);
      const id = this.nextId++;
      const worker = this.workers[w];
      jobs.push(
        new Promise<TrialPart[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.ref();
          worker.postMessage({ id, req, i0, i1 } satisfies TrialJob);
        }).finally(() => worker.unref()),
      );
    }
    return assembleTrials(family, req, (await Promise.all(jobs)).flat());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('TrialSampler closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
