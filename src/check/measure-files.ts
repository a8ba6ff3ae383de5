import { openAudio } from '../audio/open.js';
import { describeSource, type InfoEntry } from '../audio/describe.js';
import type { WorkerPool } from '../engine/pool.js';
import { errorJson, StemkitError, type ErrorReport } from '../errors.js';
import { fileMeasure } from './measurement.js';
import { measurePass } from './run-pass.js';
import { throwIfAborted, type OnProgress } from '../progress.js';
import type { FileMeasure } from './types.js';

/** One file's header facts and measurements, or why it could not be measured. */
export type MeasureEntry = ({ path: string; format: InfoEntry } & FileMeasure) | { path: string; error: ErrorReport };

/** Options of `measureFiles`. */
export interface MeasureOptions {
  /** Worker pool that measures long files in parallel time segments; null or absent: this thread. */
  pool?: WorkerPool | null;
  /** Progress: { phase: 'measure', file, fraction } for the file being measured. */
  onProgress?: OnProgress;
  /** Stops with E_ABORTED (between files, and within a file's pass). */
  signal?: AbortSignal;
}

/**
 * Measures files one by one (each split over the worker pool when long): sample and true peak,
 * loudness (integrated, range, max momentary and short-term), RMS, DC, clipping, first and last
 * sound. A file that cannot be read gets an `error` entry; the others are still measured.
 */
export async function measureFiles(paths: string[], options: MeasureOptions = {}): Promise<MeasureEntry[]> {
  const { pool = null, onProgress, signal } = options;
  const entries: MeasureEntry[] = [];
  for (const path of paths) {
    throwIfAborted(signal, 'measuring');
    try {
      const source = await openAudio(path);
      const format = source.format;
      const info = describeSource(source);
      await source.close();
      const pass = await measurePass(
        { paths: [path], hasMix: false, summable: false, totalFrames: format.frames, residualThreshold: 1, columns: 1 },
        format.sampleRate,
        pool,
        (fraction) => onProgress?.({ phase: 'measure', file: path, fraction }),
        signal,
      );
      entries.push({ path, format: info, ...fileMeasure(pass.files[0]!, format) });
    } catch (err) {
      if (err instanceof StemkitError && err.code === 'E_ABORTED') throw err;
      entries.push({ path, error: errorJson(err) });
    }
  }
  return entries;
}
