import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openAudio } from '../src/audio/open.js';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { TruePeakMeter } from '../src/dsp/true-peak.js';
import { WorkerPool } from '../src/engine/pool.js';
import { encodeInterleaved } from '../src/audio/pcm-encode.js';
import { createChain } from '../src/dsp/processors/index.js';
import { buildStemGraph } from '../src/session/stem-graph.js';
import { StemMixer } from '../src/session/stem-mixer.js';
import { guessStem, initSession } from '../src/session/init.js';
import { loadSession, resolveSession } from '../src/session/load.js';
import { renderSession, type PackageManifest } from '../src/session/render.js';
import type { SessionInput } from '../src/session/schema.js';
import { material, RATE, writeWav } from './helpers/package.js';
import { readFile } from './helpers/io.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-render-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A project folder with mono/stereo tracks written by the test. */
async function project(tracks: Record<string, Float32Array[]>, rate = RATE): Promise<string> {
  const dir = join(root, `p${++n}`);
  mkdirSync(join(dir, 'tracks'), { recursive: true });
  for (const [name, audio] of Object.entries(tracks)) await writeWav(join(dir, 'tracks', `${name}.wav`), audio, { sampleRate: rate, format: 'float32' });
  return dir;
}

function impulse(seconds: number, at: number, level = 0.1, rate = RATE): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  x[Math.round(at * rate)] = level;
  return x;
}

async function render(dir: string, session: SessionInput, options: { dry?: boolean; pool?: WorkerPool } = {}): Promise<{ out: string; manifest: PackageManifest }> {
  const out = join(dir, 'out');
  const resolved = await resolveSession(session, dir, join(dir, 'session.yaml'));
  return { out, manifest: await renderSession(resolved, { outDir: out, dry: options.dry ?? false, pool: options.pool ?? null }) };
}


function firstAbove(x: Float32Array, threshold = 1e-4): number {
  return x.findIndex((v) => Math.abs(v) > threshold);
}

