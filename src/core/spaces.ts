// Box spaces (Gymnasium's `Box`): a product of real intervals, float32.
import type { Rng } from './rng';

export class Box {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];

  constructor(low: ArrayLike<number> | number, high: ArrayLike<number> | number, size?: number) {
    const n =
      size ?? (typeof low === 'number' ? (typeof high === 'number' ? 1 : high.length) : low.length);
    this.low = typeof low === 'number' ? new Float32Array(n).fill(low) : Float32Array.from(low);
    this.high = typeof high === 'number' ? new Float32Array(n).fill(high) : Float32Array.from(high);
    if (this.low.length !== n || this.high.length !== n) {
      throw new Error(
        `Box: low (${this.low.length}) and high (${this.high.length}) must have size ${n}`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (!(this.low[i] <= this.high[i]))
        throw new Error(`Box: low[${i}]=${this.low[i]} > high[${i}]=${this.high[i]}`);
    }
    this.shape = [n];
  }

  get size(): number {
    return this.low.length;
  }

  /** Uniform where both bounds are finite; N(0,1) (shifted into any half-bound) otherwise. */
  sample(rng: Rng, out = new Float32Array(this.size)): Float32Array {
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      if (Number.isFinite(lo) && Number.isFinite(hi)) out[i] = rng.uniformRange(lo, hi);
      else if (Number.isFinite(lo)) out[i] = lo + Math.abs(rng.normal());
      else if (Number.isFinite(hi)) out[i] = hi - Math.abs(rng.normal());
      else out[i] = rng.normal();
    }
    return out;
  }

  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      if (Number.isNaN(v) || v < this.low[i] || v > this.high[i]) return false;
    }
    return true;
  }

  /** Clip into the box; writes into `out` (may alias `x`). */
  clip(x: ArrayLike<number>, out = new Float32Array(this.size)): Float32Array {
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      out[i] = v < this.low[i] ? this.low[i] : v > this.high[i] ? this.high[i] : v;
    }
    return out;
  }

  toJSON(): { low: number[]; high: number[] } {
    return { low: Array.from(this.low), high: Array.from(this.high) };
  }
}
