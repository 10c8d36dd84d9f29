// A static 2-D drawing of any family's scene description and one frame, for the family
// cards of the New run screen (cheap: no WebGL context per card). The planar families pose
// bodies in the x-y plane with a rotation about z, seen top-down (up = 'z') or from the side
// (up = 'y'); both project to (x, y). 3-D scenes (MuJoCo models, `view2d` set) are projected
// orthographically onto the x-y (top) or x-z (side) plane, each geom by its true silhouette.
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

type V3 = [number, number, number];

/** Rotate v by the unit quaternion at frame[o + 3..o + 6] (w, x, y, z). */
function rotate(frame: ArrayLike<number>, o: number, v: V3): V3 {
  const w = frame[o + 3];
  const x = frame[o + 4];
  const y = frame[o + 5];
  const z = frame[o + 6];
  // v + 2w(q×v) + 2q×(q×v)
  const cx = y * v[2] - z * v[1];
  const cy = z * v[0] - x * v[2];
  const cz = x * v[1] - y * v[0];
  return [
    v[0] + 2 * (w * cx + y * cz - z * cy),
    v[1] + 2 * (w * cy + z * cx - x * cz),
    v[2] + 2 * (w * cz + x * cy - y * cx),
  ];
}

/** Convex hull (monotone chain) of 2-D points, counter-clockwise. */
function hull(points: [number, number][]): [number, number][] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0)
      lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0)
      upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

function fillPolygon(ctx: CanvasRenderingContext2D, pts: [number, number][]): void {
  if (pts.length < 3) return;
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
  ctx.closePath();
  ctx.fill();
}

/** Draw one posed geom of a 3-D scene, projected by `proj` (world → canvas px, y up). */
function drawGeom3d(
  ctx: CanvasRenderingContext2D,
  g: Geom,
  frame: ArrayLike<number>,
  o: number,
  s: number,
  proj: (p: V3) => [number, number],
  side: boolean,
): void {
  const c: V3 = [frame[o], frame[o + 1], frame[o + 2]];
  const at = (local: V3): [number, number] => {
    const r = rotate(frame, o, local);
    return proj([c[0] + r[0], c[1] + r[1], c[2] + r[2]]);
  };
  switch (g.type) {
    case 'plane': {
      if (side) {
        // Edge-on from the side: a line with a faint band below, as for side-view families.
        const [u, v] = proj(c);
        ctx.globalAlpha *= 0.25;
        ctx.fillRect(u - (g.size[0] / 2) * s, v - 12, g.size[0] * s, 12);
        ctx.globalAlpha /= 0.25;
        ctx.fillRect(u - (g.size[0] / 2) * s, v - 1, g.size[0] * s, 2);
      } else {
        const hx = g.size[0] / 2;
        const hy = g.size[1] / 2;
        fillPolygon(ctx, [at([-hx, -hy, 0]), at([hx, -hy, 0]), at([hx, hy, 0]), at([-hx, hy, 0])]);
      }
      break;
    }
    case 'sphere': {
      const [u, v] = proj(c);
      ctx.beginPath();
      ctx.arc(u, v, Math.max(g.radius * s, 3), 0, Math.PI * 2);
      ctx.fill();
      break;
    }
    case 'capsule':
    case 'cylinder': {
      // A capsule's silhouette is exactly its projected axis drawn with round caps.
      const a = at([-g.length / 2, 0, 0]);
      const b = at([g.length / 2, 0, 0]);
      ctx.lineWidth = Math.max(g.radius * 2 * s, 2);
      ctx.lineCap = g.type === 'capsule' ? 'round' : 'butt';
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
      break;
    }
    case 'box': {
      const [hx, hy, hz] = [g.size[0] / 2, g.size[1] / 2, g.size[2] / 2];
      const corners: [number, number][] = [];
      for (const sx of [-1, 1])
        for (const sy of [-1, 1])
          for (const sz of [-1, 1]) corners.push(at([sx * hx, sy * hy, sz * hz]));
      fillPolygon(ctx, hull(corners));
      break;
    }
    case 'ellipsoid': {
      const pts: [number, number][] = [];
      for (let i = 0; i <= 8; i++) {
        const th = (i / 8) * Math.PI;
        for (let j = 0; j < 16; j++) {
          const ph = (j / 16) * 2 * Math.PI;
          pts.push(
            at([
              g.radii[0] * Math.sin(th) * Math.cos(ph),
              g.radii[1] * Math.sin(th) * Math.sin(ph),
              g.radii[2] * Math.cos(th),
            ]),
          );
        }
      }
      fillPolygon(ctx, hull(pts));
      break;
    }
  }
}

function drawScene3dProjected(
  ctx: CanvasRenderingContext2D,
  scene: SceneDescription,
  frame: ArrayLike<number>,
  width: number,
  height: number,
  margin: number,
): void {
  const side = scene.view2d === 'side';
  // Canvas axes: u = x; v = y (top) or z (side), pointing up.
  const k = side ? 2 : 1;
  const [u0, v0] = [scene.bounds.min[0], scene.bounds.min[k]];
  const [u1, v1] = [scene.bounds.max[0], scene.bounds.max[k]];
  const s = Math.min(
    width / ((u1 - u0) * (1 + 2 * margin)),
    height / ((v1 - v0) * (1 + 2 * margin)),
  );
  const ox = width / 2 - ((u0 + u1) / 2) * s;
  const oy = height / 2 + ((v0 + v1) / 2) * s;
  const proj = (p: V3): [number, number] => [ox + p[0] * s, oy - p[k] * s];
  const all: SceneBody[] = [...scene.bodies, ...scene.markers];
  // Static bodies first; then far to near along the view axis (side: +y is away; top: low z first).
  const depth = (i: number) => (side ? -frame[i * POSE_SIZE + 1] : frame[i * POSE_SIZE + 2]);
  const order = all
    .map((b, i) => ({ b, i }))
    .filter(({ i }) => frame.length >= (i + 1) * POSE_SIZE)
    .sort((a, b) => Number(!!b.b.static) - Number(!!a.b.static) || depth(a.i) - depth(b.i));
  for (const { b, i } of order) {
    ctx.save();
    ctx.globalAlpha = b.opacity ?? 1;
    ctx.fillStyle = b.color;
    ctx.strokeStyle = b.color;
    drawGeom3d(ctx, b.geom, frame, i * POSE_SIZE, s, proj, side);
    ctx.restore();
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
  if (scene.view2d) {
    ctx.save();
    ctx.fillStyle = opts.background;
    ctx.fillRect(0, 0, width, height);
    drawScene3dProjected(ctx, scene, frame, width, height, margin);
    ctx.restore();
    return;
  }
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
