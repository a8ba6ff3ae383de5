import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { decimal } from '../format.js';
import { escapeHtml as esc } from '../report/html/escape.js';
import { CSS } from '../report/html/styles.js';
import type { BatchLine, BatchVerdict } from './result-line.js';
import { readLines } from './store.js';

/** How many of the worst packages the summary lists. */
const WORST = 25;

/** The state of a RESULTS folder: every line of results.jsonl, counted. */
export interface BatchSummary {
  packages: number;
  byVerdict: Record<BatchVerdict, number>;
  /** Per rule id: how many packages have at least one finding of it, most first. */
  byRule: { rule: string; packages: number }[];
  /** Per error code: packages that could not be checked. */
  byError: { code: string; packages: number }[];
  /** Errors first, then the most error findings, then the loudest residual. */
  worst: BatchLine[];
  /** Sum of the check times, ms. */
  checkMs: number;
}

function badness(line: BatchLine): number[] {
  return [line.verdict === 'error' ? 1 : 0, line.findings.error, line.numbers?.nullResidualRelativeDb ?? -Infinity, line.findings.warning];
}

function worse(a: BatchLine, b: BatchLine): number {
  const x = badness(a);
  const y = badness(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i]! - x[i]! || 0;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Reads RESULTS/results.jsonl once, keeping only counts and the worst packages. */
export async function summarize(out: string): Promise<BatchSummary> {
  const byVerdict: Record<BatchVerdict, number> = { pass: 0, fail: 0, error: 0 };
  const byRule = new Map<string, number>();
  const byError = new Map<string, number>();
  let worst: BatchLine[] = [];
  let packages = 0;
  let checkMs = 0;
  for await (const line of readLines(out)) {
    packages++;
    byVerdict[line.verdict]++;
    checkMs += line.checkMs;
    for (const rule of Object.keys(line.rules)) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    if (line.error) byError.set(line.error.code, (byError.get(line.error.code) ?? 0) + 1);
    if (line.verdict !== 'pass') {
      worst.push(line);
      if (worst.length > 4 * WORST) worst = worst.sort(worse).slice(0, WORST);
    }
  }
  const ranked = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    packages,
    byVerdict,
    byRule: ranked(byRule).map(([rule, n]) => ({ rule, packages: n })),
    byError: ranked(byError).map(([code, n]) => ({ code, packages: n })),
    worst: worst.sort(worse).slice(0, WORST),
    checkMs,
  };
}

/**
 * RESULTS/summary.html: one self-contained page (the report's stylesheet, no script) with the counts
 * by verdict and by rule, and the worst packages linked to their reports (relative links, so the
 * folder can be moved or served as it is).
 */
export function renderSummaryHtml(summary: BatchSummary, out: string): string {
  const row = (cells: string[]) => `<tr>${cells.join('')}</tr>`;
  const link = (line: BatchLine) => {
    const html = `${line.id}/report.html`;
    const target = existsSync(join(out, html)) ? html : line.report;
    return target ? `<a href="${esc(target)}">${esc(line.path)}</a>` : esc(line.path);
  };
  const verdicts = (['pass', 'fail', 'error'] as const).map((v) => row([`<th>${v}</th>`, `<td class="n" data-verdict="${v}">${summary.byVerdict[v]}</td>`])).join('');
  const rules = summary.byRule.map((r) => row([`<th><code>${esc(r.rule)}</code></th>`, `<td class="n" data-rule="${esc(r.rule)}">${r.packages}</td>`])).join('');
  const errors = summary.byError.map((e) => row([`<th><code>${esc(e.code)}</code></th>`, `<td class="n">${e.packages}</td>`])).join('');
  const worst = summary.worst
    .map((l) =>
      row([
        `<td>${link(l)}</td>`,
        `<td class="${l.verdict === 'pass' ? 'ok' : 'bad'}">${l.verdict.toUpperCase()}</td>`,
        `<td class="n">${l.findings.error}</td>`,
        `<td class="n">${l.findings.warning}</td>`,
        `<td class="n">${decimal(l.numbers?.nullResidualPeakDbfs)}</td>`,
        `<td>${l.error ? `<code>${esc(l.error.code)}</code> ${esc(l.error.message)}` : esc(Object.keys(l.rules).join(', '))}</td>`,
      ]),
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>stemkit batch — ${summary.packages} packages</title><style>${CSS}</style></head>
<body><main>
<h1>stemkit batch</h1>
<section id="verdicts"><h2>${summary.packages} packages</h2><table><tbody>${verdicts}</tbody></table></section>
<section id="rules"><h2>Findings by rule (packages)</h2>${rules ? `<table><tbody>${rules}</tbody></table>` : '<p class="muted">none</p>'}</section>
${errors ? `<section id="errors"><h2>Could not be checked</h2><table><tbody>${errors}</tbody></table></section>` : ''}
<section id="worst"><h2>Worst packages</h2>${
    worst
      ? `<table><thead><tr><th>package</th><th>verdict</th><th class="n">errors</th><th class="n">warnings</th><th class="n">residual peak dBFS</th><th>rules / error</th></tr></thead><tbody>${worst}</tbody></table>`
      : '<p class="muted">every package passed</p>'
  }</section>
</main></body></html>
`;
}

/** Writes RESULTS/summary.html from results.jsonl; returns the summary. */
export async function writeSummary(out: string): Promise<BatchSummary> {
  const summary = await summarize(out);
  await writeFileAtomically(join(out, 'summary.html'), renderSummaryHtml(summary, out));
  return summary;
}
