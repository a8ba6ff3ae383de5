import { clock, decimal, elapsed, formatLabel, signed } from '../format.js';
import type { CheckedFile, CheckReport, Finding, TimeRange } from '../check/types.js';
import type { Severity } from '../check/profiles.js';
import type { ReportOptions } from './options.js';

/**
 * The HTML report: one self-contained file (inline CSS and inline SVG, no script, no external
 * fonts, images or links), readable on screen and on paper. A Content-Security-Policy forbids
 * every fetch, so even a stray reference cannot reach the network.
 *
 * Stable hooks for tests and tooling:
 *   #verdict                           the PASS/FAIL banner (data-ok="true|false")
 *   table#stems                        the stem table, one tr[data-stem] per file
 *   svg.waveform[data-stem="<name>"]   one per plotted file; rect.range marks finding ranges
 *   svg#residual                       residual level over time; line.threshold is the limit
 *   section#findings                   li.finding[data-severity][data-rule]
 */

/** Plot geometry in SVG user units; the viewBox scales them to the page width. */
const W = 1000;
const WAVE_H = 64;
const AXIS_H = 16;
const RES_H = 200;
const RES_LEFT = 46;
const RES_RIGHT = 8;
const RES_TOP = 18;
const RES_BOTTOM = 22;
const MAX_RANGES_LISTED = 12;
/** Waveforms are drawn in dB from this level (centre line) to 0 dBFS (frame edge). */
const WAVE_FLOOR_DB = -60;
const SPEC_H = 180;

const SEVERITIES: { key: Severity; title: string }[] = [
  { key: 'error', title: 'Errors' },
  { key: 'warning', title: 'Warnings' },
  { key: 'info', title: 'Notes' },
];

/** Escapes text for element content and double- or single-quoted attributes; drops C0 controls HTML forbids. */
export function escapeHtml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;

/** SVG coordinate: one decimal, no trailing ".0". */
function c(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** An axis tick: m:ss, or m:ss.s when the axis step is below a second. */
const formatTick = (seconds: number, step: number): string => clock(seconds, step < 1 ? 1 : 0);

function formatValue(v: number | string | null): string {
  if (typeof v === 'string') return v;
  return decimal(v, v === null || Number.isInteger(v) ? 0 : Math.abs(v) >= 100 ? 1 : 2);
}

/** A file's format, or why it has none. */
function fileFormat(f: CheckedFile): string {
  return f.format ? formatLabel(f.format) : f.error ? `unreadable (${f.error.code})` : '—';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A tick step giving at most about ten ticks. */
function timeStep(duration: number): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => duration / s <= 10) ?? 7200;
}

function timeTicks(duration: number): { t: number; step: number }[] {
  if (!(duration > 0)) return [];
  const step = timeStep(duration);
  const ticks: { t: number; step: number }[] = [];
  for (let k = 0; k * step <= duration + 1e-9; k++) ticks.push({ t: k * step, step });
  return ticks;
}

/** Ranges for a plotted file: its own findings, plus package-level ones on the mix (or on every stem without a mix). */
function rangesFor(report: CheckReport, name: string, isMix: boolean): { range: TimeRange; finding: Finding }[] {
  const plotsHaveMix = report.mix !== null && report.plots.waveforms.some((w) => w.name === report.mix!.name);
  const out: { range: TimeRange; finding: Finding }[] = [];
  for (const f of report.findings) {
    const mine = f.stem === name || (f.stem === null && (isMix || !plotsHaveMix));
    if (!mine) continue;
    for (const r of f.ranges) out.push({ range: r, finding: f });
  }
  return out;
}

