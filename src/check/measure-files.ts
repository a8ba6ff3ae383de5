import { openAudio } from '../audio/open.js';
import { describeSource, type InfoEntry } from '../audio/describe.js';
import type { WorkerPool } from '../engine/pool.js';
import { errorJson, StemkitError, type ErrorReport } from '../errors.js';
import { fileMeasure } from './measurement.js';
import { measurePass } from './run-pass.js';
import type { FileMeasure } from './types.js';

/** One file's header facts and measurements, or why it could not be measured. */
export type MeasureEntry = ({ path: string; format: InfoEntry } & FileMeasure) | { path: string; error: ErrorReport };

export interface MeasureOptions {
  /** Worker pool that measures long files in parallel time segments; null or absent: this thread. */
  pool?: WorkerPool | null;
  /** Called now and then with the file being measured and the fraction of it done (0 … 1). */
  onProgress?: (progress: { file: string; fraction: number }) => void;
  /** Stops between files (and is checked before each one) with E_ABORTED. */
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
    if (signal?.aborted) throw new StemkitError('E_ABORTED', 'measuring was cancelled', { hint: 'nothing to fix: the caller aborted' });
    try {
      const source = await openAudio(path);
      const format = source.format;
      const info = describeSource(source);
      await source.close();
      const pass = await measurePass(
        { paths: [path], hasMix: false, summable: false, totalFrames: format.frames, residualThreshold: 1, columns: 1 },
        format.sampleRate,
        pool,
        (fraction) => onProgress?.({ file: path, fraction }),
      );
      entries.push({ path, format: info, ...fileMeasure(pass.files[0]!, format) });
    } catch (err) {
      entries.push({ path, error: errorJson(err) });
    }
  }
  return entries;
}
