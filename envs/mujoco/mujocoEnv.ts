// The MuJoCo layer every MuJoCo family builds on: one env = one MjData on a shared,
// per-thread MjModel compiled from an MJCF string (./runtime.ts). It steps with a frame
// skip, resets to the model's initial state (keyframe 0 if the model has one, else qpos0)
// plus Gaussian noise drawn from the env's own Rng, exposes qpos/qvel/body quantities to the
// family, and describes the scene from the model's geoms so the viewer draws any MuJoCo
// model with no family-specific code: each geom is one scene body posed every frame from
// geom_xpos/geom_xmat (geoms of the world body are static).
//
// Geom conventions: MuJoCo's capsules/cylinders lie along their local z with size (radius,
// half-length) and boxes/ellipsoids give half-sizes; the scene format wants capsules and
// cylinders along local x and full box sizes, so the conversion happens here (a fixed
// quarter turn about y appended to the geom's orientation). Planes keep their normal on z,
// which is the scene's up axis for MuJoCo models.
//
// Memory: MjData lives on the WebAssembly heap, which no JS garbage collector frees.
// close() deletes it; a FinalizationRegistry deletes it for envs dropped without close(),
// so a sampler that forgets is slow to give memory back but never leaks it for good.
// Typed-array views onto the heap are detached when the heap grows (another env allocated):
// they are re-fetched at the start of every call that reads them.
import type { MjData, MjModel } from '@mujoco/mujoco';
import type { Info, ResetResult, StepResult } from '../../src/core/env';
import { Rng } from '../../src/core/rng';
import { Box } from '../../src/core/spaces';
import type { JsonObject } from '../../src/shared/json';
import {
  POSE_SIZE,
  type Geom,
  type SceneBody,
  type SceneDescription,
} from '../../src/shared/scene';
import { modelFor, mujoco } from './runtime';

/** What the family needs computed after each step, beyond qpos/qvel. */
export type PostStep =
  /** Positions, centres of mass and subtree COM velocities (cheap: no collision detection). */
  | 'kinematics'
  /** Everything above plus contact forces (cfrc_ext): a full forward pass and the post-constraint pass. */
  | 'contacts';

export interface MujocoEnvOptions {
  family: string;
  xml: string;
  frameSkip: number;
  horizon: number;
  observationSize: number;
  /** Std of the Gaussian noise added to the initial qpos and qvel. */
  qposNoise: number;
  qvelNoise: number;
  post: PostStep;
  /** Scene body names (geom names) the camera follows and the trail traces. */
  follow?: string;
  trail: string;
  bounds: SceneDescription['bounds'];
  floor?: SceneDescription['floor'];
  markers: SceneBody[];
  /** How a 2-D preview looks at the model: from above or from the side. */
  view2d: 'top' | 'side';
}

/** Heap views of one MjData/MjModel pair (re-fetched when the heap grows). */
interface Views {
  qpos: Float64Array;
  qvel: Float64Array;
  ctrl: Float64Array;
  xpos: Float64Array;
  xmat: Float64Array;
  subtreeCom: Float64Array;
  subtreeLinvel: Float64Array;
  cfrcExt: Float64Array;
  geomXpos: Float64Array;
  geomXmat: Float64Array;
}

const finalizer = new FinalizationRegistry<MjData>((data) => {
  try {
    data.delete();
  } catch {
    // Already deleted through close().
  }
});

const SQRT1_2 = Math.SQRT1_2;

export abstract class MujocoEnv<T extends JsonObject> {
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly horizon: number;
  task: T;
  /** The task of the current episode (setTask takes effect at the next reset). */
  protected current: T;
  protected readonly model: MjModel;
  private data: MjData | null;
  private v!: Views;
  private rng: Rng;
  protected t = 0;
  protected readonly obs: Float32Array;
  /** The action of the last step after clipping (NaN → 0), for reward terms. */
  protected readonly act: Float32Array;
  private readonly geomKind: Int32Array;
  private readonly geomBody: Int32Array;
  private readonly initQpos: Float64Array;
  private readonly freeQuatAdr: number[] = [];
  private readonly token = {};
  readonly nu: number;

