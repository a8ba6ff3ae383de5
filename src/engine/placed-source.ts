import { openAudio } from '../audio/open.js';
import type { AudioSource } from '../audio/types.js';
import type { Resampler } from '../dsp/resampler.js';

/**
 * Where a file sits on a package's timeline: its first sample lands on `startFrame` (frames at the
 * package rate; negative when the file starts before the package), and it is heard at `sampleRate`.
 * This is how `check` lines files up as a DAW would on import: by their BWF TimeReference, and a
 * stem exported at another rate resampled to the package's (as `render` does).
 */
export interface Placement {
  startFrame: number;
  sampleRate: number;
}

/** Source frames read per resampler feed. */
const FEED_FRAMES = 8192;
/**
 * Source frames fed before a seek target so the filter has settled: libsamplerate's best sinc
 * reaches about 150 source samples to each side; the rest is margin.
 */
const PRIME_FRAMES = 2048;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** True when `placement` changes nothing about reading `source` directly. */
export function isIdentity(source: AudioSource, placement: Placement | undefined): boolean {
  return !placement || (placement.startFrame === 0 && placement.sampleRate === source.format.sampleRate);
}

/** Opens `path` as it sits on the package timeline (see Placement); without a placement, the file itself. */
export async function openPlaced(path: string, placement?: Placement): Promise<AudioSource> {
  const source = await openAudio(path);
  if (isIdentity(source, placement)) return source;
  try {
    return await placeSource(source, placement!);
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** A view of `source` on the package timeline: shifted by startFrame, resampled when its rate differs. */
export async function placeSource(source: AudioSource, placement: Placement): Promise<AudioSource> {
  const resampled = source.format.sampleRate === placement.sampleRate ? null : await ResampledReader.create(source, placement.sampleRate);
  const innerFrames = resampled ? resampled.frames : source.format.frames;
  const shift = placement.startFrame;
  const frames = Math.max(0, innerFrames + shift);
  const channels = source.format.channels;
  const readInner = (start: number, count: number, into: Float32Array[]) =>
    resampled ? resampled.read(start, count, into) : source.read(start, count, into);
  return {
    path: source.path,
    format: { ...source.format, sampleRate: placement.sampleRate, frames },
    meta: source.meta,
    async read(startFrame: number, count: number, into?: Float32Array[]): Promise<Float32Array[]> {
      const n = Math.max(0, Math.min(count, frames - startFrame));
      const out = into ? into.map((x) => x.subarray(0, n)) : Array.from({ length: channels }, () => new Float32Array(n));
      // Timeline frame t holds the file's frame t − shift.
      const from = Math.max(startFrame, shift);
      const to = Math.min(startFrame + n, shift + innerFrames);
      for (const x of out) {
        x.fill(0, 0, Math.max(0, Math.min(n, from - startFrame)));
        x.fill(0, Math.max(0, to - startFrame), n);
      }
      if (to > from) await readInner(from - shift, to - from, out.map((x) => x.subarray(from - startFrame, to - startFrame)));
      return out;
    },
    async close(): Promise<void> {
      resampled?.destroy();
      await source.close();
    },
  };
}

/**
 * Random-access reads of a file resampled to another rate. Reads in order stream through one
 * libsamplerate state; a read elsewhere restarts it a little before the target, at a source frame
 * whose output position is an integer, so output frame k always stands for source time k / ratio.
 */
class ResampledReader {
  /** Output frames: exactly round(source frames · ratio), as render's resampling gives. */
  readonly frames: number;
  private resampler: Resampler | null = null;
  /** Output frames produced and not yet consumed, starting at output frame `pendingStart`. */
  private pending: Float32Array[] = [];
  private pendingStart = 0;
  private pendingLength = 0;
  /** Next source frame to feed. */
  private feedAt = 0;
  /** Silence fed after the end, to flush the filter. */
  private flushed = 0;

  private constructor(
    private readonly source: AudioSource,
    private readonly outputRate: number,
    /** Source frames per output-aligned step (the reduced ratio's denominator). */
    private readonly step: number,
    private readonly outPerStep: number,
  ) {
    this.frames = Math.round((source.format.frames * outputRate) / source.format.sampleRate);
  }

  static async create(source: AudioSource, outputRate: number): Promise<ResampledReader> {
    const g = gcd(source.format.sampleRate, outputRate);
    return new ResampledReader(source, outputRate, source.format.sampleRate / g, outputRate / g);
  }

  async read(start: number, count: number, into: Float32Array[]): Promise<void> {
    const channels = this.source.format.channels;
    if (!this.resampler || start < this.pendingStart || start > this.pendingStart + this.pendingLength + 4 * FEED_FRAMES) await this.restart(start);
    // Produce until [start, start + count) is pending, dropping what lies before `start` as it comes.
    let ended = false;
    while (!ended && this.pendingStart + this.pendingLength < start + count) {
      ended = (await this.feed()) === 0 && this.flushed > 16;
      this.consume(Math.min(start - this.pendingStart, this.pendingLength));
    }
    this.consume(start - this.pendingStart);
    const have = Math.max(0, Math.min(count, this.pendingLength));
    // What libsamplerate never delivers at the very end is silence.
    for (let ch = 0; ch < channels; ch++) {
      into[ch]!.set(this.pending[ch]?.subarray(0, have) ?? new Float32Array(0));
      into[ch]!.fill(0, have, count);
    }
  }

  private async restart(target: number): Promise<void> {
    this.resampler?.destroy();
    const s = this.source.format;
    // libsamplerate's wasm is loaded only by packages that need it (its start-up shows in every check).
    const { Resampler } = await import('../dsp/resampler.js');
    this.resampler = await Resampler.create(s.channels, s.sampleRate, this.outputRate);
    const sourceTarget = Math.floor((target * s.sampleRate) / this.outputRate);
    const steps = Math.floor(Math.max(0, sourceTarget - PRIME_FRAMES) / this.step);
    this.feedAt = steps * this.step;
    this.pendingStart = steps * this.outPerStep;
    this.pendingLength = 0;
    this.flushed = 0;
  }

  private consume(frames: number): void {
    if (frames <= 0) return;
    const drop = Math.min(frames, this.pendingLength);
    for (const x of this.pending) x.copyWithin(0, drop, this.pendingLength);
    this.pendingLength -= drop;
    this.pendingStart += drop;
  }

  private async feed(): Promise<number> {
    const s = this.source.format;
    let input: Float32Array[];
    if (this.feedAt < s.frames) {
      input = await this.source.read(this.feedAt, Math.min(FEED_FRAMES, s.frames - this.feedAt));
      this.feedAt += input[0]!.length;
    } else {
      this.flushed++;
      input = Array.from({ length: s.channels }, () => new Float32Array(FEED_FRAMES));
    }
    const produced = this.resampler!.process(input, input[0]!.length);
    // Never past the end: round(frames · ratio) output frames in all.
    const n = Math.max(0, Math.min(produced[0]!.length, this.frames - (this.pendingStart + this.pendingLength)));
    if (this.pending.length === 0 || this.pending[0]!.length < this.pendingLength + n) {
      const size = Math.max(2 * (this.pendingLength + n), 4 * FEED_FRAMES);
      this.pending = Array.from({ length: s.channels }, (_, ch) => {
        const next = new Float32Array(size);
        if (this.pending[ch]) next.set(this.pending[ch]!.subarray(0, this.pendingLength));
        return next;
      });
    }
    for (let ch = 0; ch < s.channels; ch++) this.pending[ch]!.set(produced[ch]!.subarray(0, n), this.pendingLength);
    this.pendingLength += n;
    return n;
  }

  destroy(): void {
    this.resampler?.destroy();
    this.resampler = null;
  }
}
