import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { CheckReportJsonSchema } from '../src/check/report-schema.js';
import { reportJson } from '../src/cli/check.js';
import { mergePasses, PassMerger, runPass } from '../src/check/pass.js';
import { discoverPackage } from '../src/check/discover.js';
import type { CheckReport, Finding } from '../src/check/types.js';
import type { RuleId } from '../src/check/rules/index.js';
import { WorkerPool } from '../src/engine/pool.js';
import { allocateSamples, inArena, releaseSamples } from '../src/dsp/simd.js';
import { material, RATE, sum, writePackage, writeManifest, writeWav, type FixtureStem } from './helpers/package.js';
import { CORPUS_DIR, HAVE_CORPUS } from './helpers/corpus.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SECONDS = 8;
let n = 0;
function baseStems(seconds = SECONDS): FixtureStem[] {
  return [
    { name: 'Drums', audio: material(seconds, 1, 0.2) },
    { name: 'Bass', audio: material(seconds, 2, 0.15) },
    { name: 'Keys', audio: material(seconds, 3, 0.12) },
    { name: 'Vocals', audio: material(seconds, 4, 0.12) },
  ];
}

async function check(stems: FixtureStem[], mix: Float32Array[] | null | 'sum', options: { profile?: string; manifest?: object; mixOptions?: object } = {}): Promise<CheckReport> {
  const dir = join(root, `pkg${++n}`);
  await writePackage(dir, stems, mix === 'sum' ? sum(stems.map((s) => s.audio)) : mix, options.mixOptions);
  if (options.manifest) writeManifest(dir, options.manifest);
  return checkPackage(await discoverPackage(dir), options.profile ? { profile: options.profile } : {});
}

/** The audio `samples` later, same length. */
const delayed = (audio: Float32Array[], samples: number) =>
  audio.map((c) => {
    const late = new Float32Array(c.length);
    late.set(c.subarray(0, c.length - samples), samples);
    return late;
  });

const rules = (r: CheckReport, severity?: Finding['severity']) => [...new Set(r.findings.filter((f) => !severity || f.severity === severity).map((f) => f.rule))];
const only = (r: CheckReport, rule: RuleId) => r.findings.filter((f) => f.rule === rule);

describe('check: a clean package', () => {
  let report: CheckReport;
  beforeAll(async () => {
    report = await check(baseStems(), 'sum');
  });
  it('passes with no findings at all: no rule fires on a valid package', () => {
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.schema).toBe('stemkit.check/1');
  });
  it('proves the null test and reports zero offsets', () => {
    expect(report.null).toMatchObject({ passed: true, residualPeakDbfs: null, thresholdDbfs: -60, polarityInverted: false });
    expect(report.stems.map((s) => s.offsetSamples)).toEqual([0, 0, 0, 0]);
    expect(report.stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Keys', 'Vocals']);
    for (const s of report.stems) expect(s.measure!.integratedLufs).toBeLessThan(-10);
    expect(report.sum!.samplePeakDbfs).toBeLessThan(-3);
  });
});