  constructor(
    protected readonly opts: MujocoEnvOptions,
    task: T,
    seed: number,
  ) {
    const mj = mujoco();
    this.model = modelFor(opts.xml);
    const m = this.model;
    this.data = new mj.MjData(m);
    finalizer.register(this, this.data, this.token);
    this.nu = m.nu;
    this.horizon = opts.horizon;
    this.observationSpace = new Box(-Infinity, Infinity, opts.observationSize);
    this.actionSpace = new Box(-1, 1, m.nu);
    this.obs = new Float32Array(opts.observationSize);
    this.act = new Float32Array(m.nu);
    this.task = structuredClone(task);
    this.current = this.task;
    this.rng = new Rng(seed);
    this.geomKind = Int32Array.from(m.geom_type as Int32Array);
    this.geomBody = Int32Array.from(m.geom_bodyid as Int32Array);
    this.initQpos = Float64Array.from(
      m.nkey > 0 ? (m.key_qpos as Float64Array).subarray(0, m.nq) : (m.qpos0 as Float64Array),
    );
    const freeType = mj.mjtJoint.mjJNT_FREE.value;
    const jntType = m.jnt_type as Int32Array;
    const jntAdr = m.jnt_qposadr as Int32Array;
    for (let j = 0; j < m.njnt; j++)
      if (jntType[j] === freeType) this.freeQuatAdr.push(jntAdr[j] + 3);
    this.refresh();
    this.resetState();
  }

  setTask(task: T): void {
    this.task = structuredClone(task);
  }

  /** Free the simulation state (idempotent). The env cannot be used afterwards. */
  close(): void {
    if (!this.data) return;
    finalizer.unregister(this.token);
    this.data.delete();
    this.data = null;
  }

  get closed(): boolean {
    return this.data === null;
  }

  private d(): MjData {
    if (!this.data) throw new Error(`${this.opts.family}: the env was closed`);
    return this.data;
  }

  /** Re-fetch the heap views if the heap grew since they were taken (detached views have length 0). */
  protected refresh(): Views {
    if (this.v && this.v.qpos.length !== 0) return this.v;
    const d = this.d();
    this.v = {
      qpos: d.qpos,
      qvel: d.qvel,
      ctrl: d.ctrl,
      xpos: d.xpos,
      xmat: d.xmat,
      subtreeCom: d.subtree_com,
      subtreeLinvel: d.subtree_linvel,
      cfrcExt: d.cfrc_ext,
      geomXpos: d.geom_xpos,
      geomXmat: d.geom_xmat,
    };
    return this.v;
  }

  /** The state's heap views: valid until the next allocation on the heap (read them, don't keep them). */
  get views(): Readonly<Views> {
    return this.refresh();
  }

  /** The shared model and this env's data, for tests and tools that read MuJoCo directly. */
  get sim(): { model: MjModel; data: MjData } {
    return { model: this.model, data: this.d() };
  }

  /**
   * MuJoCo's warning counters summed (arena full, bad qacc, …) since the last reset; a
   * healthy simulation keeps this at 0.
   */
  warningCount(): number {
    // The vector belongs to the MjData (deleting it aborts); each element read is a copy
    // that must be deleted (measured: not deleting them grows the heap).
    const vec = this.d().warning;
    let n = 0;
    for (let i = 0; i < vec.size(); i++) {
      const w = vec.get(i);
      if (w) {
        n += w.number;
        w.delete();
      }
    }
    return n;
  }

  /** Simulated seconds per env step. */
  get dt(): number {
    return this.model.opt.timestep * this.opts.frameSkip;
  }

  /** Body id by name (throws naming the body if the model has none). */
  bodyId(name: string): number {
    const id = mujoco().mj_name2id(this.model, mujoco().mjtObj.mjOBJ_BODY.value, name);
    if (id < 0) throw new Error(`${this.opts.family}: the model has no body "${name}"`);
    return id;
  }

  private resetState(): void {
    const mj = mujoco();
    const m = this.model;
    const d = this.d();
    mj.mj_resetData(m, d);
    const v = this.refresh();
    const r = this.rng;
    // Noise as in rllab's MujocoEnv: every qpos, then every qvel, one normal draw each.
    for (let i = 0; i < m.nq; i++) v.qpos[i] = this.initQpos[i] + this.opts.qposNoise * r.normal();
    for (let i = 0; i < m.nv; i++) v.qvel[i] = this.opts.qvelNoise * r.normal();
    // Noise on a free joint's quaternion leaves it slightly off unit length: renormalise.
    for (const a of this.freeQuatAdr) {
      const n = Math.hypot(v.qpos[a], v.qpos[a + 1], v.qpos[a + 2], v.qpos[a + 3]);
      for (let k = 0; k < 4; k++) v.qpos[a + k] /= n;
    }
    this.t = 0;
    this.afterStep(true);
  }

