/**
 * The ALAC codec (src/audio/alac): its own round trip, and bit-exactness against the real FFmpeg
 * both ways (FFmpeg decodes stemkit's packets to the source; stemkit decodes FFmpeg's packets and
 * the real NI Stems ALAC file to FFmpeg's samples). The FFmpeg suites skip without ffmpeg on PATH
 * and fail under CI=true instead, where .ci/run installs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAlacCaf, writeAlacCaf } from '../src/audio/alac/caf.js';
import { defaultAlacConfig, parseAlacCookie, writeAlacCookie } from '../src/audio/alac/cookie.js';
import { AlacDecoder } from '../src/audio/alac/decoder.js';
import { AlacEncoder, AlacStreamEncoder } from '../src/audio/alac/encoder.js';
import { StemkitError } from '../src/errors.js';
import { haveSharedFile, SHARED_TESTDATA } from './helpers/corpus.js';
import { musicLike } from './helpers/music.js';
import { prng } from './helpers/signals.js';

const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!HAVE_FFMPEG && process.env.CI) throw new Error('CI=true but ffmpeg is not on PATH (.ci/run installs it)');
const STEM_FILE = join(SHARED_TESTDATA, 'ni-stems/test.alac.stem.mp4');

const FRAME = 4096;
const RATE = 44100;

const tmp = mkdtempSync(join(tmpdir(), 'stemkit-alac-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Signal = 'noise' | 'sine' | 'silence' | 'square' | 'music';

/** `frames` frames of `channels` channels of a test signal as integers of `bits` bits. */
function signal(kind: Signal, channels: number, frames: number, bits: number, seed = 1): Int32Array[] {
  const full = 2 ** (bits - 1);
  const music = kind === 'music' ? musicLike(RATE, frames / RATE, seed) : null;
  const rnd = prng(seed);
  return Array.from({ length: channels }, (_, ch) => {
    const x = new Int32Array(frames);
    for (let i = 0; i < frames; i++) {
      if (kind === 'noise') x[i] = Math.floor(rnd() * 2 * full) - full;
      else if (kind === 'sine') x[i] = Math.round((full - 1) * 0.8 * Math.sin((2 * Math.PI * (997 + 300 * ch) * i) / RATE + ch));
      else if (kind === 'square') x[i] = Math.floor((i + 37 * ch) / 50) % 2 ? full - 1 : -full;
      else if (kind === 'music') x[i] = Math.max(-full, Math.min(full - 1, Math.round(music![ch % 2]![i]! * full)));
    }
    return x;
  });
}

interface Stream {
  cookie: Uint8Array;
  packets: Uint8Array[];
  encoder: AlacEncoder;
}

function encode(planar: Int32Array[], bits: number): Stream {
  const encoder = new AlacEncoder({ channels: planar.length, bitDepth: bits, sampleRate: RATE });
  const packets: Uint8Array[] = [];
  const frames = planar[0]!.length;
  for (let at = 0; at < frames; at += FRAME) {
    const n = Math.min(FRAME, frames - at);
    packets.push(encoder.encode(planar.map((ch) => ch.subarray(at, at + n)), n));
  }
  return { cookie: encoder.cookie(), packets, encoder };
}

/** Every packet decoded and the blocks joined per channel. */
function decode(cookie: Uint8Array, packets: Uint8Array[]): Int32Array[] {
  const decoder = new AlacDecoder(cookie);
  const blocks = packets.map((p) => decoder.decode(p));
  const channels = decoder.config.numChannels;
  return Array.from({ length: channels }, (_, ch) => {
    const out = new Int32Array(blocks.reduce((n, b) => n + b[ch]!.length, 0));
    let at = 0;
    for (const b of blocks) {
      out.set(b[ch]!, at);
      at += b[ch]!.length;
    }
    return out;
  });
}

