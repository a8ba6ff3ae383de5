import { basename, extname } from 'node:path';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { checkPackage } from '../check/check.js';
import { preparePassWorkers } from '../check/run-pass.js';
import { discoverPackages } from '../check/discover.js';
import type { CheckReport } from '../check/types.js';
import { WorkerPool } from '../engine/pool.js';
import { StemkitError } from '../errors.js';
import { renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderText } from '../report/text.js';
import { progressLine } from './progress.js';
import { colours, table, type Writer } from '../report/terminal.js';

export interface CheckCliOptions {
  mix?: string;
  profile?: string;
  json?: boolean;
  junit?: string;
  html?: string;
  strict?: boolean;
}

/** The JSON contract: the report without its plot data (that goes to --html). */
export function reportJson(report: CheckReport): Omit<CheckReport, 'plots'> {
  const { plots: _plots, ...rest } = report;
  return rest;
}

function pathFor(base: string, index: number, count: number, dir: string): string {
  if (count === 1) return base;
  const ext = extname(base);
  return `${base.slice(0, base.length - ext.length)}-${index + 1}-${basename(dir)}${ext}`;
}

/** `stemkit check`: exit 0 when every package passes, 1 when one has defects, 2 when nothing could be checked. */
export async function runCheck(inputs: string[], options: CheckCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const pool = new WorkerPool();
  preparePassWorkers(pool);
  const progress = progressLine(err, !options.json);
  const reports: CheckReport[] = [];
  try {
    const packages = await discoverPackages(inputs, options.mix);
    if (packages.every((p) => p.stems.length === 0 && !p.mix)) {
      throw new StemkitError('E_USAGE', `no audio files found in ${inputs.join(', ')}`, { hint: 'point check at a folder of stems (WAV, AIFF or FLAC) or list the files' });
    }
    for (const pkg of packages) {
      const label = `checking ${basename(pkg.dir)}`;
      progress.update(label, 0);
      reports.push(
        await checkPackage(pkg, {
          ...(options.profile ? { profile: options.profile } : {}),
          pool,
          strict: Boolean(options.strict),
          onProgress: (f) => progress.update(label, f),
        }),
      );
      progress.done();
    }
  } finally {
    progress.done();
    await pool.close();
  }

  if (options.json) {
    const body = reports.length === 1 ? reportJson(reports[0]!) : { schema: 'stemkit.check/1', ok: reports.every((r) => r.ok), packages: reports.map(reportJson) };
    out.write(JSON.stringify(body, null, 2) + '\n');
  } else {
    reports.forEach((r, i) => out.write((i ? '\n' : '') + renderText(r, out)));
    if (reports.length > 1) {
      const c = colours(out);
      const rows = [['package', 'verdict', 'errors', 'warnings'].map(c.bold)];
      for (const r of reports) {
        rows.push([
          r.package.dir,
          r.ok ? c.green('PASS') : c.red('FAIL'),
          String(r.findings.filter((f) => f.severity === 'error').length),
          String(r.findings.filter((f) => f.severity === 'warning').length),
        ]);
      }
      out.write(`\n${c.bold('summary')}\n${table(rows, [2, 3])}\n`);
    }
  }
  for (const [i, r] of reports.entries()) {
    if (options.junit) await writeFileAtomically(pathFor(options.junit, i, reports.length, r.package.dir), renderJunit(r, options.strict));
    if (options.html) await writeFileAtomically(pathFor(options.html, i, reports.length, r.package.dir), renderHtml(r));
  }
  const nothingRead = reports.every((r) => [...r.stems, ...(r.mix ? [r.mix] : [])].every((f) => !f.format));
  if (nothingRead) return 2;
  return reports.every((r) => r.ok) ? 0 : 1;
}
