/**
 * Cross-check against an independent implementation: FFmpeg's `ebur128` filter (integrated loudness,
 * loudness range, true peak). Skipped when `ffmpeg` is not on PATH, because the comparison needs the
 * real binary (CI installs it; locally: apt-get install -y ffmpeg).
 *
 * FFmpeg's true peak comes from a ×4 libswresample upsampler; ours from a Kaiser-windowed sinc
 * (see true-peak.ts), so the two differ slightly by design. Material is 48 kHz because FFmpeg
 * resamples anything else to 48 kHz before measuring.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoudnessMeter } from '../src/dsp/loudness.js';
import { prng } from '../src/dsp/random.js';
import { TruePeakMeter, truePeakDb } from '../src/dsp/true-peak.js';
import { musicLike, pinkNoise, sineSections } from './helpers/music.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const FS = 48000;

/** A minimal 32-bit IEEE-float WAV (WAVE_FORMAT_IEEE_FLOAT, 16-byte fmt chunk): enough for FFmpeg. */
function floatWav(planar: Float32Array[], sampleRate: number): Buffer {
  const channels = planar.length;
  const frames = planar[0]!.length;
  const dataBytes = frames * channels * 4;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(3, 20); // WAVE_FORMAT_IEEE_FLOAT
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * channels * 4, 28);
  buf.writeUInt16LE(channels * 4, 32);
  buf.writeUInt16LE(32, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  let o = 44;
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < channels; ch++) {
      buf.writeFloatLE(planar[ch]![i]!, o);
      o += 4;
    }
  }
  return buf;
}

interface FfmpegSummary {
  integrated: number;
  lra: number;
  truePeak: number;
}

/**
 * Runs FFmpeg's ebur128 with metadata output, which carries more digits than its printed summary:
 * I and LRA to 0.001 LU, true peaks as linear values to 0.001 (±0.007 dB near −3 dBTP).
 */
function ffmpegEbur128(path: string): FfmpegSummary {
  const r = spawnSync(
    'ffmpeg',
    ['-nostats', '-hide_banner', '-i', path, '-af', 'ebur128=peak=true:metadata=1:framelog=verbose,ametadata=mode=print', '-f', 'null', '-'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  const values = (key: string): number[] => [...r.stderr.matchAll(new RegExp(`lavfi\\.r128\\.${key}=(-?[\\d.]+|-?inf)`, 'g'))].map((m) => Number(m[1]));
  const last = (key: string): number => {
    const v = values(key);
    if (v.length === 0) throw new Error(`no lavfi.r128.${key} in ffmpeg output:\n${r.stderr.slice(-2000)}`);
    return v[v.length - 1]!;
  };
  return {
    integrated: last('I'),
    lra: last('LRA'),
    truePeak: 20 * Math.log10(Math.max(...values('true_peak'))),
  };
}

function ours(planar: Float32Array[]): FfmpegSummary {
  const loudness = new LoudnessMeter({ sampleRate: FS, channelWeights: planar.map(() => 1) });
  const tp = new TruePeakMeter({ sampleRate: FS, channels: planar.length });
  for (let i = 0; i < planar[0]!.length; i += 4096) {
    const n = Math.min(4096, planar[0]!.length - i);
    const block = planar.map((c) => c.subarray(i, i + n));
    loudness.push(block, n);
    tp.push(block, n);
  }
  const s = LoudnessMeter.summarize(loudness.state());
  return { integrated: s.integratedLufs!, lra: s.loudnessRangeLu!, truePeak: truePeakDb(Math.max(...tp.state().truePeak))! };
}

/** Pink-ish noise whose level steps every few seconds. */
function pinkSteps(seconds: number, seed: number): Float32Array[] {
  const rnd = prng(seed);
  const n = seconds * FS;
  return [0, 1].map(() => {
    const x = new Float32Array(n);
    const pinkish = pinkNoise(rnd);
    let gain = 0.1;
    for (let i = 0; i < n; i++) {
      if (i % (4 * FS) === 0) gain = 10 ** ((-32 + 24 * rnd()) / 20);
      x[i] = gain * pinkish() * 0.25;
    }
    return x;
  });
}

// Skipped without ffmpeg: the point is a comparison with the real binary, which cannot be faked.
describe.skipIf(!hasFfmpeg)('agreement with FFmpeg ebur128 (needs ffmpeg on PATH)', () => {
  const dir = hasFfmpeg ? mkdtempSync(join(tmpdir(), 'stemkit-ebur128-')) : '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const materials: [string, () => Float32Array[]][] = [
    ['pink-ish noise with level steps', () => pinkSteps(40, 5)],
    ['music-like material', () => musicLike(FS, 45, 6, 12)],
    ['EBU Tech 3342 case 4 (sine levels −50, −35, −20, −35, −50)', () => {
      const x = sineSections(FS, [-50, -35, -20, -35, -50].map((db): [number, number] => [20, db]));
      return [x, x];
    }],
  ];

  for (const [name, make] of materials) {
    it(`${name}: I, LRA and true peak agree within 0.1`, () => {
      const planar = make();
      const path = join(dir, `${name.replace(/\W+/g, '-')}.wav`);
      writeFileSync(path, floatWav(planar, FS));
      const theirs = ffmpegEbur128(path);
      const mine = ours(planar);
      // Visible in the test log for the record.
      console.log(
        `${name}: stemkit I ${mine.integrated.toFixed(3)} LRA ${mine.lra.toFixed(3)} TP ${mine.truePeak.toFixed(3)}` +
          ` | ffmpeg I ${theirs.integrated.toFixed(3)} LRA ${theirs.lra.toFixed(3)} TP ${theirs.truePeak.toFixed(3)}`,
      );
      expect(Math.abs(mine.integrated - theirs.integrated)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(mine.lra - theirs.lra)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(mine.truePeak - theirs.truePeak)).toBeLessThanOrEqual(0.1);
    });
  }
});
