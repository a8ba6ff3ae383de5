/** Deterministic test signals with known answers. */

/** mulberry32: a seeded PRNG so fixtures are identical on every run. */
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

/** Planar random samples that are exact integers at `bits` (so integer round trips must be exact). */
export function randomQuantised(channels: number, frames: number, bits: number, seed: number): Float32Array[] {
  const next = prng(seed);
  const scale = 2 ** (bits - 1);
  return Array.from({ length: channels }, () => {
    const a = new Float32Array(frames);
    for (let i = 0; i < frames; i++) a[i] = Math.fround(Math.floor((next() * 2 - 1) * scale) / scale);
    return a;
  });
}

/** A sine of `amplitude` (peak, linear), `freq` Hz, starting at `phase` radians. */
export function sine(frames: number, sampleRate: number, freq: number, amplitude: number, phase = 0): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate + phase);
  return out;
}
