// The goal as a beacon anyone sees at a glance: a pole standing on the goal with a flag at
// its top and a ring around its foot, in the goal's colour and unlit (so it stays bright on
// software GL without shadows). Sized from the scene's extent, so it reads the same in a
// 2 m point-nav arena and a 0.5 m reacher table. It is a child of the goal marker's mesh and
// moves with it; the geometries and material are its own, released in dispose().
import {
  BufferGeometry,
  Color,
  CylinderGeometry,
  DoubleSide,
  Float32BufferAttribute,
  Group,
  Mesh,
  MeshBasicMaterial,
  RingGeometry,
} from 'three';

export class GoalBeacon {
  readonly object = new Group();
  private readonly geometries: BufferGeometry[] = [];
  private readonly material: MeshBasicMaterial;

  /** `extent`: the scene's size; `up`: the family's up axis (the beacon stands along it). */
  constructor(extent: number, color: string, up: 'y' | 'z') {
    this.material = new MeshBasicMaterial({ color: new Color(color), side: DoubleSide });
    const height = extent * 0.14;
    const pole = new CylinderGeometry(extent * 0.0035, extent * 0.0035, height, 8).translate(
      0,
      height / 2,
      0,
    );
    // A triangular pennant at the top of the pole.
    const flag = new BufferGeometry();
    const w = extent * 0.06;
    const h = extent * 0.035;
    flag.setAttribute(
      'position',
      new Float32BufferAttribute([0, height, 0, w, height - h / 2, 0, 0, height - h, 0], 3),
    );
    flag.computeVertexNormals();
    const ring = new RingGeometry(extent * 0.018, extent * 0.026, 32)
      .rotateX(-Math.PI / 2)
      .translate(0, extent * 0.0008, 0);
    this.geometries.push(pole, flag, ring);
    for (const g of this.geometries) {
      // Built along three.js's y; a z-up family's local frame stands it along z.
      if (up === 'z') g.rotateX(Math.PI / 2);
      const mesh = new Mesh(g, this.material);
      mesh.castShadow = false;
      mesh.receiveShadow = false;
      this.object.add(mesh);
    }
    this.object.name = 'goal-beacon';
  }

  dispose(): void {
    this.object.removeFromParent();
    this.object.clear();
    for (const g of this.geometries) g.dispose();
    this.geometries.length = 0;
    this.material.dispose();
  }
}
