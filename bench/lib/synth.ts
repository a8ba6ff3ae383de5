import { createWavWriter, type AudioSink } from '../../src/audio/wav/write.js';

/**
 * What the benchmark fixtures (package-fixture.ts, render-fixture.ts) synthesise with: the song
 * (120 BPM, A minor, a 64-second form), oscillators without Math.sin per sample, envelopes,
 * xorshift noise, the final fade, and streaming 24-bit WAV writing. All deterministic.
 */

export const BPM = 120;
/** Sixteenth notes per bar. */
export const STEPS = 16;
/** Bars in one pass of the song form. */
export const CYCLE = 32;
/** Every track fades out over the last seconds (a cubic, reaching 0): the song ends, tails decay. */
export const FADE_SECONDS = 4;

/** Frames of one sixteenth note at `sr`. */
export const stepFrames = (sr: number) => Math.round((sr * 60) / BPM / 4);

// ---------------------------------------------------------------------------------------------
// Oscillators, envelopes, noise

/** xorshift32 noise, uniform in [-1, 1). The state stays a signed int32 (a small integer to V8: fast). */
export class Noise {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x1e3779b9;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s | 0;
    return this.s * 4.656612873077393e-10; // 2^-31
  }
  /** Uniform in [0, 1). */
  unit(): number {
    return (this.next() + 1) * 0.5;
  }
}

/** sin(2π·p) for p in cycles (any real), polynomial approximation (error < 0.1 %). */
export function fsin(p: number): number {
  let x = p - Math.floor(p + 0.5); // [-0.5, 0.5)
  x *= 2; // [-1, 1): sin(πx)
  const y = 4 * x * (1 - Math.abs(x));
  return y + 0.225 * (y * Math.abs(y) - y);
}

/** Band-limited (PolyBLEP) sawtooth, phase in [0, 1), dt = frequency / sampleRate. */
export function saw(phase: number, dt: number): number {
  let v = 2 * phase - 1;
  if (phase < dt) {
    const t = phase / dt;
    v -= t + t - t * t - 1;
  } else if (phase > 1 - dt) {
    const t = (phase - 1) / dt;
    v -= t * t + t + t + 1;
  }
  return v;
}

export const mtof = (midi: number) => 440 * 2 ** ((midi - 69) / 12);
/** Per-sample multiplier that decays by 1/e in `seconds`. */
export const decayK = (seconds: number, sr: number) => Math.exp(-1 / (seconds * sr));
/** One-pole smoothing coefficient reaching 63 % in `seconds`. */
export const smoothK = (seconds: number, sr: number) => 1 - Math.exp(-1 / (seconds * sr));

/** Gain of the final fade at frame `at` of `frames` (a cubic from 1 to 0 over the last `fadeFrames`). */
export function fadeGain(at: number, frames: number, fadeFrames: number): number {
  const x = (frames - at) / fadeFrames; // 1 → 0
  return x * x * x;
}

/** Length of the final fade in frames: FADE_SECONDS, or the whole length when shorter. */
export const fadeFramesFor = (frames: number, sr: number) => Math.min(frames, Math.round(FADE_SECONDS * sr));

// ---------------------------------------------------------------------------------------------
// The song: form and chords

export type Section = 'intro' | 'verse' | 'chorus' | 'break';
export function sectionOf(bar: number): Section {
  const b = ((bar % CYCLE) + CYCLE) % CYCLE;
  if (b < 4) return 'intro';
  if (b < 12) return 'verse';
  if (b < 20) return 'chorus';
  if (b < 24) return 'break';
  return 'chorus';
}
export const lastBarOf = (bar: number) => sectionOf(bar) !== sectionOf(bar + 1);
export const firstBarOf = (bar: number) => bar === 0 || sectionOf(bar) !== sectionOf(bar - 1);

/** Am F C G, one bar each: root (bass octave), triad (middle octave) and a four-note arpeggio. */
export const CHORDS = [
  { root: 33, tones: [57, 60, 64], arpeggio: [57, 60, 64, 69] },
  { root: 29, tones: [57, 60, 65], arpeggio: [53, 57, 60, 65] },
  { root: 36, tones: [55, 60, 64], arpeggio: [55, 60, 64, 67] },
  { root: 31, tones: [55, 59, 62], arpeggio: [55, 59, 62, 67] },
] as const;
export const chordOf = (bar: number) => CHORDS[((bar % 4) + 4) % 4]!;

// ---------------------------------------------------------------------------------------------
// Streaming 24-bit WAV writing

export interface WavStreamOptions {
  sampleRate: number;
  /** Frames per file. */
  frames: number;
  /** Frames per block (a bar). */
  blockFrames: number;
  onProgress?: (doneFrames: number, totalFrames: number) => void;
}

/**
 * Writes `frames` frames of 24-bit PCM to every file, a block at a time: fill(block, done, n)
 * returns, per file, the planar Float32 block (n frames from frame `done`). The arrays may be
 * reused from block to block: write() encodes before it returns, and waiting for the previous
 * block's writes bounds the queue to one block per file (constant memory at any length). On any
 * error (or a clipped sample) no file is left under its final name.
 */
export async function writeWavStreams(
  files: Array<{ path: string; channels: number }>,
  options: WavStreamOptions,
  fill: (block: number, done: number, n: number) => Float32Array[][],
): Promise<void> {
  const { sampleRate, frames, blockFrames } = options;
  const sinks: AudioSink[] = [];
  try {
    for (const file of files) sinks.push(await createWavWriter(file.path, { sampleRate, channels: file.channels, format: 'pcm24' }));
    let pending: Promise<unknown> = Promise.resolve();
    for (let block = 0, done = 0; done < frames; block++) {
      const n = Math.min(blockFrames, frames - done);
      const out = fill(block, done, n);
      await pending;
      pending = Promise.all(sinks.map((sink, k) => sink.write(out[k]!, n)));
      done += n;
      options.onProgress?.(done, frames);
    }
    await pending;
    for (const sink of sinks) {
      const report = await sink.commit();
      if (report.clippedSamples > 0) throw new Error(`${report.path}: ${report.clippedSamples} samples clipped: synthesis levels are off`);
    }
  } catch (err) {
    for (const sink of sinks) await sink.abort().catch(() => undefined);
    throw err;
  }
}