describe('check: timing', () => {
  it('timing.offset reads a 37-sample plugin latency exactly and says how to fix it', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    stems[1]!.audio = delayed(stems[1]!.audio, 37);
    const report = await check(stems, mix);
    const offsets = only(report, 'timing.offset');
    expect(offsets).toHaveLength(1);
    expect(offsets[0]).toMatchObject({ stem: 'Bass', value: 37, severity: 'error' });
    expect(offsets[0]!.fix).toMatch(/Bass: remove the first 37 samples/);
    expect(report.stems[1]!.offsetSamples).toBe(37);
    expect(report.stems.filter((s) => s.name !== 'Bass').every((s) => s.offsetSamples === 0)).toBe(true);
    expect(report.null!.passed).toBe(false);
  });

  it('timing.offset reads 37 on a sample-exact loop too, where a copy a bar away matches almost as well', async () => {
    // A programmed bass: one 0.5 s bar of a held note with a plucked attack, repeated sample for sample.
    const bar = Math.round(0.5 * RATE);
    const loop = (c: number) => {
      const x = new Float32Array(SECONDS * RATE);
      for (let i = 0; i < x.length; i++) {
        const t = (i % bar) / RATE;
        x[i] = Math.round(0.3 * Math.exp(-3 * t) * Math.sin(2 * Math.PI * 55 * t + c) * 2 ** 23) / 2 ** 23;
      }
      return x;
    };
    const stems = baseStems();
    stems[1]!.audio = [loop(0), loop(0.2)];
    const mix = sum(stems.map((s) => s.audio));
    stems[1]!.audio = delayed(stems[1]!.audio, 37);
    const report = await check(stems, mix);
    expect(only(report, 'timing.offset').map((f) => [f.stem, f.value])).toEqual([['Bass', 37]]);
  });

  it('diagnoses several broken stems at once: an offset, an inverted stem and a wrong gain, each on its own stem', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    stems[1]!.audio = delayed(stems[1]!.audio, 37);
    stems[2]!.audio = stems[2]!.audio.map((c) => c.map((v) => -v));
    stems[3]!.audio = stems[3]!.audio.map((c) => c.map((v) => Math.round(v * 0.8 * 2 ** 23) / 2 ** 23));
    const report = await check(stems, mix);
    expect(only(report, 'timing.offset').map((f) => [f.stem, f.value])).toEqual([['Bass', 37]]);
    expect(only(report, 'null.polarity').map((f) => f.stem)).toEqual(['Keys']);
    const gain = only(report, 'null.gain-mismatch');
    expect(gain.map((f) => f.stem)).toEqual(['Vocals']);
    expect(gain[0]!.value as number).toBeCloseTo(1.94, 1);
    expect(gain[0]!.fix).toMatch(/raise Vocals by 1\.9/);
    // The residual points at the stems the diagnosis named.
    expect(only(report, 'null.residual')[0]!.message).toMatch(/start with the findings on Bass, Vocals, Keys/);
  });

  it('finds both an offset and a gain error on the same stem', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    stems[1]!.audio = delayed(stems[1]!.audio, 37).map((c) => c.map((v) => Math.round(v * 0.8 * 2 ** 23) / 2 ** 23));
    const report = await check(stems, mix);
    expect(only(report, 'timing.offset').map((f) => [f.stem, f.value])).toEqual([['Bass', 37]]);
    const gain = only(report, 'null.gain-mismatch');
    expect(gain.map((f) => f.stem)).toEqual(['Bass']);
    expect(gain[0]!.value as number).toBeCloseTo(1.94, 1);
  });

  it('timing.offset finds an early stem too (−512 samples)', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    stems[2]!.audio = stems[2]!.audio.map((c) => {
      const early = new Float32Array(c.length);
      early.set(c.subarray(512));
      return early;
    });
    const offsets = only(await check(stems, mix), 'timing.offset');
    expect(offsets.map((f) => [f.stem, f.value])).toEqual([['Keys', -512]]);
    expect(offsets[0]!.fix).toMatch(/Keys: pad 512 samples .* at the start/);
  });

  it('timing.tail-truncated fires when a stem still sounds at the end, not when it decays', async () => {
    const stems = baseStems();
    const cut = stems[0]!.audio.map((c) => c.slice());
    for (const c of cut) for (let i = c.length - RATE; i < c.length; i++) c[i] = 0.2 * Math.sin(i / 10);
    stems[0]!.audio = cut;
    const report = await check(stems, 'sum');
    // One cause (the export range), one finding that lists the files.
    const [tail, ...more] = only(report, 'timing.tail-truncated');
    expect(more).toEqual([]);
    expect(tail!.files!.map((p) => p.split('/').pop())).toEqual(['01_Drums.wav', 'mix.wav']);
    expect(tail!.message).toMatch(/^2 files are still sounding in their last 10 ms \(Drums .* and Mix/);
  });
});

