import { clock, decimal } from '../../format.js';
import type { CheckReport, Finding, TimeRange } from '../../check/types.js';
import { escapeHtml as esc } from './escape.js';

/** Plot geometry in SVG user units; the viewBox scales them to the page width. */
const W = 1000;
const WAVE_H = 64;
const AXIS_H = 16;
const RES_H = 200;
const RES_LEFT = 46;
const RES_RIGHT = 8;
const RES_TOP = 18;
const RES_BOTTOM = 22;
/** Waveforms are drawn in dB from this level (centre line) to 0 dBFS (frame edge). */
const WAVE_FLOOR_DB = -60;
const SPEC_H = 180;

/** SVG coordinate: one decimal, no trailing ".0". */
function c(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** An axis tick: m:ss, or m:ss.s when the axis step is below a second. */
const formatTick = (seconds: number, step: number): string => clock(seconds, step < 1 ? 1 : 0);

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

export function waveformSvg(report: CheckReport, name: string, peak: number[], isMix: boolean): string {
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

export function residualSvg(report: CheckReport, values: (number | null)[], peaks: (number | null)[] | null): string {
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
export function spectrumSvg(bands: { hz: number; db: number | null }[]): string {
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
