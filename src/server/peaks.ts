import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { openAudio } from '../audio/open.js';

/**
 * Waveform peaks as audiowaveform's binary .dat, version 2 (documented at
 * https://github.com/bbc/audiowaveform/blob/master/doc/DataFormat.md), little-endian:
 * int32 version (2), uint32 flags (0: 16-bit values), int32 sample rate, int32 samples per pixel,
 * uint32 pixels, int32 channels, then per pixel and channel an int16 min and max (full scale ±32767).
 * stemkit writes one channel: the min and max over all of the file's channels, which is what a lane draws.
 */
export const PEAK_LEVELS = [256, 4096, 65536] as const;
const HEADER_BYTES = 24;

/** Where peaks are cached: $XDG_CACHE_HOME/stemkit/peaks, else ~/.cache/stemkit/peaks (the package is never written to). */
export function defaultPeaksCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stemkit', 'peaks');
}

/** Encodes min/max pairs (int16, one channel) as a .dat v2 file. */
export function encodeDat(sampleRate: number, samplesPerPixel: number, minMax: Int16Array): Uint8Array {
  const pixels = minMax.length / 2;
  const out = new Uint8Array(HEADER_BYTES + minMax.length * 2);
  const view = new DataView(out.buffer);
  view.setInt32(0, 2, true);
  view.setUint32(4, 0, true);
  view.setInt32(8, sampleRate, true);
  view.setInt32(12, samplesPerPixel, true);
  view.setUint32(16, pixels, true);
  view.setInt32(20, 1, true);
  for (let i = 0; i < minMax.length; i++) view.setInt16(HEADER_BYTES + 2 * i, minMax[i]!, true);
  return out;
}

/** Decodes a .dat v2 (or v1) file stemkit wrote: samples per pixel and the min/max pairs of its first channel. */
export function decodeDat(bytes: Uint8Array): { sampleRate: number; samplesPerPixel: number; minMax: Int16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt32(0, true);
  const header = version === 2 ? 24 : 20;
  const pixels = view.getUint32(16, true);
  const channels = version === 2 ? view.getInt32(20, true) : 1;
  const minMax = new Int16Array(pixels * 2);
  for (let p = 0; p < pixels; p++) {
    minMax[2 * p] = view.getInt16(header + p * channels * 4, true);
    minMax[2 * p + 1] = view.getInt16(header + p * channels * 4 + 2, true);
  }
  return { sampleRate: view.getInt32(8, true), samplesPerPixel: view.getInt32(12, true), minMax };
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
