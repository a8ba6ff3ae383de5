import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
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
import { HAS_FFMPEG, ffmpegDecode, ffmpegDecodeInt, ffprobe } from './helpers/ffmpeg.js';
import { captureOutput, readFile } from './helpers/io.js';
import { prng } from './helpers/signals.js';
import { writeWavFile } from '../src/audio/wav/write.js';

const root = scratchDir('ni-stems');

async function readBack(path: string) {
  const file = await RangeFile.open(path);
  try {
    return await readMp4(file);
  } finally {
    await file.close();
  }
}

let grouped: Promise<{ dir: string; files: string[] }> | null = null;

/** The demo packed for the ni-stems recipient once (4 groups and the mix at 44.1 kHz): the sources every .stem.mp4 here is made from. */
function demoGroups(): Promise<{ dir: string; files: string[] }> {
  grouped ??= (async () => {
    const { packDelivery } = await import('../src/pack/pack.js');
    const { resolveRecipient } = await import('../src/pack/recipients.js');
    const dir = join(root, 'groups');
    const delivery = await packDelivery((await demoAudio()).dir, { recipient: await resolveRecipient('ni-stems'), outDir: dir });
    const files = [delivery.files.find((f) => f.kind === 'mix')!, ...delivery.files.filter((f) => f.kind === 'group')].map((f) => join(dir, f.file));
    return { dir, files };
  })();
  return grouped;
}

/** A 2×2 PNG (valid: ffprobe reads it as the attached picture), written to `path`. */
function writePng(path: string): string {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const pixels = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  writeFileSync(path, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]));
  return path;
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
  for (const encoder of ['stemkit', 'ffmpeg', 'wasm'] as const) {
    it(`AAC with the ${encoder} encoder: 5 stereo tracks, stem JSON, only the mix enabled, every track at lag 0, check passes`, async () => {
      const demo = await demoAudio();
      const out = join(root, `demo-${encoder}.stem.mp4`);
      const log = captureOutput();
      // The wasm case also carries a cover and user slots: the tags and JSON a DJ sees.
      const extras = encoder === 'wasm' ? { cover: writePng(join(root, 'cover.png')), slots: 'Beat:#112233,Low:#445566,Keys,Voice:#778899' } : {};
      expect(await runNiStems(demo.dir, { out, aacEncoder: encoder, title: 'Demo', artist: 'stemkit tests', ...extras }, log.stream, log.stream)).toBe(0);

      const probe = ffprobe(out);
      const audio = probe.streams.filter((s) => s.codec_type === 'audio');
      expect(audio).toHaveLength(5);
      for (const s of audio) expect(s).toMatchObject({ codec_name: 'aac', channels: 2, sample_rate: '44100' });
      expect(audio.map((s) => (s.disposition as { default: number }).default)).toEqual([1, 0, 0, 0, 0]);
      // The cover is what NI's own files carry too: an attached picture, not a sixth audio stream.
      expect(probe.streams.filter((s) => s.codec_type === 'video').map((s) => [s.codec_name, (s.disposition as { attached_pic: number }).attached_pic])).toEqual(encoder === 'wasm' ? [['png', 1]] : []);
      expect((probe.format.tags as Record<string, string>).title).toBe('Demo');

      const info = await readBack(out);
      const slots = encoder === 'wasm' ? [{ name: 'Beat', color: '#112233' }, { name: 'Low', color: '#445566' }, { name: 'Keys', color: NI_DEFAULT_SLOTS[2]!.color }, { name: 'Voice', color: '#778899' }] : NI_DEFAULT_SLOTS;
      expect(parseNiStemMetadata(info.stemJson!, out).stems).toEqual(slots);
      expect(parseNiStemMetadata(info.stemJson!, out).mastering_dsp).toMatchObject({ compressor: { enabled: false }, limiter: { enabled: false } });
      expect(info.cover).toBe(encoder === 'wasm' ? 'image/png' : null);
      expect(info.tags.AUDIOTYPE).toBe('STEM');
      expect(info.tracks.map((t) => t.enabled)).toEqual([true, false, false, false, false]);

      // The sources: pack's ni-stems groups at 44.1 kHz; ffmpeg's decode must line up at lag 0 (edit list honoured).
      for (const [i, file] of (await demoGroups()).files.entries()) {
        const source = await readFile(file);
        const decoded = ffmpegDecode(out, i);
        expect(decoded.length / 2).toBeGreaterThanOrEqual(source[0]!.length);
        const at0 = errorDb(decoded, source, 0);
        expect(at0, file).toBeLessThan(-20);
        for (const lag of [-1, 1, -1024, 1024]) expect(errorDb(decoded, source, lag), `${file} at lag ${lag}`).toBeGreaterThan(at0 + 6);
      }

      const report = captureOutput();
      expect(await runCheck([out], { json: true }, report.stream, report.stream)).toBe(0);
      const json = JSON.parse(report.text());
      expect(json).toMatchObject({ ok: true, profile: 'ni-stems', package: { mix: `${out}#1`, niStems: { codec: 'AAC', timingFrom: 'edit list' } } });
      expect(json.stems.map((s: { name: string }) => s.name)).toEqual(slots.map((s) => s.name));
      const residual = json.findings.find((f: { rule: string }) => f.rule === 'null.residual');
      if (residual) expect(residual).toMatchObject({ severity: 'info', message: expect.stringMatching(/lossy codec/) });
    }, 240_000);
  }

  it('the fast coder (opt-in) keeps the contract: aligned at lag 0; the wasm encoder refuses it', async () => {
    const { files } = await demoGroups();
    const sources = await Promise.all(files.map((f) => openAudio(f)));
    const out = join(root, 'fast.stem.mp4');
    try {
      await writeNiStems(out, sources[0]!, sources.slice(1), { aacEncoder: 'ffmpeg', aacCoder: 'fast' });
      await expect(writeNiStems(join(root, 'fast-wasm.stem.mp4'), sources[0]!, sources.slice(1), { aacEncoder: 'wasm', aacCoder: 'fast' })).rejects.toMatchObject({ code: 'E_USAGE' });
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
    const source = await readFile(files[0]!);
    const decoded = ffmpegDecode(out, 0);
    const at0 = errorDb(decoded, source, 0);
    expect(at0).toBeLessThan(-15);
    for (const lag of [-1, 1]) expect(errorDb(decoded, source, lag)).toBeGreaterThan(at0 + 3);
  }, 240_000);

  it('a wrong stem is not excused as codec error', async () => {
    // The Vox slot carries the drums again: the file is well formed, but its stems do not sum to its mix.
    const { files } = await demoGroups();
    const sources = await Promise.all([...files.slice(0, 4), files[1]!].map((f) => openAudio(f)));
    const wrong = join(root, 'wrong.stem.mp4');
    try {
      await writeNiStems(wrong, sources[0]!, sources.slice(1));
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
    const report = captureOutput();
    expect(await runCheck([wrong], { json: true, strict: true }, report.stream, report.stream)).toBe(1);
    const json = JSON.parse(report.text());
    expect(json.null.residualRelativeDb).toBeGreaterThan(-12);
    expect(json.findings.find((f: { rule: string }) => f.rule === 'null.residual')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/does not null/) });
  }, 240_000);

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