describe('check: the null test and its diagnosis', () => {
  it('null.gain-mismatch names the stem and the dB', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    const g = 10 ** (-1.5 / 20);
    stems[3]!.audio = stems[3]!.audio.map((c) => c.map((v) => Math.round(v * g * 2 ** 23) / 2 ** 23));
    const report = await check(stems, mix);
    const f = only(report, 'null.gain-mismatch');
    expect(f).toHaveLength(1);
    expect(f[0]!.stem).toBe('Vocals');
    expect(f[0]!.value).toBeCloseTo(1.5, 1);
    expect(f[0]!.fix).toMatch(/raise Vocals by 1\.5/);
    expect(only(report, 'null.residual')).toHaveLength(1);
    expect(only(report, 'null.polarity')).toHaveLength(0);
  });

  it('null.gain-mismatch on the mix when the whole sum is off by a constant', async () => {
    const stems = baseStems();
    const g = 10 ** (-0.8 / 20);
    const mix = sum(stems.map((s) => s.audio)).map((c) => c.map((v) => v * g));
    const report = await check(stems, mix);
    const f = only(report, 'null.gain-mismatch');
    expect(f.map((x) => x.stem)).toEqual(['Mix']);
    expect(f[0]!.value).toBeCloseTo(-0.8, 1);
    expect(report.null!.bestGainDb).toBeCloseTo(-0.8, 1);
  });

  it('null.polarity finds the inverted stem', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    stems[2]!.audio = stems[2]!.audio.map((c) => c.map((v) => -v));
    const report = await check(stems, mix);
    expect(only(report, 'null.polarity').map((f) => f.stem)).toEqual(['Keys']);
    expect(only(report, 'null.gain-mismatch')).toHaveLength(0);
  });

  it('null.residual locates an element missing from the stems in time', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio));
    // A 1-second shaker at 3.0–4.0 s that no stem carries.
    for (const c of mix) for (let i = 3 * RATE; i < 4 * RATE; i++) c[i] = c[i]! + 0.05 * Math.sin(i * 0.7);
    const report = await check(stems, mix);
    const f = only(report, 'null.residual');
    expect(f).toHaveLength(1);
    expect(f[0]!.ranges).toHaveLength(1);
    expect(f[0]!.ranges[0]![0]).toBeCloseTo(3, 1);
    expect(f[0]!.ranges[0]![1]).toBeCloseTo(4, 1);
    expect(report.null!.residualPeakDbfs).toBeCloseTo(-26, 0);
    // Where it peaks, and what it is: a tone at 0.7 rad/sample = 5348 Hz.
    expect(report.null!.residualPeakSec!).toBeGreaterThanOrEqual(3);
    expect(report.null!.residualPeakSec!).toBeLessThan(4);
    const bands = report.plots.residualSpectrum!.filter((b) => b.db !== null);
    const loudest = bands.reduce((a, b) => (b.db! > a.db! ? b : a));
    expect(loudest.hz).toBeGreaterThan(5348 / 2 ** (1 / 12));
    expect(loudest.hz).toBeLessThan(5348 * 2 ** (1 / 12));
    expect(loudest.db!).toBeCloseTo(-26, -1);
    expect(only(report, 'null.gain-mismatch')).toHaveLength(0);
    expect(only(report, 'timing.offset')).toHaveLength(0);
  });

  it('netflix: a residual confined to the printmaster\'s peaks is reported as limiting, not as broken stems', async () => {
    const stems = baseStems();
    const sumAudio = sum(stems.map((s) => s.audio));
    const peak = Math.max(...sumAudio.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    const ceiling = 0.85 * peak;
    const limited = sumAudio.map((c) => c.map((v) => Math.max(-ceiling, Math.min(ceiling, v))));
    const netflix = only(await check(stems, limited, { profile: 'netflix' }), 'null.residual');
    // Tolerated, but shown: a warning with its value (the verdict is never a clean PASS).
    expect(netflix.map((f) => f.severity)).toEqual(['warning']);
    expect(netflix[0]!.message).toMatch(/peak limiter on the printmaster/);
    const music = only(await check(stems, limited), 'null.residual');
    expect(music.map((f) => f.severity)).toEqual(['error']);
  });

  it('a mix with recorded master processing is reported as expected, not broken', async () => {
    const stems = baseStems();
    const mix = sum(stems.map((s) => s.audio)).map((c) => c.map((v) => Math.tanh(3 * v) / 3));
    const report = await check(stems, mix, {
      manifest: { mix: { file: 'mix.wav', masterProcessing: [{ type: 'limiter' }] }, stems: stems.map((s, i) => ({ name: s.name, file: `stems/0${i + 1}_${s.name}.wav` })) },
    });
    const f = only(report, 'null.residual');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('info');
  });
});