/** The first index where a and b differ, or -1 (and -2 for different lengths). */
function firstDifference(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSameSamples(got: Int32Array[], want: Int32Array[]): void {
  expect(got.length).toBe(want.length);
  for (let ch = 0; ch < want.length; ch++) expect(firstDifference(got[ch]!, want[ch]!), `channel ${ch}`).toBe(-1);
}

/** ffmpeg's decode of `file` as planar integers of `bits` bits (from its s32le output). */
function ffmpegDecode(file: string, channels: number, bits: number): Int32Array[] {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 's32le', '-'], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${file}: ${r.stderr}`);
  const all = new Int32Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length / 4);
  const frames = all.length / channels;
  return Array.from({ length: channels }, (_, ch) => {
    const x = new Int32Array(frames);
    for (let i = 0; i < frames; i++) x[i] = all[i * channels + ch]! >> (32 - bits);
    return x;
  });
}

/** ffmpeg's own ALAC encoding of `planar` (fed as raw PCM), as a CAF file path. */
function ffmpegEncode(planar: Int32Array[], bits: 16 | 24, name: string, extra: string[] = []): string {
  const channels = planar.length;
  const frames = planar[0]!.length;
  const raw = bits === 16 ? new Int16Array(frames * channels) : new Int32Array(frames * channels);
  for (let i = 0; i < frames; i++) for (let ch = 0; ch < channels; ch++) raw[i * channels + ch] = bits === 16 ? planar[ch]![i]! : planar[ch]![i]! << 8;
  const out = join(tmp, `${name}.caf`);
  const input = ['-f', bits === 16 ? 's16le' : 's32le', '-ar', `${RATE}`, '-ac', `${channels}`, '-i', '-'];
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...input, '-c:a', 'alac', ...extra, out], { input: Buffer.from(raw.buffer) });
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${name}: ${r.stderr}`);
  return out;
}

describe('ALAC magic cookie', () => {
  it('writes the 24 big-endian bytes and parses them back', () => {
    const config = { ...defaultAlacConfig({ bitDepth: 24, numChannels: 2, sampleRate: 48000 }), maxFrameBytes: 12345, avgBitRate: 1_000_000 };
    const bytes = writeAlacCookie(config);
    expect(bytes.length).toBe(24);
    expect([...bytes.subarray(0, 12)]).toEqual([0, 0, 0x10, 0, 0, 24, 40, 10, 14, 2, 0, 255]);
    expect(parseAlacCookie(bytes)).toEqual(config);
  });

  it("parses the 'frma'/'alac' atom-wrapped form of older files and MP4 'alac' boxes", () => {
    const config = defaultAlacConfig({ bitDepth: 16, numChannels: 1, sampleRate: 44100 });
    const atom = (size: number, type: string) => [0, 0, 0, size, ...[...type].map((c) => c.charCodeAt(0))];
    const alacHeader = [...atom(36, 'alac'), 0, 0, 0, 0];
    const wrapped = new Uint8Array([...atom(12, 'frma'), ...[...'alac'].map((c) => c.charCodeAt(0)), ...alacHeader, ...writeAlacCookie(config), 0, 0, 0, 8, 0, 0, 0, 0]);
    expect(parseAlacCookie(wrapped)).toEqual(config);
    expect(parseAlacCookie(new Uint8Array([...alacHeader, ...writeAlacCookie(config)]))).toEqual(config);
    expect(parseAlacCookie(new Uint8Array([0, 0, 0, 0, ...writeAlacCookie(config)]))).toEqual(config);
  });

  it('rejects short cookies and impossible values with E_BAD_HEADER', () => {
    const good = writeAlacCookie(defaultAlacConfig({ bitDepth: 16, numChannels: 2, sampleRate: 44100 }));
    const bad = (patch: (b: Uint8Array) => void) => {
      const b = good.slice();
      patch(b);
      return b;
    };
    for (const cookie of [good.subarray(0, 23), bad((b) => (b[5] = 8)), bad((b) => (b[9] = 0)), bad((b) => (b[4] = 1)), bad((b) => b.fill(0, 0, 4))]) {
      expect(() => parseAlacCookie(cookie)).toThrow(expect.objectContaining({ name: 'StemkitError', code: 'E_BAD_HEADER' }));
    }
  });
});

