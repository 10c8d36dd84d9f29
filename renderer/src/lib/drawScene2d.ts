// A static 2-D drawing of any family's scene description and one frame, for the family
// cards of the New run screen (cheap: no WebGL context per card). The planar families pose
// bodies in the x-y plane with a rotation about z, seen top-down (up = 'z') or from the side
// (up = 'y'); both project to (x, y).
import {
  POSE_SIZE,
  type Geom,
  type SceneBody,
  type SceneDescription,
} from '../../../src/shared/scene';

export interface DrawOptions {
  background: string;
  /** Extra margin around the scene bounds, as a fraction. */
  margin?: number;
}

function angleOf(frame: ArrayLike<number>, o: number): number {
  // Rotation about z from the quaternion (qw, qx, qy, qz).
  return 2 * Math.atan2(frame[o + 6], frame[o + 3]);
}

function drawGeom(ctx: CanvasRenderingContext2D, g: Geom, s: number, up: 'y' | 'z'): void {
  switch (g.type) {
    case 'plane':
      if (up === 'z') {
        // Seen from above: the floor's extent.
        ctx.fillRect((-g.size[0] / 2) * s, (-g.size[1] / 2) * s, g.size[0] * s, g.size[1] * s);
      } else {
        // Seen from the side the ground is edge-on: a line, with a faint band below it.
        ctx.globalAlpha *= 0.25;
        ctx.fillRect((-g.size[0] / 2) * s, -12, g.size[0] * s, 12);
        ctx.globalAlpha /= 0.25;
        ctx.fillRect((-g.size[0] / 2) * s, -1, g.size[0] * s, 2);
      }
      break;
    case 'box':
      ctx.fillRect((-g.size[0] / 2) * s, (-g.size[1] / 2) * s, g.size[0] * s, g.size[1] * s);
      break;
    case 'sphere':
      ctx.beginPath();
      ctx.arc(0, 0, Math.max(g.radius * s, 3), 0, Math.PI * 2);
      ctx.fill();
      break;
    case 'capsule':
    case 'cylinder': {
      // A disc-like cylinder (a flat marker) is seen along its axis from above: a circle.
      if (g.type === 'cylinder' && g.length < g.radius) {
        ctx.beginPath();
        ctx.arc(0, 0, Math.max(g.radius * s, 3), 0, Math.PI * 2);
        ctx.fill();
        break;
      }
      const w = Math.max(g.radius * 2 * s, 2);
      ctx.lineWidth = w;
      ctx.lineCap = g.type === 'capsule' ? 'round' : 'butt';
      ctx.beginPath();
      ctx.moveTo((-g.length / 2) * s, 0);
      ctx.lineTo((g.length / 2) * s, 0);
      ctx.stroke();
      break;
    }
  }
}

export function drawScene2d(
  ctx: CanvasRenderingContext2D,
  scene: SceneDescription,
  frame: ArrayLike<number>,
  width: number,
  height: number,
  opts: DrawOptions,
): void {
  const margin = opts.margin ?? 0.08;
  ctx.save();
  ctx.fillStyle = opts.background;
  ctx.fillRect(0, 0, width, height);
  const [x0, y0] = scene.bounds.min;
  const [x1, y1] = scene.bounds.max;
  const bw = (x1 - x0) * (1 + 2 * margin);
  const bh = (y1 - y0) * (1 + 2 * margin);
  const s = Math.min(width / bw, height / bh);
  // World (x, y) → canvas, y pointing up.
  ctx.translate(width / 2 - ((x0 + x1) / 2) * s, height / 2 + ((y0 + y1) / 2) * s);
  ctx.scale(1, -1);
  const all: SceneBody[] = [...scene.bodies, ...scene.markers];
  // Static bodies (floor, walls) first so moving ones are drawn on top.
  const order = all
    .map((b, i) => ({ b, i }))
    .sort((a, b) => Number(!!b.b.static) - Number(!!a.b.static));
  for (const { b, i } of order) {
    const o = i * POSE_SIZE;
    if (frame.length < o + POSE_SIZE) continue;
    ctx.save();
    ctx.translate(frame[o] * s, frame[o + 1] * s);
    ctx.rotate(angleOf(frame, o));
    ctx.globalAlpha = b.opacity ?? 1;
    ctx.fillStyle = b.color;
    ctx.strokeStyle = b.color;
    drawGeom(ctx, b.geom, s, scene.up);
    ctx.restore();
  }
  ctx.restore();
}
