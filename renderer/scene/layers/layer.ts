// What every scene layer shares (the Foxglove ThreeDeeRender pattern): a layer owns its
// three.js objects, geometries and materials, and releases them in dispose(). The SceneView
// composes the layers; nothing here allocates once a layer is built (poses are copied in place).
import type { Object3D } from 'three';
import { POSE_SIZE } from '../../../src/shared/scene';

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
