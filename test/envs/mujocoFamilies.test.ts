// The MuJoCo families against their definitions: rewards recomputed by hand (the centre-of-
// mass velocity the way rllab computed it, body by body from mj_objectVelocity), the ant's
// termination rule, no NaN or MuJoCo warning over 10 000 random steps per family, identical
// trajectories in a worker thread and on the main thread, and the sampler's worker pool.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../envs/registry';
import type { MujocoEnv } from '../../envs/mujoco/mujocoEnv';
import { mujoco, wasmHeapBytes } from '../../envs/mujoco/runtime';
import { type Env, prepareFamily } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import type { JsonObject } from '../../src/shared/json';
import { type GaussianMlpSpec, initParams } from '../../src/policies/gaussianMlp';
import { Sampler, type SampleRequest } from '../../src/samplers/sampler';
import { taskFromFloorClick } from '../../renderer/src/viewer/adaptation';
import { trajectory } from './mujoco/trajectory';

const IDS = ['mujoco-cheetah-vel', 'mujoco-cheetah-dir', 'mujoco-ant-dir', 'mujoco-ant-goal'];
type Sim = MujocoEnv<JsonObject> & Env;

beforeAll(async () => {
  for (const id of IDS) await prepareFamily(getFamily(id));
});

function make(id: string, task: JsonObject, seed = 1): Sim {
  return getFamily(id).make(task, seed) as unknown as Sim;
}

/** rllab's get_body_comvel("torso"): Σ m_i·v_i / Σ m_i over the torso's subtree (here, every body). */
function comVelocityByHand(env: Sim): [number, number, number] {
  const mj = mujoco();
  const { model, data } = env.sim;
  const mass = model.body_mass as Float64Array;
  const buf = new mj.DoubleBuffer(6);
  try {
    let m = 0;
    const p = [0, 0, 0];
    for (let b = 1; b < model.nbody; b++) {
      mj.mj_objectVelocity(model, data, mj.mjtObj.mjOBJ_BODY.value, b, buf, 0);
      const v = buf.GetView() as Float64Array;
      for (let k = 0; k < 3; k++) p[k] += mass[b] * v[3 + k];
      m += mass[b];
    }
    return [p[0] / m, p[1] / m, p[2] / m];
  } finally {
    buf.delete();
  }
}

function randomAction(rng: Rng, a: Float32Array): Float32Array {
  for (let k = 0; k < a.length; k++) a[k] = 1.5 * rng.normal();
  return a;
}
const clip = (x: number) => Math.max(-1, Math.min(1, x));
const sq = (a: Float32Array) => a.reduce((s, x) => s + clip(x) ** 2, 0);

