/** Deterministic test signals with known answers. */
import { prng } from '../../src/dsp/random.js';

export { prng };

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
