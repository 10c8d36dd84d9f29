// The MuJoCo layer: WebAssembly memory stays flat over make/close cycles (and the measure
// does see a leak), scene/frame agree with MuJoCo's own body poses for every geom at every
// step, capsules point where MuJoCo's do, and bad actions never reach the simulator.
import { beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../../envs/registry';
import type { MujocoEnv } from '../../../envs/mujoco/mujocoEnv';
import { wasmHeapBytes } from '../../../envs/mujoco/runtime';
import { type Env, prepareFamily } from '../../../src/core/env';
import { Rng } from '../../../src/core/rng';
import { POSE_SIZE, frameSize } from '../../../src/shared/scene';
import type { JsonObject } from '../../../src/shared/json';

const IDS = ['mujoco-cheetah-vel', 'mujoco-cheetah-dir', 'mujoco-ant-dir', 'mujoco-ant-goal'];

beforeAll(async () => {
  for (const id of IDS) await prepareFamily(getFamily(id));
});

type Q = [number, number, number, number];
const qmul = (a: Q, b: Q): Q => [
  a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
  a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
  a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
  a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
];
function rotate(q: Q, v: [number, number, number]): [number, number, number] {
  const r = qmul(qmul(q, [0, v[0], v[1], v[2]]), [q[0], -q[1], -q[2], -q[3]]);
  return [r[1], r[2], r[3]];
}
/** q and −q are the same rotation. */
function expectSameRotation(a: Q, b: Q): void {
  const dot = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  expect(dot).toBeCloseTo(1, 5);
}

function makeEnv(id: string, seed = 1): MujocoEnv<JsonObject> & Env {
  const f = getFamily(id);
  return f.make(
    f.sampleTasks(1, new Rng(3), 'train')[0],
    seed,
  ) as unknown as MujocoEnv<JsonObject> & Env;
}

describe('WebAssembly memory', () => {
  it.each(IDS)('%s: 1000 make/step/close cycles leave the heap where it was', (id) => {
    // Warm up: the model compiles once per thread and the allocator settles.
    for (let i = 0; i < 20; i++) {
      const e = makeEnv(id, i);
      e.reset();
      e.close();
    }
    const before = wasmHeapBytes();
    const a = new Float32Array(getFamily(id).actionSize).fill(0.5);
    for (let i = 0; i < 1000; i++) {
      const e = makeEnv(id, i);
      e.reset();
      e.step(a);
      e.frame();
      e.close();
      e.close(); // idempotent
    }
    expect(wasmHeapBytes()).toBe(before);
  });

  it('the measure sees a leak: envs left open grow the heap', () => {
    const before = wasmHeapBytes();
    const open: Env[] = [];
    for (let i = 0; i < 100; i++) open.push(makeEnv('mujoco-ant-goal', i));
    expect(wasmHeapBytes()).toBeGreaterThan(before);
    for (const e of open) e.close!();
  });

  it('a closed env says so instead of touching freed memory', () => {
    const e = makeEnv('mujoco-cheetah-vel');
    e.close();
    expect(() => e.step(new Float32Array(6))).toThrow(/closed/);
  });
});

describe.each(IDS)('%s scene and frames', (id) => {
  it('poses every geom at every step exactly where MuJoCo puts it (body pose ⊗ geom offset)', () => {
    const env = makeEnv(id);
    env.reset({ seed: 4 });
    const scene = env.scene();
    const { model } = env.sim;
    expect(scene.bodies.length).toBe(model.ngeom);
    const frame = new Float32Array(frameSize(scene));
    const rng = new Rng(8);
    const a = new Float32Array(env.actionSpace.size);
    const gBody = model.geom_bodyid as Int32Array;
    const gPos = model.geom_pos as Float64Array;
    const gQuat = model.geom_quat as Float64Array;
    const gSize = model.geom_size as Float64Array;
    for (let t = 0; t < 60; t++) {
      env.actionSpace.sample(rng, a);
      const r = env.step(a);
      env.frame(frame);
      const { data } = env.sim;
      const xpos = data.xpos as Float64Array;
      const xquat = data.xquat as Float64Array;
      for (let g = 0; g < model.ngeom; g++) {
        const b = gBody[g];
        const bq: Q = [xquat[4 * b], xquat[4 * b + 1], xquat[4 * b + 2], xquat[4 * b + 3]];
        const off = rotate(bq, [gPos[3 * g], gPos[3 * g + 1], gPos[3 * g + 2]]);
        const o = g * POSE_SIZE;
        for (let k = 0; k < 3; k++) expect(frame[o + k]).toBeCloseTo(xpos[3 * b + k] + off[k], 5);
        const gq = qmul(bq, [gQuat[4 * g], gQuat[4 * g + 1], gQuat[4 * g + 2], gQuat[4 * g + 3]]);
        const fq: Q = [frame[o + 3], frame[o + 4], frame[o + 5], frame[o + 6]];
        const geom = scene.bodies[g].geom;
        if (geom.type === 'capsule' || geom.type === 'cylinder') {
          // The scene's capsule lies along its local x; MuJoCo's along its local z: same end points.
          const mjEnd = rotate(gq, [0, 0, gSize[3 * g + 1]]);
          const sceneEnd = rotate(fq, [geom.length / 2, 0, 0]);
          for (let k = 0; k < 3; k++) expect(sceneEnd[k]).toBeCloseTo(mjEnd[k], 5);
        } else {
          expectSameRotation(fq, gq);
        }
      }
      if (r.terminated || r.truncated) env.reset();
    }
    env.close();
  });

  it('describes geoms with MuJoCo sizes converted to the scene format', () => {
    const env = makeEnv(id);
    const scene = env.scene();
    const { model } = env.sim;
    const size = model.geom_size as Float64Array;
    const names = scene.bodies.map((b) => b.name);
    expect(names).toContain(scene.trail);
    for (let g = 0; g < model.ngeom; g++) {
      const geom = scene.bodies[g].geom;
      if (geom.type === 'capsule') {
        expect(geom.radius).toBeCloseTo(size[3 * g], 9);
        expect(geom.length).toBeCloseTo(2 * size[3 * g + 1], 9);
      }
    }
    expect(scene.bodies[0]).toMatchObject({ name: 'floor', static: true, geom: { type: 'plane' } });
    env.close();
  });
});

describe('every geom kind of the scene format', () => {
  it('maps box, sphere, capsule, cylinder, ellipsoid and plane geoms of any MJCF model', async () => {
    const { MujocoEnv } = await import('../../../envs/mujoco/mujocoEnv');
    const xml = `<mujoco><worldbody>
      <geom name="ground" type="plane" size="5 4 0.1"/>
      <body name="b" pos="0 0 1"><freejoint/>
        <geom name="box" type="box" size="0.1 0.2 0.3" rgba="1 0 0 0.5"/>
        <geom name="ball" type="sphere" size="0.1" pos="0.5 0 0"/>
        <geom name="cap" type="capsule" size="0.05 0.2" pos="0 0.5 0"/>
        <geom name="cyl" type="cylinder" size="0.05 0.3" pos="0 -0.5 0"/>
        <geom name="egg" type="ellipsoid" size="0.1 0.2 0.3" pos="-0.5 0 0"/>
      </body></worldbody></mujoco>`;
    class Probe extends MujocoEnv<JsonObject> {
      constructor() {
        super(
          {
            family: 'probe',
            xml,
            frameSkip: 2,
            horizon: 10,
            observationSize: 1,
            qposNoise: 0,
            qvelNoise: 0,
            post: 'kinematics',
            trail: 'box',
            bounds: { min: [-1, -1, 0], max: [1, 1, 2] },
            markers: [],
            view2d: 'top',
          },
          {},
          0,
        );
      }
      protected writeObs(out: Float32Array): void {
        out[0] = this.views.qpos[2];
      }
      protected reward(): number {
        return 0;
      }
      protected isTerminal(): boolean {
        return false;
      }
      protected markerPose(): void {}
    }
    const env = new Probe();
    const s = env.scene();
    expect(s.bodies.map((b) => b.geom)).toEqual([
      { type: 'plane', size: [10, 8] },
      { type: 'box', size: [0.2, 0.4, 0.6] },
      { type: 'sphere', radius: 0.1 },
      { type: 'capsule', radius: 0.05, length: 0.4 },
      { type: 'cylinder', radius: 0.05, length: 0.6 },
      { type: 'ellipsoid', radii: [0.1, 0.2, 0.3] },
    ]);
    expect(s.bodies[1]).toMatchObject({ color: '#ff0000', opacity: 0.5 });
    // Falls under gravity over 10 steps of frame skip 2 (dt 0.004 s).
    expect(env.dt).toBeCloseTo(0.004, 9);
    const z0 = env.reset().obs[0];
    for (let t = 0; t < 10; t++) env.step(new Float32Array(0));
    const fell = z0 - env.views.qpos[2];
    expect(fell).toBeCloseTo(0.5 * 9.81 * (20 * 0.002) ** 2, 2);
    env.close();
  });

  it('refuses a geom kind the scene cannot draw, naming it', async () => {
    const { MujocoEnv } = await import('../../../envs/mujoco/mujocoEnv');
    const xml = `<mujoco><asset><hfield name="h" nrow="2" ncol="2" size="1 1 0.1 0.1"/></asset><worldbody><geom name="terrain" type="hfield" hfield="h"/></worldbody></mujoco>`;
    class Probe extends MujocoEnv<JsonObject> {
      constructor() {
        super(
          {
            family: 'probe',
            xml,
            frameSkip: 1,
            horizon: 1,
            observationSize: 0,
            qposNoise: 0,
            qvelNoise: 0,
            post: 'kinematics',
            trail: 'terrain',
            bounds: { min: [0, 0, 0], max: [1, 1, 1] },
            markers: [],
            view2d: 'top',
          },
          {},
          0,
        );
      }
      protected writeObs(): void {}
      protected reward(): number {
        return 0;
      }
      protected isTerminal(): boolean {
        return false;
      }
      protected markerPose(): void {}
    }
    const env = new Probe();
    expect(() => env.scene()).toThrow(/terrain/);
    env.close();
  });
});

describe.each(IDS)('%s actions', (id) => {
  it('treats NaN as 0 and clips out-of-range values, never reaching the simulator with them', () => {
    const A = getFamily(id).actionSize;
    const a = makeEnv(id, 3);
    const b = makeEnv(id, 3);
    a.reset({ seed: 9 });
    b.reset({ seed: 9 });
    const bad = new Float32Array(A);
    const good = new Float32Array(A);
    for (let k = 0; k < A; k++) {
      bad[k] = k % 3 === 0 ? Number.NaN : k % 3 === 1 ? Number.POSITIVE_INFINITY : -7;
      good[k] = k % 3 === 0 ? 0 : k % 3 === 1 ? 1 : -1;
    }
    for (let t = 0; t < 20; t++) {
      const ra = a.step(bad);
      const rb = b.step(good);
      expect(Array.from(ra.obs)).toEqual(Array.from(rb.obs));
      expect(ra.reward).toBe(rb.reward);
      expect(Number.isFinite(ra.reward)).toBe(true);
      if (ra.terminated || ra.truncated) break;
    }
    a.close();
    b.close();
  });
});
