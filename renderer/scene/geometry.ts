// Geometry for the scene description's geoms (metres, body-local frame). Capsules and
// cylinders lie along local x and planes are normal to the scene's up axis (the contract in
// src/shared/scene.ts), while three.js builds them along y: the rotation is baked into the
// geometry once, so posing a body is a plain position + quaternion copy every frame.
import {
  BoxGeometry,
  BufferGeometry,
  CapsuleGeometry,
  CylinderGeometry,
  PlaneGeometry,
  SphereGeometry,
} from 'three';
import type { Geom } from '../../src/shared/scene';

/**
 * Segments of curved surfaces: 'full' on a GPU; 'low' on software GL, where every vertex of
 * twenty agents is CPU time and bodies a few dozen pixels across look the same with fewer.
 */
export type Detail = 'full' | 'low';
const SEGMENTS = {
  full: { around: 24, along: 16, cap: 6, capsuleAround: 16 },
  low: { around: 14, along: 10, cap: 3, capsuleAround: 10 },
} as const;

/** Build the geometry of one geom. `up` decides which local plane a `plane` lies in. */
export function buildGeometry(geom: Geom, up: 'y' | 'z', detail: Detail = 'full'): BufferGeometry {
  const n = SEGMENTS[detail];
  switch (geom.type) {
    case 'box':
      // Sizes are full extents along the body's local x, y, z.
      return new BoxGeometry(geom.size[0], geom.size[1], geom.size[2]);
    case 'sphere':
      return new SphereGeometry(geom.radius, n.around, n.along);
    case 'capsule':
      return new CapsuleGeometry(geom.radius, geom.length, n.cap, n.capsuleAround).rotateZ(
        -Math.PI / 2,
      );
    case 'cylinder':
      return new CylinderGeometry(geom.radius, geom.radius, geom.length, n.around).rotateZ(
        -Math.PI / 2,
      );
    case 'ellipsoid':
      return new SphereGeometry(1, n.around, n.along).scale(
        geom.radii[0],
        geom.radii[1],
        geom.radii[2],
      );
    case 'plane': {
      const g = new PlaneGeometry(geom.size[0], geom.size[1]);
      // PlaneGeometry is normal to +z: right for up 'z'; for up 'y' turn it to face +y.
      return up === 'y' ? g.rotateX(-Math.PI / 2) : g;
    }
  }
}

/** Stable key of a geom, so bodies with the same shape share one geometry. */
export function geomKey(geom: Geom): string {
  switch (geom.type) {
    case 'box':
      return `box:${geom.size.join(',')}`;
    case 'sphere':
      return `sphere:${geom.radius}`;
    case 'capsule':
    case 'cylinder':
      return `${geom.type}:${geom.radius}:${geom.length}`;
    case 'ellipsoid':
      return `ellipsoid:${geom.radii.join(',')}`;
    case 'plane':
      return `plane:${geom.size.join(',')}`;
  }
}

/**
 * Geometries shared by every agent of one scene (20 agents replaying the same family
 * draw the same shapes). Owned by the SceneView; disposed with the scene.
 */
export class GeometryCache {
  private readonly byKey = new Map<string, BufferGeometry>();

  constructor(
    private readonly up: 'y' | 'z',
    private readonly detail: Detail = 'full',
  ) {}

  get(geom: Geom): BufferGeometry {
    const key = geomKey(geom);
    let g = this.byKey.get(key);
    if (!g) {
      g = buildGeometry(geom, this.up, this.detail);
      this.byKey.set(key, g);
    }
    return g;
  }

  get size(): number {
    return this.byKey.size;
  }

  dispose(): void {
    for (const g of this.byKey.values()) g.dispose();
    this.byKey.clear();
  }
}