describe('session validation', () => {
  it('points at the exact path of every problem and never starts a render', async () => {
    const dir = await project({ kick: [material(2, 1)[0]] });
    const session = {
      name: 'Bad',
      stems: [
        { name: 'Drums', tracks: [{ file: 'tracks/kick.wav', sends: [{ to: 'Hall' }] }] },
        { name: 'Vocals', tracks: [{ file: 'tracks/lead.wav' }] },
        { name: 'drums', tracks: [{ file: 'tracks/kick.wav', automation: { gain: [[2, 0], [1, -6]] } }] },
      ],
    };
    const error = await resolveSession(session, dir, 'song.yaml').catch((e) => e);
    expect(error.code).toBe('E_SESSION');
    expect(error.message).toMatch(/stems\[1\]\.tracks\[0\]\.file: no such file \(tracks\/lead\.wav\)/);
    expect(error.message).toMatch(/stems\[0\]\.tracks\[0\]\.sends\[0\]\.to: no return named "Hall"/);
    expect(error.message).toMatch(/stems\[2\]\.name: "drums" is used twice/);
    expect(error.message).toMatch(/stems\[2\]\.tracks\[0\]\.automation\.gain\[1\]: times must not go backwards/);
    const typed = await resolveSession({ name: 'x', bitDepth: 20, stems: [{ name: 'A', tracks: [{ file: 'a.wav', pan: 3 }] }] }, dir).catch((e) => e);
    expect(typed.message).toMatch(/bitDepth/);
    expect(typed.message).toMatch(/stems\[0\]\.tracks\[0\]\.pan/);
    const processor = await resolveSession({ name: 'x', stems: [{ name: 'A', processing: [{ type: 'eq', bands: [{ type: 'peak', freq: 'loud' }] }], tracks: [{ file: 'tracks/kick.wav' }] }] }, dir).catch((e) => e);
    expect(processor.message).toMatch(/stems\[0\]\.processing\[0\]/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('reports what only the sample rate can tell at its full path from the session top', async () => {
    const dir = await project({ kick: [material(2, 1)[0]] });
    const eq = { type: 'eq', bands: [{ type: 'highpass', freq: 30 }, { type: 'lowpass', freq: 30000 }] } as const;
    const session = {
      name: 'Nyquist',
      stems: [
        {
          name: 'Drums',
          processing: [{ type: 'gain', gain: 0 }, { type: 'gain', gain: -1 }, eq],
          tracks: [{ file: 'tracks/kick.wav', processing: [{ type: 'polarity', channels: [0, 3] }] }],
        },
      ],
      master: { processing: [{ type: 'delay', time: 100, damping: 25000 }] },
    };
    const error = await resolveSession(session, dir, 'song.yaml').catch((e) => e);
    expect(error.code).toBe('E_SESSION');
    const problems = (error.message as string).split('\n').slice(1).map((line) => line.trim());
    expect(problems).toEqual([
      'stems[0].processing[2].bands[1].freq: 30000 Hz is not below Nyquist (24000 Hz at 48000 Hz)',
      'stems[0].tracks[0].processing[0].channels[1]: channel 3 does not exist (the signal has 1 channel, indices from 0)',
      'master.processing[0].damping: 25000 Hz is not below Nyquist (24000 Hz at 48000 Hz)',
    ]);
  });

  it('reads YAML with -inf automation and reports YAML syntax errors with a position', async () => {
    const dir = await project({ lead: [material(2, 1)[0]] });
    const file = join(dir, 'session.yaml');
    writeFileSync(file, 'name: Song\nstems:\n  - name: Vocals\n    tracks:\n      - file: tracks/lead.wav\n        automation: { gain: [[0, -6], [1, 0], [1.5, -inf]] }\n');
    const resolved = await loadSession(file);
    expect(resolved.session.stems[0]!.tracks[0]!.automation!.gain[2]![1]).toBe(-Infinity);
    writeFileSync(file, 'name: Song\nstems: [\n');
    await expect(loadSession(file)).rejects.toMatchObject({ code: 'E_SESSION', message: expect.stringMatching(/not valid YAML/) });
  });
});

describe('render', () => {
  it('prints stems and mix at one rate, depth and length, starting on timeline 0; the mix nulls exactly', async () => {
    const dir = await project({ kick: [impulse(3, 0.5, 0.5)], keys: material(3, 2) });
    const { out, manifest } = await render(dir, {
      name: 'Plain',
      tail: 0.5,
      stems: [
        { name: 'Drums', role: 'drums', tracks: [{ file: 'tracks/kick.wav', offset: 0.25 }] },
        { name: 'Keys', role: 'music', tracks: [{ file: 'tracks/keys.wav', gain: -6 }] },
      ],
    });
    expect(manifest).toMatchObject({ schema: 'stemkit.package/1', sampleRate: 48000, bitDepth: 24, channels: 2, frames: Math.round(3.75 * RATE) });
    expect(manifest.stems.map((s) => s.file)).toEqual(['stems/01_Drums.wav', 'stems/02_Keys.wav']);
    for (const file of ['stems/01_Drums.wav', 'stems/02_Keys.wav', 'mix.wav']) {
      const s = await openAudio(join(out, file));
      expect(s.format).toMatchObject({ sampleRate: 48000, bitDepth: 24, channels: 2, frames: manifest.frames });
      expect(s.meta.bext?.timeReference).toBe(0);
      await s.close();
    }
    // A mono click panned centre lands at 0.25 + 0.5 s, −3 dB per side.
    const [l, r] = await readFile(join(out, 'stems/01_Drums.wav'));
    expect(firstAbove(l!)).toBe(0.75 * RATE);
    expect(l![0.75 * RATE]).toBeCloseTo(0.5 * Math.SQRT1_2, 5);
    expect(r![0.75 * RATE]).toBeCloseTo(0.5 * Math.SQRT1_2, 5);
    const report = await checkPackage(await discoverPackage(out));
    expect(report.ok).toBe(true);
    expect(report.null).toMatchObject({ passed: true, residualPeakDbfs: null });
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const json = JSON.parse(readFileSync(join(out, 'stemkit.json'), 'utf8'));
    expect(json.mix.masterProcessing).toEqual([]);
  });

  it('compensates latent bus processing to the sample (lookahead limiter, oversampled saturation)', async () => {
    const dir = await project({ a: [impulse(2, 1.0, 0.05)], b: [impulse(2, 1.0, 0.05)], c: [impulse(2, 1.0, 0.05)] });
    const { out, manifest } = await render(dir, {
      name: 'Latency',
      tail: 0.5,
      stems: [
        { name: 'Limited', processing: [{ type: 'limiter', ceiling: -1, lookahead: 5, release: 50 }], tracks: [{ file: 'tracks/a.wav' }] },
        { name: 'Saturated', processing: [{ type: 'saturate', drive: 0, mix: 1 }], tracks: [{ file: 'tracks/b.wav' }] },
        { name: 'Plain', tracks: [{ file: 'tracks/c.wav' }] },
      ],
    });
    expect(manifest.stems[0]!.latencyCompensated).toBe(240);
    for (const file of ['stems/01_Limited.wav', 'stems/02_Saturated.wav', 'stems/03_Plain.wav', 'mix.wav']) {
      const [l] = await readFile(join(out, file));
      let peakAt = 0;
      l!.forEach((v, i) => Math.abs(v) > Math.abs(l![peakAt]!) && (peakAt = i));
      expect([file, peakAt]).toEqual([file, RATE]);
    }
  });

  it('splits a shared return per stem: each stem carries its own reverb, and the mix still nulls', async () => {
    const dir = await project({ snare: [material(2, 1)[0]], vox: [material(2, 3)[0]] });
    const session: SessionInput = {
      name: 'Returns',
      stems: [
        { name: 'Drums', tracks: [{ file: 'tracks/snare.wav', sends: [{ to: 'Plate', gain: -6 }] }] },
        { name: 'Vocals', tracks: [{ file: 'tracks/vox.wav', sends: [{ to: 'Plate', gain: -3 }] }] },
      ],
      returns: [{ name: 'Plate', processing: [{ type: 'reverb', decay: 1.2, predelay: 15 }] }],
    };
    const { out, manifest } = await render(dir, session);
    expect(manifest.stems[0]!.returns.map((r) => r.name)).toEqual(['Plate']);
    // "auto" ends where the reverb has decayed below −90 dBFS: after the tracks, but not seconds later.
    expect(manifest.render.tailSec).toBeGreaterThan(0.05);
    expect(manifest.render.tailSec).toBeLessThan(1);
    const both = await readFile(join(out, 'stems/01_Drums.wav'));
    // The same stem rendered without the other one is identical: nothing of the vocal's reverb leaks into Drums.
    const alone = await render(await project({ snare: [material(2, 1)[0]], vox: [material(2, 3)[0]] }), { ...session, stems: [session.stems[0]!] });
    const single = await readFile(join(alone.out, 'stems/01_Drums.wav'));
    // (The package length follows the longest tail, so compare the common part; the rest is below −90 dBFS.)
    const common = Math.min(single[0]!.length, both[0]!.length);
    expect(Array.from(single[0]!.subarray(0, common))).toEqual(Array.from(both[0]!.subarray(0, common)));
    expect(Math.max(0, ...both[0]!.subarray(common).map(Math.abs))).toBeLessThan(10 ** (-90 / 20));
    // Reverb tail is in the stem (sounds after the dry track ended) and decays below −90 dBFS by the end.
    expect(Math.max(...both[0]!.subarray(1.6 * RATE, 1.9 * RATE).map(Math.abs))).toBeGreaterThan(1e-4);
    expect(Math.max(...both[0]!.subarray(2 * RATE, 2.2 * RATE).map(Math.abs))).toBeGreaterThan(1e-6);
    expect(Math.max(...both[0]!.subarray(both[0]!.length - 480).map(Math.abs))).toBeLessThan(10 ** (-90 / 20));
    expect(Math.max(...both[0]!.subarray(both[0]!.length - 4800).map(Math.abs))).toBeGreaterThan(10 ** (-100 / 20));
    const report = await checkPackage(await discoverPackage(out));
    expect(report.null!.passed).toBe(true);
  });

  it('convolves with an impulse-response file (resampled to the session rate) on a return', async () => {
    const dir = await project({ click: [impulse(1, 0.25, 0.5)] });
    // A 44.1 kHz IR: a direct tap and one echo 100 ms later at half level.
    const ir = new Float32Array(44100 / 2);
    ir[0] = 1;
    ir[4410] = 0.5;
    await writeWav(join(dir, 'ir.wav'), [ir, ir.slice()], { sampleRate: 44100, format: 'float32' });
    const { out } = await render(dir, {
      name: 'IR',
      bitDepth: '32f',
      tail: 0.5,
      stems: [{ name: 'Click', tracks: [{ file: 'tracks/click.wav', gain: -Infinity, sends: [{ to: 'Hall', gain: 0 }] }] }],
      returns: [{ name: 'Hall', processing: [{ type: 'reverb', impulse: 'ir.wav', predelay: 0, mix: 1 }] }],
    });
    const [l] = await readFile(join(out, 'stems/01_Click.wav'));
    // The fader at −inf silences the dry path; post-fader, the send is silent too.
    expect(l!.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBe(0);
    const { out: out2 } = await render(await project({ click: [impulse(1, 0.25, 0.5)] }).then((d) => {
      writeFileSync(join(d, 'ir.wav'), readFileSync(join(dir, 'ir.wav')));
      return d;
    }), {
      name: 'IR',
      bitDepth: '32f',
      tail: 0.5,
      stems: [{ name: 'Click', tracks: [{ file: 'tracks/click.wav', sends: [{ to: 'Hall', gain: 0 }] }] }],
      returns: [{ name: 'Hall', processing: [{ type: 'reverb', impulse: 'ir.wav', predelay: 0, mix: 1 }] }],
    });
    const [wet] = await readFile(join(out2, 'stems/01_Click.wav'));
    const peaks = [...wet!.keys()].filter((i) => Math.abs(wet![i]!) > 0.05);
    // Dry click at 0.25 s plus the IR's two taps: 0.25 s (summed with the dry) and 0.35 s, on time to a sample.
    expect(peaks[0]).toBe(RATE / 4);
    expect(peaks.some((i) => Math.abs(i - (RATE / 4 + RATE / 10)) <= 1)).toBe(true);
    expect(peaks.filter((i) => i > RATE / 4 + 2 && i < RATE / 4 + RATE / 10 - 2)).toEqual([]);
  });

  it('--dry writes dry stems beside the wet ones', async () => {
    const dir = await project({ a: material(2, 1), b: material(2, 2) });
    const { out, manifest } = await render(
      dir,
      {
        name: 'Dry',
        tail: 0,
        stems: [
          { name: 'EQd', processing: [{ type: 'eq', bands: [{ type: 'highpass', freq: 2000, slope: 24 }] }], tracks: [{ file: 'tracks/a.wav' }] },
          { name: 'Clean', tracks: [{ file: 'tracks/b.wav' }] },
        ],
      },
      { dry: true },
    );
    expect(manifest.stems[0]!.dryFile).toBe('stems/01_EQd_dry.wav');
    const [wet, dry, cleanWet, cleanDry] = await Promise.all(
      ['stems/01_EQd.wav', 'stems/01_EQd_dry.wav', 'stems/02_Clean.wav', 'stems/02_Clean_dry.wav'].map((f) => readFile(join(out, f))),
    );
    expect(Array.from(cleanDry![0]!)).toEqual(Array.from(cleanWet![0]!));
    const energy = (x: Float32Array) => x.reduce((a, v) => a + v * v, 0);
    expect(energy(wet![0]!)).toBeLessThan(0.5 * energy(dry![0]!));
    // The dry stem is the unprocessed track (24-bit quantised).
    const source = material(2, 1);
    expect(dry![0]![12345]).toBeCloseTo(source[0]![12345]!, 6);
    // Dry stems are not part of the package's sum: check still finds two stems.
    const report = await checkPackage(await discoverPackage(out));
    expect(report.stems).toHaveLength(2);
    expect(report.ok).toBe(true);
  });

  it('resamples tracks at other rates with a band-limited resampler, on time', async () => {
    const rate = 44100;
    const x = new Float32Array(2 * rate);
    for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate);
    const click = impulse(2, 0.5, 0.8, rate);
    const dir = await project({ tone: [x], click: [click] }, rate);
    const { out, manifest } = await render(dir, { name: 'SRC', tail: 0, stems: [{ name: 'Tone', tracks: [{ file: 'tracks/tone.wav' }] }, { name: 'Click', tracks: [{ file: 'tracks/click.wav' }] }] });
    expect(manifest.frames).toBe(2 * RATE);
    const [tone] = await readFile(join(out, 'stems/01_Tone.wav'));
    let crossings = 0;
    for (let i = RATE / 2; i < (3 * RATE) / 2; i++) if (tone![i - 1]! < 0 && tone![i]! >= 0) crossings++;
    expect(crossings).toBe(1000);
    const peak = Math.max(...tone!.subarray(RATE / 2, RATE).map(Math.abs));
    expect(20 * Math.log10(peak / (0.5 * Math.SQRT1_2))).toBeCloseTo(0, 1);
    const [c] = await readFile(join(out, 'stems/02_Click.wav'));
    let at = 0;
    c!.forEach((v, i) => Math.abs(v) > Math.abs(c![at]!) && (at = i));
    expect(Math.abs(at - RATE / 2)).toBeLessThanOrEqual(1);
  });

  it('prints master processing into the mix only, records it, and check calls it expected', async () => {
    const dir = await project({ a: material(3, 1, 0.9), b: material(3, 2, 0.9) });
    const { out, manifest } = await render(dir, {
      name: 'Mastered',
      bitDepth: '32f',
      tail: 0.2,
      stems: [
        { name: 'A', tracks: [{ file: 'tracks/a.wav' }] },
        { name: 'B', tracks: [{ file: 'tracks/b.wav' }] },
      ],
      master: { gain: 3, processing: [{ type: 'limiter', ceiling: -1, lookahead: 5, release: 50 }] },
    });
    expect(manifest.mix.masterProcessing).toEqual([{ type: 'gain', gain: 3 }, expect.objectContaining({ type: 'limiter', ceiling: -1 })]);
    const mix = await readFile(join(out, 'mix.wav'));
    const tp = new TruePeakMeter({ sampleRate: RATE, channels: 2 });
    tp.push(mix, mix[0]!.length);
    expect(20 * Math.log10(Math.max(...tp.state().truePeak))).toBeLessThanOrEqual(-0.95);
    const report = await checkPackage(await discoverPackage(out));
    expect(report.findings.find((f) => f.rule === 'null.residual')).toMatchObject({ severity: 'info' });
    expect(report.ok).toBe(true);
  });

  it('automation, pan, mute and polarity behave as on a console', async () => {
    const ones = new Float32Array(2 * RATE).fill(0.25);
    const dir = await project({ dc: [ones], other: [ones] });
    const { out } = await render(dir, {
      name: 'Console',
      bitDepth: '32f',
      tail: 0,
      stems: [
        { name: 'Ramp', tracks: [{ file: 'tracks/dc.wav', automation: { gain: [[0, -Infinity], [1, 0]] } }, { file: 'tracks/other.wav', mute: true }] },
        { name: 'Left', tracks: [{ file: 'tracks/dc.wav', pan: -1, processing: [{ type: 'polarity' }] }] },
      ],
    });
    const [l, r] = await readFile(join(out, 'stems/01_Ramp.wav'));
    expect(l![0]).toBe(0);
    expect(l![RATE / 2]! / (0.25 * Math.SQRT1_2)).toBeCloseTo(0.5, 2);
    expect(r![RATE + 100]! / (0.25 * Math.SQRT1_2)).toBeCloseTo(1, 5);
    const [ll, lr] = await readFile(join(out, 'stems/02_Left.wav'));
    expect(ll![100]).toBeCloseTo(-0.25, 6);
    expect(lr![100]).toBeCloseTo(0, 6);
  });

  it('passes 5.1 buses through when the tracks are 5.1', async () => {
    const six = Array.from({ length: 6 }, (_, ch) => material(1, ch + 1)[0]);
    const dir = await project({ bed: six, fx: six.map((c) => c.map((v) => v * 0.5)) });
    const { out, manifest } = await render(dir, { name: 'Film', tail: 0, stems: [{ name: 'Music', role: 'music', tracks: [{ file: 'tracks/bed.wav' }] }, { name: 'Effects', role: 'effects', tracks: [{ file: 'tracks/fx.wav' }] }] });
    expect(manifest.channels).toBe(6);
    const s = await openAudio(join(out, 'mix.wav'));
    expect(s.format.channelLayout).toEqual(['L', 'R', 'C', 'LFE', 'Ls', 'Rs']);
    await s.close();
    const [, , c] = await readFile(join(out, 'stems/01_Music.wav'));
    expect(c![777]).toBeCloseTo(six[2]![777]!, 6);
  });

  it('renders the same package on the worker pool as on one thread', async () => {
    const dir = await project({ a: material(2, 1), b: material(2, 2) });
    const session: SessionInput = {
      name: 'Pool',
      stems: [
        { name: 'A', processing: [{ type: 'compressor', threshold: -20, ratio: 4, attack: 5, release: 50, makeup: 0 }], tracks: [{ file: 'tracks/a.wav' }] },
        { name: 'B', tracks: [{ file: 'tracks/b.wav', sends: [{ to: 'Room' }] }] },
      ],
      returns: [{ name: 'Room', processing: [{ type: 'reverb', decay: 0.6, predelay: 5 }] }],
    };
    const pool = new WorkerPool(2);
    try {
      const serial = await render(dir, session);
      const parallel = await render(await project({ a: material(2, 1), b: material(2, 2) }), session, { pool });
      for (const f of ['stems/01_A.wav', 'stems/02_B.wav', 'mix.wav']) {
        const [mine, theirs] = [await readFile(join(parallel.out, f)), await readFile(join(serial.out, f))];
        expect(mine.length).toBe(theirs.length);
        // Every channel, every sample.
        mine.forEach((channel, ch) => expect(Buffer.compare(Buffer.from(channel.buffer, channel.byteOffset, channel.byteLength), Buffer.from(theirs[ch]!.buffer, theirs[ch]!.byteOffset, theirs[ch]!.byteLength)), `${f} channel ${ch + 1}`).toBe(0));
      }
    } finally {
      await pool.close();
    }
  });
});

describe('stem mixing', () => {
  it('mixes every track at its pan, fader and sends, mono tracks in pairs or not', async () => {
    // Mono tracks with and without sends to two returns, one with automation, a stereo one: pairs form
    // only between tracks with the same sends, the rest mix one by one.
    const names = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    const dir = await project({ ...Object.fromEntries(names.map((k, i) => [k, [material(0.2, i + 1)[0]]])), st: material(0.2, 9) });
    const tracks = [
      { file: 'tracks/m0.wav', gain: -3, pan: -0.5, sends: [{ to: 'R1', gain: -6 }] },
      { file: 'tracks/m1.wav', gain: -1, pan: 0.7 },
      { file: 'tracks/m2.wav', gain: -8, pan: 0.2, sends: [{ to: 'R1', gain: -2 }] },
      { file: 'tracks/m3.wav', gain: 2, pan: -1, sends: [{ to: 'R2', gain: -4 }] },
      { file: 'tracks/m4.wav', gain: -5, pan: 1, automation: { gain: [[0, 0], [0.05, -12]] as [number, number][] } },
      { file: 'tracks/m5.wav', gain: 0, pan: 0.1, sends: [{ to: 'R1', gain: 0 }] },
      { file: 'tracks/m6.wav', gain: -2, pan: -0.3 },
      { file: 'tracks/st.wav', gain: -4, pan: 0.4, sends: [{ to: 'R2', gain: -3 }] },
    ];
    const session: SessionInput = {
      name: 'Mixer',
      stems: [{ name: 'All', tracks }],
      returns: [{ name: 'R1', processing: [{ type: 'gain', gain: -1 }] }, { name: 'R2', processing: [{ type: 'gain', gain: -7 }] }],
    };
    const resolved = await resolveSession(session, dir, 'session.yaml');
    const graph = buildStemGraph(resolved, 0, new Map());
    const block = 512;
    const mixer = new StemMixer(graph, block);
    const inputs = graph.tracks.map((t, k) => Array.from({ length: t.channels }, (_, ch) => Float32Array.from({ length: block }, (_, i) => Math.sin(0.01 * (i + 1) * (k + 1) + ch))));
    const position = 2000;
    inputs.forEach((x, k) => x.forEach((c, ch) => mixer.input(k)[ch]!.set(c)));
    const out = mixer.process(position, graph.tracks.map((_, k) => k), false).wet;
    const db = (g: number) => 10 ** (g / 20);
    // Each track after its fader (automation from a second graph's own GainAutomation), in double precision.
    const faded = buildStemGraph(resolved, 0, new Map()).tracks.map((t, k) => {
      const x = inputs[k]!.map((c) => c.slice());
      if (t.gain.isConstant) return x.map((c) => Array.from(c, (v) => v * t.gain.constantGain));
      t.gain.apply(x, block, position);
      return x.map((c) => Array.from(c));
    });
    for (let ch = 0; ch < 2; ch++) {
      for (let i = 0; i < block; i++) {
        let want = 0;
        graph.tracks.forEach((t, k) => {
          let dry = 0;
          for (let c = 0; c < t.channels; c++) dry += t.panMatrix[ch]![c]! * faded[k]![c]![i]!;
          want += dry;
          for (const send of tracks[k]!.sends ?? []) want += dry * db(send.gain) * db(send.to === 'R1' ? -1 : -7);
        });
        if (Math.abs(out[ch]![i]! - want) > 1e-6) expect([ch, i, out[ch]![i]]).toEqual([ch, i, want]);
      }
    }
  });
});

describe('mix as the stems are written', () => {
  /** The mix by definition: Σ of the stem files as written (in stem order), master fader, rounded once, fresh master chain. */
  async function referenceMix(out: string, session: SessionInput, manifest: PackageManifest): Promise<Float32Array[]> {
    const stems = await Promise.all(manifest.stems.map((s) => readFile(join(out, s.file))));
    const frames = manifest.frames;
    const channels = manifest.channels;
    const resolved = await resolveSession(session, join(out, '..'), 'session.yaml');
    const master = createChain(resolved.session.master.processing, { sampleRate: manifest.sampleRate, channels }, new Map());
    const gain = 10 ** (resolved.session.master.gain / 20);
    const input = Array.from({ length: channels }, (_, ch) =>
      Float32Array.from({ length: frames + master.latency }, (_, i) => {
        let v = 0;
        for (const stem of stems) v += i < frames ? stem[ch]![i]! : 0;
        return v * gain;
      }),
    );
    master.process(input, frames + master.latency);
    return input.map((x) => x.slice(master.latency, master.latency + frames));
  }

  it('is the master chain over the exact sum of the stems as written, whatever the format, tail and number of workers', async () => {
    const tracks = { a: material(3, 1, 0.9), b: material(3, 2, 0.9), c: [material(3, 3, 0.9)[0]], d: material(3, 4, 0.9) };
    const pool = new WorkerPool(2);
    try {
      for (const [bitDepth, tail] of [[24, 'auto'], [16, 0.3], ['32f', 'auto']] as const) {
        const session: SessionInput = {
          name: 'Streamed mix',
          bitDepth,
          tail,
          stems: [
            // Unequal latencies (a lookahead limiter on one bus), a reverb tail, loud enough to clip the sum.
            { name: 'A', processing: [{ type: 'limiter', ceiling: -0.1, lookahead: 3 }], tracks: [{ file: 'tracks/a.wav', gain: 6 }] },
            { name: 'B', tracks: [{ file: 'tracks/b.wav', gain: 3, sends: [{ to: 'Room' }] }] },
            { name: 'C', processing: [{ type: 'compressor', threshold: -20, ratio: 3, attack: 3, release: 60 }], tracks: [{ file: 'tracks/c.wav', offset: 0.7 }] },
            { name: 'D', tracks: [{ file: 'tracks/d.wav', gain: 2, offset: 0.31 }] },
          ],
          returns: [{ name: 'Room', processing: [{ type: 'reverb', decay: 0.8, predelay: 10 }] }],
          // Latent master processing whose output depends on input after the package end (oversampling filters).
          master: { gain: -4, processing: [{ type: 'saturate', drive: 3 }, { type: 'limiter', ceiling: -1, lookahead: 5 }] },
        };
        const one = await render(await project(tracks), session);
        const two = await render(await project(tracks), session, { pool });
        const want = await referenceMix(one.out, session, one.manifest);
        for (const { out, manifest } of [one, two]) {
          const mix = await readFile(join(out, 'mix.wav'));
          expect(manifest.frames).toBe(one.manifest.frames);
          for (let ch = 0; ch < 2; ch++) {
            // Quantised as the file is: the reference rounded to the format's grid.
            const step = bitDepth === '32f' ? 0 : 2 ** (bitDepth - 1);
            const quantised = step ? want[ch]!.map((v) => Math.min(step - 1, Math.max(-step, Math.round(v * step))) / step) : want[ch]!;
            const diff = mix[ch]!.findIndex((v, i) => v !== quantised[i]);
            expect([bitDepth, tail, ch, diff]).toEqual([bitDepth, tail, ch, -1]);
          }
        }
        for (const f of ['stems/01_A.wav', 'stems/02_B.wav', 'stems/03_C.wav', 'stems/04_D.wav', 'mix.wav']) {
          // Byte for byte past the header (bext holds the date and time).
          expect([f, Buffer.compare(readFileSync(join(two.out, f)).subarray(1024), readFileSync(join(one.out, f)).subarray(1024))]).toEqual([f, 0]);
        }
      }
    } finally {
      await pool.close();
    }
  });

  it('adds every sample to the sum exactly as the encoder rounded and clipped it', () => {
    const values = [0, 0.5 / 8388608, -0.5 / 8388608, 1.5 / 32768, -1.5 / 32768, 2.5 / 32768, 1, -1, 1.2, -1.2, 0.999999, NaN, Infinity, -Infinity, 1e-30, -0.25];
    for (let i = 0; i < 200; i++) values.push(Math.fround(Math.sin(i * 12.9898) * 1.1));
    for (const [format, bytes] of [['pcm16', 2], ['pcm24', 3]] as const) {
      const scale = 2 ** (8 * bytes - 1);
      for (const channels of [1, 2, 3]) {
        const frames = values.length - channels;
        const planar = Array.from({ length: channels }, (_, ch) => Float32Array.from(values.slice(ch, ch + frames)));
        const out = new Uint8Array(frames * channels * bytes);
        const sum = { planar: planar.map(() => new Float64Array(frames + 3).fill(0.25)), offset: 3 };
        const stats = { clippedSamples: 0, nonFiniteSamples: 0 };
        encodeInterleaved(planar, frames, format, out, stats, null, sum);
        let clipped = 0;
        for (let ch = 0; ch < channels; ch++) {
          for (let i = 0; i < frames; i++) {
            const v = planar[ch]![i]!;
            const exact = Number.isNaN(v) ? 0 : Math.round(v * scale);
            const want = Math.min(scale - 1, Math.max(-scale, exact));
            if (want !== exact && Number.isFinite(v)) clipped++;
            const p = (i * channels + ch) * bytes;
            let got = out[p]! | (out[p + 1]! << 8) | (bytes === 3 ? out[p + 2]! << 16 : 0);
            got = (got << (32 - 8 * bytes)) >> (32 - 8 * bytes);
            const wantNonFinite = Number.isFinite(v) ? want + 0 : 0;
            expect([format, channels, ch, i, got]).toEqual([format, channels, ch, i, wantNonFinite]);
            expect(sum.planar[ch]![3 + i]).toBe(0.25 + wantNonFinite / scale);
          }
        }
        expect(stats.clippedSamples).toBe(clipped);
      }
    }
  });
});

describe('init', () => {
  it('groups tracks into stems by name and says why', async () => {
    const cases: [string, string][] = [
      ['Kick In.wav', 'Drums'], ['01_HiHat.wav', 'Drums'], ['OH L.wav', 'Drums'], ['Room Mics.wav', 'Drums'], ['toms.wav', 'Drums'],
      ['Bass DI.wav', 'Bass'], ['808.wav', 'Bass'], ['sub drop.wav', 'Bass'],
      ['Lead Vox.wav', 'Lead Vocals'], ['vocal_comp.wav', 'Lead Vocals'],
      ['BGV 1.wav', 'Backing Vocals'], ['Harmony High.wav', 'Backing Vocals'], ['choir.wav', 'Backing Vocals'], ['adlibs.wav', 'Backing Vocals'],
      ['Piano.wav', 'Keys/Synths'], ['SynthPad.wav', 'Keys/Synths'], ['Organ.wav', 'Keys/Synths'],
      ['Gtr L.wav', 'Guitars'], ['Acoustic Guitar.wav', 'Guitars'],
      ['Riser.wav', 'FX'], ['impact 2.wav', 'FX'], ['white sweep.wav', 'FX'],
      ['Audio 17.wav', 'Other'], ['subtle texture.wav', 'Other'],
    ];
    for (const [file, stem] of cases) expect([file, guessStem(file).stem]).toEqual([file, stem]);
    const dir = await project({ 'Kick In': [material(1, 1)[0]], 'Bass DI': [material(1, 2)[0]], Thing: [material(1, 3)[0]] });
    const result = await initSession(join(dir, 'tracks'), join(dir, 'session.yaml'));
    expect(result.session.stems!.map((s) => [s.name, s.tracks!.map((t) => t.file)])).toEqual([
      ['Drums', ['tracks/Kick In.wav']],
      ['Bass', ['tracks/Bass DI.wav']],
      ['Other', ['tracks/Thing.wav']],
    ]);
    writeFileSync(join(dir, 'session.yaml'), result.yaml);
    const { manifest } = await render(dir, (await loadSession(join(dir, 'session.yaml'))).session as SessionInput);
    expect(manifest.stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Other']);
    expect(stringify(result.session)).toContain('sampleRate: 48000');
  });
});
