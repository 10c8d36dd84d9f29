// Seeded, splittable random numbers. Every stochastic thing in the product takes one of
// these (never Math.random), so a run is reproducible from its recorded seed.
// pure-rand's xoroshiro128+ supplies the bits; `split()` uses its jump (2^64 draws ahead)
// so child streams never overlap the parent's.
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** Serialisable generator state, as stored in checkpoints. */
export interface RngState {
  bits: number[];
  spare: number | null;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53_INV = 1 / 9007199254740992;

export class Rng {
  private gen: JumpableRandomGenerator;
  /** Second normal from the last polar-method draw, kept so draws come in pairs. */
  private spare: number | null = null;

  constructor(seed: number | JumpableRandomGenerator) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) throw new Error(`Rng seed must be an integer, got ${seed}`);
      this.gen = xoroshiro128plus(seed | 0);
    } else {
      this.gen = seed;
    }
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(xoroshiro128plusFromState(state.bits));
    rng.spare = state.spare;
    return rng;
  }

  getState(): RngState {
    return { bits: [...this.gen.getState()], spare: this.spare };
  }

  /** An independent stream: a copy of this one jumped 2^64 draws ahead; this one moves on too. */
  split(): Rng {
    const child = this.gen.clone() as JumpableRandomGenerator;
    child.jump();
    // Advance the parent past the child's start so repeated splits give distinct streams.
    this.gen.jump();
    this.gen.jump();
    return new Rng(child);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = (this.gen.next() >>> 0) >>> 5; // 27 bits
    const lo = (this.gen.next() >>> 0) >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_53_INV;
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`Rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** A fresh 31-bit non-negative seed, for handing to envs and sub-components. */
  seed(): number {
    return Math.floor(((this.gen.next() >>> 0) / TWO_POW_32) * 2147483647);
  }

  /** Standard normal (Marsaglia's polar method). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Fill `out` with N(mean, std²) samples. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}
