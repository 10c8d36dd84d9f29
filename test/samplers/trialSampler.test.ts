// The RL² trial sampler: input layout (obs, previous action, previous reward, done), the
// hidden state carried across the episodes of a trial and reset only between trials, and
// agreement between what was sampled (plain-JS GRU) and what the PPO update recomputes (tfjs
// BPTT path), and batches identical for any number of worker threads.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/tf/backend';
import { Rng } from '../../src/core/rng';
import { pointNav } from '../../envs/pointNav';
import type { TaskFamily } from '../../src/core/env';
import {
  type GruParams,
  clippedLogStd,
  disposeParams,
  gaussianLogProb,
  gruCell,
  gruRollout,
  heads,
  initGruParams,
  paramList,
  paramsFromList,
} from '../../src/policies/gruPolicy';
import { gruWeights } from '../../src/policies/gruPolicyJs';
import {
  rl2InputSize,
  sampleTrials,
  TrialSampler,
  type TrialBatch,
  type TrialRequest,
} from '../../src/samplers/trialSampler';

const family = pointNav as unknown as TaskFamily;
const H = 16;
const K = 2;
const O = 2;
const A = 2;
const I = rl2InputSize(O, A);

/**
 * Recompute the value of every step from the recorded inputs with the functional cell,
 * starting each trial from h = 0 and resetting h at episode starts only if `resetPerEpisode`.
 */
function recomputeValues(p: GruParams, b: TrialBatch, resetPerEpisode: boolean): Float32Array {
  const out = new Float32Array(b.numTrials * b.maxSteps);
  tf.tidy(() => {
    for (let i = 0; i < b.numTrials; i++) {
      let h = tf.zeros([1, H]) as tf.Tensor2D;
      for (let t = 0; t < b.lengths[i]; t++) {
        const s = i * b.maxSteps + t;
        if (resetPerEpisode && t > 0 && b.episodeOf[s] !== b.episodeOf[s - 1]) h = tf.zeros([1, H]);
        h = gruCell(p, tf.tensor2d(b.inputs.subarray(s * I, (s + 1) * I), [1, I]), h);
        out[s] = heads(p, h).value.dataSync()[0];
      }
    }
  });
  return out;
}