describe('ALAC round trip (stemkit encoder → stemkit decoder)', () => {
  const kinds: Signal[] = ['noise', 'sine', 'silence', 'square', 'music'];
  for (const bits of [16, 24, 20, 32]) {
    for (const channels of [2, 1]) {
      it(`${bits}-bit ${channels === 2 ? 'stereo' : 'mono'}: every signal bit-exact, the last frame partial`, () => {
        for (const kind of kinds) {
          const planar = signal(kind, channels, 3 * FRAME + 1001, bits, bits + channels);
          const stream = encode(planar, bits);
          expectSameSamples(decode(stream.cookie, stream.packets), planar);
          const pcmBytes = (planar[0]!.length * channels * bits) / 8;
          const bytes = stream.packets.reduce((n, p) => n + p.length, 0);
          // Full-scale white noise cannot be compressed: every packet is an escape packet, a few bytes over PCM.
          if (kind === 'noise') expect(stream.encoder.stats.escapedPackets).toBe(stream.packets.length);
          else expect(stream.encoder.stats.escapedPackets, kind).toBe(0);
          // A 32-bit pair always passes its low 16 bits through verbatim (see chooseBytesShifted).
          if (kind === 'silence') expect(bytes).toBeLessThan(bits === 32 && channels === 2 ? pcmBytes / 1.9 : pcmBytes / 100);
          if (kind === 'sine' || kind === 'music') expect(bytes, kind).toBeLessThan(pcmBytes * (bits === 32 ? 0.9 : 0.8));
        }
      });
    }
  }

  it('a stream of a single frame, and frames of every length up to 40', () => {
    for (let n = 1; n <= 40; n++) {
      const planar = signal('music', 2, n, 16, n);
      const stream = encode(planar, 16);
      expectSameSamples(decode(stream.cookie, stream.packets), planar);
    }
  });

  it('the cookie reports the largest packet and the average bit rate', () => {
    const stream = encode(signal('music', 2, 10 * FRAME, 16), 16);
    const config = parseAlacCookie(stream.cookie);
    const bytes = stream.packets.reduce((n, p) => n + p.length, 0);
    expect(config.maxFrameBytes).toBe(Math.max(...stream.packets.map((p) => p.length)));
    expect(config.avgBitRate).toBe(Math.round((bytes * 8 * RATE) / (10 * FRAME)));
    expect(config).toMatchObject({ frameLength: FRAME, bitDepth: 16, numChannels: 2, sampleRate: RATE });
  });

  it('encodeFloat rounds halves up and clips; decodeFloat scales back by 2^(bits − 1)', () => {
    const encoder = new AlacEncoder({ channels: 1, bitDepth: 16, sampleRate: RATE });
    const input = new Float32Array([0, 0.5 / 32768, -0.5 / 32768, 1.5 / 32768, 0.25, -1, 1, 2, -3, NaN, Infinity]);
    const packet = encoder.encodeFloat([input]);
    const decoder = new AlacDecoder(encoder.cookie());
    expect([...decoder.decode(packet)[0]!]).toEqual([0, 1, 0, 2, 8192, -32768, 32767, 32767, -32768, 0, 0]);
    expect([...decoder.decodeFloat(packet)[0]!]).toEqual([0, 1, 0, 2, 8192, -32768, 32767, 32767, -32768, 0, 0].map((v) => v / 32768));
    expect(encoder.stats).toMatchObject({ clippedSamples: 3, nonFiniteSamples: 2 });
  });

  it('AlacStreamEncoder packs blocks of any length into the same packets as whole frames give', () => {
    const planar = signal('music', 2, 5 * FRAME + 321, 24, 11);
    const whole = encode(planar, 24);
    const stream = new AlacStreamEncoder({ channels: 2, bitDepth: 24, sampleRate: RATE });
    const packets: Uint8Array[] = [];
    const rnd = prng(5);
    for (let at = 0; at < planar[0]!.length; ) {
      const n = Math.min(planar[0]!.length - at, Math.floor(rnd() * 9000));
      packets.push(...stream.push(planar.map((ch) => ch.subarray(at, at + n)), n));
      at += n;
    }
    packets.push(...stream.flush());
    expect(packets).toEqual(whole.packets);
    expect(stream.encoder.cookie()).toEqual(whole.cookie);
    // Floats that are exact multiples of the LSB round to the same integers.
    const floats = new AlacStreamEncoder({ channels: 2, bitDepth: 24, sampleRate: RATE });
    const scaled = planar.map((ch) => Float32Array.from(ch, (v) => v / 2 ** 23));
    expect([...floats.push(scaled), ...floats.flush()]).toEqual(whole.packets);
  });

  it('refuses what it cannot encode with E_USAGE', () => {
    const usage = expect.objectContaining({ code: 'E_USAGE' });
    expect(() => new AlacEncoder({ channels: 3, bitDepth: 16, sampleRate: RATE })).toThrow(usage);
    expect(() => new AlacEncoder({ channels: 2, bitDepth: 12, sampleRate: RATE })).toThrow(usage);
    const encoder = new AlacEncoder({ channels: 2, bitDepth: 16, sampleRate: RATE });
    const ok = new Int32Array(FRAME + 1);
    expect(() => encoder.encode([ok, ok])).toThrow(usage); // more frames than a packet holds
    expect(() => encoder.encode([ok.subarray(0, 10)])).toThrow(usage);
    expect(() => encoder.encode([ok.subarray(0, 10), Int32Array.of(1, 2, 40000, 4, 5, 6, 7, 8, 9, 10)])).toThrow(/40000 is outside 16-bit range/);
  });
});

