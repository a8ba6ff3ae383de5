import type { AudioSource } from '../audio/types.js';
import { toDb } from '../dsp/decibels.js';
import { lockstep } from '../engine/lockstep.js';
import { openPlaced } from '../engine/placed-source.js';

/** One least significant bit of a delivered format, linear (float: 2⁻²³, the float32 mantissa step at 1). */
export function lsb(bits: number | 'float'): number {
  return bits === 'float' ? 2 ** -23 : 2 ** -(bits - 1);
}

/** Opens files placed at `rate` (resampled when they are at another), all or none. */
export async function openAll(paths: string[], rate?: number): Promise<AudioSource[]> {
  const sources: AudioSource[] = [];
  try {
    for (const p of paths) sources.push(await openPlaced(p, rate === undefined ? undefined : { startFrame: 0, sampleRate: rate }));
    return sources;
  } catch (err) {
    await Promise.all(sources.map((s) => s.close()));
    throw err;
  }
}

/**
 * Peak |file − Σ members| (linear, and dBFS with null for digital silence), the members placed at
 * the file's rate: a version against its definition. The sum is float64, rounded to float32 once.
 */
export async function residualOf(path: string, memberPaths: string[], rate?: number): Promise<{ peak: number; dbfs: number | null }> {
  const written = await openPlaced(path);
  const sources = await openAll(memberPaths, rate);
  let peak = 0;
  try {
    const all = [written, ...sources];
    const channels = written.format.channels;
    const sum = new Float64Array(32768);
    for await (const block of lockstep(all, { end: written.format.frames, blockFrames: 32768 })) {
      for (let ch = 0; ch < channels; ch++) {
        sum.fill(0, 0, block.frames);
        for (let s = 1; s < all.length; s++) {
          const x = block.data[s]![ch]!;
          for (let i = 0; i < block.frames; i++) sum[i] += x[i]!;
        }
        const w = block.data[0]![ch]!;
        for (let i = 0; i < block.frames; i++) peak = Math.max(peak, Math.abs(w[i]! - Math.fround(sum[i]!)));
      }
    }
  } finally {
    await Promise.all([written, ...sources].map((s) => s.close()));
  }
  return { peak, dbfs: toDb(peak) };
}