describe('RL² trial sampler', () => {
  let params: GruParams;
  const request = (
    ts: object[],
    k: number,
    seed: number,
    extra: Partial<TrialRequest> = {},
  ): TrialRequest => ({
    familyId: family.id,
    tasks: ts as TrialRequest['tasks'],
    episodesPerTrial: k,
    weights: gruWeights(params),
    seed,
    rewardInputScale: 1,
    ...extra,
  });
  let batch: TrialBatch;
  const tasks = [{ goal: [0.3, -0.2] }, { goal: [-0.4, 0.1] }, { goal: [0.05, 0.45] }];

  beforeAll(async () => {
    await initBackend('cpu');
    const init = initGruParams({ inputSize: I, actionSize: A, hiddenSize: H }, new Rng(5), -1);
    // Stronger weights than the default init so the memory visibly matters.
    params = paramsFromList(paramList(init).map((t) => tf.tidy(() => tf.mul(t, 3))));
    disposeParams(init);
    batch = sampleTrials(family, request(tasks, K, 11));
  });
  afterAll(() => disposeParams(params));

  it('feeds [obs, previous action, previous reward, done] with zeros at the trial start and done = 1 after a reset', () => {
    const T = batch.maxSteps;
    for (let i = 0; i < batch.numTrials; i++) {
      expect(Array.from(batch.inputs.subarray(i * T * I, i * T * I + I))).toEqual([
        0, 0, 0, 0, 0, 0,
      ]);
      let boundaries = 0;
      for (let t = 1; t < batch.lengths[i]; t++) {
        const s = i * T + t;
        const x = batch.inputs.subarray(s * I, (s + 1) * I);
        const prevAct = batch.actions.subarray((s - 1) * A, s * A);
        // Previous action (clipped to the unit box) and reward of the transition before.
        for (let k = 0; k < A; k++)
          expect(x[O + k]).toBeCloseTo(Math.max(-1, Math.min(1, prevAct[k])), 6);
        expect(x[O + A]).toBeCloseTo(batch.rewards[s - 1], 6);
        const newEpisode = batch.episodeOf[s] !== batch.episodeOf[s - 1];
        expect(x[O + A + 1]).toBe(newEpisode ? 1 : 0);
        if (newEpisode) {
          boundaries++;
          // The env was reset: point-nav starts at the origin again.
          expect([x[0], x[1]]).toEqual([0, 0]);
        }
      }
      expect(boundaries).toBe(K - 1);
      expect(batch.episodeLengths[i * K] + batch.episodeLengths[i * K + 1]).toBe(batch.lengths[i]);
    }
  });

  it('keeps the hidden state across the episodes of a trial (and this check would catch a per-episode reset)', () => {
    const carried = recomputeValues(params, batch, false);
    const reset = recomputeValues(params, batch, true);
    let maxCarried = 0;
    let maxResetEp2 = 0;
    for (let s = 0; s < batch.values.length; s++) {
      if (!batch.mask[s]) continue;
      maxCarried = Math.max(maxCarried, Math.abs(carried[s] - batch.values[s]));
      if (batch.episodeOf[s] === 1)
        maxResetEp2 = Math.max(maxResetEp2, Math.abs(reset[s] - batch.values[s]));
    }
    expect(maxCarried).toBeLessThan(1e-4);
    // Had the sampler reset h at the episode boundary, episode 2 would match `reset` instead.
    expect(maxResetEp2).toBeGreaterThan(1e-2);
  });

  it('resets the hidden state between trials: the same trials sampled again give the same numbers', () => {
    const again = sampleTrials(family, request(tasks, K, 11));
    expect(Array.from(again.values)).toEqual(Array.from(batch.values));
    expect(Array.from(again.actions)).toEqual(Array.from(batch.actions));
    // A different trial order changes nothing for a given trial: no state leaks between slots.
    const one = sampleTrials(family, request([tasks[0]], K, 11));
    const T = batch.maxSteps;
    expect(Array.from(one.values)).toEqual(Array.from(batch.values.subarray(0, T)));
    expect(Array.from(one.actions)).toEqual(Array.from(batch.actions.subarray(0, T * A)));
  });

  it('the BPTT path (gruRollout) reproduces the sampled values and log-probabilities', () => {
    const T = batch.maxSteps;
    const N = batch.numTrials;
    const X = new Float32Array(T * N * I);
    const acts = new Float32Array(T * N * A);
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        const s = i * T + t;
        X.set(batch.inputs.subarray(s * I, (s + 1) * I), (t * N + i) * I);
        acts.set(batch.actions.subarray(s * A, (s + 1) * A), (t * N + i) * A);
      }
    }
    const [v, lp] = tf.tidy(() => {
      const { mean, value } = gruRollout(params, tf.tensor3d(X, [T, N, I]), tf.zeros([N, H]));
      return [
        value.dataSync(),
        gaussianLogProb(mean, clippedLogStd(params), tf.tensor2d(acts, [T * N, A])).dataSync(),
      ];
    });
    let worstV = 0;
    let worstLp = 0;
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < batch.lengths[i]; t++) {
        worstV = Math.max(worstV, Math.abs(v[t * N + i] - batch.values[i * T + t]));
        worstLp = Math.max(worstLp, Math.abs(lp[t * N + i] - batch.logProbs[i * T + t]));
      }
    }
    expect(worstV).toBeLessThan(1e-4);
    expect(worstLp).toBeLessThan(1e-3);
  });

  it('records every episode of every trial in stage order, with frames when asked', () => {
    const r = sampleTrials(
      family,
      request([tasks[0], tasks[0]], 3, 2, { record: true, recordFrames: true }),
    );
    expect(r.records!.map((e) => [e.stage, e.index])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);
    for (const e of r.records!) {
      expect(e.rewards.length).toBe(e.length);
      expect(e.observations.length).toBe(e.length * O);
      expect(e.frames!.length).toBe(e.length + 1);
      expect(e.return).toBeCloseTo(
        e.rewards.reduce((a, b) => a + b, 0),
        3,
      );
    }
  });

  it('clips every input to [−inputClip, inputClip] when asked, and only the input', () => {
    const c = 0.05;
    const r = sampleTrials(family, request([tasks[0]], K, 3, { record: true, inputClip: c }));
    const clip = (v: number) => Math.max(-c, Math.min(c, v));
    let clipped = 0;
    let t = 0;
    for (const e of r.records!) {
      for (let j = 0; j < e.length; j++, t++) {
        const x = r.inputs.subarray(t * I, (t + 1) * I);
        for (let k = 0; k < O; k++) {
          expect(x[k]).toBeCloseTo(clip(e.observations[j * O + k]), 6);
          if (Math.abs(e.observations[j * O + k]) > c) clipped++;
        }
        for (let k = 0; k < A; k++) expect(Math.abs(x[O + k])).toBeLessThanOrEqual(Math.fround(c));
        if (t > 0) expect(x[O + A]).toBeCloseTo(clip(r.rewards[t - 1]), 6);
      }
    }
    expect(t).toBe(r.lengths[0]);
    // The episodes went past the bound, so the check above saw clipped observations, and the
    // environment's own rewards stayed unclipped.
    expect(clipped).toBeGreaterThan(0);
    expect(Math.min(...r.rewards.subarray(0, t))).toBeLessThan(-c);
  });

  it('gives the same batch in this thread, on 1 worker and on 2 workers (records and frames included)', async () => {
    const many = Array.from({ length: 7 }, (_, i) => tasks[i % tasks.length]);
    const req = request(many, K, 21, { record: true, recordFrames: true });
    const local = sampleTrials(family, req);
    for (const workers of [1, 2]) {
      const sampler = new TrialSampler(workers);
      try {
        const b = await sampler.sample(family, req);
        for (const key of [
          'inputs',
          'actions',
          'logProbs',
          'values',
          'rewards',
          'mask',
          'episodeOf',
          'lengths',
          'episodeReturns',
          'episodeLengths',
        ] as const) {
          expect(Array.from(b[key]), `${key} with ${workers} workers`).toEqual(
            Array.from(local[key]),
          );
        }
        expect(b.envSteps).toBe(local.envSteps);
        expect(b.records!.map((e) => [e.stage, e.index, e.return, e.frames!.length])).toEqual(
          local.records!.map((e) => [e.stage, e.index, e.return, e.frames!.length]),
        );
        expect(Array.from(b.records![3].frames![5])).toEqual(
          Array.from(local.records![3].frames![5]),
        );
      } finally {
        await sampler.close();
      }
    }
  });

  it('refuses a family that workers cannot rebuild from the registry', async () => {
    const sampler = new TrialSampler(1);
    try {
      const impostor = { ...family } as TaskFamily;
      await expect(sampler.sample(impostor, request(tasks, K, 1))).rejects.toThrow(
        /not the registered family/,
      );
    } finally {
      await sampler.close();
    }
  });
});
