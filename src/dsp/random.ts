/** mulberry32: a small seeded PRNG, so synthesized material is identical on every run and machine. */
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
 * Which frame of group `group` (frames group·8 … group·8 + 7) a 1-in-8 sample takes: a fixed
 * pseudo-random offset from a multiplicative hash. Sampling on this grid is the same in every
 * segment, and unlike every 8th frame it cannot lock onto a tone at a fraction of the rate.
 */
export function pickInGroupOf8(group: number): number {
  return Math.imul(group, 0x9e3779b1) >>> 29;
}
