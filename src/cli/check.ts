import { basename, dirname, extname, resolve } from 'node:path';
import { removeStaleTemps } from '../package/switch.js';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { checkPackage } from '../check/check.js';
import { preparePassWorkers } from '../check/run-pass.js';
import { discoverPackages, type StemPackage } from '../check/discover.js';
import { relabelNiReport, releasePackage } from '../check/ni-stems-input.js';
import type { CheckReport } from '../check/types.js';
import { WorkerPool } from '../engine/pool.js';
import { StemkitError } from '../errors.js';
import { renderHtml } from '../report/html.js';
import { reportJson } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { renderText } from '../report/text.js';
import { progressLine } from './progress.js';
import { refuseOverwrite } from './outputs.js';
import { RESIDUAL_MARK, residualInputs, writeResidual } from '../check/residual-file.js';
import { openAudio } from '../audio/open.js';
import { colours, table, wantsColour, type Writer } from '../report/terminal.js';

export interface CheckCliOptions {
  mix?: string;
  profile?: string;
  json?: boolean;
  junit?: string;
  html?: string;
  strict?: boolean;
  residual?: string;
}

export { reportJson } from '../report/json.js';

function pathFor(base: string, index: number, count: number, dir: string): string {
  if (count === 1) return base;
  const ext = extname(base);
  return `${base.slice(0, base.length - ext.length)}-${index + 1}-${basename(dir)}${ext}`;
}

/** A residual stemkit wrote earlier (its bext says so) may be replaced by the next one. */
async function isResidualFile(path: string): Promise<boolean> {
  try {
    const source = await openAudio(path);
    await source.close();
    return source.meta.bext?.description === RESIDUAL_MARK;
  } catch {
    return false;
  }
}

/** `stemkit check`: exit 0 when every package passes, 1 when one has defects, 2 when nothing could be checked. */
export async function runCheck(inputs: string[], options: CheckCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const pool = new WorkerPool();
  preparePassWorkers(pool);
  const progress = progressLine(err, !options.json);
  const reports: CheckReport[] = [];
  let packages: StemPackage[] = [];
  try {
    packages = await discoverPackages(inputs, options.mix);
    if (packages.every((p) => p.stems.length === 0 && !p.mix)) {
      throw new StemkitError('E_USAGE', `no audio files found in ${inputs.join(', ')}`, { hint: 'point check at a folder of stems (WAV, AIFF or FLAC) or list the files' });
    }
    if (options.residual && packages.length > 1) {
      throw new StemkitError('E_USAGE', `--residual writes one file, but ${packages.length} packages were given`, { hint: 'check one package at a time with --residual' });
    }
    // Every output is refused before any work if it would replace an input or other audio.
    const inputFiles = packages.flatMap((p) => [...p.stems.map((s) => s.path), ...(p.mix ? [p.mix.path] : []), ...(p.alternates ?? []).map((a) => a.path)]);
    for (const [what, path] of [['--junit', options.junit], ['--html', options.html]] as const) {
      if (path) for (const [i, p] of packages.entries()) await refuseOverwrite(pathFor(path, i, packages.length, p.dir), inputFiles, what);
    }
    if (options.residual) await refuseOverwrite(options.residual, inputFiles, '--residual', isResidualFile);
    for (const pkg of packages) {
      const label = `checking ${basename(pkg.dir)}`;
      progress.update(label, 0);
      const profile = options.profile ?? (pkg.niStems ? 'ni-stems' : undefined);
      const report = await checkPackage(pkg, {
        ...(profile ? { profile } : {}),
        pool,
        strict: Boolean(options.strict),
        onProgress: ({ fraction }) => progress.update(label, fraction),
      });
      reports.push(report);
      progress.done();
    }
  } catch (err) {
    await Promise.all(packages.map(releasePackage));
    throw err;
  } finally {
    progress.done();
    await pool.close();
  }
  try {
    return await writeReports(reports, packages, options, out, err);
  } finally {
    await Promise.all(packages.map(releasePackage));
  }
}

async function writeReports(checked: CheckReport[], packages: StemPackage[], options: CheckCliOptions, out: Writer, err: Writer): Promise<number> {
  // NI Stems tracks were checked as decoded temporary files: the report names them as tracks of their file.
  const reports = checked.map((r, i) => relabelNiReport(r, packages[i]!));
  if (options.json) {
    const body = reports.length === 1 ? reportJson(reports[0]!) : { schema: 'stemkit.check/1', ok: reports.every((r) => r.ok), packages: reports.map(reportJson) };
    out.write(JSON.stringify(body, null, 2) + '\n');
  } else {
    reports.forEach((r, i) => out.write((i ? '\n' : '') + renderText(r, { colour: wantsColour(out) })));
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
  // A report writer killed earlier left a hidden temp file beside its report: it goes now.
  for (const path of [options.junit, options.html, options.residual]) if (path) await removeStaleTemps(dirname(resolve(path)));
  for (const [i, r] of reports.entries()) {
    if (options.junit) await writeFileAtomically(pathFor(options.junit, i, reports.length, r.package.dir), renderJunit(r, { strict: Boolean(options.strict) }));
    if (options.html) await writeFileAtomically(pathFor(options.html, i, reports.length, r.package.dir), renderHtml(r));
  }
  if (options.residual && checked[0]) {
    const { files, ...format } = residualInputs(checked[0]);
    const written = await writeResidual(files, options.residual, format);
    if (!options.json) err.write(`residual (mix − Σ stems, 32-bit float, ${written.sampleRate} Hz): ${options.residual}\n`);
  }
  const nothingRead = reports.every((r) => [...r.stems, ...(r.mix ? [r.mix] : [])].every((f) => !f.format));
  if (nothingRead) return 2;
  return reports.every((r) => r.ok) ? 0 : 1;
}
