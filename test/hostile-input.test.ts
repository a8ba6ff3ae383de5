/**
 * Named hostile and unusual inputs with the exact outcome each must have: the StemkitError code
 * (and what its message names), or — for legal but rare encodings — the exact samples read back.
 * Every file is synthesised here, so the suite needs no corpus.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, readFileSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import type { AudioSource, OpenOptions } from '../src/audio/types.js';
import { StemkitError, type StemkitErrorCode } from '../src/errors.js';
import { asciiBytes, concatBytes } from '../src/audio/bytes.js';

// ---------------------------------------------------------------------------------------------
// Builders

const ascii = asciiBytes;

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

function u16(value: number, bigEndian = false): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, value, !bigEndian);
  return b;
}

function u32(value: number, bigEndian = false): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, !bigEndian);
  return b;
}

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value, true);
  return b;
}

/** id, size, body, then a pad byte after an odd body unless `pad` is false. */
function chunk(id: string, body: Uint8Array, bigEndian = false, pad = true): Uint8Array {
  return concat(ascii(id), u32(body.length, bigEndian), body, pad && body.length % 2 ? new Uint8Array(1) : new Uint8Array(0));
}

function riff(chunks: Uint8Array[], magic = 'RIFF', form = 'WAVE'): Uint8Array {
  const bigEndian = magic === 'RIFX';
  const body = concat(...chunks);
  return concat(ascii(magic), u32(body.length + 4, bigEndian), ascii(form), body);
}

function fmt(tag: number, channels: number, rate: number, bits: number, bigEndian = false, containerBytes = Math.ceil(bits / 8)): Uint8Array {
  return concat(
    u16(tag, bigEndian),
    u16(channels, bigEndian),
    u32(rate, bigEndian),
    u32(rate * channels * containerBytes, bigEndian),
    u16(channels * containerBytes, bigEndian),
    u16(bits, bigEndian),
  );
}

function int16s(values: number[], bigEndian = false): Uint8Array {
  return concat(...values.map((v) => u16(v & 0xffff, bigEndian)));
}

function int24s(values: number[], bigEndian = false): Uint8Array {
  return concat(
    ...values.map((v) => {
      const b = [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff];
      return Uint8Array.from(bigEndian ? b.reverse() : b);
    }),
  );
}

function floats(values: number[], width: 4 | 8, bigEndian = false): Uint8Array {
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => (width === 4 ? view.setFloat32(i * 4, v, !bigEndian) : view.setFloat64(i * 8, v, !bigEndian)));
  return out;
}

/** A plain 16-bit PCM WAV with the given interleaved samples and extra chunks before the data. */
function wav16(samples: number[], channels = 1, before: Uint8Array[] = [], rate = 44100): Uint8Array {
  return riff([chunk('fmt ', fmt(1, channels, rate, 16)), ...before, chunk('data', int16s(samples))]);
}

/** AIFF sample rates as the 80-bit extended bytes real writers store (from Apple's and libsndfile's tables). */
const EXTENDED_RATES: Array<[number, number[]]> = [
  [44100, [0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]],
  [48000, [0x40, 0x0e, 0xbb, 0x80, 0, 0, 0, 0, 0, 0]],
  [96000, [0x40, 0x0f, 0xbb, 0x80, 0, 0, 0, 0, 0, 0]],
  [22050, [0x40, 0x0d, 0xac, 0x44, 0, 0, 0, 0, 0, 0]],
  [11025, [0x40, 0x0c, 0xac, 0x44, 0, 0, 0, 0, 0, 0]],
  [8000, [0x40, 0x0b, 0xfa, 0x00, 0, 0, 0, 0, 0, 0]],
  [5512.5, [0x40, 0x0b, 0xac, 0x44, 0, 0, 0, 0, 0, 0]],
];
const rateBytes = (rate: number) => Uint8Array.from(EXTENDED_RATES.find(([r]) => r === rate)![1]);

function comm(channels: number, frames: number, bits: number, rate: Uint8Array, compression?: string): Uint8Array {
  const base = concat(u16(channels, true), u32(frames, true), u16(bits, true), rate);
  // AIFF-C: compression type, then an empty pascal string (count byte + pad).
  return compression ? concat(base, ascii(compression), new Uint8Array(2)) : base;
}

function aiff(form: 'AIFF' | 'AIFC', commBody: Uint8Array, sound: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  const chunks = [
    ...(form === 'AIFC' ? [chunk('FVER', u32(0xa2805140, true), true)] : []),
    chunk('COMM', commBody, true),
    ...extra,
    chunk('SSND', concat(new Uint8Array(8), sound), true),
  ];
  const body = concat(...chunks);
  return concat(ascii('FORM'), u32(body.length + 4, true), ascii(form), body);
}

