// Plain-data helpers over scene frames (no three.js, so they are unit-tested in Node):
// where a body sits in a frame, and the trail of a body through a rollout.
import { POSE_SIZE, type SceneDescription } from '../../src/shared/scene';

/** Index of a body (then markers) in a frame, by name; -1 if absent. */
export function poseIndex(scene: SceneDescription, name: string): number {
  const b = scene.bodies.findIndex((x) => x.name === name);
  if (b >= 0) return b;
  const m = scene.markers.findIndex((x) => x.name === name);
  return m >= 0 ? scene.bodies.length + m : -1;
}

/**
 * Positions (x, y, z flat) of the scene's trail body over a rollout's frames, lifted by
 * `lift` along the up axis so the line is not hidden in the floor.
 */
export function trailFromFrames(
  scene: SceneDescription,
  frames: readonly Float32Array[],
  lift = 0,
  out?: Float32Array,
): Float32Array {
  const idx = poseIndex(scene, scene.trail);
  if (idx < 0)
    throw new Error(`scene "${scene.family}": trail body "${scene.trail}" is not in the scene`);
  const pts = out && out.length >= frames.length * 3 ? out : new Float32Array(frames.length * 3);
  const upAxis = scene.up === 'z' ? 2 : 1;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const o = idx * POSE_SIZE;
    if (f.length < o + 3)
      throw new Error(
        `frame ${i} has ${f.length} floats, needs at least ${o + 3} for "${scene.trail}"`,
      );
    pts[i * 3] = f[o];
    pts[i * 3 + 1] = f[o + 1];
    pts[i * 3 + 2] = f[o + 2];
    pts[i * 3 + upAxis] += lift;
  }
  return pts;
}

/** Check a frame has a pose for every body and marker of the scene. */
export function checkFrame(scene: SceneDescription, frame: Float32Array): void {
  const need = (scene.bodies.length + scene.markers.length) * POSE_SIZE;
  if (frame.length < need) {
    throw new Error(
      `frame for "${scene.family}" has ${frame.length} floats; ${scene.bodies.length} bodies + ${scene.markers.length} markers need ${need}`,
    );
  }
}
