// Scene layers (the Foxglove ThreeDeeRender pattern): each layer is an object that owns its
// three.js objects, geometries and materials, and releases them in dispose(). The SceneView
// composes them; nothing here allocates once a layer is built (poses are copied in place).
import {
  BufferAttribute,
  BufferGeometry,
  Color,
  DirectionalLight,
  DoubleSide,
  GridHelper,
  Group,
  HemisphereLight,
  InstancedMesh,
  Line,
  LineBasicMaterial,
  Matrix4,
  Mesh,
  MeshLambertMaterial,
  PlaneGeometry,
  Quaternion,
  Vector3,
  type Material,
  type Object3D,
} from 'three';
import { POSE_SIZE, type SceneBody, type SceneDescription } from '../../src/shared/scene';
import type { GeometryCache } from './geometry';
import { GoalBeacon } from './goalBeacon';

export interface Layer {
  readonly object: Object3D;
  dispose(): void;
}

/** Copy pose `index` of `frame` onto `obj` (frames store qw first; three.js wants x, y, z, w). */
export function applyPose(obj: Object3D, frame: Float32Array, index: number): void {
  const o = index * POSE_SIZE;
  obj.position.set(frame[o], frame[o + 1], frame[o + 2]);
  obj.quaternion.set(frame[o + 4], frame[o + 5], frame[o + 6], frame[o + 3]);
}

function bodyMaterial(color: string, opacity = 1): MeshLambertMaterial {
  return new MeshLambertMaterial({
    color: new Color(color),
    transparent: opacity < 1,
    opacity,
    side: DoubleSide,
  });
}

/** A mesh per body, each with its own material (colours differ per body). */
class BodyMeshes {
  readonly group = new Group();
  readonly meshes: Mesh[] = [];
  /** Frame index of each mesh. */
  readonly poseIndices: number[] = [];
  private readonly materials: Material[] = [];

  add(
    body: SceneBody,
    poseIndex: number,
    geometries: GeometryCache,
    color: string,
    opacity: number,
    isFloor: boolean,
  ): Mesh {
    const mat = bodyMaterial(color, opacity);
    const mesh = new Mesh(geometries.get(body.geom), mat);
    mesh.name = body.name;
    mesh.castShadow = !isFloor;
    // Floors first: the ground under them then fails the depth test instead of being shaded
    // (software GL pays for every shaded pixel).
    if (isFloor) mesh.renderOrder = -2;
    mesh.receiveShadow = true;
    this.group.add(mesh);
    this.meshes.push(mesh);
    this.poseIndices.push(poseIndex);
    this.materials.push(mat);
    return mesh;
  }

  pose(frame: Float32Array): void {
    for (let i = 0; i < this.meshes.length; i++)
      applyPose(this.meshes[i], frame, this.poseIndices[i]);
  }

  dispose(): void {
    // Geometries belong to the shared cache; materials are ours.
    for (const m of this.materials) m.dispose();
    this.materials.length = 0;
    this.meshes.length = 0;
    this.group.removeFromParent();
    this.group.clear();
  }
}

/** Static bodies (floor, walls) and the task's markers (goal): one per scene, shared by every agent. */
export class TaskLayer implements Layer {
  private readonly bodies = new BodyMeshes();
  private beacon: GoalBeacon | null = null;
  get object(): Object3D {
    return this.bodies.group;
  }

  constructor(desc: SceneDescription, geometries: GeometryCache) {
    desc.bodies.forEach((b, i) => {
      if (b.static)
        this.bodies.add(b, i, geometries, b.color, b.opacity ?? 1, b.geom.type === 'plane');
    });
    desc.markers.forEach((m, i) => {
      const mesh = this.bodies.add(
        m,
        desc.bodies.length + i,
        geometries,
        m.color,
        m.opacity ?? 1,
        false,
      );
      mesh.castShadow = false;
      // The goal (first marker of a family with goals on the floor) gets a beacon over it.
      if (i === 0 && desc.floor?.goalParams) {
        const { min, max } = desc.bounds;
        this.beacon = new GoalBeacon(
          Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]),
          m.color,
          desc.up,
        );
        mesh.add(this.beacon.object);
      }
    });
  }

  setFrame(frame: Float32Array): void {
    this.bodies.pose(frame);
  }

  dispose(): void {
    this.beacon?.dispose();
    this.beacon = null;
    this.bodies.dispose();
  }
}

// Scratch for instance matrices: allocated once.
const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3(1, 1, 1);
const _zero = new Vector3(0, 0, 0);
const _c = new Color();

/**
 * The moving bodies of every agent, instanced: one InstancedMesh per moving body of the
 * family, one instance per agent (tinted with the agent's colour). Twenty agents cost as
 * many draw calls as one, which is what keeps software GL near 60 fps.
 */
export class AgentsLayer implements Layer {
  readonly object = new Group();
  private readonly meshes: InstancedMesh[] = [];
  private readonly materials: Material[] = [];
  private readonly poseIndices: number[] = [];
  private readonly baseColors: string[] = [];
  private readonly ids: string[] = [];
  private readonly hidden: boolean[] = [];
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
      m.instanceMatrix.needsUpdate = true;
      if (m.instanceColor) m.instanceColor.needsUpdate = true;
    });
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
      m.instanceMatrix.needsUpdate = true;
    });
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
      const mesh = this.meshes[k];
      mesh.setMatrixAt(slot, _m);
      mesh.instanceMatrix.needsUpdate = true;
    }
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
      mesh.instanceMatrix.needsUpdate = true;
    }
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
    this.ids.length = 0;
    this.object.removeFromParent();
    this.object.clear();
  }
}