describe.skipIf(!HAS_FFMPEG)('NI Stems in ALAC: lossless both ways', () => {
  it('demo → ALAC .stem.mp4: ffmpeg decodes every track to the source samples exactly, and check nulls', async () => {
    const demo = await demoAudio();
    const out = join(root, 'demo-alac.stem.mp4');
    const log = captureOutput();
    expect(await runNiStems(demo.dir, { out, codec: 'alac' }, log.stream, log.stream)).toBe(0);
    expect(log.text()).toMatch(/Traktor on Windows/);
    const probe = ffprobe(out);
    expect(probe.streams.map((s) => [s.codec_name, s.channels, s.bits_per_raw_sample])).toEqual(Array(5).fill(['alac', 2, '24']));
    for (const [i, name] of (await demoGroups()).files.entries()) {
      const source = await readFile(name);
      const decoded = ffmpegDecodeInt(out, i);
      expect(decoded.length / 2, name).toBe(source[0]!.length);
      let differing = 0;
      for (let n = 0; n < source[0]!.length; n++) for (let c = 0; c < 2; c++) if (Math.round(source[c]![n]! * 2 ** 31) !== decoded[2 * n + c]) differing++;
      expect(differing, name).toBe(0);
    }
    const report = captureOutput();
    expect(await runCheck([out], { json: true }, report.stream, report.stream)).toBe(0);
    const json = JSON.parse(report.text());
    expect(json.null.passed).toBe(true);
    expect(json.package.niStems.codec).toBe('ALAC');

    // A catalogue run finds the .stem.mp4 as a package of its own and judges it the same way.
    const catalogue = join(root, 'catalogue');
    mkdirSync(catalogue);
    copyFileSync(out, join(catalogue, 'Demo.stem.mp4'));
    const { runEmbedded } = await import('../src/batch/embedded.js');
    const results = join(root, 'batch-results');
    await runEmbedded([join(catalogue, 'Demo.stem.mp4')], { out: results, jobs: 1 });
    const [line] = readFileSync(join(results, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toMatchObject({ path: join(catalogue, 'Demo.stem.mp4'), verdict: 'pass', error: null, numbers: { stems: 4 } });
  }, 240_000);

  it('longer than one segment: the pool encodes each track in parts, and the parts join bit-exactly', async () => {
    // 55 s of 16-bit stereo: 3 segments of 256 ALAC packets, the last one partial.
    const sampleRate = 44100;
    const frames = 55 * sampleRate + 123;
    const rnd = prng(77);
    const planar = [0, 1].map(() => Float32Array.from({ length: frames }, (_, i) => Math.round((0.3 * Math.sin(i / 40) + 0.1 * (rnd() * 2 - 1)) * 32767) / 32768));
    const wav = join(root, 'long-16.wav');
    await writeWavFile(wav, { sampleRate, channels: 2, format: 'pcm16' }, (sink) => sink.write(planar));
    const out = join(root, 'long-alac.stem.mp4');
    const sources = await Promise.all(Array.from({ length: 5 }, () => openAudio(wav)));
    try {
      await writeNiStems(out, sources[0]!, sources.slice(1), { codec: 'alac' });
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
    const info = await readBack(out);
    expect(info.tracks.map((t) => t.frames)).toEqual(Array(5).fill(frames));
    for (const i of [0, 4]) {
      const decoded = ffmpegDecodeInt(out, i);
      expect(decoded.length).toBe(2 * frames);
      let differing = 0;
      for (let n = 0; n < frames; n++) for (let c = 0; c < 2; c++) if (Math.round(planar[c]![n]! * 2 ** 31) !== decoded[2 * n + c]) differing++;
      expect(differing).toBe(0);
    }
  }, 240_000);

  it.skipIf(!haveSharedFile(join(SHARED_TESTDATA, 'ni-stems/test.alac.stem.mp4')))('a real ALAC NI Stems file decodes bit-exactly as ffmpeg decodes it, track by track', async () => {
    const path = join(SHARED_TESTDATA, 'ni-stems/test.alac.stem.mp4');
    for (let track = 0; track < 5; track++) {
      const source = await openAudio(path, { track });
      expect(source.format).toMatchObject({ container: 'mp4', encoding: 'pcm', bitDepth: 16, channels: 2, frames: 133632 });
      // Odd-sized reads across packet boundaries, as check's blocks and a player's seeks make them.
      const planar = [new Float32Array(133632), new Float32Array(133632)];
      for (let at = 0; at < 133632; at += 3001) (await source.read(at, Math.min(3001, 133632 - at))).forEach((c, ch) => planar[ch]!.set(c, at));
      await source.close();
      const reference = ffmpegDecodeInt(path, track);
      let differing = 0;
      for (let n = 0; n < 133632; n++) for (let c = 0; c < 2; c++) if (Math.round(planar[c]![n]! * 2 ** 31) !== reference[2 * n + c]) differing++;
      expect(differing, `track ${track + 1}`).toBe(0);
    }
    // The file's five tracks are one signal: check says the stems are copies of the mix, not a codec problem.
    const report = captureOutput();
    expect(await runCheck([path], { json: true }, report.stream, report.stream)).toBe(1);
    expect(JSON.parse(report.text()).findings.map((f: { rule: string }) => f.rule)).toContain('null.stems-are-mix');
  });

  it.skipIf(!haveSharedFile(join(SHARED_TESTDATA, 'ni-stems/falcon-69.aac.stem.mp4')))('openAudio on a real AAC file gives FFmpeg\'s decode of the track asked for', async () => {
    const path = join(SHARED_TESTDATA, 'ni-stems/falcon-69.aac.stem.mp4');
    const source = await openAudio(path, { track: 2 });
    const ours = await source.read(0, source.format.frames);
    await source.close();
    const reference = ffmpegDecode(path, 2);
    let e = 0;
    let s = 0;
    for (let n = 0; n < ours[0]!.length; n++) for (let c = 0; c < 2; c++) {
      e += (ours[c]![n]! - reference[2 * n + c]!) ** 2;
      s += reference[2 * n + c]! ** 2;
    }
    expect(10 * Math.log10(e / s + 1e-30)).toBeLessThan(-90);
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
      await expect(extractTrack(path, info, 0, join(root, 'x.wav'))).rejects.toMatchObject({ code: 'E_UNSUPPORTED', hint: expect.stringMatching(/install ffmpeg/) });
    } finally {
      if (saved === undefined) delete process.env.STEMKIT_FFMPEG;
      else process.env.STEMKIT_FFMPEG = saved;
      resetFfmpegLookup();
    }
  });

  it('openAudio on bytes (no FFmpeg there) names what AAC needs', async () => {
    const bytes = new MemoryBytes(readFileSync(join(root, 'tables.stem.mp4')), 'tables.stem.mp4');
    await expect(openAudio(bytes)).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/AAC/) });
    await expect(openAudio(join(root, 'tables.stem.mp4'), { track: 7 })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
