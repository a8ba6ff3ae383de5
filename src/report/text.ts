import { clock, decimal, formatLabel } from '../format.js';
import type { CheckedFile, CheckReport, Finding } from '../check/types.js';
import { colours, table } from './terminal.js';
import type { ReportOptions } from './options.js';

/** Why a failed null did not fail the package: the note that explains it, or the profile's tolerance. */
function tolerated(report: CheckReport): string {
  const note = report.findings.find((f) => f.rule === 'null.residual');
  return note?.severity === 'info' ? ' (expected here: see the null.residual note)' : ` (tolerated as a warning by the ${report.profile} profile)`;
}

/** A file's format for the stem table: "48k/24/2ch", or why it has none. */
const fileFormat = (f: CheckedFile): string => (f.format ? formatLabel(f.format, 'short') : f.error ? f.error.code : '—');


function rangesText(f: Finding): string {
  if (f.ranges.length === 0) return '';
  const shown = f.ranges.slice(0, 4).map(([a, b]) => `${clock(a)}–${clock(b)}`);
  return ` at ${shown.join(', ')}${f.ranges.length > 4 ? ` and ${f.ranges.length - 4} more` : ''}`;
}

/** Stems listed in the stem table; a larger package lists these and counts the rest (--json and --html list every stem). */
const MAX_TABLE_STEMS = 24;

/**
 * The stems the table lists: all of them, or for a larger package the ones findings name and then
 * the loudest, up to MAX_TABLE_STEMS, in package order.
 */
function tableStems(report: CheckReport): { shown: CheckedFile[]; hidden: number; hiddenNamed: number } {
  const stems = report.stems;
  if (stems.length <= MAX_TABLE_STEMS) return { shown: stems, hidden: 0, hiddenNamed: 0 };
  const stemNames = new Set(stems.map((s) => s.name));
  const named = new Set(report.findings.flatMap((f) => (f.stem !== null && stemNames.has(f.stem) ? [f.stem] : [])));
  const peak = (f: CheckedFile) => f.measure?.samplePeakDbfs ?? Number.NEGATIVE_INFINITY;
  const picked = new Set(
    [...stems]
      .sort((a, b) => Number(named.has(b.name)) - Number(named.has(a.name)) || peak(b) - peak(a))
      .slice(0, MAX_TABLE_STEMS),
  );
  const shown = stems.filter((s) => picked.has(s));
  return { shown, hidden: stems.length - shown.length, hiddenNamed: [...named].filter((name) => !shown.some((s) => s.name === name)).length };
}

/** Findings of one rule printed in full; the rest are counted. */
const MAX_PER_RULE = 8;

/** The terminal report: verdict first, then the stem table, then findings by severity. */
export function renderText(report: CheckReport, options: ReportOptions = {}): string {
  const c = colours(options.colour ?? false);
  const errors = report.findings.filter((f) => f.severity === 'error');
  const warnings = report.findings.filter((f) => f.severity === 'warning');
  const infos = report.findings.filter((f) => f.severity === 'info');
  const verdict = report.ok ? (warnings.length ? c.yellow(c.bold('PASS with warnings')) : c.green(c.bold('PASS'))) : c.red(c.bold('FAIL'));
  const lines: string[] = [];
  lines.push(
    `${verdict}  ${report.package.dir}  (profile ${report.profile}: ${errors.length} error(s), ${warnings.length} warning(s), ${infos.length} note(s))`,
  );
  const ni = report.package.niStems;
  if (ni) {
    const dsp = ni.masteringDsp as { compressor?: { enabled?: boolean }; limiter?: { enabled?: boolean } } | null;
    const on = [dsp?.compressor?.enabled ? 'compressor' : '', dsp?.limiter?.enabled ? 'limiter' : ''].filter(Boolean);
    lines.push(`NI Stems: ${ni.codec}, priming from ${ni.timingFrom === 'none' ? 'nowhere (no edit list or iTunSMPB: aligned by the offset finder)' : `the ${ni.timingFrom}`}; slots ${ni.stems.map((s) => `${s.name} ${s.color}`).join(', ')}; Traktor mastering DSP ${on.length ? `on (${on.join(' + ')})` : 'off'}`);
  }
  if (report.nullSkipped) lines.push(c.yellow(report.nullSkipped));
  if (report.null) {
    const n = report.null;
    const state = n.passed ? c.green('nulls') : c.red('does not null');
    lines.push(
      n.residualPeakDbfs === null
        ? `null test: ${state} — the residual is digital silence (mix = Σ stems, sample for sample)`
        : `null test: ${state} — residual peak ${decimal(n.residualPeakDbfs)} dBFS (limit ${n.thresholdDbfs}), RMS ${decimal(n.residualRmsDbfs)} dBFS, ${decimal(n.residualRelativeDb)} dB relative to the mix${!n.passed && report.ok ? tolerated(report) : ''}`,
    );
  }
  if (report.sum) lines.push(`unity sum: peak ${decimal(report.sum.samplePeakDbfs)} dBFS, true peak ${decimal(report.sum.truePeakDbtp)} dBTP`);
  lines.push('');
  const rows = [['stem', 'format', 'peak dBFS', 'TP dBTP', 'LUFS', 'LRA', 'offset'].map(c.bold)];
  const { shown, hidden, hiddenNamed } = tableStems(report);
  for (const f of [...shown, ...(report.mix ? [report.mix] : [])]) {
    const m = f.measure;
    rows.push([
      f === report.mix ? c.bold(f.name) : f.name,
      fileFormat(f),
      decimal(m?.samplePeakDbfs),
      decimal(m?.truePeakDbtp),
      decimal(m?.integratedLufs),
      decimal(m?.loudnessRangeLu),
      f === report.mix ? '' : decimal(f.offsetSamples, 0),
    ]);
  }
  lines.push(table(rows, [2, 3, 4, 5, 6]));
  if (hidden > 0) {
    const which = hiddenNamed > 0 ? `${hiddenNamed} of them named in the findings below` : 'without findings, quieter than those listed';
    lines.push(c.dim(`… and ${hidden} more stems, ${which} (stemkit check --json or --html lists every stem)`));
  }
  for (const [title, list, paint] of [
    ['errors', errors, c.red],
    ['warnings', warnings, c.yellow],
    ['notes', infos, c.cyan],
  ] as const) {
    if (list.length === 0) continue;
    lines.push('', paint(c.bold(`${title} (${list.length})`)));
    // A rule that fires on many files prints a few and counts the rest: the report stays readable
    // for a thousand stems, and --json keeps every finding.
    const shownPerRule = new Map<string, number>();
    for (const f of list) {
      const shown = shownPerRule.get(f.rule) ?? 0;
      shownPerRule.set(f.rule, shown + 1);
      if (shown === MAX_PER_RULE) {
        const rest = list.filter((g) => g.rule === f.rule).length - MAX_PER_RULE;
        lines.push(`  ${paint(f.rule)}  … and ${rest} more (stemkit check --json lists them all)`);
      }
      if (shown >= MAX_PER_RULE) continue;
      lines.push(`  ${paint(f.rule)}  ${f.message}${rangesText(f)}`);
      lines.push(`    ${c.dim('fix:')} ${f.fix}`);
    }
  }
  for (const note of report.notes) lines.push('', c.dim(`note: ${note}`));
  return lines.join('\n') + '\n';
}
