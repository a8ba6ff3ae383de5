import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Mdct } from '../src/dsp/mdct.js';
import { AacLcStream, aacPacketCount } from '../src/audio/aac/stream.js';
import { EIGHT_SHORT, LONG_START, LONG_STOP, ONLY_LONG, hasAttack, windowSequence } from '../src/audio/aac/windows.js';
import { aacSegments } from '../src/engine/encode-jobs.js';
import { WorkerPool } from '../src/engine/pool.js';
import { writeWavFile } from '../src/audio/wav/write.js';
import { scratchDir } from './helpers/almost-right.js';
import { adtsFrame } from './helpers/adts.js';
import { HAS_FFMPEG } from './helpers/ffmpeg.js';
import { musicLike } from './helpers/music.js';
import { prng, sine } from './helpers/signals.js';

const root = scratchDir('aac-encoder');
const HAS_FAAD = spawnSync('faad', ['-h'], { stdio: 'ignore' }).error === undefined;
if (!HAS_FAAD && process.env.CI) throw new Error('CI=true but faad is missing: .ci/run installs it (apt-get install faad)');

/** Raw packets in ADTS frames, the simplest container both decoders read. */
function adts(packets: readonly Uint8Array[], sampleRate: number, channels: number): Buffer {
  return Buffer.concat(packets.map((p) => adtsFrame(p, sampleRate, channels)));
}

function encode(planar: readonly Float32Array[], sampleRate: number, bitrate = 256_000): Uint8Array[] {
  const stream = new AacLcStream({ sampleRate, channels: planar.length, bitrate });
  const frames = planar[0]!.length;
  const packets: Uint8Array[] = [];
  for (let at = 0; at < frames; at += 10_000) {
    const n = Math.min(10_000, frames - at);
    packets.push(...stream.push(planar.map((c) => c.subarray(at, at + n)), n));
  }
  packets.push(...stream.finish(aacPacketCount(frames)));
  return packets;
}

interface Decoded {
  planar: Float32Array[];
  complaints: string;
  /** Frames of the decode before the source's first frame. */
  delay: number;
}

/** FFmpeg's decode, planar, with whatever it complained about; it keeps the priming frame. */
function ffmpegDecode(file: string, channels: number): Decoded {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-'], { maxBuffer: 1 << 30 });
  const raw = new Float32Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength / 4);
  return { planar: deinterleave(raw, channels), complaints: run.stderr.toString(), delay: 1024 };
}

/**
 * FAAD2's decode (a second, independent decoder), planar. It drops the first frame's output itself
 * and writes mono as two equal channels; raw float samples after the 44-byte WAV header.
 */
function faadDecode(file: string): Decoded {
  const wav = `${file}.faad.raw`;
  const run = spawnSync('faad', ['-q', '-b', '4', '-f', '2', '-o', wav, file]);
  const raw = readFileSync(wav);
  const samples = new Float32Array(raw.buffer, raw.byteOffset, Math.floor(raw.byteLength / 4));
  return { planar: deinterleave(samples, 2), complaints: run.stderr.toString().trim(), delay: 0 };
}

function deinterleave(data: Float32Array, channels: number): Float32Array[] {
  const frames = data.length / channels;
  return Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, i) => data[i * channels + c]!));
}

/** Error energy of the decode (its delay removed, shifted by `lag`) against the source, dB relative to the source. */
function errorDb(decoded: Decoded, source: readonly Float32Array[], lag = 0, from = 0, to = source[0]!.length): number {
  let error = 0;
  let power = 0;
  for (let c = 0; c < source.length; c++) {
    for (let i = from; i < to; i++) {
      const x = source[c]![i]!;
      const y = decoded.planar[c]![i + decoded.delay + lag] ?? 0;
      error += (x - y) ** 2;
      power += x * x;
    }
  }
  return 10 * Math.log10(error / power);
}

/** Energy of the decode's error against the source (or of the source, without a decode) over [from, to). */
function energy(decoded: Decoded | null, source: readonly Float32Array[], from: number, to: number): number {
  let sum = 0;
  for (let c = 0; c < source.length; c++) {
    for (let i = from; i < to; i++) sum += (source[c]![i]! - (decoded ? decoded.planar[c]![i + decoded.delay]! : 0)) ** 2;
  }
  return sum;
}

function roundTrip(name: string, planar: Float32Array[], sampleRate: number, bitrate = 256_000) {
  const packets = encode(planar, sampleRate, bitrate);
  const file = join(root, `${name}.aac`);
  writeFileSync(file, adts(packets, sampleRate, planar.length));
  const bits = packets.reduce((a, p) => a + p.length * 8, 0);
  return { file, packets, kbps: bits / (planar[0]!.length / sampleRate) / 1000 };
}