describe.skipIf(!HAVE_FFMPEG)('ALAC against FFmpeg (needs ffmpeg on PATH)', () => {
  for (const bits of [16, 24, 20, 32]) {
    it(`ffmpeg decodes stemkit's ${bits}-bit packets to the source, bit for bit`, () => {
      for (const channels of [2, 1]) {
        const planar = [signal('music', channels, 8 * FRAME + 777, bits, 3), signal('noise', channels, FRAME, bits, 4), signal('square', channels, 2 * FRAME, bits, 5)].reduce(
          (all, part) => all.map((ch, c) => Int32Array.from([...ch, ...part[c]!])),
        );
        // Packets never straddle the joins, so one stream holds compressed, escaped and partial packets.
        const stream = encode(planar, bits);
        expect(stream.encoder.stats.escapedPackets).toBeGreaterThan(0);
        const file = join(tmp, `stemkit-${bits}-${channels}.caf`);
        writeFileSync(file, writeAlacCaf({ cookie: stream.cookie, packets: stream.packets, validFrames: planar[0]!.length }));
        expectSameSamples(ffmpegDecode(file, channels, bits), planar);
      }
    });
  }

  const variants: Array<[bits: 16 | 24, channels: number, options: string[]]> = [
    [16, 2, []],
    [24, 2, []],
    [16, 1, []],
    [24, 1, []],
    [16, 2, ['-compression_level', '0']],
    [16, 2, ['-min_prediction_order', '1', '-max_prediction_order', '30']],
    [24, 2, ['-frame_size', '1152']],
  ];
  for (const [bits, channels, options] of variants) {
    it(`stemkit decodes ffmpeg's ${bits}-bit ${channels === 2 ? 'stereo' : 'mono'} ALAC${options.length ? ` (${options.join(' ')})` : ''} exactly as ffmpeg does`, () => {
      const planar = signal('music', channels, 6 * FRAME + 555, bits, 9);
      const file = ffmpegEncode(planar, bits, `ffmpeg-${bits}-${channels}-${options.join('')}`, options);
      const stream = readAlacCaf(readFileSync(file));
      const ours = decode(stream.cookie, stream.packets);
      expectSameSamples(ours, ffmpegDecode(file, channels, bits));
      expectSameSamples(ours, planar);
    });
  }

  it.skipIf(!haveSharedFile(STEM_FILE))("decodes the real NI Stems file's five ALAC tracks exactly as ffmpeg does", () => {
    for (let track = 0; track < 5; track++) {
      const file = join(tmp, `stem-track-${track}.caf`);
      const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', STEM_FILE, '-map', `0:${track}`, '-c', 'copy', file]);
      if (r.status !== 0) throw new Error(`ffmpeg could not extract track ${track}: ${r.stderr}`);
      const stream = readAlacCaf(readFileSync(file));
      const ours = decode(stream.cookie, stream.packets);
      expect(ours[0]!.length).toBeGreaterThan(RATE);
      expectSameSamples(ours, ffmpegDecode(file, 2, 16));
    }
  });
});