describe('check: phase', () => {
  it('phase.duplicate: the same audio delivered twice', async () => {
    const stems = baseStems();
    stems.push({ name: 'Keys Copy', audio: stems[2]!.audio.map((c) => c.slice()) });
    const report = await check(stems, 'sum');
    expect(only(report, 'phase.duplicate').map((f) => f.stem)).toEqual(['Keys Copy']);
  });

  it('phase.cancellation: a polarity-flipped part in one region, with pair and range', async () => {
    const stems = baseStems();
    const flipped = stems[0]!.audio.map((c) => {
      const x = new Float32Array(c.length);
      for (let i = 2 * RATE; i < 4 * RATE; i++) x[i] = -c[i]! * 0.9;
      return x;
    });
    stems.push({ name: 'Parallel Comp', audio: flipped });
    const report = await check(stems, 'sum');
    const f = only(report, 'phase.cancellation');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/Drums and Parallel Comp/);
    expect(f[0]!.ranges[0]![0]).toBeGreaterThanOrEqual(1.9);
    expect(f[0]!.ranges.at(-1)![1]).toBeLessThanOrEqual(4.1);
    expect(f[0]!.value as number).toBeLessThan(-10);
  });

  it('phase.stereo and stem.dual-mono', async () => {
    const stems = baseStems();
    const [l] = stems[1]!.audio;
    stems[1]!.audio = [l!, l!.map((v) => -v)];
    stems[2]!.audio = [stems[2]!.audio[0]!, stems[2]!.audio[0]!.slice()];
    const report = await check(stems, 'sum');
    expect(only(report, 'phase.stereo').map((f) => f.stem)).toEqual(['Bass']);
    expect(only(report, 'stem.dual-mono').map((f) => f.stem)).toEqual(['Keys']);
  });
});

describe('check: levels', () => {
  it('level.clipping, level.headroom, level.sum-headroom, level.dc-offset, level.silent-stem', async () => {
    const stems = baseStems();
    stems[0]!.audio = stems[0]!.audio.map((c) => c.map((v, i) => (i >= RATE && i < RATE + 5 ? 1 : v)));
    stems[1]!.audio = stems[1]!.audio.map((c) => c.map((v) => v * 6));
    stems[2]!.audio = stems[2]!.audio.map((c) => c.map((v) => v + 0.01));
    stems.push({ name: 'Empty', audio: [new Float32Array(SECONDS * RATE), new Float32Array(SECONDS * RATE)] });
    const report = await check(stems, null);
    expect(only(report, 'level.clipping').map((f) => f.stem)).toEqual(['Drums']);
    expect(only(report, 'level.clipping')[0]!.ranges[0]![0]).toBeCloseTo(1, 1);
    expect(only(report, 'level.headroom').map((f) => f.stem)).toContain('Bass');
    expect(only(report, 'level.sum-headroom')).toHaveLength(1);
    expect(only(report, 'level.dc-offset').map((f) => f.stem)).toEqual(['Keys']);
    expect(only(report, 'level.silent-stem').map((f) => f.stem)).toEqual(['Empty']);
    expect(only(report, 'package.no-mix')).toHaveLength(1);
    expect(report.null).toBeNull();
  });

  it('level.true-peak catches inter-sample overs that sample peak misses', async () => {
    const stems = baseStems();
    // fs/4 at 45°: samples sit at 0.707 of the waveform's peak.
    const tp = new Float32Array(SECONDS * RATE).map((_, i) => (i < 6 * RATE ? 0.95 * Math.sin((Math.PI / 2) * i + Math.PI / 4) : 0));
    stems.push({ name: 'Synth', audio: [tp, tp.slice()] });
    const report = await check(stems, 'sum');
    const f = only(report, 'level.true-peak');
    expect(f.map((x) => x.stem)).toContain('Synth');
    const synth = report.stems.find((s) => s.name === 'Synth')!;
    expect(synth.measure!.samplePeakDbfs!).toBeLessThan(-3);
    expect(synth.measure!.truePeakDbtp!).toBeGreaterThan(-1);
  });

  it('level.limited flags flat-topped material as a note', async () => {
    const stems = baseStems();
    stems[0]!.audio = stems[0]!.audio.map((c) => c.map((v) => Math.max(-0.5, Math.min(0.5, v * 8))));
    const report = await check(stems, null);
    expect(only(report, 'level.limited').map((f) => [f.stem, f.severity])).toEqual([['Drums', 'info']]);
  });

  it('level.loudness judges the mix against the broadcast target', async () => {
    const report = await check(baseStems(), 'sum', { profile: 'broadcast' });
    const f = only(report, 'level.loudness');
    expect(f).toHaveLength(1);
    expect(report.mix!.measure!.integratedLufs!).toBeGreaterThan(-22);
    expect(f[0]!.fix).toMatch(/change the mix level by -/);
  });
});