/**
 * A polyline in a preallocated buffer: replay reveals it with setDrawRange, so growing the
 * trail during playback allocates nothing. The buffer is only reallocated when a longer
 * trail than ever before is set.
 */
export class TrailLayer implements Layer {
  private readonly geometry = new BufferGeometry();
  private readonly material: LineBasicMaterial;
  private readonly line: Line;
  private capacity = 0;
  private count = 0;

  get object(): Object3D {
    return this.line;
  }

  constructor(
    readonly id: string,
    color: string,
    capacity = 1024,
  ) {
    this.material = new LineBasicMaterial({
      color: new Color(color),
      transparent: true,
      opacity: 0.95,
    });
    this.line = new Line(this.geometry, this.material);
    this.line.name = `trail:${id}`;
    this.line.frustumCulled = false;
    this.ensureCapacity(capacity);
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    this.capacity = Math.max(n, this.capacity * 2);
    const attr = new BufferAttribute(new Float32Array(this.capacity * 3), 3);
    // Replacing the attribute frees the old GPU buffer on the next upload (three.js tracks it by attribute).
    this.geometry.setAttribute('position', attr);
  }

  /** Points as x, y, z flat. */
  setPoints(points: Float32Array): void {
    const n = Math.floor(points.length / 3);
    this.ensureCapacity(n);
    const attr = this.geometry.getAttribute('position') as BufferAttribute;
    (attr.array as Float32Array).set(points.subarray(0, n * 3));
    attr.clearUpdateRanges();
    attr.addUpdateRange(0, n * 3);
    attr.needsUpdate = true;
    this.count = n;
    this.geometry.setDrawRange(0, n);
  }

  /** Show only the first `n` points (progressive reveal during replay). */
  reveal(n: number): void {
    this.geometry.setDrawRange(0, Math.max(0, Math.min(this.count, Math.floor(n))));
  }

  get points(): number {
    return this.count;
  }

  setColor(color: string): void {
    this.material.color.set(color);
  }

  set visible(v: boolean) {
    this.line.visible = v;
  }

  dispose(): void {
    this.line.removeFromParent();
    this.geometry.dispose();
    this.material.dispose();
  }
}

/** Lights, a neutral ground and a grid, sized from the scene's bounds. */
export class EnvironmentLayer implements Layer {
  readonly object = new Group();
  readonly sun: DirectionalLight;
  private readonly ground: Mesh<PlaneGeometry, MeshLambertMaterial>;
  private readonly grid: GridHelper;
  private readonly hemi: HemisphereLight;

  /** `center`/`extent` in world (three.js, y-up) coordinates. */
  constructor(
    floorY: number,
    centerX: number,
    centerZ: number,
    extent: number,
    large: boolean,
    shadows: boolean,
    background: Color = new Color('#f7f8fa'),
  ) {
    // A neutral floor a shade off the background, so a dark theme gets a dark floor (not a white slab).
    const dark = background.getHSL({ h: 0, s: 0, l: 0 }).l < 0.5;
    const white = new Color(0xffffff);
    const groundColor = dark ? background.clone().lerp(white, 0.1) : new Color(0xf3f4f6);
    const gridMajor = dark ? background.clone().lerp(white, 0.24) : new Color(0xc3c9d1);
    const gridMinor = dark ? background.clone().lerp(white, 0.16) : new Color(0xdde1e6);
    this.object.name = 'environment';
    this.hemi = new HemisphereLight(0xffffff, 0xb9c2cc, 1.6);
    this.object.add(this.hemi);

    this.sun = new DirectionalLight(0xffffff, 1.8);
    this.sun.castShadow = shadows;
    this.sun.shadow.mapSize.set(1024, 1024);
    this.sun.shadow.bias = -0.0005;
    this.sun.shadow.normalBias = 0.01;
    this.sun.shadow.radius = 3;
    const cam = this.sun.shadow.camera;
    const s = extent * 0.75;
    cam.left = -s;
    cam.right = s;
    cam.top = s;
    cam.bottom = -s;
    cam.near = 0.01;
    cam.far = extent * 6;
    this.object.add(this.sun, this.sun.target);
    this.placeSun(centerX, floorY, centerZ, extent);

    const groundSize = large ? Math.max(200, extent * 20) : extent * 4;
    this.ground = new Mesh(
      new PlaneGeometry(groundSize, groundSize).rotateX(-Math.PI / 2),
      new MeshLambertMaterial({ color: groundColor }),
    );
    this.ground.name = 'ground';
    // Just below the floor so a family's own floor plane wins the depth test.
    this.ground.position.set(centerX, floorY - extent * 0.002, centerZ);
    this.ground.receiveShadow = true;
    this.ground.renderOrder = -1;
    this.object.add(this.ground);

    const step = niceStep(extent / 10);
    const divisions = Math.min(400, Math.round(groundSize / step));
    this.grid = new GridHelper(divisions * step, divisions, gridMajor, gridMinor);
    this.grid.position.set(snap(centerX, step), floorY + extent * 0.0005, snap(centerZ, step));
    this.object.add(this.grid);
  }

  /** Keep the sun (and its shadow frustum) over the point of interest, e.g. a running agent. */
  placeSun(x: number, floorY: number, z: number, extent: number): void {
    this.sun.position.set(x + extent * 0.6, floorY + extent * 2.2, z + extent * 1.1);
    this.sun.target.position.set(x, floorY, z);
    this.sun.target.updateMatrixWorld();
  }

  dispose(): void {
    this.object.removeFromParent();
    this.ground.geometry.dispose();
    this.ground.material.dispose();
    this.grid.dispose();
    this.sun.shadow.dispose();
    this.sun.dispose();
    this.hemi.dispose();
  }
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function snap(v: number, step: number): number {
  return Math.round(v / step) * step;
}
