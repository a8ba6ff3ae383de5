import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBytes } from '../src/audio/byte-source.js';
import { readMp4 } from '../src/audio/mp4/read.js';
import { Mp4AudioWriter } from '../src/audio/mp4/write.js';
import { box } from '../src/audio/mp4/boxes.js';
import { itunSmpb, parseItunSmpb, udtaBox } from '../src/audio/mp4/tags.js';
import { RangeFile } from '../src/audio/range-file.js';
import { openAudio } from '../src/audio/open.js';
import { runCheck } from '../src/cli/check.js';
import { runInfo } from '../src/cli/info.js';
import { runNiStems } from '../src/cli/ni-stems.js';
import { StemkitError } from '../src/errors.js';
import { NI_DEFAULT_SLOTS, parseNiStemMetadata, writeNiStems } from '../src/pack/ni-stems.js';
import { demoAudio, scratchDir } from './helpers/almost-right.js';
import { haveSharedFile, SHARED_TESTDATA } from './helpers/corpus.js';
import { HAS_FFMPEG, ffmpegDecode, ffprobe } from './helpers/ffmpeg.js';
import { captureOutput, readFile } from './helpers/io.js';

const root = scratchDir('ni-stems');

async function readBack(path: string) {
  const file = await RangeFile.open(path);
  try {
    return await readMp4(file);
  } finally {
    await file.close();
  }
}

/** Residual energy of `decoded` (interleaved stereo) against `source` (planar) at `lag`, dB relative to the source. */
function errorDb(decoded: Float32Array, source: Float32Array[], lag: number): number {
  let e = 0;
  let s = 0;
  const frames = Math.min(decoded.length / 2, source[0]!.length);
  for (let n = 4096; n < frames - 4096; n++) {
    for (let c = 0; c < 2; c++) {
      const x = source[c]![n]!;
      const d = decoded[2 * (n + lag) + c]! - x;
      e += d * d;
      s += x * x;
    }
  }
  return 10 * Math.log10(e / s);
}

describe('MP4 boxes: what the writer writes, the reader reads', () => {
  it('keeps sample tables, chunk offsets, edit list, enabled flags, tags and the stem box', async () => {
    const path = join(root, 'tables.stem.mp4');
    const spec = { codec: 'aac' as const, sampleRate: 44100, channels: 2, sampleSize: 16, decoderConfig: Uint8Array.of(0x12, 0x10), priming: 1024 };
    const writer = await Mp4AudioWriter.create(path, [{ ...spec, enabled: true }, { ...spec, enabled: false }]);
    const packet = (track: number, i: number) => new Uint8Array(100 + i).fill(track * 16 + (i % 16));
    for (let chunk = 0; chunk < 3; chunk++) {
      for (let track = 0; track < 2; track++) await writer.writeChunk(track, Array.from({ length: 5 }, (_, k) => packet(track, chunk * 5 + k)), 1024);
    }
    const frames = 15 * 1024 - 1024 - 300;
    await writer.finish([frames, frames], udtaBox({ text: { '©nam': 'Tables', TAUT: 'STEM' }, freeform: { iTunSMPB: itunSmpb(1024, frames, 15 * 1024) } }, [box('stem', new TextEncoder().encode('{"version":1}'))]));
    const info = await readBack(path);
    const bytes = readFileSync(path);
    expect(info.tracks.map((t) => t.enabled)).toEqual([true, false]);
    for (const [track, t] of info.tracks.entries()) {
      expect(t).toMatchObject({ codec: 'mp4a', sampleRate: 44100, channels: 2, priming: 1024, frames, mediaFrames: 15 * 1024, timingFrom: 'edit list' });
      expect([...t.decoderConfig]).toEqual([0x12, 0x10]);
      expect(t.sizes.length).toBe(15);
      // Every packet is where the tables say, with its own bytes.
      for (let i = 0; i < 15; i++) {
        expect(t.sizes[i]).toBe(100 + i);
        expect(bytes[t.offsets[i]!]).toBe(track * 16 + (i % 16));
        expect(bytes[t.offsets[i]! + t.sizes[i]! - 1]).toBe(track * 16 + (i % 16));
      }
    }
    expect(info.tags['©nam']).toBe('Tables');
    expect(info.tags.TAUT).toBe('STEM');
    expect(parseItunSmpb(info.tags.iTunSMPB!)).toEqual({ priming: 1024, padding: 300, frames });
    expect(info.stemJson).toBe('{"version":1}');
  });

  it('refuses cut and hostile files with typed errors', async () => {
    const path = join(root, 'tables.stem.mp4');
    const whole = readFileSync(path);
    const cut = new MemoryBytes(whole.subarray(0, whole.length - 50), 'cut.mp4');
    await expect(readMp4(cut)).rejects.toMatchObject({ code: 'E_TRUNCATED' });
    // moov claims a child larger than itself.
    const moovAt = whole.indexOf(Buffer.from('moov')) - 4;
    const hostile = Buffer.from(whole);
    hostile.writeUInt32BE(0x7fffffff, moovAt + 8);
    await expect(readMp4(new MemoryBytes(hostile, 'hostile.mp4'))).rejects.toMatchObject({ code: 'E_BAD_HEADER' });
    // stsz claims more samples than its box holds.
    const stszAt = whole.indexOf(Buffer.from('stsz')) - 4;
    const lying = Buffer.from(whole);
    lying.writeUInt32BE(1e8, stszAt + 16);
    await expect(readMp4(new MemoryBytes(lying, 'lying.mp4'))).rejects.toMatchObject({ code: 'E_BAD_HEADER' });
    expect(() => parseNiStemMetadata('{"version":0,"stems":[]}', 'x.stem.mp4')).toThrow(StemkitError);
    expect(() => parseNiStemMetadata('not json', 'x.stem.mp4')).toThrow(/not JSON/);
  });
});

