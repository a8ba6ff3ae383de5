import { openAudio } from '../audio/open.js';

/** Samples per pixel of the cached levels (each 16× the one before): a lane picks the one nearest its width. */
export const PEAK_LEVELS = [256, 4096, 65536] as const;

const toInt16 = (x: number) => Math.max(-32767, Math.min(32767, Math.round(x * 32767)));

/** The finest level's min/max pairs of one file, streaming (one block in memory at a time). */
export async function finestPeaks(path: string): Promise<{ sampleRate: number; minMax: Int16Array }> {
  const source = await openAudio(path);
  try {
    const { frames, sampleRate, channels } = source.format;
    const spp = PEAK_LEVELS[0];
    const pixels = Math.ceil(frames / spp);
    const minMax = new Int16Array(pixels * 2);
    const block = spp * 256;
    const into = Array.from({ length: channels }, () => new Float32Array(block));
    for (let start = 0; start < frames; start += block) {
      const planar = await source.read(start, Math.min(block, frames - start), into);
      const n = Math.min(block, frames - start);
      for (let p0 = 0; p0 < n; p0 += spp) {
        let lo = 0;
        let hi = 0;
        const p1 = Math.min(n, p0 + spp);
        for (let c = 0; c < channels; c++) {
          const x = planar[c]!;
          for (let i = p0; i < p1; i++) {
            const v = x[i]!;
            if (v < lo) lo = v;
            else if (v > hi) hi = v;
          }
        }
        const pixel = (start + p0) / spp;
        minMax[2 * pixel] = toInt16(lo);
        minMax[2 * pixel + 1] = toInt16(hi);
      }
    }
    return { sampleRate, minMax };
  } finally {
    await source.close();
  }
}

