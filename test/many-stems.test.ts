import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { MAX_PROBED_STEMS } from '../src/check/diagnose.js';
import { discoverPackage } from '../src/check/discover.js';
import { renderJunit } from '../src/report/junit.js';
import { renderText } from '../src/report/text.js';
import { delayed, scratchDir } from './helpers/almost-right.js';
import { material, sum, writePackage, writeWav, type FixtureStem } from './helpers/package.js';

/** Packages of many stems: the diagnosis stays bounded and one cause stays one finding. */
const root = scratchDir('many-stems');
afterAll(() => (process.env.KEEP ? undefined : rmSync(root, { recursive: true, force: true })));

describe('many stems', () => {
  it(`probes at most ${MAX_PROBED_STEMS} stems for offsets, the loudest, and still finds the one that is late`, async () => {
    // 80 quiet parts and one loud part that is 37 samples late: the null fails because of it.
    const stems: FixtureStem[] = Array.from({ length: 80 }, (_, i) => ({ name: `Part ${i + 1}`, audio: material(1.5, i + 2, 0.004) }));
    stems.push({ name: 'Lead', audio: material(1.5, 1, 0.25) });
    const mix = sum(stems.map((s) => s.audio));
    stems[80]!.audio = delayed(stems[80]!.audio, 37, stems[80]!.audio[0]!.length);
    const dir = await writePackage(join(root, 'late'), stems, mix);
    const report = await checkPackage(await discoverPackage(dir));
    expect(report.null!.passed).toBe(false);
    const lead = report.stems.find((s) => s.name === 'Lead')!;
    expect(lead.offsetSamples).toBe(37);
    expect(report.findings.filter((f) => f.rule === 'timing.offset').map((f) => f.stem)).toEqual(['Lead']);
    // Offsets are shown only where measured: the probed stems, never more than the bound.
    const measured = report.stems.filter((s) => s.offsetSamples !== null);
    expect(measured.length).toBeLessThanOrEqual(MAX_PROBED_STEMS);
    expect(measured.length).toBeGreaterThan(0);
  }, 120_000);

  it('24 stems at 16 bit are one format.bit-depth finding listing them; JUnit lists the files, capped', async () => {
    const stems: FixtureStem[] = Array.from({ length: 30 }, (_, i) => ({
      name: `Track ${i + 1}`,
      audio: material(1, i + 1, 0.01),
      options: { format: i < 24 ? ('pcm16' as const) : ('pcm24' as const) },
    }));
    const dir = await writePackage(join(root, 'bits'), stems, sum(stems.map((s) => s.audio)));
    const report = await checkPackage(await discoverPackage(dir));
    const bits = report.findings.filter((f) => f.rule === 'format.bit-depth');
    expect(bits).toHaveLength(1);
    expect(bits[0]!.files).toHaveLength(24);
    expect(bits[0]!.stem).toBeNull();
    expect(bits[0]!.message).toMatch(/^24 files are 16-bit \(Track 1, Track 2, .* and 18 more\)/);
    const xml = renderJunit(report);
    expect(xml).toContain('files (24): 01_Track 1.wav, 02_Track 2.wav');
    expect(xml).toContain('… and 4 more');
  }, 120_000);

  it('two stems at 16 bit keep a finding each, naming the file', async () => {
    const stems: FixtureStem[] = Array.from({ length: 4 }, (_, i) => ({ name: `Track ${i + 1}`, audio: material(1, i + 1, 0.01), options: { format: i < 2 ? ('pcm16' as const) : ('pcm24' as const) } }));
    const dir = await writePackage(join(root, 'two'), stems, sum(stems.map((s) => s.audio)));
    const report = await checkPackage(await discoverPackage(dir));
    expect(report.findings.filter((f) => f.rule === 'format.bit-depth').map((f) => f.stem)).toEqual(['Track 1', 'Track 2']);
  }, 120_000);

  it('the terminal table lists 24 stems (a quiet one a finding names among them) and counts the rest; files sort by number', async () => {
    // 40 parts, louder with their number, file names numbered 1…40 unpadded; "Part 3" (quiet) and
    // "Part 5" are 16-bit, so a finding names each of them.
    const stems: FixtureStem[] = Array.from({ length: 40 }, (_, i) => ({ name: `Part ${i + 1}`, audio: material(1, i + 1, 0.01 + 0.002 * i) }));
    const mix = sum(stems.map((s) => s.audio));
    const dir = join(root, 'table');
    await writePackage(dir, [], mix);
    for (const [i, s] of stems.entries()) {
      await writeWav(join(dir, 'stems', `${i + 1}_${s.name.replace(' ', '')}.wav`), s.audio, i === 2 || i === 4 ? { format: 'pcm16' } : {});
    }
    const pkg = await discoverPackage(dir);
    expect(pkg.stems.slice(0, 3).map((p) => basename(p.path))).toEqual(['1_Part1.wav', '2_Part2.wav', '3_Part3.wav']);
    expect(basename(pkg.stems.at(-1)!.path)).toBe('40_Part40.wav');
    const report = await checkPackage(pkg);
    expect(report.findings.filter((f) => f.rule === 'format.bit-depth').map((f) => f.stem)).toEqual(['Part3', 'Part5']);
    const text = renderText(report);
    const rows = text.split('\n').filter((l) => /^Part\d+ /.test(l));
    expect(rows).toHaveLength(24);
    // The stems findings name come first, then the loudest, listed in package order.
    expect(rows.slice(0, 2).map((l) => l.split(' ')[0])).toEqual(['Part3', 'Part5']);
    expect(rows.at(-1)!.startsWith('Part40 ')).toBe(true);
    expect(rows.some((l) => l.startsWith('Part1 '))).toBe(false);
    expect(text).toContain('… and 16 more stems, without findings, quieter than those listed (stemkit check --json or --html lists every stem)');
  }, 120_000);

  it('a dominant stem a few samples late is found at any stem count, whatever its pitch', async () => {
    // Quiet parts and one loud lead, 12 samples late and exported over the mix's range. The lead's
    // tone rises with its seed (80 + 90·seed Hz: 1520 Hz at 16 stems, 3680 Hz at 40), so its
    // correlation peaks are narrower than the coarse search's 8-sample grid, and 12 samples is off it.
    for (const n of [16, 40]) {
      const stems: FixtureStem[] = Array.from({ length: n }, (_, i) => ({ name: `Part ${i + 1}`, audio: material(1.5, i + 1, i === n - 1 ? 0.5 : 0.01 + 0.002 * i) }));
      const mix = sum(stems.map((s) => s.audio));
      stems[n - 1]!.audio = delayed(stems[n - 1]!.audio, 12, stems[n - 1]!.audio[0]!.length);
      const dir = await writePackage(join(root, `late-lead-${n}`), stems, mix);
      const report = await checkPackage(await discoverPackage(dir));
      expect(report.null!.passed).toBe(false);
      expect(report.stems.at(-1)!.offsetSamples, `${n} stems`).toBe(12);
      const offsets = report.findings.filter((f) => f.rule === 'timing.offset');
      expect(offsets.map((f) => [f.stem, f.value]), `${n} stems`).toEqual([[`Part ${n}`, 12]]);
      expect(offsets[0]!.fix).toMatch(/remove the first 12 samples/);
      // Every file lasts as long as the mix: the end edit is part of the timing repair, not a length fault.
      expect(report.findings.filter((f) => f.rule === 'format.length-mismatch')).toEqual([]);
    }
  }, 120_000);
});
