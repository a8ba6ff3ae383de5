import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { renderHtml } from '../src/report/html.js';
import { renderJunit } from '../src/report/junit.js';
import type { ReportRenderer } from '../src/report/options.js';
import { renderText } from '../src/report/text.js';
import { material, sum, writePackage } from './helpers/package.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-renderers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('report renderers', () => {
  it('share one signature (report, options) and honour the options that apply to them', async () => {
    // Two stems whose peaks exceed the music profile's −3 dBFS stem ceiling: warnings, no errors.
    const stems = [0, 1].map((i) => ({ name: `S${i}`, audio: material(3, i + 1, 0.9) }));
    const report = await checkPackage(await discoverPackage(await writePackage(join(root, 'pkg'), stems, sum(stems.map((s) => s.audio)))));
    expect(report.findings.some((f) => f.severity === 'warning')).toBe(true);
    const renderers: ReportRenderer[] = [renderText, renderJunit, renderHtml];
    for (const render of renderers) expect(render(report).length).toBeGreaterThan(100);
    // Text: colours only when asked.
    expect(renderText(report)).not.toContain('\x1b[');
    expect(renderText(report, { colour: true })).toContain('\x1b[');
    // JUnit: warnings fail only with strict.
    const failures = (xml: string) => Number(/<testsuites[^>]* failures="(\d+)"/.exec(xml)?.[1]);
    expect(failures(renderJunit(report, { strict: true }))).toBeGreaterThan(failures(renderJunit(report)));
  });
});