describe('check: formats and the package', () => {
  it('format.sample-rate-mismatch, format.bit-depth, format.channels-mismatch, format.length-mismatch', async () => {
    const stems = baseStems();
    stems[0]!.options = { sampleRate: 44100 };
    stems[1]!.options = { format: 'pcm16' };
    stems[2]!.audio = [stems[2]!.audio[0]!];
    stems[3]!.audio = stems[3]!.audio.map((c) => c.subarray(0, c.length - 100));
    const report = await check(stems, sum(baseStems().map((s) => s.audio)));
    expect(only(report, 'format.sample-rate-mismatch').map((f) => f.stem)).toEqual(['Drums']);
    expect(only(report, 'format.bit-depth').map((f) => [f.stem, f.value])).toEqual([['Bass', 16]]);
    expect(only(report, 'format.channels-mismatch').map((f) => f.stem)).toEqual(['Keys']);
    // Lengths compare in time: Drums' 8 s of frames labelled 44.1 kHz last 0.707 s longer than the mix.
    expect(only(report, 'format.length-mismatch').map((f) => [f.stem, f.value])).toEqual([['Drums', 33959], ['Vocals', -100]]);
    expect(report.null).toBeNull();
  });

  it('format.sample-rate under a profile that fixes the rate', async () => {
    const stems = baseStems().map((s) => ({ ...s, options: { sampleRate: 44100 } }));
    const report = await check(stems, 'sum', { profile: 'sync', mixOptions: { sampleRate: 44100 } });
    // One cause (the whole package is at 44.1 kHz): one finding listing the five files.
    const rate = only(report, 'format.sample-rate');
    expect(rate).toHaveLength(1);
    expect(rate[0]!.files).toHaveLength(5);
    expect(rate[0]!.message).toMatch(/^5 files are 44100 Hz/);
    expect(only(report, 'format.sample-rate-mismatch')).toHaveLength(0);
  });

  it('format.start-mismatch compares BWF time references', async () => {
    const stems = baseStems().map((s) => ({ ...s, options: { bext: { timeReference: 48000 * 10 } } }));
    stems[1]!.options = { bext: { timeReference: 48000 * 10 + 480 } };
    const report = await check(stems, 'sum', { mixOptions: { bext: { timeReference: 48000 * 10 } } });
    expect(only(report, 'format.start-mismatch').map((f) => [f.stem, f.value])).toEqual([['Bass', 480]]);
  });

  it('format.non-finite and format.unreadable', async () => {
    const stems = baseStems();
    stems[0]!.options = { format: 'float32' };
    stems[0]!.audio = stems[0]!.audio.map((c) => c.map((v, i) => (i === 1000 ? Number.NaN : v)));
    const dir = join(root, `pkg${++n}`);
    await writePackage(dir, stems, sum(baseStems().map((s) => s.audio)));
    writeFileSync(join(dir, 'stems', '05_Broken.wav'), Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt '));
    const report = await checkPackage(await discoverPackage(dir));
    expect(only(report, 'format.non-finite').map((f) => [f.stem, f.value])).toEqual([['Drums', 2]]);
    expect(only(report, 'format.unreadable').map((f) => [f.stem, f.value])).toEqual([['Broken', 'E_TRUNCATED']]);
    expect(report.ok).toBe(false);
    // The unreadable file's error in the JSON report is schema/check.schema.json's.
    const json = JSON.parse(JSON.stringify(reportJson(report)));
    expect(CheckReportJsonSchema.parse(json)).toEqual(json);
  });

  it('package.stem-count, package.naming', async () => {
    const one = await check([{ name: 'Drums', audio: material(SECONDS, 1, 0.2) }], 'sum');
    expect(only(one, 'package.stem-count')).toHaveLength(1);
    const stems = baseStems();
    stems[0]!.name = 'Audio 01';
    stems[1]!.name = 'Keys';
    const report = await check(stems, 'sum');
    const names = only(report, 'package.naming').map((f) => f.message);
    expect(names.some((m) => /does not say what/.test(m))).toBe(true);
    expect(names.some((m) => /two stems are named "Keys"/.test(m))).toBe(true);
    expect(only(await check(baseStems(), 'sum', { profile: 'ni-stems' }), 'package.stem-count')).toHaveLength(0);
  });

  it('a package overrides profile limits in its stemkit.json; bad overrides are usage errors naming the field', async () => {
    const stems = baseStems();
    const manifest = { limits: { stemPeakMaxDbfs: -14, stemPeakSeverity: 'error' } };
    const report = await check(stems, 'sum', { manifest });
    expect(only(report, 'level.headroom').map((f) => [f.stem, f.severity, f.limit])).toEqual([['Drums', 'error', -14]]);
    expect(report.ok).toBe(false);
    await expect(check(baseStems(), 'sum', { manifest: { limits: { stemPeakMaxDbfs: 'loud' } } })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/limits\.stemPeakMaxDbfs/),
    });
  });
});

