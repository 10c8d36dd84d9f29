// The task layer: static bodies (floor, walls) and the task's markers (the goal), one per
// scene and shared by every agent. The goal of a family with goals on the floor carries a
// beacon (goalBeacon.ts). Without shadows, flat floors are drawn unlit in the colour the
// lights give them (litColor): the same picture for less work per pixel on software GL.
import {
  Color,
  DoubleSide,
  Group,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  type Material,
} from 'three';
import type { Object3D } from 'three';
import type { SceneBody, SceneDescription } from '../../../src/shared/scene';
import type { GeometryCache } from '../geometry';
import { GoalBeacon } from '../goalBeacon';
import { litColor } from './environmentLayer';
import { applyPose, type Layer } from './layer';

function bodyMaterial(color: string, opacity: number, unlit: boolean): Material {
  const opts = { transparent: opacity < 1, opacity, side: DoubleSide };
  return unlit
    ? new MeshBasicMaterial({ ...opts, color: litColor(new Color(color)) })
    : new MeshLambertMaterial({ ...opts, color: new Color(color) });
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
    unlit = false,
  ): Mesh {
    const mat = bodyMaterial(color, opacity, unlit);
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

export class TaskLayer implements Layer {
  private readonly bodies = new BodyMeshes();
  private beacon: GoalBeacon | null = null;
  get object(): Object3D {
    return this.bodies.group;
  }

  /** `shadows`: whether the view draws shadows (without them, floors are drawn unlit). */
  constructor(desc: SceneDescription, geometries: GeometryCache, shadows = true) {
    desc.bodies.forEach((b, i) => {
      if (!b.static) return;
      // Planes are floors: normal to the up axis (the scene contract), so evenly lit.
      const floor = b.geom.type === 'plane';
      this.bodies.add(b, i, geometries, b.color, b.opacity ?? 1, floor, floor && !shadows);
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
