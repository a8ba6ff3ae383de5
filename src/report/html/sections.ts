import { decimal, formatLabel, signed, clock } from '../../format.js';
import type { CheckedFile, CheckReport, Finding } from '../../check/types.js';
import type { Severity } from '../../check/profiles.js';
import { escapeHtml as esc } from './escape.js';

/** Time ranges listed per finding; the rest are counted. */
const MAX_RANGES_LISTED = 12;

export const SEVERITIES: { key: Severity; title: string }[] = [
  { key: 'error', title: 'Errors' },
  { key: 'warning', title: 'Warnings' },
  { key: 'info', title: 'Notes' },
];

export function formatValue(v: number | string | null): string {
  if (typeof v === 'string') return v;
  return decimal(v, v === null || Number.isInteger(v) ? 0 : Math.abs(v) >= 100 ? 1 : 2);
}

/** A file's format, or why it has none. */
export function fileFormat(f: CheckedFile): string {
  return f.format ? formatLabel(f.format) : f.error ? `unreadable (${f.error.code})` : '—';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Per channel: where the residual is (a stereo image problem shows in one side). */
export function residualChannels(report: CheckReport): string {
  const channels = report.null?.channels ?? [];
  if (channels.length === 0) return '';
  return (
    '<table id="residual-channels"><thead><tr><th scope="col">Channel</th><th scope="col" class="n">Residual peak dBFS</th><th scope="col" class="n">Residual RMS dBFS</th></tr></thead><tbody>' +
    channels.map((ch) => `<tr><th scope="row">${esc(ch.channel)}</th><td class="n">${decimal(ch.peakDbfs)}</td><td class="n">${decimal(ch.rmsDbfs)}</td></tr>`).join('') +
    '</tbody></table>'
  );
}

export function severityCounts(report: CheckReport): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  return counts;
}

export function issuesCell(mine: Finding[]): string {
  if (mine.length === 0) return '<span class="muted">—</span>';
  return SEVERITIES.map(({ key }) => {
    const k = mine.filter((f) => f.severity === key).length;
    return k ? `<span class="badge ${key}" title="${esc(mine.filter((f) => f.severity === key).map((f) => f.rule).join(', '))}">${k} ${key === 'info' ? (k === 1 ? 'note' : 'notes') : key === 'error' ? (k === 1 ? 'error' : 'errors') : k === 1 ? 'warning' : 'warnings'}</span>` : '';
  })
    .filter(Boolean)
    .join(' ');
}

export function stemTable(report: CheckReport): string {
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

export function nullNotRun(report: CheckReport): string {
  const reason = report.nullSkipped ?? 'null test not run';
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

export function nullSummary(report: CheckReport): string {
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

/** A finding's range as text, or as a link that loops it in the mixer (`stemkit serve`) when its address is known. */
function rangeItem([a, b]: [number, number], mixerUrl: string | undefined): string {
  const text = `${clock(a)} – ${clock(b)}`;
  if (!mixerUrl) return `<span class="range">${text}</span>`;
  const href = `${mixerUrl}&t=${a.toFixed(3)}&loop=${a.toFixed(3)}-${b.toFixed(3)}`;
  return `<a class="range" href="${esc(href)}" title="loop it in the mixer (stemkit serve)">${text}</a>`;
}

export function findingItem(f: Finding, mixerUrl?: string): string {
  const subject = f.stem ?? 'package';
  const valueLimit =
    f.value !== null || f.limit !== null
      ? `<div class="vl"><span>value <span class="v">${esc(formatValue(f.value))}</span></span>${f.limit !== null ? ` <span>limit <span class="v">${esc(formatValue(f.limit))}</span></span>` : ''}</div>`
      : '';
  const shown = f.ranges.slice(0, MAX_RANGES_LISTED);
  const ranges = f.ranges.length
    ? `<div class="ranges">at ${shown.map((r) => rangeItem(r, mixerUrl)).join(', ')}${f.ranges.length > shown.length ? ` <span class="muted">and ${f.ranges.length - shown.length} more</span>` : ''}</div>`
    : '';
  return (
    `<li class="finding ${f.severity}" data-severity="${f.severity}" data-rule="${esc(f.rule)}">` +
    `<div class="head"><code class="rule">${esc(f.rule)}</code><span class="subject"${f.file ? ` title="${esc(f.file)}"` : ''}>${esc(subject)}</span></div>` +
    `<p class="message">${esc(f.message)}</p>${valueLimit}${ranges}` +
    `<p class="fix"><span class="fix-label">Fix</span> ${esc(f.fix)}</p></li>`
  );
}

export function findingsSection(report: CheckReport, mixerUrl?: string): string {
  if (report.findings.length === 0) return '<p class="muted">No findings.</p>';
  return SEVERITIES.map(({ key, title }) => {
    const list = report.findings.filter((f) => f.severity === key);
    if (list.length === 0) return '';
    return `<div class="group ${key}" data-severity="${key}"><h3>${title} <span class="count">${list.length}</span></h3><ol>${list.map((f) => findingItem(f, mixerUrl)).join('')}</ol></div>`;
  }).join('');
}
