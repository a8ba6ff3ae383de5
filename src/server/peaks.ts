import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import { encodeDat } from '../audio/waveform-dat.js';
import { finestPeaks, PEAK_LEVELS } from './peaks-job.js';

export { PEAK_LEVELS };

/** Where peaks are cached: $XDG_CACHE_HOME/stemkit/peaks, else ~/.cache/stemkit/peaks (the package is never written to). */
export function defaultPeaksCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stemkit', 'peaks');
}

const PEAKS_JOB = siblingModule(import.meta.url, 'peaks-job');
type Peaks = Awaited<ReturnType<typeof finestPeaks>>;

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

  constructor(
    readonly dir: string = defaultPeaksCacheDir(),
    /** Where the decoding runs (off the thread that answers playback's range reads); null: here. */
    private readonly pool: (() => WorkerPool) | null = null,
  ) {}

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
        const { sampleRate, minMax } = this.pool ? await this.pool().run<string, Peaks>(PEAKS_JOB, 'finestPeaks', path) : await finestPeaks(path);
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
