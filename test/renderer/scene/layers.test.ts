// The scene layers' buffers, checked in Node (three.js geometry needs no WebGL): every trail
// lives in one LineSegments (one draw call), replay appends only the newly revealed points
// and queues exactly that range for upload, and agents upload only the posed instance slots.
import { describe, expect, it } from 'vitest';
import { Color, Vector3, type BufferAttribute, type LineSegments } from 'three';
import { TrailsLayer } from '../../../renderer/scene/layers/trailsLayer';
import { AgentsLayer } from '../../../renderer/scene/layers/agentsLayer';
import { litColor } from '../../../renderer/scene/layers/environmentLayer';
import { GeometryCache, buildGeometry } from '../../../renderer/scene/geometry';
import { pointNav } from '../../../envs/pointNav';
import type { Geom } from '../../../src/shared/scene';
import { trailFromFrames } from '../../../renderer/scene/frames';
import { Rng } from '../../../src/core/rng';

/** A straight trail of `n` points: point j at (offset + j, offset, 0). */
function line(n: number, offset: number): Float32Array {
  const p = new Float32Array(n * 3);
  for (let j = 0; j < n; j++) {
    p[j * 3] = offset + j;
    p[j * 3 + 1] = offset;
  }
  return p;
}

function attr(layer: TrailsLayer, name: 'position' | 'color'): BufferAttribute {
  const lines = layer.object as unknown as {
    geometry: { getAttribute(n: string): BufferAttribute };
  };
  return lines.geometry.getAttribute(name);
}

/** The drawn segments as [x0, x1, y] triples (the trails above lie along x). */
function drawn(layer: TrailsLayer): [number, number, number][] {
  const pos = attr(layer, 'position').array as Float32Array;
  const out: [number, number, number][] = [];
  for (let s = 0; s < layer.segments; s++) out.push([pos[s * 6], pos[s * 6 + 3], pos[s * 6 + 1]]);
  return out;
}

describe('TrailsLayer', () => {
  it('draws every trail as segments of one object, each in its colour', () => {
    const t = new TrailsLayer();
    t.set('a', line(4, 0), '#ff0000');
    t.set('b', line(3, 100), '#0000ff');
    t.flush();
    expect(t.object.type).toBe('LineSegments');
    expect(t.object.children).toHaveLength(0);
    expect(drawn(t)).toEqual([
      [0, 1, 0],
      [1, 2, 0],
      [2, 3, 0],
      [100, 101, 100],
      [101, 102, 100],
    ]);
    const col = attr(t, 'color').array as Float32Array;
    expect(Array.from(col.subarray(0, 6))).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(col.subarray(24, 30))).toEqual([0, 0, 1, 0, 0, 1]);
    const geom = (t.object as unknown as { geometry: { drawRange: { count: number } } }).geometry;
    expect(geom.drawRange.count).toBe(10);
    t.dispose();
  });

  it('a replay frame appends only the new points and queues one range for them', () => {
    const t = new TrailsLayer();
    const n = 20;
    for (let i = 0; i < n; i++) t.set(`t${i}`, line(50, i * 1000), '#22c55e');
    for (let i = 0; i < n; i++) t.reveal(`t${i}`, 1);
    t.flush();
    expect(t.segments).toBe(0);
    for (let k = 2; k <= 10; k++) {
      for (let i = 0; i < n; i++) t.reveal(`t${i}`, k);
      const pos = attr(t, 'position');
      const before = pos.version;
      t.flush();
      expect(t.segments).toBe(n * (k - 1));
      // One range over the n new segments (6 floats each), at the end of the buffer.
      expect(pos.updateRanges).toEqual([{ start: n * (k - 2) * 6, count: n * 6 }]);
      expect(attr(t, 'color').updateRanges).toEqual([{ start: n * (k - 2) * 6, count: n * 6 }]);
      expect(pos.version).toBe(before + 1);
    }
    // Revealing what is already shown changes nothing and uploads nothing.
    const pos = attr(t, 'position');
    pos.clearUpdateRanges();
    const v = pos.version;
    for (let i = 0; i < n; i++) t.reveal(`t${i}`, 10);
    t.flush();
    expect(pos.version).toBe(v);
    // Every drawn segment joins consecutive points of one trail.
    for (const [x0, x1, y] of drawn(t)) {
      expect(x1 - x0).toBe(1);
      expect(x0 - y).toBeGreaterThanOrEqual(0);
      expect(x0 - y).toBeLessThan(9);
    }
    t.dispose();
  });

  it('looping back, hiding, replacing and removing rewrite the buffer from the kept points', () => {
    const t = new TrailsLayer();
    t.set('a', line(5, 0), '#ff0000');
    t.set('b', line(5, 100), '#0000ff');
    t.flush();
    expect(t.segments).toBe(8);
    t.reveal('a', 2);
    t.flush();
    expect(drawn(t)).toEqual([
      [0, 1, 0],
      [100, 101, 100],
      [101, 102, 100],
      [102, 103, 100],
      [103, 104, 100],
    ]);
    t.setVisible('b', false);
    t.flush();
    expect(drawn(t)).toEqual([[0, 1, 0]]);
    t.reveal('b', 3); // hidden: remembered, not drawn
    t.setVisible('b', true);
    t.flush();
    expect(drawn(t)).toEqual([
      [0, 1, 0],
      [100, 101, 100],
      [101, 102, 100],
    ]);
    t.set('a', line(3, 50), '#00ff00');
    t.flush();
    expect(drawn(t)).toEqual([
      [50, 51, 50],
      [51, 52, 50],
      [100, 101, 100],
      [101, 102, 100],
    ]);
    expect(t.remove('a')).toBe(true);
    expect(t.remove('a')).toBe(false);
    t.flush();
    expect(t.ids()).toEqual(['b']);
    expect(drawn(t)).toEqual([
      [100, 101, 100],
      [101, 102, 100],
    ]);
    expect(t.info('b')).toEqual({ points: 5, revealed: 3, visible: true });
    t.dispose();
  });

  it('grows past its capacity keeping what it drew, and frees the old buffers', () => {
    const t = new TrailsLayer(4);
    t.set('a', line(4, 0), '#ff0000');
    t.flush();
    const first = (t.object as LineSegments).geometry;
    let disposed = false;
    first.addEventListener('dispose', () => (disposed = true));
    t.set('b', line(10, 100), '#0000ff');
    t.flush();
    expect(disposed).toBe(true);
    expect(t.segments).toBe(12);
    expect(drawn(t)[2]).toEqual([2, 3, 0]);
    expect(drawn(t)[11]).toEqual([108, 109, 100]);
    // A new buffer is uploaded whole.
    expect(attr(t, 'position').updateRanges).toEqual([]);
    t.dispose();
  });

  it('draws a real family trail point for point', () => {
    const env = pointNav.make({ goal: [0.3, -0.2] });
    const scene = env.scene();
    env.reset({ seed: 1 });
    const rng = new Rng(1);
    const frames = [env.frame()];
    for (let k = 0; k < 30; k++) {
      env.step(Float32Array.of(rng.uniformRange(-0.1, 0.1), rng.uniformRange(-0.1, 0.1)));
      frames.push(env.frame());
    }
    const pts = trailFromFrames(scene, frames, 0.004);
    const t = new TrailsLayer();
    t.set('x', pts, '#3b82f6');
    t.flush();
    const pos = attr(t, 'position').array as Float32Array;
    expect(t.segments).toBe(30);
    for (let j = 0; j < 30; j++) {
      expect(Array.from(pos.subarray(j * 6, j * 6 + 3))).toEqual(
        Array.from(pts.subarray(j * 3, j * 3 + 3)),
      );
      expect(Array.from(pos.subarray(j * 6 + 3, j * 6 + 6))).toEqual(
        Array.from(pts.subarray(j * 3 + 3, j * 3 + 6)),
      );
    }
    t.dispose();
  });
});

