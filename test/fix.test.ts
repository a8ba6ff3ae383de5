import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { runFix } from '../src/cli/fix.js';
import { openPlaced } from '../src/engine/placed-source.js';
import { captureOutput } from './helpers/io.js';
import { demoAudio, delayed, mastered, scaled, scratchDir, summed, type DemoAudio } from './helpers/almost-right.js';
import { readFile } from './helpers/io.js';
import { writePackage, writeWav, type FixtureStem } from './helpers/package.js';

/** `stemkit fix`: broken → fixed → nulls, one test per repair, on the demo song's stems. */
let demo: DemoAudio;
const root = scratchDir('fix');
let n = 0;
beforeAll(async () => {
  demo = await demoAudio();
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const vocals = () => demo.stems.findIndex((s) => s.name === 'Vocals');
const withVocals = (change: (s: FixtureStem) => FixtureStem) => demo.stems.map((s, i) => (i === vocals() ? change({ ...s }) : { ...s }));

/** A hash of every file under `dir`, to prove the inputs were not touched. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else out.set(path, createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

async function fix(dir: string, options: Record<string, unknown> = {}): Promise<{ code: number; text: string; out: string }> {
  const out = join(root, `fixed${++n}`);
  const stdout = captureOutput();
  const code = await runFix(dir, { out, ...options }, stdout.stream, captureOutput().stream);
  return { code, text: stdout.text(), out };
}

async function broken(stems: FixtureStem[], mix = demo.mix, mixOptions: object = {}): Promise<string> {
  return writePackage(join(root, `broken${++n}`), stems, mix, mixOptions);
}

/** Fixes `dir` and asserts: it failed before, the result passes and nulls, the inputs are unchanged. */
async function fixesToNull(dir: string, expectOps: RegExp): Promise<string> {
  const before = await checkPackage(await discoverPackage(dir));
  expect(before.ok).toBe(false);
  const inputs = snapshot(dir);
  const { code, text, out } = await fix(dir);
  expect(text).toMatch(expectOps);
  expect(code).toBe(0);
  const after = await checkPackage(await discoverPackage(out));
  expect(after.ok).toBe(true);
  expect(after.null!.passed).toBe(true);
  expect(snapshot(dir)).toEqual(inputs);
  expect(JSON.parse(readFileSync(join(out, 'stemkit.json'), 'utf8')).stems.some((s: { repairs: unknown[] }) => s.repairs.length > 0)).toBe(true);
  return out;
}

describe('stemkit fix: one repair per defect', () => {
  it('a late stem (uncompensated latency) is shifted earlier', async () => {
    // Same length, so the export lost its last 37 samples: the repair pads them back with silence.
    await fixesToNull(await broken(withVocals((s) => ({ ...s, audio: delayed(s.audio, 37, s.audio[0]!.length) }))), /Vocals → .*remove the first 37 samples, then pad 37 samples at the end/);
  });

  it('a stem exported from where it starts, with its BWF TimeReference, is padded at the start', async () => {
    const v = demo.stems[vocals()]!.audio;
    let first = 0;
    while (Math.abs(v[0]![first]!) < 1e-6 && Math.abs(v[1]![first]!) < 1e-6) first++;
    const start = Math.floor(first / 1000) * 1000;
    const stems = demo.stems.map((s, i) => (i === vocals() ? { ...s, audio: delayed(s.audio, -start, s.audio[0]!.length - start), options: { bext: { timeReference: start } } } : { ...s, options: { bext: { timeReference: 0 } } }));
    const out = await fixesToNull(await broken(stems, demo.mix, { bext: { timeReference: 0 } }), new RegExp(`Vocals → .*pad ${start} samples at the start`));
    const fixed = await openAudio(join(out, 'stems', '04_Vocals.wav'));
    expect(fixed.format.frames).toBe(demo.mix[0]!.length);
    expect(fixed.meta.bext!.timeReference).toBe(0);
    await fixed.close();
  });

  it('a stem late by N and N samples longer loses nothing: one edit, not a shift plus a trim', async () => {
    const out = await fixesToNull(await broken(withVocals((s) => ({ ...s, audio: delayed(s.audio, 480) }))), /Vocals → stems\/04_Vocals.wav: remove the first 480 samples\n/);
    const fixed = await readFile(join(out, 'stems', '04_Vocals.wav'));
    // Sample for sample the original (compared as bytes: toEqual on 880k floats is slow).
    fixed.forEach((c, ch) => expect(Buffer.from(c.buffer, c.byteOffset, c.byteLength).equals(Buffer.from(demo.stems[vocals()]!.audio[ch]!.buffer))).toBe(true));
  });

  it('an inverted stem is inverted back', async () => {
    await fixesToNull(await broken(withVocals((s) => ({ ...s, audio: scaled(s.audio, -1) }))), /Vocals → .*invert polarity/);
  });

  it('a stem 2 dB low gets its constant gain back', async () => {
    await fixesToNull(await broken(withVocals((s) => ({ ...s, audio: scaled(s.audio, 10 ** (-2 / 20)), options: { format: 'float32' } }))), /Vocals → .*raise by 2\.00 dB/);
  });

  it('a 44.1 kHz stem among 48 kHz files is resampled with render\'s resampler', async () => {
    const path = join(root, 'vocals48.wav');
    await writeWav(path, demo.stems[vocals()]!.audio);
    const at441 = await openPlaced(path, { startFrame: 0, sampleRate: 44100 });
    const audio = await at441.read(0, at441.format.frames);
    await at441.close();
    const out = await fixesToNull(await broken(withVocals((s) => ({ ...s, audio, options: { sampleRate: 44100 } }))), /Vocals → .*resample 44100 → 48000 Hz/);
    const fixed = await openAudio(join(out, 'stems', '04_Vocals.wav'));
    expect(fixed.format).toMatchObject({ sampleRate: 48000, frames: demo.mix[0]!.length });
    await fixed.close();
  });

  it('16-bit and 32-bit float stems become 24-bit: widened exactly, reduced with TPDF dither', async () => {
    const stems = demo.stems.map((s, i) => (i === 0 ? { ...s, options: { format: 'pcm16' as const } } : i === 1 ? { ...s, options: { format: 'float32' as const } } : s));
    // The 16-bit stem is written from 24-bit material: quantised, it no longer nulls exactly, so the mix is its own sum.
    const dir = await broken(stems, summed(demo.stems.map((s, i) => (i === 0 ? s.audio.map((c) => c.map((v) => Math.round(v * 32768) / 32768)) : s.audio))));
    const out = await fixesToNull(dir, /Drums → .*convert 16-bit → 24-bit\n[^]*Bass → .*convert 32-bit float → 24-bit \(TPDF dither\)/);
    for (const f of ['01_Drums.wav', '02_Bass.wav']) {
      const s = await openAudio(join(out, 'stems', f));
      expect(s.format).toMatchObject({ encoding: 'pcm', bitDepth: 24 });
      await s.close();
    }
    const widened = await readFile(join(out, 'stems', '01_Drums.wav'));
    const original = await readFile(join(dir, 'stems', '01_Drums.wav'));
    widened.forEach((c, ch) => expect(Buffer.from(c.buffer, c.byteOffset, c.byteLength).equals(Buffer.from(original[ch]!.buffer, original[ch]!.byteOffset, original[ch]!.byteLength))).toBe(true));
  });

  it('names with characters that break on some systems become legal file names', async () => {
    const dir = await broken(demo.stems.map((s) => (s.name === 'FX' ? { ...s, name: 'FX: risers?' } : s)));
    // Not a failing package: naming is a warning. fix still writes a clean copy.
    const { code, text, out } = await fix(dir);
    expect(code).toBe(0);
    expect(text).toMatch(/rename "FX: risers\?" → "FX risers"/);
    expect(existsSync(join(out, 'stems', '05_FX risers.wav'))).toBe(true);
  });
});

describe('stemkit fix: what it refuses, and what it never does', () => {
  it('refuses a mix with dynamics after the sum, says why, and writes nothing', async () => {
    const mix = mastered(demo.mix);
    const { code, text, out } = await fix(await broken(demo.stems, mix));
    expect(code).toBe(1);
    expect(text).toMatch(/refused: the mix went through dynamics after the sum/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a missing element (a residual no stem explains)', async () => {
    const { code, text } = await fix(await broken(demo.stems.filter((_, i) => i !== vocals())));
    expect(code).toBe(1);
    expect(text).toMatch(/refused: the null fails and no stem's timing, gain, polarity, rate or channel order explains it/);
  });

  it('--plan prints the repairs and writes nothing', async () => {
    const dir = await broken(withVocals((s) => ({ ...s, audio: scaled(s.audio, -1) })));
    const out = join(root, 'planned');
    const stdout = captureOutput();
    expect(await runFix(dir, { out, plan: true }, stdout.stream, captureOutput().stream)).toBe(0);
    expect(stdout.text()).toMatch(/invert polarity[^]*\(--plan: nothing written\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an --out that is or holds the input, and a non-empty --out without --force', async () => {
    const dir = await broken(withVocals((s) => ({ ...s, audio: scaled(s.audio, -1) })));
    const inputs = snapshot(dir);
    await expect(runFix(dir, { out: dir }, captureOutput().stream, captureOutput().stream)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(runFix(join(dir, 'stems'), { out: join(dir, 'stems') }, captureOutput().stream, captureOutput().stream)).rejects.toMatchObject({ code: 'E_USAGE' });
    const taken = join(root, 'taken');
    await writePackage(taken, [{ name: 'Old', audio: demo.stems[0]!.audio }], null);
    await expect(runFix(dir, { out: taken }, captureOutput().stream, captureOutput().stream)).rejects.toThrow(/is not empty/);
    expect(await runFix(dir, { out: taken, force: true }, captureOutput().stream, captureOutput().stream)).toBe(0);
    // --force leaves exactly the new package: nothing stale from the old one.
    expect(readdirSync(join(taken, 'stems'))).toEqual(['01_Drums.wav', '02_Bass.wav', '03_Music.wav', '04_Vocals.wav', '05_FX.wav']);
    expect(snapshot(dir)).toEqual(inputs);
  });
});
