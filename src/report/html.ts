import { clock, decimal, elapsed } from '../format.js';
import type { CheckReport } from '../check/types.js';
import type { ReportOptions } from './options.js';
import { escapeHtml as esc } from './html/escape.js';
import { residualSvg, spectrumSvg, waveformSvg } from './html/plots.js';
import { findingsSection, nullSummary, plural, residualChannels, severityCounts, SEVERITIES, stemTable } from './html/sections.js';
import { CSS } from './html/styles.js';

export { escapeHtml } from './html/escape.js';

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

/** Renders a check report as one self-contained HTML document. */
export function renderHtml(report: CheckReport, options: ReportOptions = {}): string {
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
<section id="findings"><h2>Findings</h2>${findingsSection(report, options.mixerUrl)}</section>
<section id="notes"><h2>Profile caveats</h2>${notes}</section>
<footer>${esc(report.schema)} · profile ${esc(report.profile)} · generated by stemkit</footer>
</main>
</body>
</html>
`;
}
