// The moving bodies of every agent, instanced: one InstancedMesh per moving body of the
// family, one instance per agent (tinted with the agent's colour). Twenty agents cost as
// many draw calls as one, which is what keeps software GL fast. Poses land in the instance
// matrices in place; flush() queues the upload of the slots that changed (one range per mesh).
import {
  Color,
  Group,
  InstancedBufferAttribute,
  InstancedMesh,
  Matrix4,
  MeshLambertMaterial,
  Quaternion,
  Vector3,
  type Material,
} from 'three';
import { POSE_SIZE, type SceneDescription } from '../../../src/shared/scene';
import type { GeometryCache } from '../geometry';
import type { Layer } from './layer';
import { UploadRange } from './uploadRange';

// Scratch for instance matrices: allocated once.
const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3(1, 1, 1);
const _zero = new Vector3(0, 0, 0);
const _c = new Color();

export class AgentsLayer implements Layer {
  readonly object = new Group();
  private readonly meshes: InstancedMesh[] = [];
  private readonly materials: Material[] = [];
  private readonly poseIndices: number[] = [];
  private readonly baseColors: string[] = [];
  private readonly ids: string[] = [];
  private readonly hidden: boolean[] = [];
  /** Instance slots posed since the last flush (every mesh shares them). */
  private readonly dirty = new UploadRange();
  /** Slots were added, moved or removed: the next flush uploads the whole buffers. */
  private whole = true;
  /** The instance-matrix attributes, for flush(). */
  private readonly matrices: InstancedBufferAttribute[] = [];
  /** Last position (family coordinates) of the follow body, per slot. */
  private followPos = new Float32Array(0);

  constructor(
    private readonly desc: SceneDescription,
    private readonly geometries: GeometryCache,
    private readonly followIndex: number,
    private capacity = 24,
  ) {
    this.object.name = 'agents';
    this.build();
  }

  private build(): void {
    this.desc.bodies.forEach((b, i) => {
      if (b.static) return;
      const mat = new MeshLambertMaterial({
        transparent: (b.opacity ?? 1) < 1,
        opacity: b.opacity ?? 1,
      });
      const mesh = new InstancedMesh(this.geometries.get(b.geom), mat, this.capacity);
      mesh.name = b.name;
      mesh.castShadow = true;
      mesh.receiveShadow = true;
      // Instances move every frame: a cached bounding sphere would cull them wrongly.
      mesh.frustumCulled = false;
      mesh.count = 0;
      // Allocate the colour buffer up front (setColorAt would create it lazily).
      mesh.setColorAt(0, _c.set(b.color));
      this.meshes.push(mesh);
      this.materials.push(mat);
      this.matrices.push(mesh.instanceMatrix);
      this.poseIndices.push(i);
      this.baseColors.push(b.color);
      this.object.add(mesh);
    });
    this.followPos = new Float32Array(this.capacity * 3);
  }