describe.skipIf(!HAS_FFMPEG)('NI Stems round trip: demo → .stem.mp4 → ffmpeg, ffprobe and stemkit check', () => {
  for (const encoder of ['ffmpeg', 'wasm'] as const) {
    it(`AAC with the ${encoder} encoder: 5 stereo tracks, stem JSON, only the mix enabled, every track at lag 0, check passes`, async () => {
      const demo = await demoAudio();
      const out = join(root, `demo-${encoder}.stem.mp4`);
      const log = captureOutput();
      expect(await runNiStems(demo.dir, { out, aacEncoder: encoder, title: 'Demo', artist: 'stemkit tests' }, log.stream, log.stream)).toBe(0);

      const probe = ffprobe(out);
      expect(probe.streams).toHaveLength(5);
      for (const s of probe.streams) expect(s).toMatchObject({ codec_name: 'aac', channels: 2, sample_rate: '44100' });
      expect(probe.streams.map((s) => (s.disposition as { default: number }).default)).toEqual([1, 0, 0, 0, 0]);
      expect((probe.format.tags as Record<string, string>).title).toBe('Demo');

      const info = await readBack(out);
      expect(parseNiStemMetadata(info.stemJson!, out).stems).toEqual(NI_DEFAULT_SLOTS);
      expect(info.tags.AUDIOTYPE).toBe('STEM');
      expect(info.tracks.map((t) => t.enabled)).toEqual([true, false, false, false, false]);

      // The sources: pack's ni-stems groups at 44.1 kHz; ffmpeg's decode must line up at lag 0 (edit list honoured).
      const groups = join(root, `groups-${encoder}`);
      const { packDelivery } = await import('../src/pack/pack.js');
      const { resolveRecipient } = await import('../src/pack/recipients.js');
      const delivery = await packDelivery(demo.dir, { recipient: await resolveRecipient('ni-stems'), outDir: groups });
      const sources = [delivery.files.find((f) => f.kind === 'mix')!, ...delivery.files.filter((f) => f.kind === 'group')];
      for (const [i, f] of sources.entries()) {
        const source = await readFile(join(groups, f.file));
        const decoded = ffmpegDecode(out, i);
        expect(decoded.length / 2).toBeGreaterThanOrEqual(source[0]!.length);
        const at0 = errorDb(decoded, source, 0);
        expect(at0, f.file).toBeLessThan(-20);
        for (const lag of [-1, 1, -1024, 1024]) expect(errorDb(decoded, source, lag), `${f.file} at lag ${lag}`).toBeGreaterThan(at0 + 6);
      }

      const report = captureOutput();
      expect(await runCheck([out], { json: true }, report.stream, report.stream)).toBe(0);
      const json = JSON.parse(report.text());
      expect(json).toMatchObject({ ok: true, profile: 'ni-stems', package: { mix: `${out}#1`, niStems: { codec: 'AAC', timingFrom: 'edit list' } } });
      expect(json.stems.map((s: { name: string }) => s.name)).toEqual(['Drums', 'Bass', 'Other', 'Vox']);
      const residual = json.findings.find((f: { rule: string }) => f.rule === 'null.residual');
      if (residual) expect(residual).toMatchObject({ severity: 'info', message: expect.stringMatching(/lossy codec/) });
    });
  }

  it('a wrong stem is not excused as codec error', async () => {
    // The Vox slot carries the drums again: the file is well formed, but its stems do not sum to its mix.
    const groups = join(root, 'groups-ffmpeg');
    const names = ['05_stemkit_demo_song_Mix.wav', 'stems/01_stemkit_demo_song_Drums.wav', 'stems/02_stemkit_demo_song_Bass.wav', 'stems/03_stemkit_demo_song_Melody.wav', 'stems/01_stemkit_demo_song_Drums.wav'];
    const sources = await Promise.all(names.map((n) => openAudio(join(groups, n))));
    const wrong = join(root, 'wrong.stem.mp4');
    try {
      await writeNiStems(wrong, sources[0]!, sources.slice(1), { aacEncoder: 'ffmpeg' });
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
    const report = captureOutput();
    expect(await runCheck([wrong], { json: true, strict: true }, report.stream, report.stream)).toBe(1);
    const json = JSON.parse(report.text());
    expect(json.null.residualRelativeDb).toBeGreaterThan(-12);
    expect(json.findings.find((f: { rule: string }) => f.rule === 'null.residual')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/does not null/) });
  });

  it.skipIf(!haveSharedFile(join(SHARED_TESTDATA, 'ni-stems/falcon-69.aac.stem.mp4')))('reads a real AAC NI Stems file (MP4Box): names, colours, mastering DSP on, check explains the residual', async () => {
    const path = join(SHARED_TESTDATA, 'ni-stems/falcon-69.aac.stem.mp4');
    const report = captureOutput();
    expect(await runCheck([path], { json: true }, report.stream, report.stream)).toBe(0);
    const json = JSON.parse(report.text());
    expect(json.package.niStems).toMatchObject({ codec: 'AAC', timingFrom: 'none', stems: [{ name: 'Drums' }, { name: 'Bass' }, { name: 'Other' }, { name: 'Vox' }] });
    expect(json.package.niStems.masteringDsp.compressor.enabled).toBe(true);
    expect(json.findings.find((f: { rule: string }) => f.rule === 'null.residual')).toMatchObject({ severity: 'info', message: expect.stringMatching(/mastering DSP/) });
    const text = captureOutput();
    expect(await runInfo([path], {}, text.stream)).toBe(0);
    expect(text.text()).toMatch(/NI Stems/);
    expect(text.text()).toMatch(/compressor on/);
  });
});

describe('NI Stems without ffmpeg', () => {
  it('an AAC track names what to install instead of guessing', async () => {
    const { extractTrack } = await import('../src/audio/mp4/extract.js');
    const path = join(root, 'tables.stem.mp4');
    const info = await readBack(path);
    const saved = process.env.STEMKIT_FFMPEG;
    const { resetFfmpegLookup } = await import('../src/audio/aac/ffmpeg.js');
    process.env.STEMKIT_FFMPEG = join(root, 'no-ffmpeg-here');
    resetFfmpegLookup();
    try {
      await expect(extractTrack(path, info.tracks, 0, join(root, 'x.wav'))).rejects.toMatchObject({ code: 'E_UNSUPPORTED', hint: expect.stringMatching(/install ffmpeg/) });
    } finally {
      if (saved === undefined) delete process.env.STEMKIT_FFMPEG;
      else process.env.STEMKIT_FFMPEG = saved;
      resetFfmpegLookup();
    }
  });

  it('openAudio names an MP4 it cannot open as a package', async () => {
    copyFileSync(join(root, 'tables.stem.mp4'), join(root, 'copy.stem.mp4'));
    await expect(openAudio(join(root, 'copy.stem.mp4'))).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});
