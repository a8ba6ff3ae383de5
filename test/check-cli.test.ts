import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/cli/check.js';
import { runMeasure } from '../src/cli/measure.js';
import { RULE_IDS } from '../src/check/rules/index.js';
import { CheckJsonSchema } from '../src/check/report-schema.js';
import { material, RATE, sum, writePackage, writeWav } from './helpers/package.js';
import { captureOutput } from './helpers/io.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'stemkit-checkcli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const good = join(root, 'good');
const bad = join(root, 'bad');

beforeAll(async () => {
  const stems = [
    { name: 'Drums', audio: material(6, 1, 0.2) },
    { name: 'Bass', audio: material(6, 2, 0.15) },
  ];
  await writePackage(good, stems, sum(stems.map((s) => s.audio)));
  const mix = sum(stems.map((s) => s.audio));
  const late = stems.map((s, i) => (i === 1 ? { ...s, audio: s.audio.map((c) => Float32Array.from([...new Float32Array(64), ...c.subarray(0, c.length - 64)])) } : s));
  await writePackage(bad, late, mix);
});


describe('stemkit check (CLI)', () => {
  it('exit 0 and a PASS verdict first for a good package; 1 for a defective one', async () => {
    const out = captureOutput();
    expect(await runCheck([good], {}, out.stream, captureOutput().stream)).toBe(0);
    expect(out.text().split('\n')[0]).toMatch(/^PASS/);
    const badOut = captureOutput();
    expect(await runCheck([bad], {}, badOut.stream, captureOutput().stream)).toBe(1);
    expect(badOut.text()).toMatch(/^FAIL/);
    expect(badOut.text()).toMatch(/timing\.offset\s+Bass is 64 samples \(1\.33 ms\) late/);
    expect(badOut.text()).toMatch(/fix: Bass: remove the first 64 samples/);
  });

  it('--json prints the stemkit.check/1 contract without plot data and never -Infinity', async () => {
    const out = captureOutput();
    await runCheck([bad], { json: true }, out.stream, captureOutput().stream);
    expect(out.text()).not.toMatch(/Infinity|NaN/);
    const report = JSON.parse(out.text());
    expect(CheckJsonSchema.parse(report)).toEqual(report); // schema/check.schema.json's shape, nothing more
    expect(report).toMatchObject({ schema: 'stemkit.check/1', ok: false, profile: 'music' });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['package', 'stems', 'mix', 'sum', 'null', 'findings']));
    expect(report.plots).toBeUndefined();
    expect(report.null).toMatchObject({ passed: false, bestLagSamples: null });
    expect(report.stems[1]).toMatchObject({ name: 'Bass', offsetSamples: 64 });
    const f = report.findings.find((x: { rule: string }) => x.rule === 'timing.offset');
    expect(Object.keys(f).sort()).toEqual(['file', 'fix', 'limit', 'message', 'ranges', 'rule', 'severity', 'stem', 'value']);
    const several = captureOutput();
    await runCheck([good, bad], { json: true }, several.stream, captureOutput().stream);
    const reports = JSON.parse(several.text());
    expect(CheckJsonSchema.parse(reports)).toEqual(reports);
    expect(reports).toMatchObject({ schema: 'stemkit.check/1', ok: false, packages: [{ ok: true }, { ok: false }] });
  });

  it('several folders: one report each and a summary table; --junit writes one test case per rule and stem', async () => {
    const out = captureOutput();
    const junit = join(root, 'report.xml');
    expect(await runCheck([good, bad], { junit }, out.stream, captureOutput().stream)).toBe(1);
    expect(out.text()).toMatch(/summary/);
    expect(out.text()).toMatch(/good\s+PASS/);
    const xml = readFileSync(junit.replace('.xml', '-2-bad.xml'), 'utf8');
    const cases = xml.match(/<testcase /g)!.length;
    expect(cases).toBeGreaterThanOrEqual(RULE_IDS.length * 3); // every rule for Drums, Bass and the mix
    expect(xml).toMatch(/<testcase classname="stemkit.timing.offset" name="timing.offset — Bass"><failure type="error"/);
    expect(xml).toMatch(/<testcase classname="stemkit.timing.offset" name="timing.offset — Drums"><\/testcase>/);
    expect(xml).toMatch(/failures="[1-9]/);
    expect(readFileSync(junit.replace('.xml', '-1-good.xml'), 'utf8')).toMatch(/failures="0"/);
  });

  it('--html writes one self-contained report with the verdict, waveforms and the residual plot', async () => {
    const html = join(root, 'report.html');
    expect(await runCheck([bad], { html }, captureOutput().stream, captureOutput().stream)).toBe(1);
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(/FAIL/);
    expect(text.match(/<svg[^>]*class="waveform/g)?.length).toBe(3);
    expect(text).toMatch(/id="residual"/);
    expect(text).not.toMatch(/<script src|<link |https?:\/\//);
  });

  it('--strict fails on warnings; a folder with no audio is a usage error (exit 2) through the process', async () => {
    const noMix = join(root, 'nomix');
    await writePackage(noMix, [{ name: 'Drums', audio: material(4, 1, 0.2) }, { name: 'Bass', audio: material(4, 2, 0.2) }], null);
    expect(await runCheck([noMix], {}, captureOutput().stream, captureOutput().stream)).toBe(0);
    expect(await runCheck([noMix], { strict: true }, captureOutput().stream, captureOutput().stream)).toBe(1);
    const cli = ['--import', 'tsx', join(import.meta.dirname, '../src/cli/main.ts')];
    const empty = mkdtempSync(join(root, 'empty-'));
    const result = await run('node', [...cli, 'check', empty]).catch((e) => e);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/E_USAGE: no audio files found/);
    const profile = await run('node', [...cli, 'check', good, '--profile', 'radio']).catch((e) => e);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toMatch(/unknown profile 'radio'/);
  });
});

describe('stemkit measure (CLI)', () => {
  it('reports the JSON contract: a −23 dBFS stereo 1 kHz sine reads −23 LUFS, silence reads null', async () => {
    const frames = 20 * RATE;
    const sine = new Float32Array(frames).map((_, i) => 10 ** (-23 / 20) * Math.sin((2 * Math.PI * 1000 * i) / RATE));
    const tone = join(root, 'tone.wav');
    const silence = join(root, 'silence.wav');
    await writeWav(tone, [sine, sine.slice()], { format: 'float32' });
    await writeWav(silence, [new Float32Array(RATE), new Float32Array(RATE)]);
    const out = captureOutput();
    expect(await runMeasure([tone, silence], { json: true }, out.stream, captureOutput().stream)).toBe(0);
    expect(out.text()).not.toMatch(/Infinity/);
    const [t, s] = JSON.parse(out.text()).files;
    expect(t.format).toMatchObject({ sampleRate: 48000, channels: 2, encoding: 'float' });
    expect(t.integratedLufs).toBeCloseTo(-23, 1);
    expect(t.momentaryMaxLufs).toBeCloseTo(-23, 1);
    expect(t.shortTermMaxLufs).toBeCloseTo(-23, 1);
    expect(t.samplePeakDbfs).toBeCloseTo(-23, 1);
    expect(t.truePeakDbtp).toBeCloseTo(-23, 1);
    expect(t.rmsDbfs).toBeCloseTo(-26.01, 1);
    expect(t.loudnessRangeLu).toBeCloseTo(0, 1);
    expect(t).toMatchObject({ clippedRuns: 0, firstSoundSec: expect.any(Number), durationSec: 20 });
    expect(t.dcOffset).toHaveLength(2);
    expect(s).toMatchObject({ integratedLufs: null, loudnessRangeLu: null, samplePeakDbfs: null, rmsDbfs: null, firstSoundSec: null });
  });
});