function waveformSvg(report: CheckReport, name: string, peak: number[], isMix: boolean): string {
  const duration = report.plots.durationSec;
  const n = peak.length;
  const mid = WAVE_H / 2;
  const half = WAVE_H / 2 - 2;
  const parts: string[] = [];
  const label = `${isMix ? 'Mix' : 'Stem'} ${name} waveform`;
  parts.push(
    `<svg class="waveform${isMix ? ' mix' : ''}" data-stem="${esc(name)}" viewBox="0 0 ${W} ${WAVE_H + AXIS_H}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${esc(label)}">`,
  );
  parts.push(`<rect class="frame" x="0" y="0" width="${W}" height="${WAVE_H}"/>`);
  const ticks = timeTicks(duration);
  for (const { t } of ticks) {
    const x = (t / duration) * W;
    parts.push(`<line class="grid" x1="${c(x)}" y1="0" x2="${c(x)}" y2="${WAVE_H}"/>`);
  }
  // Mirrored peak envelope: upper edge left to right, lower edge back.
  if (n > 0) {
    const upper: string[] = [];
    const lower: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = Math.abs(peak[i]!);
      // dB scale: quiet passages stay visible; −60 dBFS sits on the centre line, 0 dBFS at the edges.
      const v = Number.isFinite(p) && p > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(p) - WAVE_FLOOR_DB) / -WAVE_FLOOR_DB)) : 0;
      const x = c(((i + 0.5) / n) * W);
      upper.push(`${x} ${c(mid - v * half)}`);
      lower.push(`${x} ${c(mid + v * half)}`);
    }
    lower.reverse();
    parts.push(`<path class="wave" d="M0 ${c(mid)}L${upper.join(' ')}L${W} ${c(mid)}L${lower.join(' ')}Z"/>`);
  }
  parts.push(`<line class="centre" x1="0" y1="${c(mid)}" x2="${W}" y2="${c(mid)}"/>`);
  if (duration > 0) {
    for (const { range, finding } of rangesFor(report, name, isMix)) {
      const a = Math.max(0, Math.min(duration, range[0]));
      const b = Math.max(a, Math.min(duration, range[1]));
      const x = (a / duration) * W;
      const width = Math.max(1, ((b - a) / duration) * W);
      const tip = `${finding.rule} (${finding.severity}): ${clock(range[0])} – ${clock(range[1])}`;
      parts.push(
        `<rect class="range ${finding.severity}" data-rule="${esc(finding.rule)}" x="${c(Math.min(x, W - width))}" y="0" width="${c(width)}" height="${WAVE_H}"><title>${esc(tip)}</title></rect>`,
      );
    }
  }
  for (const { t, step } of ticks) {
    const x = (t / duration) * W;
    const anchor = x < 1 ? 'start' : x > W - 1 ? 'end' : 'middle';
    parts.push(`<text class="tick" x="${c(x)}" y="${WAVE_H + 12}" text-anchor="${anchor}">${formatTick(t, step)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function residualSvg(report: CheckReport, values: (number | null)[], peaks: (number | null)[] | null): string {
  const threshold = report.null?.thresholdDbfs ?? null;
  const duration = report.plots.durationSec;
  const finite = [...values, ...(peaks ?? [])].filter((v): v is number => v !== null && Number.isFinite(v));
  const maxV = finite.length ? Math.max(...finite) : -Infinity;
  const top = maxV > 0 ? Math.ceil(maxV / 10) * 10 : 0;
  let floor = -120;
  if (threshold !== null && Number.isFinite(threshold) && threshold - 10 < floor) floor = Math.floor((threshold - 10) / 20) * 20;
  const x0 = RES_LEFT;
  const x1 = W - RES_RIGHT;
  const y0 = RES_TOP;
  const y1 = RES_H - RES_BOTTOM;
  const yOf = (db: number) => y0 + ((top - Math.max(floor, Math.min(top, db))) / (top - floor)) * (y1 - y0);
  const n = values.length;
  const xOf = (i: number) => x0 + ((i + 0.5) / n) * (x1 - x0);
  const parts: string[] = [];
  parts.push(
    `<svg id="residual" class="residual" viewBox="0 0 ${W} ${RES_H}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="Residual level over time">`,
  );
  parts.push(`<rect class="frame" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`);
  const dbStep = top - floor > 80 ? 20 : 10;
  for (let db = top; db >= floor; db -= dbStep) {
    const y = c(yOf(db));
    parts.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${x0 - 5}" y="${y}" dy="3.5" text-anchor="end">${db === 0 ? '0' : db > 0 ? `+${db}` : `−${-db}`}</text>`);
  }
  parts.push(`<text class="unit" x="${x0 - 5}" y="${y0 - 8}" text-anchor="end">dBFS</text>`);
  for (const { t, step } of timeTicks(duration)) {
    const x = c(x0 + (t / duration) * (x1 - x0));
    const anchor = t === 0 ? 'start' : 'middle';
    parts.push(`<line class="grid" x1="${x}" y1="${y0}" x2="${x}" y2="${y1}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${y1 + 14}" text-anchor="${anchor}">${formatTick(t, step)}</text>`);
  }
  if (n > 0) {
    const pts: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      pts.push(`${c(xOf(i))} ${c(yOf(v === null || v === undefined || !Number.isFinite(v) ? floor : v))}`);
    }
    const line = `M${pts.join(' ')}`;
    const area = `M${c(xOf(0))} ${c(y1)}L${pts.join(' ')}L${c(xOf(n - 1))} ${c(y1)}Z`;
    parts.push(`<path class="area" d="${area}"/>`);
    if (threshold !== null && Number.isFinite(threshold) && threshold < top) {
      // The part of the curve above the threshold, in red.
      parts.push(
        `<clipPath id="residual-over"><rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${c(Math.max(0, yOf(threshold) - y0))}"/></clipPath>`,
      );
      parts.push(`<path class="area over" clip-path="url(#residual-over)" d="${area}"/>`);
    }
    parts.push(`<path class="line" d="${line}"/>`);
    if (peaks && peaks.length === n) {
      const peakLine = peaks.map((v, i) => `${c(xOf(i))} ${c(yOf(v === null || !Number.isFinite(v) ? floor : v))}`);
      parts.push(`<path class="peak-line" d="M${peakLine.join(' ')}"/>`);
    }
  }
  const at = report.null?.residualPeakSec;
  if (at !== null && at !== undefined && duration > 0 && report.null?.residualPeakDbfs !== null) {
    // The worst moment: where to listen first.
    const x = c(x0 + (Math.min(duration, at) / duration) * (x1 - x0));
    const label = `peak ${decimal(report.null!.residualPeakDbfs)} dBFS at ${clock(at)}${report.null!.residualPeakChannel ? ` (${report.null!.residualPeakChannel})` : ''}`;
    parts.push(`<line class="worst" x1="${x}" y1="${y0}" x2="${x}" y2="${y1}"><title>${esc(label)}</title></line>`);
    const anchor = at / duration > 0.7 ? 'end' : 'start';
    parts.push(`<text class="worst-label" x="${x}" y="${y0 + 12}" dx="${anchor === 'end' ? -4 : 4}" text-anchor="${anchor}">${esc(label)}</text>`);
  }
  if (threshold !== null && Number.isFinite(threshold)) {
    const y = c(yOf(threshold));
    parts.push(`<line class="threshold" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"><title>threshold ${esc(decimal(threshold))} dBFS</title></line>`);
    parts.push(`<text class="threshold-label" x="${x1 - 4}" y="${y}" dy="-4" text-anchor="end">threshold ${esc(decimal(threshold))} dBFS</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The residual's averaged spectrum: 1/6-octave bands on a log frequency axis. */
function spectrumSvg(bands: { hz: number; db: number | null }[]): string {
  const x0 = RES_LEFT;
  const x1 = W - RES_RIGHT;
  const y0 = RES_TOP;
  const y1 = SPEC_H - RES_BOTTOM;
  const lo = Math.log10(20);
  const hi = Math.log10(bands.at(-1)!.hz * 2 ** (1 / 12));
  const xOf = (hz: number) => x0 + ((Math.log10(hz) - lo) / (hi - lo)) * (x1 - x0);
  const finite = bands.map((b) => b.db).filter((v): v is number => v !== null);
  const top = Math.ceil(Math.max(...finite, -100) / 10) * 10;
  const floor = top - 100;
  const yOf = (db: number) => y0 + ((top - Math.max(floor, Math.min(top, db))) / (top - floor)) * (y1 - y0);
  const parts = [
    `<svg id="residual-spectrum" class="residual" viewBox="0 0 ${W} ${SPEC_H}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="Residual spectrum">`,
    `<rect class="frame" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`,
  ];
  for (let db = top; db >= floor; db -= 20) {
    const y = c(yOf(db));
    parts.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${x0 - 5}" y="${y}" dy="3.5" text-anchor="end">${db === 0 ? '0' : db > 0 ? `+${db}` : `−${-db}`}</text>`);
  }
  parts.push(`<text class="unit" x="${x0 - 5}" y="${y0 - 8}" text-anchor="end">dB</text>`);
  for (const hz of [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]) {
    if (Math.log10(hz) > hi) continue;
    const x = c(xOf(hz));
    parts.push(`<line class="grid" x1="${x}" y1="${y0}" x2="${x}" y2="${y1}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${y1 + 14}" text-anchor="middle">${hz >= 1000 ? `${hz / 1000}k` : hz}</text>`);
  }
  const pts = bands.filter((b) => b.db !== null).map((b) => `${c(xOf(b.hz))} ${c(yOf(b.db!))}`);
  if (pts.length) parts.push(`<path class="line" d="M${pts.join(' ')}"/>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Per channel: where the residual is (a stereo image problem shows in one side). */
function residualChannels(report: CheckReport): string {
  const channels = report.null?.channels ?? [];
  if (channels.length === 0) return '';
  return (
    '<table id="residual-channels"><thead><tr><th scope="col">Channel</th><th scope="col" class="n">Residual peak dBFS</th><th scope="col" class="n">Residual RMS dBFS</th></tr></thead><tbody>' +
    channels.map((ch) => `<tr><th scope="row">${esc(ch.channel)}</th><td class="n">${decimal(ch.peakDbfs)}</td><td class="n">${decimal(ch.rmsDbfs)}</td></tr>`).join('') +
    '</tbody></table>'
  );
}

function severityCounts(report: CheckReport): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  return counts;
}

function issuesCell(mine: Finding[]): string {
  if (mine.length === 0) return '<span class="muted">—</span>';
  return SEVERITIES.map(({ key }) => {
    const k = mine.filter((f) => f.severity === key).length;
    return k ? `<span class="badge ${key}" title="${esc(mine.filter((f) => f.severity === key).map((f) => f.rule).join(', '))}">${k} ${key === 'info' ? (k === 1 ? 'note' : 'notes') : key === 'error' ? (k === 1 ? 'error' : 'errors') : k === 1 ? 'warning' : 'warnings'}</span>` : '';
  })
    .filter(Boolean)
    .join(' ');
}

function stemTable(report: CheckReport): string {
  const rows: string[] = [];
  const files = [...report.stems, ...(report.mix ? [report.mix] : [])];
  for (const f of files) {
    const m = f.measure;
    const isMix = f === report.mix;
    const offset = isMix ? '<span class="muted">reference</span>' : esc(decimal(f.offsetSamples, 0));
    const fmt = f.format ? esc(fileFormat(f)) : `<span class="bad" title="${esc(f.error ? `${f.error.message} — ${f.error.hint}` : '')}">${esc(fileFormat(f))}</span>`;
    rows.push(
      `<tr data-stem="${esc(f.name)}"${isMix ? ' class="mix"' : ''}>` +
        `<th scope="row" title="${esc(f.path)}">${esc(f.name)}</th>` +
        `<td class="fmt">${fmt}</td>` +
        `<td class="n">${signed(m?.samplePeakDbfs)}</td>` +
        `<td class="n">${signed(m?.truePeakDbtp)}</td>` +
        `<td class="n">${decimal(m?.integratedLufs)}</td>` +
        `<td class="n">${decimal(m?.loudnessRangeLu)}</td>` +
        `<td class="n">${offset}</td>` +
        `<td class="issues">${issuesCell(report.findings.filter((x) => x.stem === f.name))}</td>` +
        '</tr>',
    );
  }
  if (report.sum) {
    rows.push(
      `<tr class="sum"><th scope="row">Σ stems</th><td class="fmt muted">unity sum</td>` +
        `<td class="n">${signed(report.sum.samplePeakDbfs)}</td><td class="n">${signed(report.sum.truePeakDbtp)}</td>` +
        `<td class="n">—</td><td class="n">—</td><td class="n">—</td><td class="issues">${issuesCell(report.findings.filter((x) => x.stem === null && x.rule.startsWith('level.sum')))}</td></tr>`,
    );
  }
  return (
    '<table id="stems"><thead><tr>' +
    '<th scope="col">Stem</th><th scope="col">Format</th><th scope="col" class="n">Peak dBFS</th>' +
    '<th scope="col" class="n">True peak dBTP</th><th scope="col" class="n">Integrated LUFS</th>' +
    '<th scope="col" class="n">LRA LU</th><th scope="col" class="n">Offset (samples)</th><th scope="col">Findings</th>' +
    `</tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function nullNotRun(report: CheckReport): string {
  const reason = report.nullSkipped ?? 'null test not run';
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

function nullSummary(report: CheckReport): string {
  const n = report.null;
  if (!n) return `<p class="muted">${esc(nullNotRun(report))}.</p>`;
  const items: [string, string][] = [
    ['Result', n.passed ? '<span class="ok">nulls</span>' : '<span class="bad">does not null</span>'],
    ['Threshold', `${decimal(n.thresholdDbfs)} dBFS`],
    ['Residual peak', n.residualPeakDbfs === null ? 'digital silence' : `${decimal(n.residualPeakDbfs)} dBFS`],
    ['Residual RMS', n.residualRmsDbfs === null ? 'digital silence' : `${decimal(n.residualRmsDbfs)} dBFS`],
    ['Relative to mix', n.residualRelativeDb === null ? '—' : `${signed(n.residualRelativeDb)} dB`],
    ['Best lag', n.bestLagSamples === null ? '—' : `${signed(n.bestLagSamples, 0)} samples`],
    ['Best gain', n.bestGainDb === null ? '—' : `${signed(n.bestGainDb, 2)} dB`],
    ['Polarity', n.polarityInverted ? '<span class="bad">inverted</span>' : 'normal'],
  ];
  return `<dl class="null-summary">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

function findingItem(f: Finding): string {
  const subject = f.stem ?? 'package';
  const valueLimit =
    f.value !== null || f.limit !== null
      ? `<div class="vl"><span>value <span class="v">${esc(formatValue(f.value))}</span></span>${f.limit !== null ? ` <span>limit <span class="v">${esc(formatValue(f.limit))}</span></span>` : ''}</div>`
      : '';
  const shown = f.ranges.slice(0, MAX_RANGES_LISTED);
  const ranges = f.ranges.length
    ? `<div class="ranges">at ${shown.map(([a, b]) => `<span class="range">${clock(a)} – ${clock(b)}</span>`).join(', ')}${f.ranges.length > shown.length ? ` <span class="muted">and ${f.ranges.length - shown.length} more</span>` : ''}</div>`
    : '';
  return (
    `<li class="finding ${f.severity}" data-severity="${f.severity}" data-rule="${esc(f.rule)}">` +
    `<div class="head"><code class="rule">${esc(f.rule)}</code><span class="subject"${f.file ? ` title="${esc(f.file)}"` : ''}>${esc(subject)}</span></div>` +
    `<p class="message">${esc(f.message)}</p>${valueLimit}${ranges}` +
    `<p class="fix"><span class="fix-label">Fix</span> ${esc(f.fix)}</p></li>`
  );
}

function findingsSection(report: CheckReport): string {
  if (report.findings.length === 0) return '<p class="muted">No findings.</p>';
  return SEVERITIES.map(({ key, title }) => {
    const list = report.findings.filter((f) => f.severity === key);
    if (list.length === 0) return '';
    return `<div class="group ${key}" data-severity="${key}"><h3>${title} <span class="count">${list.length}</span></h3><ol>${list.map(findingItem).join('')}</ol></div>`;
  }).join('');
}

const CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 28px 40px;background:#fff;min-height:100vh}
h1{font-size:15px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#57606a;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:14px;margin:16px 0 6px}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted{color:#6e7781}
.ok{color:#1a7f37;font-weight:600}
.bad{color:#cf222e;font-weight:600}
#verdict{display:flex;gap:24px;align-items:center;border:1px solid #d0d7de;border-left:10px solid #1a7f37;border-radius:6px;padding:14px 20px}
#verdict.fail{border-left-color:#cf222e}
#verdict .word{font-size:52px;font-weight:800;letter-spacing:.06em;line-height:1;color:#1a7f37}
#verdict.fail .word{color:#cf222e}
#verdict .facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;min-width:0}
#verdict dt{color:#6e7781}
#verdict dd{margin:0;overflow-wrap:break-word;min-width:0}
.counts .badge{margin-right:4px}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid}
.badge.error{color:#a40e26;background:#ffebe9;border-color:#ffcecb}
.badge.warning{color:#7d4e00;background:#fff8c5;border-color:#f5e0a0}
.badge.info{color:#0550ae;background:#ddf4ff;border-color:#b6e3ff}
.badge.zero{color:#6e7781;background:#f6f8fa;border-color:#d0d7de}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid #e5e8eb;text-align:left;vertical-align:top}
thead th{font-size:12px;line-height:1.25;color:#57606a;font-weight:600;border-bottom:2px solid #d0d7de;vertical-align:bottom}
tbody th{font-weight:600;overflow-wrap:break-word;word-break:normal}
td.n,th.n{text-align:right;white-space:nowrap}
thead th.n{white-space:normal}
td.fmt{white-space:nowrap}
tr.mix th,tr.mix td{background:#f6f8fa;border-top:2px solid #d0d7de}
tr.sum th,tr.sum td{color:#57606a}
figure{margin:0 0 10px;break-inside:avoid;page-break-inside:avoid}
figcaption{display:flex;justify-content:space-between;font-size:12.5px;font-weight:600;margin-bottom:2px}
figcaption .muted{font-weight:400}
svg{display:block;width:100%;height:auto;font-family:inherit;overflow:visible}
svg .frame{fill:#fbfcfd;stroke:#d0d7de;stroke-width:1}
svg .grid{stroke:#e6e9ed;stroke-width:1}
svg .centre{stroke:#8c959f;stroke-width:.6}
svg .wave{fill:#3a6ea5;stroke:none}
svg.mix .wave{fill:#2d3a48}
svg rect.range{fill:rgba(207,34,46,.26);stroke:rgba(207,34,46,.8);stroke-width:.8}
svg rect.range.warning{fill:rgba(207,34,46,.14);stroke:rgba(207,34,46,.55)}
svg rect.range.info{fill:rgba(207,34,46,.07);stroke:rgba(207,34,46,.45);stroke-dasharray:3 2}
svg .tick{font-size:11px;fill:#57606a}
svg .unit{font-size:10px;fill:#6e7781}
svg .area{fill:rgba(58,110,165,.22)}
svg .area.over{fill:rgba(207,34,46,.35)}
svg .line{fill:none;stroke:#3a6ea5;stroke-width:1.2;stroke-linejoin:round}
svg .peak-line{fill:none;stroke:#8250df;stroke-width:1;stroke-linejoin:round;opacity:.85}
svg .worst{stroke:#1f2328;stroke-width:1.2;stroke-dasharray:2 3}
svg .worst-label{font-size:11px;fill:#1f2328;font-weight:600}
svg .threshold{stroke:#cf222e;stroke-width:1.4;stroke-dasharray:7 5}
svg .threshold-label{font-size:11px;fill:#cf222e;font-weight:600}
/* Labels over the curves: a white halo keeps them legible where the residual crosses them. */
svg .threshold-label,svg .worst-label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.legend{font-size:12px;color:#57606a;margin:4px 0 12px}
.legend i{display:inline-block;width:14px;height:10px;vertical-align:-1px;margin:0 4px 0 12px;border:1px solid}
.legend i.err{background:rgba(207,34,46,.26);border-color:rgba(207,34,46,.8)}
.legend i.warn{background:rgba(207,34,46,.14);border-color:rgba(207,34,46,.55)}
.legend i.inf{background:rgba(207,34,46,.07);border:1px dashed rgba(207,34,46,.45)}
.legend i.rms{background:rgba(58,110,165,.22);border-color:#3a6ea5}
.legend i.pk{height:0;border-width:1px 0 0;border-color:#8250df}
.silence{border:1px solid #1a7f37;background:#f0fff4;border-radius:6px;padding:12px 16px;color:#1a7f37}
#residual-channels{margin-top:12px;max-width:480px}
#verdict .word .qualifier{display:block;font-size:14px;letter-spacing:.02em;font-weight:600;color:#9a6700}
.null-summary{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:8px;margin:12px 0 0}
.null-summary div{border:1px solid #e5e8eb;border-radius:6px;padding:6px 10px;background:#fbfcfd}
.null-summary dt{font-size:12px;color:#6e7781}
.null-summary dd{margin:0;font-size:15px;font-weight:600;font-variant-numeric:tabular-nums}
.group ol{list-style:none;margin:0;padding:0}
.finding{border:1px solid #e5e8eb;border-left:4px solid #0969da;border-radius:4px;padding:8px 12px;margin:0 0 8px;break-inside:avoid;page-break-inside:avoid}
.finding.error{border-left-color:#cf222e}
.finding.warning{border-left-color:#bf8700}
.finding .head{display:flex;gap:10px;align-items:baseline}
.finding .rule{font-weight:600}
.finding .subject{color:#57606a;overflow-wrap:break-word;min-width:0}
.finding p{margin:3px 0}
.finding .vl,.finding .ranges{font-size:12.5px;color:#57606a;font-variant-numeric:tabular-nums}
.finding .vl>span{margin-right:14px}
.finding .vl .v{color:#1f2328;font-weight:600}
.finding .ranges .range{white-space:nowrap;color:#1f2328}
.fix-label{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;color:#1a7f37;border:1px solid #a6d8b3;border-radius:3px;padding:0 4px;margin-right:4px}
.group h3 .count{font-weight:400;color:#6e7781}
.group.error h3{color:#a40e26}
.group.warning h3{color:#7d4e00}
.group.info h3{color:#0550ae}
ul.notes{padding-left:20px}
footer{margin-top:32px;font-size:11.5px;color:#8c959f;border-top:1px solid #e5e8eb;padding-top:8px}
@media screen and (max-width:720px){.null-summary{grid-template-columns:repeat(2,minmax(0,1fr))}#verdict{flex-direction:column;align-items:flex-start}}
@media print{
  @page{size:A4;margin:14mm}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;padding:0;min-height:0}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  h2{break-after:avoid;page-break-after:avoid}
  #verdict .word{font-size:40px}
  th,td{padding:4px 5px}
  td.fmt{white-space:normal}
}
`;

/** Renders a check report as one self-contained HTML document. */
export function renderHtml(report: CheckReport, _options: ReportOptions = {}): string {
  const counts = severityCounts(report);
  const verdict = report.ok ? 'PASS' : 'FAIL';
  const title = `stemkit check — ${verdict} — ${report.package.dir}`;
  const countBadges = SEVERITIES.map(({ key }) => {
    const k = counts[key];
    const word = key === 'error' ? plural(k, 'error') : key === 'warning' ? plural(k, 'warning') : plural(k, 'note');
    return `<span class="badge ${k ? key : 'zero'}" data-count="${key}">${word}</span>`;
  }).join('');

  const facts: [string, string][] = [
    ['Package', `<span class="mono">${esc(report.package.dir)}</span>`],
    ['Profile', esc(report.profile)],
    ['Findings', `<span class="counts">${countBadges}</span>`],
    [
      'Null test',
      report.null
        ? report.null.passed
          ? report.null.residualPeakDbfs === null
            ? '<span class="ok">nulls</span> (digital silence: mix = Σ stems, sample for sample)'
            : `<span class="ok">nulls</span> (residual peak ${decimal(report.null.residualPeakDbfs)} dBFS, limit ${decimal(report.null.thresholdDbfs)})`
          : `<span class="bad">does not null</span> (residual peak ${decimal(report.null.residualPeakDbfs)} dBFS, limit ${decimal(report.null.thresholdDbfs)})`
        : `<span class="muted">${esc(report.nullSkipped ?? 'not run')}</span>`,
    ],
    ['Files', `${plural(report.stems.length, 'stem')}${report.mix ? ' + mix' : ', no mix'}`],
    ['Elapsed', elapsed(report.elapsedMs)],
  ];

  const waves = report.plots.waveforms;
  const mixName = report.mix?.name ?? null;
  const figures = waves
    .map((w, i) => {
      const isMix = mixName !== null && w.name === mixName && i === waves.length - 1;
      const file = isMix ? report.mix : report.stems.find((s) => s.name === w.name);
      const peak = file?.measure?.samplePeakDbfs;
      return (
        `<figure><figcaption><span>${esc(w.name)}${isMix ? ' <span class="muted">(mix)</span>' : ''}</span>` +
        `<span class="muted">peak ${decimal(peak)} dBFS</span></figcaption>${waveformSvg(report, w.name, w.peak, isMix)}</figure>`
      );
    })
    .join('');
  const waveSection = waves.length
    ? `<p class="legend">Peak envelope in dB: −60 dBFS at the centre line, 0 dBFS at the frame edges; ${esc(clock(report.plots.durationSec, 0))} total. Finding ranges:<i class="err"></i>error<i class="warn"></i>warning<i class="inf"></i>note</p>${figures}`
    : '<p class="muted">No waveform data (no readable files).</p>';

  const residual = report.plots.residualDb;
  const spectrum = report.plots.residualSpectrum;
  const silent = report.null?.passed && report.null.residualPeakDbfs === null;
  const residualSection = silent
    ? '<p class="silence" id="digital-silence"><strong>Digital silence.</strong> The mix equals the sum of the stems sample for sample: nothing is left to plot.</p>'
    : residual && residual.length
      ? `<p class="legend">Residual (mix − Σ stems) per column in dBFS: <i class="rms"></i>RMS, <i class="pk"></i>peak; silence is drawn at the floor; the dashed line is the profile's threshold; the marker is the residual's peak.</p>${residualSvg(report, residual, report.plots.residualPeakDb ?? null)}` +
        (spectrum && spectrum.some((b) => b.db !== null)
          ? `<p class="legend">What remains, by frequency: the averaged spectrum of the residual's loudest passages (1/6 octave, dB re full scale). A limiter leaves broadband peaks, an EQ a band, a codec the top octave, a missing part its own spectrum.</p>${spectrumSvg(spectrum)}`
          : '') +
        residualChannels(report)
      : `<p class="muted">No residual data: ${esc(report.nullSkipped ?? 'the null test did not run')}.</p>`;

  const notes = report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="muted">None.</p>';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="stemkit">
<title>${esc(title)}</title>
<style>${CSS.trim()}</style>
</head>
<body>
<main>
<h1>stemkit · stem package check</h1>
<section id="verdict" class="${report.ok ? 'pass' : 'fail'}" data-ok="${report.ok}">
<div class="word">${verdict}${report.ok && counts.warning ? '<span class="qualifier">with warnings</span>' : ''}</div>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</section>
<section id="files"><h2>Stems</h2>${stemTable(report)}</section>
<section id="waveforms"><h2>Waveforms</h2>${waveSection}</section>
<section id="null"><h2>Null test</h2>${residualSection}${nullSummary(report)}</section>
<section id="findings"><h2>Findings</h2>${findingsSection(report)}</section>
<section id="notes"><h2>Profile caveats</h2>${notes}</section>
<footer>${esc(report.schema)} · profile ${esc(report.profile)} · generated by stemkit</footer>
</main>
</body>
</html>
`;
}