describe('ALAC decoder on hostile input', () => {
  const stream = encode(signal('music', 2, 4 * FRAME + 100, 24, 7), 24);
  const escaped = encode(signal('noise', 2, FRAME, 16, 8), 16);
  const mono = encode(signal('sine', 1, FRAME, 16, 9), 16);

  /** Decodes `packet`; anything thrown must be a StemkitError of a damaged-data code. */
  function decodeOrTypedError(cookie: Uint8Array, packet: Uint8Array): 'ok' | 'error' {
    try {
      const out = new AlacDecoder(cookie).decode(packet);
      expect(out.every((ch) => ch.length >= 1 && ch.length <= FRAME)).toBe(true);
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(StemkitError);
      expect(['E_BAD_DATA', 'E_BAD_HEADER']).toContain((err as StemkitError).code);
      return 'error';
    }
  }

  it('every truncation of a packet is E_BAD_DATA', () => {
    for (const [cookie, packet] of [
      [stream.cookie, stream.packets[1]!],
      [stream.cookie, stream.packets.at(-1)!],
      [escaped.cookie, escaped.packets[0]!],
      [mono.cookie, mono.packets[0]!],
    ] as const) {
      for (let cut = 0; cut < packet.length; cut += cut < 64 ? 1 : 97) {
        expect(() => new AlacDecoder(cookie).decode(packet.subarray(0, cut)), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'E_BAD_DATA' }));
      }
    }
  });

  it('random bytes and bit flips give samples or a typed error, never a hang or a crash', () => {
    const rnd = prng(42);
    const outcomes = { ok: 0, error: 0 };
    for (let trial = 0; trial < 300; trial++) {
      const garbage = Uint8Array.from({ length: 1 + Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 256));
      outcomes[decodeOrTypedError(trial % 2 ? stream.cookie : mono.cookie, garbage)]++;
      const source = trial % 3 === 0 ? escaped : stream;
      const flipped = source.packets[trial % source.packets.length]!.slice();
      for (let k = 0; k < 1 + (trial % 4); k++) flipped[Math.floor(rnd() * flipped.length)]! ^= 1 << Math.floor(rnd() * 8);
      outcomes[decodeOrTypedError(source.cookie, flipped)]++;
    }
    expect(outcomes.error).toBeGreaterThan(0);
  });

  it('a packet for the wrong channel count is refused', () => {
    expect(() => new AlacDecoder(mono.cookie).decode(stream.packets[0]!)).toThrow(expect.objectContaining({ code: 'E_BAD_DATA' }));
    expect(() => new AlacDecoder(stream.cookie).decode(mono.packets[0]!)).toThrow(expect.objectContaining({ code: 'E_BAD_DATA' }));
  });
});