describe('AgentsLayer uploads', () => {
  const env = pointNav.make({ goal: [0.3, -0.2] });
  const scene = env.scene();

  it('uploads whole buffers after agents change, then only the posed slots', () => {
    const geometries = new GeometryCache(scene.up);
    const layer = new AgentsLayer(scene, geometries, -1);
    for (let i = 0; i < 5; i++) layer.add(`a${i}`, '#ff0000');
    const mesh = layer.object.children[0] as unknown as { instanceMatrix: BufferAttribute };
    layer.flush();
    expect(mesh.instanceMatrix.updateRanges).toEqual([]);
    env.reset({ seed: 2 });
    const frame = env.frame();
    layer.setPose('a1', frame);
    layer.setPose('a3', frame);
    const v = mesh.instanceMatrix.version;
    layer.flush();
    expect(mesh.instanceMatrix.updateRanges).toEqual([{ start: 16, count: 48 }]);
    expect(mesh.instanceMatrix.version).toBe(v + 1);
    // Nothing posed: nothing uploaded.
    mesh.instanceMatrix.clearUpdateRanges();
    layer.flush();
    expect(mesh.instanceMatrix.version).toBe(v + 1);
    layer.remove('a0');
    layer.setPose('a2', frame);
    layer.flush();
    expect(mesh.instanceMatrix.updateRanges).toEqual([]);
    layer.dispose();
    geometries.dispose();
  });
});

describe('unlit ground', () => {
  it('takes the colour the lights give a Lambert floor facing up', () => {
    const albedo = new Color(0xf3f4f6);
    const c = litColor(albedo);
    // albedo / π × (1.6 from the sky + 1.8 × cos of the sun's angle from the vertical).
    const dotNL = 2.2 / Math.hypot(0.6, 2.2, 1.1);
    const k = (1.6 + 1.8 * dotNL) / Math.PI;
    expect(c.r).toBeCloseTo(albedo.r * k, 6);
    expect(c.g).toBeCloseTo(albedo.g * k, 6);
    expect(c.b).toBeCloseTo(albedo.b * k, 6);
  });
});

describe('geometry detail', () => {
  it('low detail (software GL) has fewer triangles and the same size, near enough', () => {
    const geoms: Geom[] = [
      { type: 'sphere', radius: 0.05 },
      { type: 'capsule', radius: 0.04, length: 0.3 },
      { type: 'cylinder', radius: 0.02, length: 0.2 },
      { type: 'ellipsoid', radii: [0.1, 0.05, 0.03] },
    ];
    for (const g of geoms) {
      const full = buildGeometry(g, 'z', 'full');
      const low = buildGeometry(g, 'z', 'low');
      expect(low.index!.count, g.type).toBeLessThan(full.index!.count * 0.6);
      full.computeBoundingBox();
      low.computeBoundingBox();
      // Within 3% of the body's size: fewer facets, the same body.
      const size = full.boundingBox!.getSize(new Vector3()).length();
      expect(low.boundingBox!.max.distanceTo(full.boundingBox!.max), g.type).toBeLessThan(
        0.03 * size,
      );
      expect(low.boundingBox!.min.distanceTo(full.boundingBox!.min), g.type).toBeLessThan(
        0.03 * size,
      );
    }
  });
});
