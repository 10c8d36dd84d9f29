// Scene description and frame format: how any environment family is drawn without
// family-specific renderer code. The scene is static (sent once); a frame is a flat array
// of poses sent every step. Poses are 3-D from the start so a 3-D family needs no
// renderer change.

/** Geometry of a body, in metres, in the body's local frame (centred on its pose). */
export type Geom =
  | { type: 'box'; size: [number, number, number] }
  | { type: 'sphere'; radius: number }
  /** Capsule / cylinder lie along the local x axis; `length` excludes the caps. */
  | { type: 'capsule'; radius: number; length: number }
  | { type: 'cylinder'; radius: number; length: number }
  /** Semi-axes along the local x, y, z axes. */
  | { type: 'ellipsoid'; radii: [number, number, number] }
  /** A plane through the local origin, normal along the scene's up axis. */
  | { type: 'plane'; size: [number, number] };

/**
 * Colour of a family's goal marker: a red no adaptation stage, trail or body uses, so the
 * goal never reads as one more trail. The renderer draws it as a beacon (pole and flag).
 */
export const GOAL_COLOR = '#ff2a2a';

export interface SceneBody {
  name: string;
  geom: Geom;
  /** CSS colour, e.g. '#4f8cff'. */
  color: string;
  /** Static bodies (ground, walls) never move: their pose in the frame stays constant. */
  static?: boolean;
  opacity?: number;
}

export interface SceneDescription {
  family: string;
  /** Which world axis points up: 'z' for top-down families (point-nav, reacher), 'y' for side-view ones (cheetah, cartpole). */
  up: 'y' | 'z';
  /** Bodies, in frame order. */
  bodies: SceneBody[];
  /** Markers such as the goal; posed after the bodies in each frame. */
  markers: SceneBody[];
  /** World-space box the task lives in, for default camera framing. */
  bounds: { min: [number, number, number]; max: [number, number, number] };
  /** Name of the body a follow-camera tracks (runners), if any. */
  follow?: string;
  /** Simulated seconds per frame (one env step), so the viewer can read speeds off the poses. */
  stepSeconds?: number;
  /** The body whose trajectory is drawn as the adaptation trail. */
  trail: string;
  /** Floor height along `up` and the plane a click on the floor maps to a goal, if the family has goals. */
  floor?: { height: number; goalParams?: [string, string] };
  /**
   * For 3-D scenes (poses with any rotation, up 'z'): how a flat 2-D preview projects them —
   * from above ('top', along −z) or from the side ('side', along +y). Planar families leave
   * it unset: their poses turn only about the view axis.
   */
  view2d?: 'top' | 'side';
}

/** Floats per pose in a frame: x, y, z, qw, qx, qy, qz. */
export const POSE_SIZE = 7;

/** Write the pose of a planar body (position x, y in the up='y' or 'z' plane and a rotation about the plane's normal). */
export function writePlanarPose(
  frame: Float32Array,
  index: number,
  x: number,
  y: number,
  angle: number,
  z = 0,
): void {
  const o = index * POSE_SIZE;
  frame[o] = x;
  frame[o + 1] = y;
  frame[o + 2] = z;
  const h = angle / 2;
  frame[o + 3] = Math.cos(h);
  frame[o + 4] = 0;
  frame[o + 5] = 0;
  frame[o + 6] = Math.sin(h);
}

export function frameSize(scene: SceneDescription): number {
  return (scene.bodies.length + scene.markers.length) * POSE_SIZE;
}