  private grow(): void {
    // Rare (more agents than ever before): rebuild with twice the room, keeping nothing per frame.
    const old = {
      meshes: this.meshes.splice(0),
      materials: this.materials.splice(0),
      followPos: this.followPos,
    };
    this.poseIndices.length = 0;
    this.baseColors.length = 0;
    this.matrices.length = 0;
    this.capacity *= 2;
    this.build();
    old.meshes.forEach((m, k) => {
      const n = this.ids.length;
      for (let i = 0; i < n; i++) {
        m.getMatrixAt(i, _m);
        this.meshes[k].setMatrixAt(i, _m);
        if (m.instanceColor) {
          m.getColorAt(i, _c);
          this.meshes[k].setColorAt(i, _c);
        }
      }
      this.meshes[k].count = n;
      m.removeFromParent();
      m.dispose();
    });
    this.followPos.set(old.followPos);
    for (const mat of old.materials) mat.dispose();
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  agentIds(): string[] {
    return [...this.ids];
  }

  /** Upload the whole instance buffers at the next flush (slots added, moved or removed). */
  private uploadAll(): void {
    this.whole = true;
  }

  add(id: string, color: string | undefined): void {
    if (this.has(id)) this.remove(id);
    if (this.ids.length >= this.capacity) this.grow();
    const slot = this.ids.length;
    this.ids.push(id);
    this.hidden.push(false);
    this.meshes.forEach((m, k) => {
      m.setColorAt(slot, _c.set(color ?? this.baseColors[k]));
      m.setMatrixAt(slot, _m.identity());
      m.count = slot + 1;
      if (m.instanceColor) m.instanceColor.needsUpdate = true;
    });
    this.uploadAll();
  }

  /** Remove an agent: the last slot moves into its place so slots stay dense. */
  remove(id: string): void {
    const slot = this.ids.indexOf(id);
    if (slot < 0) return;
    const last = this.ids.length - 1;
    this.meshes.forEach((m) => {
      if (slot !== last) {
        m.getMatrixAt(last, _m);
        m.setMatrixAt(slot, _m);
        if (m.instanceColor) {
          m.getColorAt(last, _c);
          m.setColorAt(slot, _c);
          m.instanceColor.needsUpdate = true;
        }
      }
      m.count = last;
    });
    this.uploadAll();
    this.followPos.copyWithin(slot * 3, last * 3, last * 3 + 3);
    this.ids[slot] = this.ids[last];
    this.hidden[slot] = this.hidden[last];
    this.ids.pop();
    this.hidden.pop();
  }

  setPose(id: string, frame: Float32Array): boolean {
    const slot = this.ids.indexOf(id);
    if (slot < 0) return false;
    const hidden = this.hidden[slot];
    for (let k = 0; k < this.meshes.length; k++) {
      const o = this.poseIndices[k] * POSE_SIZE;
      _p.set(frame[o], frame[o + 1], frame[o + 2]);
      _q.set(frame[o + 4], frame[o + 5], frame[o + 6], frame[o + 3]);
      _m.compose(_p, _q, hidden ? _zero : _s);
      this.meshes[k].setMatrixAt(slot, _m);
    }
    this.dirty.touch(slot * 16, slot * 16 + 16);
    if (this.followIndex >= 0) {
      const o = this.followIndex * POSE_SIZE;
      this.followPos[slot * 3] = frame[o];
      this.followPos[slot * 3 + 1] = frame[o + 1];
      this.followPos[slot * 3 + 2] = frame[o + 2];
    }
    return true;
  }

  setVisible(id: string, visible: boolean): void {
    const slot = this.ids.indexOf(id);
    if (slot < 0) return;
    this.hidden[slot] = !visible;
    // Takes effect at the next setPose (the pose is not kept, only the matrix): scale it now.
    for (const mesh of this.meshes) {
      mesh.getMatrixAt(slot, _m);
      _m.decompose(_p, _q, _s);
      _m.compose(_p, _q, visible ? _s.set(1, 1, 1) : _zero);
      _s.set(1, 1, 1);
      mesh.setMatrixAt(slot, _m);
    }
    this.dirty.touch(slot * 16, slot * 16 + 16);
  }

  /** Queue the upload of the instance matrices posed since the last flush (call before rendering). */
  flush(): void {
    if (this.whole) {
      this.whole = false;
      this.dirty.reset();
      for (const m of this.matrices) {
        m.clearUpdateRanges();
        m.needsUpdate = true;
      }
      return;
    }
    // Every mesh has the same slots: one span serves them all.
    this.dirty.flush(this.matrices);
  }

  /** Family-coordinate position of the follow body of agent `id`, into `out`. */
  followPosition(id: string, out: Vector3): boolean {
    const slot = this.ids.indexOf(id);
    if (slot < 0 || this.followIndex < 0) return false;
    out.set(this.followPos[slot * 3], this.followPos[slot * 3 + 1], this.followPos[slot * 3 + 2]);
    return true;
  }

  dispose(): void {
    for (const m of this.meshes) m.dispose();
    for (const mat of this.materials) mat.dispose();
    this.meshes.length = 0;
    this.materials.length = 0;
    this.matrices.length = 0;
    this.ids.length = 0;
    this.object.removeFromParent();
    this.object.clear();
  }
}
