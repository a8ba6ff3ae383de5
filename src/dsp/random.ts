/**
 * Seeded randomness, in one place: synthesized material, dither, fuzzing and sampling grids are
 * identical on every run and machine. Nothing here reads a clock or Math.random.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1); for anything not in a per-sample loop. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * xorshift32 (Marsaglia) noise for per-sample loops: synthesis and TPDF dither. The state stays a
 * signed int32 (a small integer to V8: fast); seed 0 (a fixed point) takes a fixed nonzero seed.
 */
export class Noise {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x1e3779b9;
  }
  /** Advances the state: the next nonzero int32. */
  step(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (this.s = s | 0);
  }
  /** Uniform in [-1, 1): the state as a signed fraction. */
  next(): number {
    return this.step() * 4.656612873077393e-10; // 2^-31
  }
  /** Uniform in [0, 1): the state as an unsigned fraction. */
  unit(): number {
    return (this.step() >>> 0) / 4294967296;
  }
}

/** A fixed pseudo-random value in [0, 1) for a pair of integers (per-bar variations of a pattern). */
export function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

/**
 * Which frame of group `group` (frames group·8 … group·8 + 7) a 1-in-8 sample takes: a fixed
 * pseudo-random offset from a multiplicative hash. Sampling on this grid is the same in every
 * segment, and unlike every 8th frame it cannot lock onto a tone at a fraction of the rate.
 */
export function pickInGroupOf8(group: number): number {
  return Math.imul(group, 0x9e3779b1) >>> 29;
}