describe('rewards match their formulas, recomputed by hand', () => {
  it('mujoco-cheetah-vel: −|v − v_goal| − 0.05·‖a‖²', () => {
    const env = make('mujoco-cheetah-vel', { velocity: 1.3 });
    env.reset({ seed: 2 });
    const rng = new Rng(3);
    const a = new Float32Array(6);
    let checked = 0;
    for (let t = 0; t < 150; t++) {
      const r = env.step(randomAction(rng, a));
      const v = comVelocityByHand(env)[0];
      expect(r.reward).toBeCloseTo(-Math.abs(v - 1.3) - 0.05 * sq(a), 9);
      // The observation is rllab's: qpos without root x, qvel, centre of mass.
      const { qpos, qvel } = env.views;
      for (let i = 1; i < 9; i++) expect(r.obs[i - 1]).toBeCloseTo(qpos[i], 5);
      for (let i = 0; i < 9; i++) expect(r.obs[8 + i]).toBeCloseTo(qvel[i], 4);
      checked++;
    }
    expect(checked).toBe(150);
    env.close();
  });

  it('mujoco-cheetah-dir: d·v − 0.05·‖a‖², and the velocity is the centre of mass’s', () => {
    for (const d of [1, -1] as const) {
      const env = make('mujoco-cheetah-dir', { direction: d });
      env.reset({ seed: 4 });
      const rng = new Rng(5);
      const a = new Float32Array(6);
      let comX = env.reset({ seed: 4 }).obs[17];
      for (let t = 0; t < 200; t++) {
        const r = env.step(randomAction(rng, a));
        const v = comVelocityByHand(env)[0];
        expect(r.reward).toBeCloseTo(d * v - 0.05 * sq(a), 9);
        // Loosely, v is also the centre of mass's displacement over the step (dt 0.01 s).
        expect(Math.abs((r.obs[17] - comX) / 0.01 - v)).toBeLessThan(0.5);
        comX = r.obs[17];
        expect(r.terminated).toBe(false);
        expect(r.truncated).toBe(t === 199);
      }
      env.close();
    }
  });

  it('mujoco-ant-goal: −L1(com − goal) + 4 − ctrl − contact + 0.05, all from the observation', () => {
    const goal: [number, number] = [1.5, -2];
    const env = make('mujoco-ant-goal', { goal });
    env.reset({ seed: 6 });
    const rng = new Rng(7);
    const a = new Float32Array(8);
    let contactSeen = 0;
    for (let t = 0; t < 200; t++) {
      const r = env.step(randomAction(rng, a));
      const o = r.obs;
      const cfrc = o.subarray(29, 29 + 84);
      const contact = 0.0005 * cfrc.reduce((s, x) => s + x * x, 0);
      if (contact > 0) contactSeen++;
      const [x, y] = [o[122], o[123]];
      const want =
        -(Math.abs(x - goal[0]) + Math.abs(y - goal[1])) + 4 - 0.005 * sq(a) - contact + 0.05;
      expect(r.reward).toBeCloseTo(want, 4);
      if (r.terminated || r.truncated) break;
    }
    // The feet touch the floor: contact forces are in the observation and the reward.
    expect(contactSeen).toBeGreaterThan(10);
    env.close();
  });

  it('mujoco-ant-dir: d·v_x − ctrl − contact + 0.05, and termination when the torso leaves [0.2, 1] m', () => {
    for (const d of [1, -1] as const) {
      const env = make('mujoco-ant-dir', { direction: d });
      env.reset({ seed: 8 });
      const rng = new Rng(9);
      const a = new Float32Array(8);
      for (let t = 0; t < 200; t++) {
        const r = env.step(randomAction(rng, a));
        const o = r.obs;
        const contact = 0.0005 * o.subarray(29, 113).reduce((s, x) => s + x * x, 0);
        const v = comVelocityByHand(env)[0];
        expect(r.reward).toBeCloseTo(d * v - 0.005 * sq(a) - contact + 0.05, 4);
        expect(r.terminated).toBe(!(o[2] >= 0.2 && o[2] <= 1.0));
        if (r.terminated || r.truncated) break;
      }
      env.close();
    }
    // Lifted above 1 m, the ant terminates at once.
    const env = make('mujoco-ant-dir', { direction: 1 });
    env.reset({ seed: 1 });
    env.views.qpos[2] = 1.5;
    expect(env.step(new Float32Array(8)).terminated).toBe(true);
    env.close();
  });
});

describe.each(IDS)('%s', (id) => {
  const family = getFamily(id);

  it('stays finite with no MuJoCo warning over 10 000 random steps', () => {
    const env = family.make(family.sampleTasks(1, new Rng(21), 'train')[0], 2) as unknown as Sim;
    env.reset({ seed: 2 });
    const rng = new Rng(22);
    const a = new Float32Array(family.actionSize);
    const frame = new Float32Array(env.frame().length);
    let bad = 0;
    let warnings = 0;
    let episodes = 0;
    for (let t = 0; t < 10_000; t++) {
      // Half the episodes white noise beyond the bounds, half held bang-bang actions.
      if (episodes % 2 === 0) randomAction(rng, a);
      else if (t % 20 === 0) for (let k = 0; k < a.length; k++) a[k] = rng.uniform() < 0.5 ? -1 : 1;
      const r = env.step(a);
      for (const x of r.obs) if (!Number.isFinite(x)) bad++;
      if (!Number.isFinite(r.reward)) bad++;
      for (const x of env.frame(frame)) if (!Number.isFinite(x)) bad++;
      if (r.terminated || r.truncated) {
        warnings += env.warningCount();
        episodes++;
        env.reset();
      }
    }
    expect(bad).toBe(0);
    expect(warnings).toBe(0);
    expect(episodes).toBeGreaterThanOrEqual(50);
    env.close();
  });

  it('rejects out-of-range and malformed tasks in make(), naming the field', () => {
    const p = family.params[0];
    const bad = structuredClone(family.sampleTasks(1, new Rng(1), 'train')[0]) as Record<
      string,
      unknown
    >;
    const [field, index] = p.path.split('.');
    if (index === undefined) bad[field] = p.max + 10;
    else (bad[field] as number[])[Number(index)] = p.max + 10;
    expect(() => family.make(bad as JsonObject, 0)).toThrow(
      new RegExp(`task\\.${p.path.replace('.', '\\.')}`),
    );
    expect(() => family.make({} as JsonObject, 0)).toThrow(new RegExp(field));
  });
});