describe('check: parallel segments', () => {
  it('measuring time segments on workers gives the serial report', async () => {
    const stems = baseStems(50);
    const dir = join(root, `pkg${++n}`);
    const mix = sum(stems.map((s) => s.audio));
    for (const c of mix) for (let i = 20 * RATE; i < 21 * RATE; i++) c[i] = c[i]! + 0.01;
    await writePackage(dir, stems, mix);
    const pkg = await discoverPackage(dir);
    const pool = new WorkerPool(2);
    try {
      const progress: number[] = [];
      const [serial, parallel] = [await checkPackage(pkg), await checkPackage(pkg, { pool, onProgress: ({ fraction }) => progress.push(fraction) })];
      // Progress comes from within the segments, not only as each one ends, and never goes back.
      expect(progress.length).toBeGreaterThan(10);
      expect(progress.every((f, i) => i === 0 || f >= progress[i - 1]!)).toBe(true);
      expect(progress.at(-1)).toBe(1);
      const strip = (r: CheckReport) => JSON.parse(JSON.stringify({ ...r, elapsedMs: 0 }));
      expect(strip(parallel)).toEqual(strip(serial));
      expect(only(serial, 'null.residual')[0]!.ranges[0]![0]).toBeCloseTo(20, 1);
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe('check: with the SIMD arena full', () => {
  it('gives the same report through the staging paths as with its buffers in the kernels\' memory', async () => {
    const stems = baseStems(12);
    const dir = join(root, `pkg${++n}`);
    const mix = sum(stems.map((s) => s.audio));
    for (const c of mix) for (let i = 5 * RATE; i < 6 * RATE; i++) c[i] = c[i]! + 0.01;
    await writePackage(dir, stems, mix);
    const pkg = await discoverPackage(dir);
    const strip = (r: CheckReport) => JSON.parse(JSON.stringify({ ...r, elapsedMs: 0 }));
    const normal = strip(await checkPackage(pkg));
    // Take every block of the arena, fresh and freed: the pass's work buffers then come from the
    // JavaScript heap (its block buffers, kept from the first run, stay in the arena).
    const held: Float32Array[] = [];
    for (let frames = 1 << 20; frames >= 1; frames >>= 2) {
      for (let x = allocateSamples(frames); inArena(x); x = allocateSamples(frames)) held.push(x);
    }
    try {
      expect(inArena(allocateSamples(32768))).toBe(false);
      const staged = strip(await checkPackage(pkg));
      expect(staged).toEqual(normal);
      expect(only(normal as CheckReport, 'null.residual').length).toBe(1);
    } finally {
      for (const x of held) releaseSamples(x);
    }
  }, 60_000);
});

describe('check: merging segment passes', () => {
  it('merged one part at a time in order, gives what merging them all at once gives (clipped runs across cuts too)', async () => {
    const stems = baseStems(12);
    // A clipped run of 9 samples across the cut at 4.0 s, and another from 7.6 s into the next part.
    for (let i = 4 * RATE - 4; i < 4 * RATE + 5; i++) stems[0]!.audio[0]![i] = 1 - 2 ** -23;
    for (let i = Math.round(7.6 * RATE) - 2; i < Math.round(7.6 * RATE) + 3; i++) stems[1]!.audio[1]![i] = -1;
    const dir = join(root, `pkg${++n}`);
    await writePackage(dir, stems, sum(stems.map((s) => s.audio)));
    const pkg = await discoverPackage(dir);
    const paths = [...pkg.stems.map((s) => s.path), pkg.mix!.path];
    const total = 12 * RATE;
    const cuts = [0, 4 * RATE, Math.round(7.6 * RATE), 10 * RATE, total];
    const parts = await Promise.all(
      cuts.slice(0, -1).map((start, k) =>
        runPass({ paths, hasMix: true, summable: true, start, end: cuts[k + 1]!, totalFrames: total, residualThreshold: 0.001, columns: 50 }),
      ),
    );
    const merger = new PassMerger();
    for (const part of parts) merger.add(part);
    const incremental = merger.result();
    const allAtOnce = mergePasses(parts);
    expect(JSON.parse(JSON.stringify(incremental))).toEqual(JSON.parse(JSON.stringify(allAtOnce)));
    expect(incremental.files[0]!.signal.clipRuns).toEqual([{ channel: 0, start: 4 * RATE - 4, length: 9 }]);
    expect(incremental.files[1]!.signal.clipRuns).toEqual([{ channel: 1, start: Math.round(7.6 * RATE) - 2, length: 5 }]);
    const whole = await runPass({ paths, hasMix: true, summable: true, start: 0, end: total, totalFrames: total, residualThreshold: 0.001, columns: 50 });
    expect(incremental.files.map((f) => f.truePeak)).toEqual(whole.files.map((f) => f.truePeak));
    expect(incremental.files.map((f) => f.signal.peak)).toEqual(whole.files.map((f) => f.signal.peak));
  });
});

describe.skipIf(!HAVE_CORPUS)('check: a stem that breaks mid-stream', () => {
  // Needs a real FLAC to damage (the project has no FLAC encoder): skipped without the shared corpus.
  it('reports the damaged file as format.unreadable and still checks the others', async () => {
    const dir = join(root, `pkg${++n}`);
    mkdirSync(join(dir, 'stems'), { recursive: true });
    const flac = readFileSync(join(CORPUS_DIR, 'files', '17 - all fixed orders.flac'));
    for (let i = Math.floor(flac.length * 0.6); i < Math.floor(flac.length * 0.6) + 64; i++) flac[i] ^= 0x5a;
    writeFileSync(join(dir, 'stems', '03_Damaged.flac'), flac);
    await writeWav(join(dir, 'stems', '01_Drums.wav'), material(234514 / 44100, 1, 0.2, 44100), { sampleRate: 44100 });
    await writeWav(join(dir, 'stems', '02_Bass.wav'), material(234514 / 44100, 2, 0.2, 44100), { sampleRate: 44100 });
    const report = await checkPackage(await discoverPackage(dir));
    expect(report.ok).toBe(false);
    expect(only(report, 'format.unreadable').map((f) => [f.stem, f.value])).toEqual([['Damaged', 'E_BAD_DATA']]);
    expect(report.stems.map((s) => [s.name, s.measure !== null])).toEqual([
      ['Drums', true],
      ['Bass', true],
      ['Damaged', false],
    ]);
  });
});
