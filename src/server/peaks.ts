import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { openAudio } from '../audio/open.js';
import { encodeDat } from '../audio/waveform-dat.js';

/** Samples per pixel of the cached levels (each 16× the one before): a lane picks the one nearest its width. */
export const PEAK_LEVELS = [256, 4096, 65536] as const;

/** Where peaks are cached: $XDG_CACHE_HOME/stemkit/peaks, else ~/.cache/stemkit/peaks (the package is never written to). */
export function defaultPeaksCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stemkit', 'peaks');
}

const toInt16 = (x: number) => Math.max(-32767, Math.min(32767, Math.round(x * 32767)));

/** The finest level's min/max pairs of one file, streaming (one block in memory at a time). */
async function finestPeaks(path: string): Promise<{ sampleRate: number; minMax: Int16Array }> {
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

/** min/max pairs folded `factor` pixels into one. */
function fold(minMax: Int16Array, factor: number): Int16Array {
  const pixels = Math.ceil(minMax.length / 2 / factor);
  const out = new Int16Array(pixels * 2);
  for (let p = 0; p < pixels; p++) {
    let lo = 0;
    let hi = 0;
    for (let q = p * factor; q < Math.min((p + 1) * factor, minMax.length / 2); q++) {
      lo = Math.min(lo, minMax[2 * q]!);
      hi = Math.max(hi, minMax[2 * q + 1]!);
    }
    out[2 * p] = lo;
    out[2 * p + 1] = hi;
  }
  return out;
}

/**
 * Computes and caches every level of a file's peaks, once: keyed by the file's real path, size and
 * modification time, so an edited file gets new peaks. One file at a time, whatever asks: peaks
 * are a background job that must not starve playback's range reads.
 */
export class PeaksCache {
  private readonly pending = new Map<string, Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string = defaultPeaksCacheDir()) {}

  /** The .dat bytes of `path` at `samplesPerPixel` (one of PEAK_LEVELS). */
  async get(path: string, samplesPerPixel: number): Promise<Uint8Array> {
    const info = await stat(path);
    const key = createHash('sha256').update(`${path}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 32);
    const folder = join(this.dir, key);
    const file = (spp: number) => join(folder, `${spp}.dat`);
    const cached = await readFile(file(samplesPerPixel)).catch(() => null);
    if (cached) return cached;
    let job = this.pending.get(key);
    if (!job) {
      job = (this.queue = this.queue.then(async () => {
        const { sampleRate, minMax } = await finestPeaks(path);
        await mkdir(folder, { recursive: true });
        let level = minMax;
        for (let i = 0; i < PEAK_LEVELS.length; i++) {
          if (i > 0) level = fold(level, PEAK_LEVELS[i]! / PEAK_LEVELS[i - 1]!);
          await writeFileAtomically(file(PEAK_LEVELS[i]!), encodeDat(sampleRate, PEAK_LEVELS[i]!, level));
        }
      }).catch(() => undefined)) as Promise<void>;
      this.pending.set(key, job);
      void job.finally(() => this.pending.delete(key));
    }
    await job;
    return readFile(file(samplesPerPixel));
  }
}
