import { clock } from '../format.js';
import { openAudio } from '../audio/open.js';
import { fileMeasure } from '../check/measurement.js';
import { measurePass } from '../check/run-pass.js';
import type { FileMeasure } from '../check/types.js';
import { WorkerPool } from '../engine/pool.js';
import { describeSource, type InfoEntry } from './info.js';
import { progressLine } from './progress.js';
import { colours, errorJson, table, type Writer } from '../report/terminal.js';
import type { ErrorReport } from '../errors.js';

export type MeasureEntry = ({ path: string; format: InfoEntry } & FileMeasure) | { path: string; error: ErrorReport };

/** Measures files one by one (each split over the worker pool when long). */
export async function measureFiles(paths: string[], pool: WorkerPool | null, onProgress?: (path: string, fraction: number) => void): Promise<MeasureEntry[]> {
  const entries: MeasureEntry[] = [];
  for (const path of paths) {
    try {
      const source = await openAudio(path);
      const format = source.format;
      const info = describeSource(source);
      await source.close();
      const pass = await measurePass(
        { paths: [path], hasMix: false, summable: false, totalFrames: format.frames, residualThreshold: 1, columns: 1 },
        format.sampleRate,
        pool,
        (fraction) => onProgress?.(path, fraction),
      );
      entries.push({ path, format: info, ...fileMeasure(pass.files[0]!, format) });
    } catch (err) {
      entries.push({ path, error: errorJson(err) });
    }
  }
  return entries;
}

const dash = (x: number | null, digits = 1) => (x === null ? '—' : x.toFixed(digits));

/** `stemkit measure`: exit 0 when every file was measured, 1 when some failed, 2 when none could be read. */
export async function runMeasure(paths: string[], options: { json?: boolean }, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const pool = new WorkerPool();
  const progress = progressLine(err, !options.json);
  let entries: MeasureEntry[];
  try {
    entries = await measureFiles(paths, pool, (path, f) => progress.update(`measuring ${path}`, f));
  } finally {
    progress.done();
    await pool.close();
  }
  const failed = entries.filter((e) => 'error' in e).length;
  if (options.json) {
    out.write(JSON.stringify({ files: entries }, null, 2) + '\n');
  } else {
    const c = colours(out);
    const rows = [['file', 'peak dBFS', 'TP dBTP', 'LUFS I', 'LRA LU', 'M max', 'S max', 'RMS dBFS', 'clips', 'duration'].map(c.bold)];
    for (const e of entries) {
      if ('error' in e) {
        rows.push([e.path, c.red(e.error.code), '', '', '', '', '', '', '', '']);
        continue;
      }
      rows.push([
        e.path,
        dash(e.samplePeakDbfs),
        dash(e.truePeakDbtp),
        dash(e.integratedLufs),
        dash(e.loudnessRangeLu),
        dash(e.momentaryMaxLufs),
        dash(e.shortTermMaxLufs),
        dash(e.rmsDbfs),
        String(e.clippedRuns),
        clock(e.durationSec),
      ]);
    }
    out.write(table(rows, [1, 2, 3, 4, 5, 6, 7, 8]) + '\n');
    for (const e of entries) {
      if ('error' in e) out.write(`\n${c.bold(e.path)}: ${c.red(e.error.message)}\n  ${c.dim('hint:')} ${e.error.hint}\n`);
      else {
        const dc = e.dcOffset.map((d) => d.toExponential(1)).join(', ');
        const sound = e.firstSoundSec === null ? 'silent' : `sound ${clock(e.firstSoundSec)} → ${clock(e.lastSoundSec!)}`;
        out.write(`\n${c.bold(e.path)}: ${sound}, DC ${dc}${e.nonFiniteSamples ? `, ${e.nonFiniteSamples} NaN/Inf samples` : ''}\n`);
      }
    }
  }
  if (failed === entries.length) return 2;
  return failed ? 1 : 0;
}
