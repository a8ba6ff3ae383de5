import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { renderText } from '../src/report/text.js';
import { scratchDir } from './helpers/almost-right.js';
import { material, sum, writePackage, type FixtureStem } from './helpers/package.js';

/** One cause, one finding: a package-wide problem is said once, listing the files, at any stem count. */
const root = scratchDir('one-cause');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('one cause, one finding', () => {
  it('40 copies of one stem: one phase.duplicate finding for the group, not 780 pairs', async () => {
    const one = material(1.5, 3, 0.01);
    const stems: FixtureStem[] = Array.from({ length: 40 }, (_, i) => ({ name: `Copy ${i + 1}`, audio: one }));
    const dir = await writePackage(join(root, 'copies'), stems, sum(stems.map((s) => s.audio)));
    const report = await checkPackage(await discoverPackage(dir));
    const duplicates = report.findings.filter((f) => f.rule === 'phase.duplicate');
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]!.files).toHaveLength(40);
    expect(duplicates[0]!.message).toMatch(/Copy 1, Copy 2, .* and 34 more carry the same audio .* in the sum 40 times \(\+32\.0 dB\)/);
  });

  it('12 files with cut tails and unnamed stems: one finding each, and the terminal report stays short', async () => {
    const stems: FixtureStem[] = Array.from({ length: 11 }, (_, i) => {
      const audio = material(1, i + 1, 0.02).map((c) => c.slice());
      for (const c of audio) for (let k = c.length - 4800; k < c.length; k++) c[k] = 0.05 * Math.sin(k / 7);
      return { name: `Audio ${i + 1}`, audio };
    });
    const dir = await writePackage(join(root, 'tails'), stems, sum(stems.map((s) => s.audio)));
    const report = await checkPackage(await discoverPackage(dir));
    const tails = report.findings.filter((f) => f.rule === 'timing.tail-truncated');
    expect(tails).toHaveLength(1);
    expect(tails[0]!.files).toHaveLength(12);
    expect(tails[0]!.message).toMatch(/^12 files are still sounding/);
    const naming = report.findings.filter((f) => f.rule === 'package.naming');
    expect(naming).toHaveLength(1);
    expect(naming[0]!.files).toHaveLength(11);
    const text = renderText(report);
    expect(text.split('\n').filter((l) => l.includes('timing.tail-truncated'))).toHaveLength(1);
  });
});
