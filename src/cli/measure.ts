import { clock, decimal } from '../format.js';
import { measureFiles, type MeasureEntry } from '../check/measure-files.js';
import { WorkerPool } from '../engine/pool.js';
import { progressLine } from './progress.js';
import { colours, table, type Writer } from '../report/terminal.js';

/** `stemkit measure`: exit 0 when every file was measured, 1 when some failed, 2 when none could be read. */
export async function runMeasure(paths: string[], options: { json?: boolean }, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const pool = new WorkerPool();
  const progress = progressLine(err, !options.json);
  let entries: MeasureEntry[];
  try {
    entries = await measureFiles(paths, { pool, onProgress: ({ file, fraction }) => progress.update(`measuring ${file}`, fraction) });
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
        decimal(e.samplePeakDbfs),
        decimal(e.truePeakDbtp),
        decimal(e.integratedLufs),
        decimal(e.loudnessRangeLu),
        decimal(e.momentaryMaxLufs),
        decimal(e.shortTermMaxLufs),
        decimal(e.rmsDbfs),
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