function bext(description: string, originator: string, timeReference: number): Uint8Array {
  const body = new Uint8Array(602);
  body.set(ascii(description), 0);
  body.set(ascii(originator), 256);
  body.set(ascii('REF-123'), 288);
  body.set(ascii('2025-06-30'), 320);
  body.set(ascii('12:34:56'), 330);
  const view = new DataView(body.buffer);
  view.setUint32(338, timeReference % 2 ** 32, true);
  view.setUint32(342, Math.floor(timeReference / 2 ** 32), true);
  view.setUint16(346, 1, true);
  return concat(body, ascii('A=PCM,F=48000,W=24,M=stereo\r\n'));
}

// ---------------------------------------------------------------------------------------------
// Harness

let dir = '';
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stemkit-hostile-'));
});

afterAll(() => {
  if (dir) {
    try {
      chmodSync(join(dir, 'unreadable.wav'), 0o644);
    } catch {
      // not created on this platform
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function put(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

/** Opens and reads everything, expecting a StemkitError with `code`, the path, a hint. */
async function failure(path: string, code: StemkitErrorCode, options: OpenOptions = {}): Promise<StemkitError> {
  let source: AudioSource | undefined;
  try {
    source = await openAudio(path, options);
    await source.read(0, source.format.frames);
  } catch (err) {
    expect(err).toBeInstanceOf(StemkitError);
    const e = err as StemkitError;
    expect({ code: e.code, message: e.message }).toMatchObject({ code });
    expect(e.file).toBe(path);
    expect(e.hint.trim().length).toBeGreaterThan(0);
    return e;
  } finally {
    await source?.close();
  }
  throw new Error(`${path} opened and read without the expected ${code}`);
}

async function readAll(path: string, options: OpenOptions = {}): Promise<{ source: AudioSource; planar: Float32Array[] }> {
  const source = await openAudio(path, options);
  const planar = await source.read(0, source.format.frames);
  await source.close();
  return { source, planar };
}

/** Interleaves planar channels back into one array of numbers. */
function interleave(planar: Float32Array[]): number[] {
  const out: number[] = [];
  // `+ 0` folds µ-law's negative zero (0x7F) into 0: the two are the same sample.
  for (let i = 0; i < (planar[0]?.length ?? 0); i++) for (const channel of planar) out.push(channel[i]! + 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Not a readable file at all

describe('the operating system refuses', () => {
  it('an empty file is E_EMPTY', async () => {
    await failure(put('empty.wav', new Uint8Array(0)), 'E_EMPTY');
  });

  it('a directory is E_IO and the hint mentions the folder', async () => {
    const path = join(dir, 'stems.wav');
    mkdirSync(path);
    const err = await failure(path, 'E_IO');
    expect(err.hint).toMatch(/folder/);
  });

  it('a missing path is E_IO', async () => {
    const err = await failure(join(dir, 'no-such-file.wav'), 'E_IO');
    expect(err.message).toMatch(/no such file/);
  });

  it('a path through a regular file (ENOTDIR) is E_IO', async () => {
    const file = put('plain.wav', wav16([1, 2, 3]));
    await failure(join(file, 'inside.wav'), 'E_IO');
  });

  // chmod 000 only denies access to unprivileged users: root (and CAP_DAC_OVERRIDE) reads the file
  // anyway, so the case is detected by trying, and skipped when the read succeeds.
  it('an unreadable file (chmod 000) is E_IO', async (ctx) => {
    const path = join(dir, 'unreadable.wav');
    writeFileSync(path, wav16([1, 2, 3]));
    chmodSync(path, 0o000);
    let readable = true;
    try {
      closeSync(openSync(path, 'r'));
    } catch {
      readable = false;
    }
    if (readable) ctx.skip();
    const err = await failure(path, 'E_IO');
    expect(err.message).toMatch(/permission denied/);
  });

  // Opening a FIFO for reading blocks until a writer appears; the reader must refuse it at once.
  // Needs mkfifo (not on Windows); skipped when it is missing.
  it('a named pipe with no writer is E_IO, without hanging', async (ctx) => {
    const path = join(dir, 'pipe.wav');
    try {
      execFileSync('mkfifo', [path], { stdio: 'ignore' });
    } catch {
      ctx.skip();
    }
    const err = await failure(path, 'E_IO');
    expect(err.message).toMatch(/not a regular file/);
  }, 5000);

  // Device files exist only on POSIX systems.
  it.skipIf(!existsSync('/dev/null'))('a device (/dev/null, also through a symlink named .wav) is E_IO', async () => {
    await failure('/dev/null', 'E_IO');
    const link = join(dir, 'null.wav');
    symlinkSync('/dev/null', link);
    await failure(link, 'E_IO');
  });

  it('a path containing a NUL byte is E_IO', async () => {
    await failure(join(dir, 'bad\0name.wav'), 'E_IO');
  });

  it('a file that shrinks after it was opened fails the read with E_TRUNCATED', async () => {
    const path = put('shrinks.wav', wav16(Array.from({ length: 1000 }, (_, i) => i)));
    const source = await openAudio(path);
    truncateSync(path, 44 + 200);
    try {
      await expect(source.read(0, 1000)).rejects.toMatchObject({ code: 'E_TRUNCATED', file: path });
    } finally {
      await source.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Not audio, or audio stemkit does not read

describe('recognised by content, not extension', () => {
  it.each([
    ['PNG', concat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', new Uint8Array(13), true))],
    ['JSON', ascii('{"stems": ["drums.wav", "bass.wav"]}\n')],
    ['text', ascii('This is not a WAV file, just a README that was renamed.\n')],
    ['a two-byte text file', ascii('{}')],
    ['a RIFF animated cursor (ACON)', riff([chunk('anih', new Uint8Array(36))], 'RIFF', 'ACON')],
    ['a RIFF video (AVI)', riff([chunk('LIST', ascii('hdrl'))], 'RIFF', 'AVI ')],
    ['an IFF image (ILBM)', concat(ascii('FORM'), u32(16, true), ascii('ILBM'), chunk('BMHD', new Uint8Array(8), true))],
  ])('%s is E_NOT_AUDIO', async (name, bytes) => {
    await failure(put(`${name.replace(/\W+/g, '-')}.wav`, bytes), 'E_NOT_AUDIO');
  });

  const mp3Frame = Uint8Array.of(0xff, 0xfb, 0x90, 0x64, ...new Uint8Array(413));
  it.each([
    ['MP3 with an ID3 tag', concat(ascii('ID3'), Uint8Array.of(4, 0, 0, 0, 0, 0, 10), new Uint8Array(10), mp3Frame), /MP3/],
    ['MP3 without a tag', mp3Frame, /MP3/],
    ['AAC in ADTS', Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, ...new Uint8Array(16)), /AAC/],
    ['Ogg', concat(ascii('OggS'), new Uint8Array(24), ascii('\x01vorbis')), /Ogg/],
    ['CAF', concat(ascii('caff'), u16(1, true), u16(0, true), ascii('desc'), new Uint8Array(40)), /CAF/],
    ['Wave64', concat(ascii('riff'), Uint8Array.of(0x2e, 0x91, 0xcf, 0x11), new Uint8Array(32)), /Wave64/],
    ['Sun .au', concat(ascii('.snd'), u32(24, true), new Uint8Array(24)), /Sun|\.au/],
    ['WavPack', concat(ascii('wvpk'), new Uint8Array(28)), /WavPack/],
    ["Monkey's Audio", concat(ascii('MAC '), new Uint8Array(28)), /Monkey|APE/],
    ['IFF 8SVX', concat(ascii('FORM'), u32(20, true), ascii('8SVX'), chunk('VHDR', new Uint8Array(20), true)), /8SVX/],
    ['DSDIFF', concat(ascii('FRM8'), new Uint8Array(28)), /DSD/],
    ['DSF', concat(ascii('DSD '), new Uint8Array(28)), /DSD|DSF/],
  ])('%s is E_UNSUPPORTED naming the format', async (name, bytes, pattern) => {
    const err = await failure(put(`${name.replace(/\W+/g, '-')}.wav`, bytes), 'E_UNSUPPORTED');
    expect(err.message).toMatch(pattern);
  });

  it('an MP4 cut before its moov is E_BAD_HEADER saying so; a codec other than ALAC/AAC is E_UNSUPPORTED naming it', async () => {
    const head = concat(u32(24, true), ascii('ftypM4A '), u32(0, true), ascii('M4A isom'), new Uint8Array(8), u32(16, true), ascii('mdat'), new Uint8Array(8));
    const err = await failure(put('no-moov.m4a', head), 'E_BAD_HEADER');
    expect(err.message).toMatch(/no moov/);
    // A real file of ours, its sample entry renamed to Opus: stemkit reads the boxes, and names what it cannot decode.
    const { Mp4AudioWriter } = await import('../src/audio/mp4/write.js');
    const path = join(dir, `${counter++}-opus.m4a`);
    const writer = await Mp4AudioWriter.create(path, [{ codec: 'aac', sampleRate: 48000, channels: 2, sampleSize: 16, decoderConfig: Uint8Array.of(0x11, 0x90), priming: 0, enabled: true }]);
    await writer.writeChunk(0, [new Uint8Array(10)], 1024);
    await writer.finish([1024], null);
    const bytes = readFileSync(path);
    bytes.write('Opus', bytes.indexOf('mp4a'), 'latin1');
    writeFileSync(path, bytes);
    const opus = await failure(path, 'E_UNSUPPORTED');
    expect(opus.message).toMatch(/Opus/);
  });

  it.each([
    [0x0002, /Microsoft ADPCM/],
    [0x0011, /IMA ADPCM/],
    [0x0055, /MP3/],
    [0x0031, /GSM/],
    [0x1234, /0x1234/],
  ])('a WAV of format tag 0x%s is E_UNSUPPORTED naming the codec', async (tag, pattern) => {
    // ADPCM fmt chunks carry block and coefficient fields after the 16 common bytes.
    const body = concat(fmt(tag, 1, 8000, 4, false, 1), u16(2), u16(505));
    const err = await failure(put(`codec-${tag}.wav`, riff([chunk('fmt ', body), chunk('data', new Uint8Array(256))])), 'E_UNSUPPORTED');
    expect(err.message).toMatch(pattern);
  });

  it('WAVE_FORMAT_EXTENSIBLE wrapping IMA ADPCM is E_UNSUPPORTED naming the codec', async () => {
    const ext = concat(fmt(0xfffe, 1, 8000, 4, false, 1), u16(22), u16(4), u32(4), u32(0x11), ascii('\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71'));
    const err = await failure(put('ext-adpcm.wav', riff([chunk('fmt ', ext), chunk('data', new Uint8Array(64))])), 'E_UNSUPPORTED');
    expect(err.message).toMatch(/IMA ADPCM/);
  });

  it('AIFF-C with a compressed codec (ima4) is E_UNSUPPORTED naming it', async () => {
    const err = await failure(put('ima4.aifc', aiff('AIFC', comm(1, 64, 16, rateBytes(44100), 'ima4'), new Uint8Array(34 * 2))), 'E_UNSUPPORTED');
    expect(err.message).toMatch(/ima4/);
  });

  it('a FLAC signature never escapes as an untyped error (decoder present or not)', async () => {
    const path = put('broken.flac', concat(ascii('fLaC'), Uint8Array.of(0x80, 0, 0, 34), new Uint8Array(34), new Uint8Array(64)));
    try {
      const source = await openAudio(path);
      await source.read(0, source.format.frames);
      await source.close();
    } catch (err) {
      expect(err).toBeInstanceOf(StemkitError);
      expect((err as StemkitError).file).toBe(path);
    }
  });

  it('the first bytes of a WAV signature alone are E_TRUNCATED', async () => {
    await failure(put('ri.wav', ascii('RI')), 'E_TRUNCATED');
    await failure(put('riff-only.wav', ascii('RIFF\x24\x00')), 'E_TRUNCATED');
  });
});

// ---------------------------------------------------------------------------------------------
// Damaged headers

describe('damaged headers', () => {
  it.each([
    ['0 channels', fmt(1, 0, 44100, 16)],
    ['65535 channels', fmt(1, 65535, 44100, 16)],
    ['a sample rate of 0', fmt(1, 1, 0, 16)],
    ['a sample rate of 0xFFFFFFFF', fmt(1, 1, 0xffffffff, 16)],
    ['0 bits per sample', concat(fmt(1, 1, 44100, 16).subarray(0, 14), u16(0))],
    ['255 bits per sample', concat(fmt(1, 1, 44100, 16).subarray(0, 14), u16(255))],
    ['a blockAlign that fits no sample width', concat(fmt(1, 2, 44100, 16).subarray(0, 12), u16(3), u16(16))],
    ['a fmt chunk of 14 bytes', fmt(1, 1, 44100, 16).subarray(0, 14)],
    ['EXTENSIBLE in an 18-byte fmt chunk', concat(fmt(0xfffe, 1, 44100, 16), u16(0))],
  ])('a WAV header with %s is E_BAD_HEADER', async (name, body) => {
    await failure(put(`${name.replace(/\W+/g, '-')}.wav`, riff([chunk('fmt ', body), chunk('data', new Uint8Array(64))])), 'E_BAD_HEADER');
  });

  it('a WAV whose data chunk precedes fmt is E_BAD_HEADER', async () => {
    await failure(put('data-first.wav', riff([chunk('data', new Uint8Array(8)), chunk('fmt ', fmt(1, 1, 44100, 16))])), 'E_BAD_HEADER');
  });

  it.each([
    ['0 channels', comm(0, 4, 16, rateBytes(44100))],
    ['-1 channels', comm(0xffff, 4, 16, rateBytes(44100))],
    ['a sample rate of 0', comm(1, 4, 16, new Uint8Array(10))],
    ['an infinite sample rate', comm(1, 4, 16, Uint8Array.of(0x7f, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0))],
    ['a negative sample rate', comm(1, 4, 16, Uint8Array.of(0xc0, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0))],
    ['an absurd sample rate (2^40 Hz)', comm(1, 4, 16, Uint8Array.of(0x40, 0x27, 0x80, 0, 0, 0, 0, 0, 0, 0))],
    ['0 bits per sample', comm(1, 4, 0, rateBytes(44100))],
    ['65 bits per sample', comm(1, 4, 65, rateBytes(44100))],
  ])('an AIFF header with %s is E_BAD_HEADER', async (name, body) => {
    await failure(put(`${name.replace(/\W+/g, '-')}.aiff`, aiff('AIFF', body, new Uint8Array(8))), 'E_BAD_HEADER');
  });

  it('an AIFF without a COMM chunk (complete FORM) is E_BAD_HEADER', async () => {
    const body = chunk('SSND', new Uint8Array(16), true);
    await failure(put('no-comm.aiff', concat(ascii('FORM'), u32(body.length + 4, true), ascii('AIFF'), body)), 'E_BAD_HEADER');
  });
});

// ---------------------------------------------------------------------------------------------
// Truncation

describe('truncated files', () => {
  const samples = Array.from({ length: 200 }, (_, i) => (i * 321) % 30000);

  it('a data chunk larger than the file is E_TRUNCATED; allowTruncated reads what is there, with a warning', async () => {
    const full = wav16(samples, 2);
    const path = put('short-data.wav', full.subarray(0, full.length - 101)); // 100 frames minus 101 bytes: 74 whole frames remain
    const err = await failure(path, 'E_TRUNCATED');
    expect(err.message).toMatch(/74 of 100 frames/);
    const { source, planar } = await readAll(path, { allowTruncated: true });
    expect(source.format.frames).toBe(74);
    expect(source.meta.warnings.join(' ')).toMatch(/cut short/);
    expect(interleave(planar)).toEqual(samples.slice(0, 148).map((v) => v / 32768));
  });

  it('an AIFF whose SSND is shorter than COMM says is E_TRUNCATED; allowTruncated reads what is there', async () => {
    const file = aiff('AIFF', comm(1, 200, 16, rateBytes(48000)), int16s(samples, true));
    const path = put('short.aiff', file.subarray(0, file.length - 50));
    await failure(path, 'E_TRUNCATED');
    const { source, planar } = await readAll(path, { allowTruncated: true });
    expect(source.format.frames).toBe(175);
    expect(source.meta.warnings.join(' ')).toMatch(/cut short/);
    expect(interleave(planar)).toEqual(samples.slice(0, 175).map((v) => v / 32768));
  });

  it('an AIFF whose COMM frame count exceeds its complete SSND chunk reads the complete frames, with a warning (as sox and ffmpeg do)', async () => {
    // COMM says 200 frames; the SSND chunk is whole (its size matches the bytes on disk) and holds 150.
    const file = aiff('AIFF', comm(1, 200, 16, rateBytes(48000)), int16s(samples.slice(0, 150), true));
    const path = put('comm-over.aiff', file);
    const { source, planar } = await readAll(path);
    expect(source.format.frames).toBe(150);
    expect(source.meta.warnings.join(' ')).toMatch(/COMM declares 200 frames but the complete SSND chunk holds 150/);
    expect(interleave(planar)).toEqual(samples.slice(0, 150).map((v) => v / 32768));
    // An odd byte count: the partial last frame is dropped, not read as half a sample.
    const odd = aiff('AIFF', comm(1, 200, 16, rateBytes(48000)), concat(int16s(samples.slice(0, 150), true), new Uint8Array([0x12])));
    expect((await readAll(put('comm-odd.aiff', odd))).source.format.frames).toBe(150);
  });

  it('a file cut in the middle of fmt is E_TRUNCATED', async () => {
    const full = wav16(samples);
    await failure(put('cut-fmt.wav', full.subarray(0, 12 + 8 + 9)), 'E_TRUNCATED');
  });

  it('a file cut in the middle of an EXTENSIBLE fmt is E_TRUNCATED, not a bad header', async () => {
    const ext = concat(fmt(0xfffe, 2, 48000, 24), u16(22), u16(24), u32(3), u32(1), ascii('\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71'));
    const full = riff([chunk('fmt ', ext), chunk('data', new Uint8Array(60))]);
    await failure(put('cut-ext-fmt.wav', full.subarray(0, 12 + 8 + 30)), 'E_TRUNCATED');
  });

  it('a file cut inside the fmt chunk header, after a long LIST, is E_TRUNCATED', async () => {
    const list = chunk('LIST', concat(ascii('INFO'), chunk('ICMT', ascii('x'.repeat(200)))));
    const full = riff([list, chunk('fmt ', fmt(1, 1, 44100, 16)), chunk('data', int16s(samples))]);
    await failure(put('cut-fmt-header.wav', full.subarray(0, 12 + list.length + 5)), 'E_TRUNCATED');
  });

  it('a file cut before its data chunk is E_TRUNCATED', async () => {
    const full = wav16(samples);
    await failure(put('no-data.wav', full.subarray(0, 12 + 24 + 3)), 'E_TRUNCATED');
  });

  it('an AIFF cut inside COMM is E_TRUNCATED, not a bad header', async () => {
    const full = aiff('AIFC', comm(2, 100, 16, rateBytes(44100), 'sowt'), int16s(samples));
    await failure(put('cut-comm.aifc', full.subarray(0, 12 + 12 + 8 + 20)), 'E_TRUNCATED');
    await failure(put('cut-comm2.aifc', full.subarray(0, 12 + 12 + 8 + 10)), 'E_TRUNCATED');
  });

  it('an AIFF cut before COMM is E_TRUNCATED', async () => {
    const full = aiff('AIFF', comm(1, 200, 16, rateBytes(48000)), int16s(samples, true));
    await failure(put('cut-before-comm.aiff', full.subarray(0, 12)), 'E_TRUNCATED');
    await failure(put('cut-comm-header.aiff', full.subarray(0, 16)), 'E_TRUNCATED');
  });

  // Sparse files cost no disk space where the file system supports them (ext4, xfs, tmpfs, APFS);
  // skipped where extending the file fails.
  it('a 5 GiB sparse RF64 and a streaming WAV past 4 GiB read their last frames at 64-bit offsets', async (ctx) => {
    const size = 5 * 2 ** 30;
    const header = concat(ascii('RF64'), u32(0xffffffff), ascii('WAVE'), chunk('ds64', concat(u64(BigInt(size - 8)), u64(BigInt(size - 80)), u64(0n), u32(0))));
    const rf64 = put('sparse.rf64.wav', concat(header, chunk('fmt ', fmt(1, 2, 48000, 16)), ascii('data'), u32(0xffffffff)));
    const streaming = put('sparse-stream.wav', concat(ascii('RIFF'), u32(0xffffffff), ascii('WAVE'), chunk('fmt ', fmt(1, 2, 48000, 16)), ascii('data'), u32(0xffffffff)));
    try {
      truncateSync(rf64, size);
      truncateSync(streaming, size);
      // Marks the last frame of each so the read provably comes from the far end of the file.
      for (const path of [rf64, streaming]) {
        const fd = openSync(path, 'r+');
        try {
          writeSync(fd, int16s([16384, -16384]), 0, 4, size - 4);
        } finally {
          closeSync(fd);
        }
      }
    } catch {
      ctx.skip();
    }
    for (const path of [rf64, streaming]) {
      const source = await openAudio(path);
      const expectedFrames = path === rf64 ? (size - 80) / 4 : (size - 44) / 4;
      expect(source.format.frames).toBe(expectedFrames);
      const tail = await source.read(source.format.frames - 3, 10);
      expect(tail.map((channel) => [...channel])).toEqual([
        [0, 0, 0.5],
        [0, 0, -0.5],
      ]);
      await source.close();
    }
  });

  it('RF64 whose ds64 promises 2^40 bytes of data is E_TRUNCATED; allowTruncated reads the file', async () => {
    const data = int16s(samples);
    const ds64 = concat(u64(0n), u64(2n ** 40n), u64(0n), u32(0));
    const dataChunk = concat(ascii('data'), u32(0xffffffff), data);
    const path = put('rf64-huge.wav', concat(ascii('RF64'), u32(0xffffffff), ascii('WAVE'), chunk('ds64', ds64), chunk('fmt ', fmt(1, 1, 8000, 16)), dataChunk));
    await failure(path, 'E_TRUNCATED');
    const { source, planar } = await readAll(path, { allowTruncated: true });
    expect(source.format.container).toBe('rf64');
    expect(source.format.frames).toBe(200);
    expect(interleave(planar)).toEqual(samples.map((v) => v / 32768));
  });
});

// ---------------------------------------------------------------------------------------------
// Rare but legal encodings, read back exactly

describe('legal encodings read back exactly', () => {
  const ints = [0, 16384, -16384, 32767, -32768, 1, -1, 12345];
  const expected16 = ints.map((v) => v / 32768);

  it('RIFX (big-endian WAV) 16-bit stereo', async () => {
    const path = put('rifx16.wav', riff([chunk('fmt ', fmt(1, 2, 44100, 16, true), true), chunk('data', int16s(ints, true), true)], 'RIFX'));
    const { source, planar } = await readAll(path);
    expect(source.format).toMatchObject({ container: 'rifx', bigEndian: true, channels: 2, frames: 4, bitDepth: 16 });
    expect(interleave(planar)).toEqual(expected16);
  });

  it('RIFX 24-bit mono', async () => {
    const values = [0, 4194304, -4194304, 8388607, -8388608, 1, -1];
    const path = put('rifx24.wav', riff([chunk('fmt ', fmt(1, 1, 48000, 24, true), true), chunk('data', int24s(values, true), true)], 'RIFX'));
    const { source, planar } = await readAll(path);
    expect(source.format).toMatchObject({ container: 'rifx', frames: 7, bitDepth: 24 });
    expect(interleave(planar)).toEqual(values.map((v) => v / 8388608));
  });

  it('AIFF 16-bit stereo (big-endian)', async () => {
    const { source, planar } = await readAll(put('pcm16.aiff', aiff('AIFF', comm(2, 4, 16, rateBytes(44100)), int16s(ints, true))));
    expect(source.format).toMatchObject({ container: 'aiff', encoding: 'pcm', bigEndian: true, channels: 2, frames: 4, sampleRate: 44100 });
    expect(interleave(planar)).toEqual(expected16);
  });

  it('AIFF 24-bit mono', async () => {
    const values = [0, 4194304, -4194304, 8388607, -8388608, 1];
    const { source, planar } = await readAll(put('pcm24.aiff', aiff('AIFF', comm(1, 6, 24, rateBytes(96000)), int24s(values, true))));
    expect(source.format).toMatchObject({ frames: 6, bitDepth: 24, sampleRate: 96000 });
    expect(interleave(planar)).toEqual(values.map((v) => v / 8388608));
  });

  it('AIFF-C sowt (little-endian 16-bit)', async () => {
    const { source, planar } = await readAll(put('sowt.aifc', aiff('AIFC', comm(2, 4, 16, rateBytes(48000), 'sowt'), int16s(ints, false))));
    expect(source.format).toMatchObject({ container: 'aifc', encoding: 'pcm', bigEndian: false, channels: 2, frames: 4 });
    expect(interleave(planar)).toEqual(expected16);
  });

  it('AIFF-C fl32', async () => {
    const values = [0, 0.5, -0.25, 1, -1, 0.125, 3.5, -0.001];
    const { source, planar } = await readAll(put('fl32.aifc', aiff('AIFC', comm(1, 8, 32, rateBytes(44100), 'fl32'), floats(values, 4, true))));
    expect(source.format).toMatchObject({ encoding: 'float', bitDepth: 32, frames: 8 });
    expect(interleave(planar)).toEqual(values.map(Math.fround));
  });

  it('AIFF-C fl64', async () => {
    const values = [0, 0.5, -0.25, 1, -1, 0.1];
    const { source, planar } = await readAll(put('fl64.aifc', aiff('AIFC', comm(2, 3, 64, rateBytes(48000), 'fl64'), floats(values, 8, true))));
    expect(source.format).toMatchObject({ encoding: 'float', bitDepth: 64, channels: 2, frames: 3 });
    expect(interleave(planar)).toEqual(values.map(Math.fround));
  });

  // G.711 reference points: µ-law 0x80/0x00 are ±32124, 0xFF is 0; A-law 0xD5/0x55 are ±8, 0xAA/0x2A are ±32256.
  it('AIFF-C ulaw', async () => {
    const { source, planar } = await readAll(put('ulaw.aifc', aiff('AIFC', comm(1, 4, 16, rateBytes(8000), 'ulaw'), Uint8Array.of(0x80, 0x00, 0xff, 0x7f))));
    expect(source.format).toMatchObject({ encoding: 'mulaw', frames: 4, sampleRate: 8000 });
    expect(interleave(planar)).toEqual([32124, -32124, 0, 0].map((v) => v / 32768));
  });

  it('AIFF-C alaw', async () => {
    const { source, planar } = await readAll(put('alaw.aifc', aiff('AIFC', comm(1, 4, 16, rateBytes(8000), 'alaw'), Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a))));
    expect(source.format).toMatchObject({ encoding: 'alaw', frames: 4 });
    expect(interleave(planar)).toEqual([8, -8, 32256, -32256].map((v) => v / 32768));
  });

  it('WAV A-law and µ-law', async () => {
    const a = await readAll(put('alaw.wav', riff([chunk('fmt ', fmt(6, 1, 8000, 8)), chunk('data', Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a))])));
    expect(interleave(a.planar)).toEqual([8, -8, 32256, -32256].map((v) => v / 32768));
    const u = await readAll(put('ulaw.wav', riff([chunk('fmt ', fmt(7, 1, 8000, 8)), chunk('data', Uint8Array.of(0x80, 0x00, 0xff, 0x7f))])));
    expect(interleave(u.planar)).toEqual([32124, -32124, 0, 0].map((v) => v / 32768));
  });

  it.each(EXTENDED_RATES.map(([rate]) => [rate]))('AIFF 80-bit sample rate %s Hz is parsed exactly', async (rate) => {
    const { source } = await readAll(put(`rate-${rate}.aiff`, aiff('AIFF', comm(1, 2, 16, rateBytes(rate)), int16s([1, 2], true))));
    expect(source.format.sampleRate).toBe(rate);
  });
});

// ---------------------------------------------------------------------------------------------
// Chunk layout quirks and metadata

describe('chunk layout and metadata', () => {
  const samples = [100, -100, 200, -200, 300, -300];
  const expected = samples.map((v) => v / 32768);

  it('an odd-sized chunk followed by its pad byte, before data', async () => {
    const { source, planar } = await readAll(put('odd-padded.wav', wav16(samples, 1, [chunk('odd ', ascii('abc'), false, true)])));
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.unknownChunks).toEqual(['odd ']);
  });

  it('an odd-sized chunk without its pad byte, before data', async () => {
    const { source, planar } = await readAll(put('odd-unpadded.wav', wav16(samples, 1, [chunk('odd ', ascii('abc'), false, false)])));
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.unknownChunks).toEqual(['odd ']);
  });

  it('an AIFF odd-sized text chunk without its pad byte', async () => {
    const { source, planar } = await readAll(
      put('odd-unpadded.aiff', aiff('AIFF', comm(1, 6, 16, rateBytes(44100)), int16s(samples, true), [chunk('NAME', ascii('Kick'), true), chunk('ANNO', ascii('odd'), true, false)])),
    );
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.tags).toMatchObject({ name: 'Kick', annotation: 'odd' });
  });

  it('unknown chunks are listed once each in meta.unknownChunks', async () => {
    const path = put('unknown.wav', wav16(samples, 1, [chunk('JUNK', new Uint8Array(28)), chunk('cue ', new Uint8Array(4)), chunk('abcd', ascii('x')), chunk('JUNK', new Uint8Array(4))]));
    const { source } = await readAll(path);
    expect(source.meta.unknownChunks).toEqual(['JUNK', 'cue ', 'abcd']);
    expect(source.meta.chunks.map((c) => c.id)).toEqual(['fmt ', 'JUNK', 'cue ', 'abcd', 'JUNK', 'data']);
  });

  it('a data chunk size of 0xFFFFFFFF (streaming writer) reads to the end of the file', async () => {
    const bytes = concat(ascii('RIFF'), u32(0xffffffff), ascii('WAVE'), chunk('fmt ', fmt(1, 2, 44100, 16)), ascii('data'), u32(0xffffffff), int16s(samples));
    const { source, planar } = await readAll(put('stream-ffff.wav', bytes));
    expect(source.format.frames).toBe(3);
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.warnings.join(' ')).toMatch(/placeholder/);
  });

  it('a data chunk size of 0 (streaming writer) reads to the end of the file', async () => {
    const bytes = concat(ascii('RIFF'), u32(0), ascii('WAVE'), chunk('fmt ', fmt(1, 2, 44100, 16)), ascii('data'), u32(0), int16s(samples));
    const { source, planar } = await readAll(put('stream-zero.wav', bytes));
    expect(source.format.frames).toBe(3);
    expect(interleave(planar)).toEqual(expected);
  });

  it('a finalised file (exact RIFF size) with an empty data chunk and metadata after it has 0 frames', async () => {
    const bytes = riff([chunk('fmt ', fmt(1, 2, 44100, 16)), chunk('data', new Uint8Array(0)), chunk('LIST', concat(ascii('INFO'), chunk('INAM', ascii('Silence\0'))))]);
    const { source } = await readAll(put('empty-data.wav', bytes));
    expect(source.format.frames).toBe(0);
    expect(source.meta.tags.INAM).toBe('Silence');
  });

  it('bext: description, originator and a time reference above 2^32 read back', async () => {
    const timeReference = 2 ** 32 * 3 + 123456789; // 13,008,359,173 samples: ~75 hours at 48 kHz
    const path = put('bext.wav', wav16(samples, 2, [chunk('bext', bext('Lead vocal, take 3', 'Pro Tools', timeReference))], 48000));
    const { source } = await readAll(path);
    expect(source.meta.bext).toMatchObject({
      description: 'Lead vocal, take 3',
      originator: 'Pro Tools',
      originatorReference: 'REF-123',
      originationDate: '2025-06-30',
      originationTime: '12:34:56',
      timeReference,
      version: 1,
      codingHistory: 'A=PCM,F=48000,W=24,M=stereo',
    });
  });

  it('LIST/INFO tags are read into meta.tags', async () => {
    const info = concat(ascii('INFO'), chunk('INAM', ascii('Bass DI\0')), chunk('IART', ascii('The Band\0')), chunk('ICMT', ascii('odd\0\0')));
    const { source } = await readAll(put('info.wav', wav16(samples, 1, [chunk('LIST', info)])));
    expect(source.meta.tags).toMatchObject({ INAM: 'Bass DI', IART: 'The Band', ICMT: 'odd' });
  });

  it('iXML text is kept verbatim', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><BWFXML><PROJECT>Film — reel 2</PROJECT><TRACK_LIST><TRACK_COUNT>2</TRACK_COUNT></TRACK_LIST></BWFXML>';
    const { source } = await readAll(put('ixml.wav', wav16(samples, 2, [chunk('iXML', new TextEncoder().encode(xml))])));
    expect(source.meta.ixml).toBe(xml);
  });

  it('a duplicated fmt chunk: the first one counts, with a warning', async () => {
    const bytes = riff([chunk('fmt ', fmt(1, 2, 44100, 16)), chunk('fmt ', fmt(1, 1, 8000, 8)), chunk('data', int16s(samples))]);
    const { source, planar } = await readAll(put('two-fmt.wav', bytes));
    expect(source.format).toMatchObject({ channels: 2, sampleRate: 44100, frames: 3 });
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.warnings.join(' ')).toMatch(/second fmt/);
  });

  it('a second data chunk is ignored, with a warning', async () => {
    const bytes = riff([chunk('fmt ', fmt(1, 1, 44100, 16)), chunk('data', int16s(samples)), chunk('data', int16s([1, 2]))]);
    const { source, planar } = await readAll(put('two-data.wav', bytes));
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.warnings.join(' ')).toMatch(/second data/);
  });

  it('trailing garbage after the last chunk is ignored with a warning', async () => {
    const { source, planar } = await readAll(put('garbage.wav', concat(wav16(samples), Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))));
    expect(interleave(planar)).toEqual(expected);
    expect(source.meta.warnings.join(' ')).toMatch(/not a chunk header/);
  });
});