it('every family gives the same trajectory in a worker thread as on the main thread', async () => {
  const jobs = IDS.map((id) => ({
    id,
    task: getFamily(id).sampleTasks(1, new Rng(31), 'train')[0],
    seed: 5,
    actionSeed: 6,
    steps: 300,
  }));
  const worker = new Worker(new URL('../../src/samplers/tsWorkerBoot.mjs', import.meta.url), {
    workerData: { tsEntry: new URL('./mujoco/trajectoryWorker.ts', import.meta.url).href, jobs },
  });
  const reply = await new Promise<{ before: string; traces: number[][] }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  // Before its thread loaded the runtime, make() said what to await.
  expect(reply.before).toMatch(/prepare\(\)/);
  jobs.forEach((j, i) => {
    const main = trajectory(j.id, j.task, j.seed, j.actionSeed, j.steps);
    expect(main.length).toBeGreaterThan(j.steps * getFamily(j.id).observationSize);
    expect(reply.traces[i]).toEqual(main);
  });
});

it('mujoco-ant-goal: a click on the floor places the goal (x, y), clamped to the allowed range', () => {
  const family = getFamily('mujoco-ant-goal');
  const env = family.make({ goal: [0, 0] }, 1);
  const scene = env.scene();
  env.close?.();
  expect(scene.up).toBe('z');
  expect(scene.floor?.goalParams).toEqual(['goal.0', 'goal.1']);
  expect(taskFromFloorClick(scene, family.params, { goal: [0, 0] }, [1.25, -2.5, 0])).toEqual({
    goal: [1.25, -2.5],
  });
  expect(taskFromFloorClick(scene, family.params, { goal: [0, 0] }, [30, -1, 0])).toEqual({
    goal: [8, -1],
  });
  // The placed goal is a valid task, and the env's marker sits on it.
  const placed = family.parseTask(
    taskFromFloorClick(scene, family.params, { goal: [0, 0] }, [2, 1, 0]),
  );
  const e2 = family.make(placed, 1);
  e2.reset({ seed: 1 });
  const f = e2.frame();
  const o = scene.bodies.length * 7;
  expect([f[o], f[o + 1]]).toEqual([2, 1]);
  e2.close?.();
});

describe('the sampler on MuJoCo families', () => {
  const samplers: Sampler[] = [];
  afterAll(async () => {
    await Promise.all(samplers.map((s) => s.close()));
  });

  it('gives identical episodes in-thread and over 2 worker threads, and frees its envs', async () => {
    const family = getFamily('mujoco-cheetah-vel');
    const spec: GaussianMlpSpec = {
      obsSize: 20,
      actSize: 6,
      hidden: [16, 16],
      activation: 'tanh',
      initStd: 0.5,
    };
    const req: SampleRequest = {
      familyId: family.id,
      tasks: family.sampleTasks(3, new Rng(7), 'train'),
      params: [initParams(spec, new Rng(1))],
      spec,
      episodesPerTask: 4,
      seed: 11,
    };
    const s0 = new Sampler(0);
    const s2 = new Sampler(2);
    samplers.push(s0, s2);
    const [r0, r2] = await Promise.all([s0.sample(req), s2.sample(req)]);
    const flat = (r: typeof r0) =>
      r.episodes
        .flat()
        .map((e) => [e.task, e.index, e.length, ...e.obs, ...e.actions, ...e.rewards]);
    expect(flat(r2)).toEqual(flat(r0));
    expect(r0.steps).toBe(3 * 4 * 200);
    // The in-thread sampler closes its envs: repeated requests leave the heap flat.
    const before = wasmHeapBytes();
    for (let i = 0; i < 10; i++) await s0.sample({ ...req, seed: 100 + i });
    expect(wasmHeapBytes()).toBe(before);
  });
});