describe('MDCT', () => {
  it('equals the transform AAC decoders invert, for long and short blocks', () => {
    const rnd = prng(3);
    for (const size of [256, 2048]) {
      const x = Float64Array.from({ length: size }, () => rnd() * 2 - 1);
      const fast = new Float64Array(size / 2);
      new Mdct(size).forward(x, fast);
      let worst = 0;
      for (let k = 0; k < size / 2; k++) {
        let direct = 0;
        for (let n = 0; n < size; n++) direct += x[n]! * Math.cos(((2 * Math.PI) / size) * (n + size / 4 + 0.5) * (k + 0.5));
        worst = Math.max(worst, Math.abs(2 * direct - fast[k]!));
      }
      expect(worst).toBeLessThan(1e-9);
    }
  });
});

describe('block switching', () => {
  it('puts start, short and stop windows around an attack, and short blocks between two attacks one block apart', () => {
    expect([windowSequence(false, false, false), windowSequence(false, false, true), windowSequence(false, true, false), windowSequence(true, false, false)]).toEqual([ONLY_LONG, LONG_START, EIGHT_SHORT, LONG_STOP]);
    expect(windowSequence(true, false, true)).toBe(EIGHT_SHORT);
  });

  it('finds a click after quiet noise, not steady noise or a slow swell', () => {
    const rnd = prng(9);
    const noise = Float32Array.from({ length: 8192 }, () => 0.01 * (rnd() * 2 - 1));
    expect(hasAttack([noise], 2048)).toBe(false);
    const swell = noise.map((v, i) => v * (1 + i / 2048));
    expect(hasAttack([swell], 2048)).toBe(false);
    const click = noise.slice();
    click[2048 + 900] = 0.8;
    expect(hasAttack([click], 2048)).toBe(true);
    // The same click outside the short windows' span belongs to the neighbouring block.
    expect(hasAttack([click], 2048 + 1024)).toBe(false);
  });
});