  reset(opts?: { seed?: number }): ResetResult {
    if (opts?.seed !== undefined) this.rng = new Rng(opts.seed);
    this.current = this.task;
    this.resetState();
    this.writeObs(this.obs);
    return { obs: this.obs, info: {} };
  }

  /** The returned `obs` is this env's own buffer: valid until the next reset/step. */
  step(action: Float32Array): StepResult {
    const mj = mujoco();
    const m = this.model;
    const d = this.d();
    const v = this.refresh();
    for (let k = 0; k < this.nu; k++) {
      const a = action[k];
      const c = a > 1 ? 1 : a < -1 ? -1 : a === a ? a : 0;
      this.act[k] = c;
      v.ctrl[k] = c;
    }
    this.beforeStep();
    for (let s = 0; s < this.opts.frameSkip; s++) mj.mj_step(m, d);
    this.afterStep(false);
    this.t++;
    this.writeObs(this.obs);
    const reward = this.reward(this.current);
    const terminated = this.isTerminal();
    const info: Info = {};
    return {
      obs: this.obs,
      reward,
      terminated,
      truncated: !terminated && this.t >= this.horizon,
      info,
    };
  }

  /** Bring the derived quantities the family reads up to date with qpos/qvel. */
  private afterStep(full: boolean): void {
    const mj = mujoco();
    const m = this.model;
    const d = this.d();
    if (full || this.opts.post === 'contacts') {
      mj.mj_forward(m, d);
      if (this.opts.post === 'contacts') mj.mj_rnePostConstraint(m, d);
    } else {
      // mj_step left positions one step behind qpos; recompute only what the family reads.
      mj.mj_kinematics(m, d);
      mj.mj_comPos(m, d);
      mj.mj_comVel(m, d);
    }
    mj.mj_subtreeVel(m, d);
  }

  /** Hook before the physics steps (e.g. remember a position). */
  protected beforeStep(): void {}

  protected abstract writeObs(out: Float32Array): void;
  protected abstract reward(task: T): number;
  protected abstract isTerminal(): boolean;
  /** Pose of marker `i` (position; identity orientation unless written). */
  protected abstract markerPose(i: number, task: T, out: Float32Array, offset: number): void;

  /** Sum of squares of the last clipped action. */
  protected actionSq(): number {
    let s = 0;
    for (let k = 0; k < this.nu; k++) s += this.act[k] * this.act[k];
    return s;
  }

  scene(): SceneDescription {
    const mj = mujoco();
    const m = this.model;
    const size = m.geom_size as Float64Array;
    const rgba = m.geom_rgba as Float32Array;
    const G = mj.mjtGeom;
    const bodies: SceneBody[] = [];
    for (let g = 0; g < m.ngeom; g++) {
      const s = [size[3 * g], size[3 * g + 1], size[3 * g + 2]];
      let geom: Geom;
      switch (this.geomKind[g]) {
        case G.mjGEOM_PLANE.value:
          geom = { type: 'plane', size: [2 * s[0], 2 * s[1]] };
          break;
        case G.mjGEOM_SPHERE.value:
          geom = { type: 'sphere', radius: s[0] };
          break;
        case G.mjGEOM_CAPSULE.value:
          geom = { type: 'capsule', radius: s[0], length: 2 * s[1] };
          break;
        case G.mjGEOM_CYLINDER.value:
          geom = { type: 'cylinder', radius: s[0], length: 2 * s[1] };
          break;
        case G.mjGEOM_BOX.value:
          geom = { type: 'box', size: [2 * s[0], 2 * s[1], 2 * s[2]] };
          break;
        case G.mjGEOM_ELLIPSOID.value:
          geom = { type: 'ellipsoid', radii: [s[0], s[1], s[2]] };
          break;
        default:
          throw new Error(
            `${this.opts.family}: geom ${this.geomName(g)} has a type the scene format cannot draw (meshes and height fields are not supported)`,
          );
      }
      const a = rgba[4 * g + 3];
      const body: SceneBody = {
        name: this.geomName(g),
        geom,
        color: cssColor(rgba[4 * g], rgba[4 * g + 1], rgba[4 * g + 2]),
      };
      if (this.geomBody[g] === 0) body.static = true;
      if (a < 1) body.opacity = a;
      bodies.push(body);
    }
    const desc: SceneDescription = {
      family: this.opts.family,
      up: 'z',
      bodies,
      markers: this.opts.markers.map((mk) => ({ ...mk })),
      bounds: { min: [...this.opts.bounds.min], max: [...this.opts.bounds.max] },
      trail: this.opts.trail,
      view2d: this.opts.view2d,
    };
    if (this.opts.follow) desc.follow = this.opts.follow;
    if (this.opts.floor) desc.floor = { ...this.opts.floor };
    desc.stepSeconds = this.dt;
    return desc;
  }

