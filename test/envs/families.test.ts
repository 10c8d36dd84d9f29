// Properties every environment family must have, checked for each registered family:
// replay of a recorded trajectory, determinism independent of other envs in the process,
// no NaN and joints that hold over 3000 random steps, disjoint reproducible splits,
// task validation that names the field, and scene()/frame() the renderer can rely on.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Matter from 'matter-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { familyIds, getFamily, listFamilies } from '../../envs/registry';
import { type Env, prepareFamily } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import { splitOf } from '../../src/core/tasks';
import { POSE_SIZE, frameSize } from '../../src/shared/scene';
import type { JsonObject } from '../../src/shared/json';
import { RECORDING_INPUTS, type Recording, record } from './recording';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'envs');

/** Families whose task space is too small for disjoint splits (documented in their docs). */
const SHARED_SPLITS = new Set(['cheetah-dir', 'mujoco-cheetah-dir', 'mujoco-ant-dir']);

/** Largest joint separation (m) tolerated over 3000 random steps, per family. */
const MAX_JOINT_GAP: Record<string, number> = {
  reacher: 0.002,
  cartpole: 0.001,
  'cheetah-vel': 0.05,
  'cheetah-dir': 0.05,
};

interface WithGaps {
  jointGaps(): number[];
}

function rollout(env: Env, steps: number, actionSeed: number): number[] {
  const rng = new Rng(actionSeed);
  const a = new Float32Array(env.actionSpace.size);
  const trace: number[] = [];
  for (let t = 0; t < steps; t++) {
    env.actionSpace.sample(rng, a);
    const r = env.step(a);
    trace.push(...r.obs, r.reward);
    if (r.terminated || r.truncated) trace.push(...env.reset().obs);
  }
  return trace;
}

// Families on a WebAssembly simulator load it once before their first make().
beforeAll(async () => {
  for (const id of familyIds()) await prepareFamily(getFamily(id));
});

it('the registry lists every family with docs, sizes and parameters', () => {
  const ids = familyIds();
  expect(ids).toEqual(expect.arrayContaining(['point-nav', 'reacher', 'cartpole']));
  for (const f of listFamilies()) {
    expect(f.docs.observation.length).toBeGreaterThan(10);
    expect(f.docs.tasks?.length ?? 0).toBeGreaterThan(10);
    expect(f.params.length).toBeGreaterThan(0);
    for (const p of f.params) {
      expect(p.min).toBeLessThanOrEqual(p.low);
      expect(p.low).toBeLessThanOrEqual(p.high);
      expect(p.high).toBeLessThanOrEqual(p.max);
    }
  }
});

