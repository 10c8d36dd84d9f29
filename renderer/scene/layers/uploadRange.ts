// Upload only the part of a buffer that changed this frame. three.js uploads the ranges
// queued on an attribute (and clears the list afterwards); queueing one preallocated range
// object per attribute, instead of addUpdateRange's new object per call, keeps the frame
// loop free of allocations.
import type { BufferAttribute } from 'three';

/** A dirty span of one attribute, in array elements (not items), grown by touch(). */
export class UploadRange {
  private readonly range = { start: 0, count: 0 };
  private lo = Infinity;
  private hi = -Infinity;

  /** Mark elements [start, end) as changed. */
  touch(start: number, end: number): void {
    if (start < this.lo) this.lo = start;
    if (end > this.hi) this.hi = end;
  }

  /** Forget what was marked (the attribute is about to be uploaded whole). */
  reset(): void {
    this.lo = Infinity;
    this.hi = -Infinity;
  }

  get pending(): boolean {
    return this.hi > this.lo;
  }

  /**
   * Queue the marked span on each attribute for the next render (attributes laid out alike
   * share it); false when nothing changed. three.js only rewrites a range object when it
   * merges several, so one object queued alone on each attribute is never modified.
   */
  flush(attrs: readonly BufferAttribute[]): boolean {
    if (!(this.hi > this.lo)) return false;
    this.range.start = this.lo;
    this.range.count = this.hi - this.lo;
    for (const attr of attrs) {
      attr.updateRanges.length = 0;
      attr.updateRanges.push(this.range);
      attr.needsUpdate = true;
    }
    this.reset();
    return true;
  }
}