  private geomName(g: number): string {
    const mj = mujoco();
    const name = mj.mj_id2name(this.model, mj.mjtObj.mjOBJ_GEOM.value, g);
    return name || `geom${g}`;
  }

  /** Pose of every geom, then every marker: [x, y, z, qw, qx, qy, qz] each (metres, z up). */
  frame(
    out = new Float32Array((this.model.ngeom + this.opts.markers.length) * POSE_SIZE),
  ): Float32Array {
    const v = this.refresh();
    const G = mujoco().mjtGeom;
    const capsule = G.mjGEOM_CAPSULE.value;
    const cylinder = G.mjGEOM_CYLINDER.value;
    const ng = this.model.ngeom;
    for (let g = 0; g < ng; g++) {
      const o = g * POSE_SIZE;
      out[o] = v.geomXpos[3 * g];
      out[o + 1] = v.geomXpos[3 * g + 1];
      out[o + 2] = v.geomXpos[3 * g + 2];
      matToQuat(v.geomXmat, 9 * g, out, o + 3);
      const k = this.geomKind[g];
      if (k === capsule || k === cylinder) turnZToX(out, o + 3);
    }
    for (let i = 0; i < this.opts.markers.length; i++) {
      const o = (ng + i) * POSE_SIZE;
      out[o + 3] = 1;
      out[o + 4] = 0;
      out[o + 5] = 0;
      out[o + 6] = 0;
      this.markerPose(i, this.current, out, o);
    }
    return out;
  }
}

/** Unit quaternion (w, x, y, z) of a row-major rotation matrix, written at out[o..o+3]. */
export function matToQuat(
  r: ArrayLike<number>,
  i: number,
  out: Float32Array | Float64Array,
  o: number,
): void {
  const m00 = r[i];
  const m01 = r[i + 1];
  const m02 = r[i + 2];
  const m10 = r[i + 3];
  const m11 = r[i + 4];
  const m12 = r[i + 5];
  const m20 = r[i + 6];
  const m21 = r[i + 7];
  const m22 = r[i + 8];
  const tr = m00 + m11 + m22;
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = 0.25 * s;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    w = (m21 - m12) / s;
    x = 0.25 * s;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = 0.25 * s;
    z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = 0.25 * s;
  }
  const n = Math.hypot(w, x, y, z);
  out[o] = w / n;
  out[o + 1] = x / n;
  out[o + 2] = y / n;
  out[o + 3] = z / n;
}

/**
 * q ← q ⊗ r with r a −90° turn about y, which takes local x onto local z: a shape built
 * along x (the scene's capsules) then lies along the MuJoCo geom's z axis.
 */
function turnZToX(q: Float32Array, o: number): void {
  const w = q[o];
  const x = q[o + 1];
  const y = q[o + 2];
  const z = q[o + 3];
  // r = (cos(−π/4), 0, sin(−π/4), 0)
  const rw = SQRT1_2;
  const ry = -SQRT1_2;
  q[o] = w * rw - y * ry;
  q[o + 1] = x * rw - z * ry;
  q[o + 2] = y * rw + w * ry;
  q[o + 3] = z * rw + x * ry;
}

function cssColor(r: number, g: number, b: number): string {
  const h = (c: number) =>
    Math.round(Math.min(1, Math.max(0, c)) * 255)
      .toString(16)
      .padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}