describe.each(familyIds())('%s', (id) => {
  const family = getFamily(id);
  const tasks = family.sampleTasks(4, new Rng(11), 'train');

  it('replays its recorded trajectory (fixed task, seed and actions)', () => {
    const input = RECORDING_INPUTS[id];
    expect(
      input,
      `add ${id} to RECORDING_INPUTS and run npm run fixtures:envs ${id}`,
    ).toBeDefined();
    const fixture = JSON.parse(readFileSync(join(FIXTURES, `${id}.json`), 'utf8')) as Recording;
    expect(fixture.task).toEqual(input.task);
    const now = record(id);
    expect(now.actions).toEqual(fixture.actions);
    expect(now.terminated).toEqual(fixture.terminated);
    expect(now.truncated).toEqual(fixture.truncated);
    expect(now.obs.length).toBe(fixture.obs.length);
    for (let t = 0; t < now.obs.length; t++) {
      for (let k = 0; k < now.obs[t].length; k++)
        expect(now.obs[t][k]).toBeCloseTo(fixture.obs[t][k], 6);
    }
    for (let t = 0; t < now.rewards.length; t++)
      expect(now.rewards[t]).toBeCloseTo(fixture.rewards[t], 6);
  });

  it('is deterministic given (task, seed), however many envs and bodies the process made before', () => {
    const first = rollout(family.make(tasks[0], 5), 400, 9);
    // Advance matter-js's process-wide id counter and build other envs in between.
    for (let i = 0; i < 50; i++) Matter.Bodies.circle(0, 0, 1);
    const others = tasks.slice(1).map((t, i) => family.make(t, i));
    for (const o of others) rollout(o, 50, 3);
    const second = rollout(family.make(tasks[0], 5), 400, 9);
    expect(second).toEqual(first);
    // Stepping other envs in between (as a vector env does) changes nothing either.
    const a = family.make(tasks[0], 5);
    const b = family.make(tasks[1], 6);
    const rngA = new Rng(9);
    const rngB = new Rng(10);
    const actA = new Float32Array(a.actionSpace.size);
    const actB = new Float32Array(b.actionSpace.size);
    const interleaved: number[] = [];
    for (let t = 0; t < 400; t++) {
      a.actionSpace.sample(rngA, actA);
      const r = a.step(actA);
      interleaved.push(...r.obs, r.reward);
      if (r.terminated || r.truncated) interleaved.push(...a.reset().obs);
      b.actionSpace.sample(rngB, actB);
      const rb = b.step(actB);
      if (rb.terminated || rb.truncated) b.reset();
    }
    expect(interleaved).toEqual(first);
    // reset({ seed }) restarts the same episode on a used env.
    const env = family.make(tasks[0], 123);
    rollout(env, 77, 4);
    env.reset({ seed: 5 });
    const again = rollout(env, 400, 9);
    const fresh = family.make(tasks[0], 0);
    fresh.reset({ seed: 5 });
    expect(again).toEqual(rollout(fresh, 400, 9));
  });

  it('setTask takes effect at the next reset, exactly as a fresh env of that task', () => {
    const env = family.make(tasks[0], 1);
    env.reset({ seed: 2 });
    rollout(env, 50, 3);
    env.setTask(tasks[1]);
    expect(env.task).toEqual(tasks[1]);
    env.reset({ seed: 4 });
    const switched = rollout(env, 300, 5);
    const fresh = family.make(tasks[1], 9);
    fresh.reset({ seed: 4 });
    expect(switched).toEqual(rollout(fresh, 300, 5));
  });

  it('different seeds give different initial states or identical ones only when the start is fixed', () => {
    const a = Array.from(family.make(tasks[0], 1).reset({ seed: 1 }).obs);
    const b = Array.from(family.make(tasks[0], 1).reset({ seed: 2 }).obs);
    if (id === 'point-nav') expect(b).toEqual(a);
    else expect(b).not.toEqual(a);
  });

  it('stays finite and keeps its joints together over 3000 random steps', () => {
    for (const task of [tasks[0], tasks[1]]) {
      const env = family.make(task, 3);
      env.reset({ seed: 3 });
      const rng = new Rng(17);
      const a = new Float32Array(env.actionSpace.size);
      const frame = new Float32Array(frameSize(env.scene()));
      let maxGap = 0;
      let episodes = 0;
      let nonFinite = 0;
      for (let t = 0; t < 3000; t++) {
        env.actionSpace.sample(rng, a);
        const r = env.step(a);
        expect(r.obs.length).toBe(family.observationSize);
        for (const v of r.obs) if (!Number.isFinite(v)) nonFinite++;
        if (!Number.isFinite(r.reward)) nonFinite++;
        env.frame(frame);
        for (const v of frame) if (!Number.isFinite(v)) nonFinite++;
        const gaps = (env as unknown as Partial<WithGaps>).jointGaps?.() ?? [];
        for (const g of gaps) maxGap = Math.max(maxGap, g);
        if (r.terminated || r.truncated) {
          episodes++;
          env.reset();
        }
      }
      expect(nonFinite).toBe(0);
      expect(episodes).toBeGreaterThan(0);
      if (id in MAX_JOINT_GAP) {
        expect(maxGap).toBeGreaterThan(0);
        expect(maxGap).toBeLessThan(MAX_JOINT_GAP[id]);
      }
    }
  });

  it('has reproducible train/test splits, disjoint where the task space allows', () => {
    const train = family.sampleTasks(200, new Rng(1), 'train');
    const test = family.sampleTasks(200, new Rng(1), 'test');
    expect(family.sampleTasks(200, new Rng(1), 'train')).toEqual(train);
    expect(family.sampleTasks(200, new Rng(1), 'test')).toEqual(test);
    expect(family.sampleTasks(200, new Rng(2), 'train')).not.toEqual(train);
    for (const t of [...train, ...test]) expect(family.parseTask(t)).toEqual(t);
    if (SHARED_SPLITS.has(id)) return;
    const key = (t: JsonObject) => JSON.stringify(t);
    const trainKeys = new Set(train.map(key));
    expect(test.filter((t) => trainKeys.has(key(t)))).toEqual([]);
    // Each split is what the hash says it is.
    const values = (t: JsonObject): number[] =>
      JSON.stringify(t)
        .match(/-?\d+(\.\d+)?(e-?\d+)?/g)!
        .map(Number);
    expect(test.every((t) => splitOf(values(t)) === 'test')).toBe(true);
  });

  it('rejects malformed tasks with an error naming the field', () => {
    const good = tasks[0] as Record<string, unknown>;
    expect(() => family.parseTask(null)).toThrow(/object/);
    expect(() => family.parseTask('x')).toThrow(/object/);
    for (const p of family.params) {
      const [field, index] = p.path.split('.');
      const bad = (v: unknown) => {
        const t = structuredClone(good);
        if (index === undefined) t[field] = v;
        else (t[field] as unknown[])[Number(index)] = v;
        return t;
      };
      const pathRe = new RegExp(p.path.replace('.', '\\.'));
      expect(() => family.parseTask(bad('abc'))).toThrow(pathRe);
      expect(() => family.parseTask(bad(Number.NaN))).toThrow(pathRe);
      expect(() => family.parseTask(bad(p.max + 1))).toThrow(pathRe);
      const missing = structuredClone(good);
      delete missing[field];
      expect(() => family.parseTask(missing)).toThrow(new RegExp(field));
    }
  });

  it('describes a scene whose frames match it: 7 floats per body and marker, unit quaternions', () => {
    const env = family.make(tasks[0], 1);
    env.reset({ seed: 1 });
    const scene = env.scene();
    expect(scene.family).toBe(id);
    expect(['y', 'z']).toContain(scene.up);
    const names = [...scene.bodies, ...scene.markers].map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain(scene.trail);
    if (scene.follow) expect(names).toContain(scene.follow);
    const f0 = env.frame();
    expect(f0.length).toBe(frameSize(scene));
    expect(f0.length).toBe(POSE_SIZE * (scene.bodies.length + scene.markers.length));
    const rng = new Rng(2);
    const a = new Float32Array(env.actionSpace.size);
    for (let t = 0; t < 30; t++) {
      env.actionSpace.sample(rng, a);
      if (env.step(a).terminated) break;
    }
    const f1 = env.frame(new Float32Array(f0.length));
    let moved = false;
    for (let i = 0; i < scene.bodies.length + scene.markers.length; i++) {
      const o = i * POSE_SIZE;
      const q = Math.hypot(f1[o + 3], f1[o + 4], f1[o + 5], f1[o + 6]);
      expect(q).toBeCloseTo(1, 5);
      const same = [0, 1, 2, 3, 4, 5, 6].every((k) => f1[o + k] === f0[o + k]);
      if (i < scene.bodies.length && scene.bodies[i].static) expect(same).toBe(true);
      else if (!same) moved = true;
    }
    expect(moved).toBe(true);
    // Bodies stay within the scene's bounds (a generous margin for runners that travel).
    const b = scene.bounds;
    for (let k = 0; k < 3; k++) expect(b.min[k]).toBeLessThan(b.max[k]);
  });
});