describe('stemkit AAC-LC: what it refuses', () => {
  it('names the limit: more than AAC-LC carries, a rate AAC does not have, more than 2 channels', () => {
    expect(() => new AacLcStream({ sampleRate: 44100, channels: 2, bitrate: 600_000 })).toThrow(expect.objectContaining({ code: 'E_USAGE', hint: 'give at most 529 kb/s' }));
    expect(() => new AacLcStream({ sampleRate: 44000, channels: 2, bitrate: 128_000 })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
    expect(() => new AacLcStream({ sampleRate: 48000, channels: 6, bitrate: 384_000 })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });
});

describe.skipIf(!HAS_FFMPEG)('stemkit AAC-LC: decoded by FFmpeg and FAAD2', () => {
  const pool = new WorkerPool(2);
  afterAll(() => pool.close());

  // FAAD2 assumes implicit SBR below 32 kHz and decodes at twice the rate: it judges 32 kHz and up.
  const check = (file: string, source: Float32Array[], sampleRate = 44100): Decoded[] => {
    const decoders = [ffmpegDecode(file, source.length), ...(HAS_FAAD && sampleRate >= 32000 ? [faadDecode(file)] : [])];
    for (const { planar, complaints, delay } of decoders) {
      expect(complaints).toBe('');
      expect(planar[0]!.length + 1024 - delay).toBe(aacPacketCount(source[0]!.length) * 1024);
    }
    return decoders;
  };

  it('music-like stereo at 256 kb/s: lines up at lag 0, within the codec error, near the bitrate asked', () => {
    const source = musicLike(44100, 20, 5, 12);
    const { file, kbps } = roundTrip('music', source, 44100);
    for (const decoded of check(file, source)) {
      const at0 = errorDb(decoded, source, 0);
      expect(at0).toBeLessThan(-25);
      for (const lag of [-1, 1, -1024, 1024]) expect(errorDb(decoded, source, lag)).toBeGreaterThan(at0 + 6);
    }
    expect(kbps).toBeGreaterThan(150);
    expect(kbps).toBeLessThan(270);
  });

  it('a sine keeps its level and a high SNR; digital silence decodes to exact zeros', () => {
    const tone = sine(44100 * 3, 44100, 997, 0.5);
    const silence = new Float32Array(44100);
    const { file } = roundTrip('sine', [tone, tone.map((v) => -v)], 44100);
    for (const decoded of check(file, [tone, tone.map((v) => -v)])) expect(errorDb(decoded, [tone, tone.map((v) => -v)])).toBeLessThan(-40);
    const quiet = roundTrip('silence', [silence, silence], 44100);
    for (const decoded of check(quiet.file, [silence, silence])) expect(decoded.planar.every((c) => c.every((v) => v === 0))).toBe(true);
  });

  it('hostile levels: full-scale noise and a full-scale square wave code without overflow', () => {
    const rnd = prng(17);
    const noise = Float32Array.from({ length: 44100 * 2 }, () => rnd() * 2 - 1);
    const square = Float32Array.from({ length: 44100 * 2 }, (_, i) => (Math.floor(i / 50) % 2 ? 1 : -1));
    const { file } = roundTrip('loud', [noise, square], 44100);
    for (const decoded of check(file, [noise, square])) expect(errorDb(decoded, [noise, square])).toBeLessThan(-12);
  });

  it('hostile samples: NaN and ±Infinity code as silence, float over-range (±4.0) keeps its level', () => {
    const tone = sine(44100 * 2, 44100, 440, 0.5);
    const broken = tone.slice();
    for (let i = 20_000; i < 20_100; i++) broken[i] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 3]!;
    const loud = tone.map((v) => 8 * v);
    const { file } = roundTrip('hostile-samples', [broken, loud], 44100);
    for (const decoded of check(file, [tone, loud])) {
      for (const c of decoded.planar) expect(c.every(Number.isFinite)).toBe(true);
      // Away from the broken stretch both channels are the tone, the second peaking at 4.0 (+12 dBFS).
      expect(errorDb(decoded, [tone, loud], 0, 30_000, 80_000)).toBeLessThan(-30);
      // Only the broken samples are lost: the tone around them, in the same blocks, is still coded.
      const kept = tone.slice();
      kept.fill(0, 20_000, 20_100);
      expect(errorDb(decoded, [kept, loud], 0, 18_500, 21_600)).toBeLessThan(-10);
    }
  });

  it('mono, and every rate from 8 to 96 kHz (their own band tables)', () => {
    for (const [rate, bitrate] of [[48000, 128_000], [96000, 256_000], [32000, 96_000], [22050, 64_000], [8000, 24_000]] as const) {
      const [left] = musicLike(rate, 4, 8, 4);
      const { file } = roundTrip(`mono${rate}`, [left!], rate, bitrate);
      for (const decoded of check(file, [left!], rate)) expect(errorDb(decoded, [left!]), `${rate} Hz`).toBeLessThan(rate >= 32000 ? -20 : -10);
    }
  });

  it('clicks get short blocks, and the noise before each click stays far below it', () => {
    const sampleRate = 44100;
    const frames = sampleRate * 4;
    const rnd = prng(23);
    const clicks = Float32Array.from({ length: frames }, () => 0.001 * (rnd() * 2 - 1));
    const at = [30_000, 70_123, 111_111, 150_500];
    for (const a of at) for (let j = 0; j < 2000; j++) clicks[a + j] += 0.7 * Math.exp(-j / 300) * (rnd() * 2 - 1);
    const { file, packets } = roundTrip('clicks', [clicks], sampleRate, 128_000);
    // window_sequence: after the SCE's id (3 bits), tag (4), global gain (8) and the reserved bit.
    const sequences = packets.map((p) => ((p[1]! << 8) | p[2]!) >> 5 & 3);
    expect(sequences.filter((s) => s === EIGHT_SHORT).length).toBeGreaterThanOrEqual(at.length);
    for (const decoded of check(file, [clicks])) {
      for (const a of at) {
        // The 5 ms before the attack, against the click's first 5 ms: pre-echo would put the click's
        // coding noise there (a long block would spread it over 46 ms before the attack).
        const span = 220;
        const preEcho = energy(decoded, [clicks], a - span, a);
        const click = energy(null, [clicks], a, a + span);
        expect(10 * Math.log10(preEcho / click), `before the click at ${a}`).toBeLessThan(-35);
      }
    }
  });

  it('segments encoded in parallel on the pool join without a seam', async () => {
    const sampleRate = 44100;
    const source = musicLike(sampleRate, 60, 31, 20);
    const wav = join(root, 'segments.wav');
    await writeWavFile(wav, { sampleRate, channels: 2, format: 'float32' }, (sink) => sink.write(source));
    const segments = aacSegments(pool, { path: wav, sampleRate, channels: 2, frames: source[0]!.length }, 256_000);
    const packets: Uint8Array[] = [];
    for (let taken = 44; taken < aacPacketCount(source[0]!.length) + 44; taken += 44) {
      await segments.advance(taken);
      packets.push(...segments.take());
    }
    expect(packets.length).toBe(aacPacketCount(source[0]!.length));
    const file = join(root, 'segments.aac');
    writeFileSync(file, adts(packets, sampleRate, 2));
    for (const decoded of check(file, source)) {
      const overall = errorDb(decoded, source);
      expect(overall).toBeLessThan(-25);
      // Around each join (segments of 1024 packets): no worse than the whole.
      for (const join of [1024, 2048]) {
        const frame = (join - 1) * 1024;
        expect(errorDb(decoded, source, 0, frame - 4096, frame + 4096), `join at packet ${join}`).toBeLessThan(overall + 6);
      }
    }
  });
});
