// Every trail of a scene in one draw call: a single LineSegments whose buffer holds the
// revealed segments of all visible trails, with a colour per vertex. Replay reveals trails a
// point at a time; each newly revealed segment is appended at the end of the buffer, so a
// frame uploads only the new points (one update range per attribute, whatever the number of
// trails). Anything that takes segments away (replay looping to the start, a trail hidden,
// replaced or removed) rewrites the buffer once from the trails' points, kept here.
import {
  BufferAttribute,
  BufferGeometry,
  Color,
  LineBasicMaterial,
  LineSegments,
  type Object3D,
} from 'three';
import type { Layer } from './layer';
import { UploadRange } from './uploadRange';

interface Trail {
  /** x, y, z flat, `count` points (the array may be longer). */
  points: Float32Array;
  count: number;
  /** Points shown: the segments between the first `revealed` points are drawn. */
  revealed: number;
  visible: boolean;
  color: Color;
}

/** Floats per segment in each attribute: two vertices of three components. */
const SEG = 6;

export class TrailsLayer implements Layer {
  private geometry: BufferGeometry;
  private readonly material = new LineBasicMaterial({ vertexColors: true });
  private readonly lines: LineSegments;
  private readonly trails = new Map<string, Trail>();
  private positions!: BufferAttribute;
  private colors!: BufferAttribute;
  /** Both attributes, for flush() (kept, not rebuilt per frame). */
  private attrs: BufferAttribute[] = [];
  /** Segment capacity of the buffers, and segments written. */
  private capacity = 0;
  private used = 0;
  private readonly dirty = new UploadRange();
  /** The buffers must be rewritten from the trails' points before the next render. */
  private stale = false;
  /** The buffers were reallocated: upload them whole. */
  private whole = true;

  get object(): Object3D {
    return this.lines;
  }

  constructor(capacity = 4096) {
    this.geometry = new BufferGeometry();
    this.lines = new LineSegments(this.geometry, this.material);
    this.lines.name = 'trails';
    // The buffer changes every frame: a cached bounding sphere would cull it wrongly.
    this.lines.frustumCulled = false;
    this.allocate(capacity);
  }

  private allocate(segments: number): void {
    const old = this.geometry;
    const prev = { positions: this.positions, colors: this.colors, used: this.used };
    this.capacity = segments;
    this.geometry = new BufferGeometry();
    this.positions = new BufferAttribute(new Float32Array(segments * SEG), 3);
    this.colors = new BufferAttribute(new Float32Array(segments * SEG), 3);
    if (prev.positions) {
      (this.positions.array as Float32Array).set(
        (prev.positions.array as Float32Array).subarray(0, prev.used * SEG),
      );
      (this.colors.array as Float32Array).set(
        (prev.colors.array as Float32Array).subarray(0, prev.used * SEG),
      );
    }
    this.attrs = [this.positions, this.colors];
    this.geometry.setAttribute('position', this.positions);
    this.geometry.setAttribute('color', this.colors);
    this.geometry.setDrawRange(0, this.used * 2);
    this.lines.geometry = this.geometry;
    // Disposing the old geometry frees its GPU buffers (a replaced attribute alone would linger).
    if (old !== this.geometry) old.dispose();
    this.whole = true;
  }

  private ensureCapacity(segments: number): void {
    if (segments > this.capacity) this.allocate(Math.max(segments, this.capacity * 2));
  }

  /** Append trail `t`'s segments between points `from` and `to` (indices, to exclusive). */
  private append(t: Trail, from: number, to: number): void {
    const n = Math.max(0, to - 1 - from);
    if (n === 0) return;
    this.ensureCapacity(this.used + n);
    const pos = this.positions.array as Float32Array;
    const col = this.colors.array as Float32Array;
    const p = t.points;
    const { r, g, b } = t.color;
    let o = this.used * SEG;
    for (let j = from; j < to - 1; j++, o += SEG) {
      const a = j * 3;
      pos[o] = p[a];
      pos[o + 1] = p[a + 1];
      pos[o + 2] = p[a + 2];
      pos[o + 3] = p[a + 3];
      pos[o + 4] = p[a + 4];
      pos[o + 5] = p[a + 5];
      col[o] = col[o + 3] = r;
      col[o + 1] = col[o + 4] = g;
      col[o + 2] = col[o + 5] = b;
    }
    this.dirty.touch(this.used * SEG, o);
    this.used += n;
  }

  /** Draw (or replace) trail `id`: points are x, y, z flat; the whole trail is shown. */
  set(id: string, points: Float32Array, color: string): void {
    const count = Math.floor(points.length / 3);
    const old = this.trails.get(id);
    const t: Trail = old ?? {
      points: new Float32Array(0),
      count: 0,
      revealed: 0,
      visible: true,
      color: new Color(),
    };
    if (t.points.length < count * 3) t.points = new Float32Array(count * 3);
    t.points.set(points.subarray(0, count * 3));
    t.count = count;
    t.color.set(color);
    t.revealed = count;
    this.trails.set(id, t);
    if (old) this.stale = true;
    else if (t.visible && !this.stale) this.append(t, 0, count);
  }

  /** Show only the first `n` points of trail `id` (progressive reveal during replay). */
  reveal(id: string, n: number): void {
    const t = this.trails.get(id);
    if (!t) return;
    const k = Math.max(0, Math.min(t.count, Math.floor(n)));
    if (k === t.revealed) return;
    // Growing a visible trail appends; anything else rewrites the buffer before the next render.
    if (k > t.revealed && t.visible && !this.stale) this.append(t, Math.max(0, t.revealed - 1), k);
    else if (t.visible) this.stale = true;
    t.revealed = k;
  }

  setVisible(id: string, visible: boolean): void {
    const t = this.trails.get(id);
    if (!t || t.visible === visible) return;
    t.visible = visible;
    this.stale = true;
  }

  remove(id: string): boolean {
    const t = this.trails.get(id);
    if (!t) return false;
    this.trails.delete(id);
    if (t.visible) this.stale = true;
    return true;
  }

  has(id: string): boolean {
    return this.trails.has(id);
  }

  ids(): string[] {
    return [...this.trails.keys()];
  }

  /** Points in trail `id` and how many are shown (for tests and diagnostics). */
  info(id: string): { points: number; revealed: number; visible: boolean } | null {
    const t = this.trails.get(id);
    return t ? { points: t.count, revealed: t.revealed, visible: t.visible } : null;
  }

  /** Segments in the buffer (what the next render draws). */
  get segments(): number {
    return this.used;
  }

  /** Bring the GPU buffers up to date: call once before rendering. */
  flush(): void {
    if (this.stale) {
      this.stale = false;
      // Rewritten from the start; the old tail past the new end is simply not drawn.
      this.used = 0;
      for (const t of this.trails.values()) if (t.visible) this.append(t, 0, t.revealed);
    }
    this.geometry.setDrawRange(0, this.used * 2);
    if (this.whole) {
      this.whole = false;
      this.dirty.reset();
      for (const a of this.attrs) {
        a.clearUpdateRanges();
        a.needsUpdate = true;
      }
      return;
    }
    this.dirty.flush(this.attrs);
  }

  dispose(): void {
    this.lines.removeFromParent();
    this.geometry.dispose();
    this.material.dispose();
    this.trails.clear();
    this.used = 0;
  }
}
