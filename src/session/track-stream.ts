import { clock } from '../format.js';
import { openAudio } from '../audio/open.js';
import { StemkitError } from '../errors.js';
import type { AudioSource } from '../audio/types.js';
import { Resampler } from '../dsp/resampler.js';
import { allocateSamples, releaseSamples } from '../dsp/simd.js';

/** Frames read from a track file at a time: large reads are an order of magnitude cheaper than block-sized ones. */
const CHUNK = 1 << 14;

/**
 * One track on the session timeline: its file read in large chunks (resampled to the session rate
 * when it differs), placed at its offset, silence before and after. `prepare` does the I/O (so the
 * renderer can run every track's reads at once), `fill` copies a block synchronously. Forward only.
 */
export class TrackStream {
  private source: AudioSource | null = null;
  private resampler: Resampler | null = null;
  /** Decoded (and resampled) frames on the timeline: buffer[ch][0 … length) holds timeline frames start … start + length. */
  private buffer: Float32Array[];
  private bufferStart: number;
  private bufferLength = 0;
  private inputPosition = 0;
  private flushed = 0;
  private readonly outputFrames: number;
  /** Replace NaN/±Infinity samples with 0 (counted) instead of stopping the render. */
  private replaceNonFinite = false;
  private sourceRate = 0;
  /** Non-finite samples replaced so far. */
  replaced = 0;

  private constructor(
    private readonly path: string,
    private readonly offset: number,
    private readonly inputFrames: number,
    readonly channels: number,
    ratio: number,
  ) {
    this.outputFrames = Math.round(inputFrames * ratio);
    this.bufferStart = offset;
    // In the SIMD kernels' memory, so the mixer reads views of it in place (released by close).
    this.buffer = Array.from({ length: channels }, () => allocateSamples(CHUNK * 2));
  }

  /** The first frame of the track on the timeline. */
  get start(): number {
    return this.offset;
  }

  /** The frame after the track's last sample on the timeline. */
  get end(): number {
    return this.offset + this.outputFrames;
  }

  static async open(path: string, offsetFrames: number, sampleRate: number, options: { replaceNonFinite?: boolean } = {}): Promise<TrackStream> {
    const source = await openAudio(path);
    const ratio = sampleRate / source.format.sampleRate;
    const stream = new TrackStream(path, offsetFrames, source.format.frames, source.format.channels, ratio);
    stream.source = source;
    stream.replaceNonFinite = Boolean(options.replaceNonFinite);
    stream.sourceRate = source.format.sampleRate;
    if (ratio !== 1) stream.resampler = await Resampler.create(source.format.channels, source.format.sampleRate, sampleRate);
    return stream;
  }

  /** Whether `fill` for [start, start + frames) needs I/O first. */
  needs(start: number, frames: number): boolean {
    const to = Math.min(start + frames, this.end);
    return to > Math.max(start, this.offset) && this.bufferStart + this.bufferLength < to;
  }

  /** Reads ahead so that [start, start + frames) is buffered. */
  async prepare(start: number, frames: number): Promise<void> {
    const from = Math.max(start, this.offset);
    const to = Math.min(start + frames, this.end);
    if (from >= to || !this.source) return;
    this.discardBefore(from);
    while (this.bufferStart + this.bufferLength < to) await this.readMore();
  }

  /** Copies the track at timeline [start, start + frames) into out (zeros where it is silent). Call prepare first. */
  fill(start: number, frames: number, out: Float32Array[]): void {
    const from = Math.max(start, this.offset);
    const to = Math.min(start + frames, this.end);
    if (from >= to) {
      for (const x of out) x.fill(0, 0, frames);
      return;
    }
    const at = from - this.bufferStart;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = out[ch]!;
      if (from > start) x.fill(0, 0, from - start);
      x.set(this.buffer[ch]!.subarray(at, at + (to - from)), from - start);
      if (to < start + frames) x.fill(0, to - start, frames);
    }
  }

  /**
   * The track at timeline [start, start + frames) as views into the read buffer, when the block
   * lies wholly inside the track (call prepare first; valid until the next prepare), else null.
   */
  view(start: number, frames: number): Float32Array[] | null {
    if (start < this.offset || start + frames > this.end) return null;
    const at = start - this.bufferStart;
    return this.buffer.map((x) => x.subarray(at, at + frames));
  }

  /**
   * One NaN or ±Infinity sent through a reverb, delay or compressor poisons its state and silences
   * the rest of the stem: they are found here, where the track is read, before any processor.
   */
  private screen(planar: Float32Array[], firstFrame: number): void {
    for (let ch = 0; ch < planar.length; ch++) {
      const x = planar[ch]!;
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (v - v === 0) continue; // finite (NaN − NaN and ∞ − ∞ are NaN)
        if (!this.replaceNonFinite) {
          const frame = firstFrame + i;
          const at = frame / this.sourceRate;
          throw new StemkitError('E_NON_FINITE', `${this.path}: ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity'} sample in channel ${ch + 1} at ${clock(at)} (frame ${frame})`, {
            file: this.path,
            hint: 'fix the track (a plug-in wrote invalid samples) and export it again, or render with --replace-non-finite to replace such samples with silence',
          });
        }
        x[i] = 0;
        this.replaced++;
      }
    }
  }

  private discardBefore(frame: number): void {
    const drop = Math.min(this.bufferLength, frame - this.bufferStart);
    if (drop <= 0) return;
    for (const x of this.buffer) x.copyWithin(0, drop, this.bufferLength);
    this.bufferLength -= drop;
    this.bufferStart += drop;
  }

  private ensureCapacity(frames: number): void {
    if (this.buffer[0]!.length >= this.bufferLength + frames) return;
    this.buffer = this.buffer.map((x) => {
      const next = allocateSamples(Math.max(x.length * 2, this.bufferLength + frames));
      next.set(x.subarray(0, this.bufferLength));
      releaseSamples(x);
      return next;
    });
  }

  private async readMore(): Promise<void> {
    if (!this.resampler) {
      const count = Math.min(CHUNK, this.inputFrames - this.inputPosition);
      this.ensureCapacity(count);
      const into = this.buffer.map((x) => x.subarray(this.bufferLength, this.bufferLength + count));
      const got = await this.source!.read(this.inputPosition, count, into);
      this.screen(got, this.inputPosition);
      this.inputPosition += got[0]!.length;
      this.bufferLength += got[0]!.length;
      if (got[0]!.length === 0) throw new Error(`${this.path} ended early`);
      return;
    }
    let input: Float32Array[];
    if (this.inputPosition < this.inputFrames) {
      input = await this.source!.read(this.inputPosition, Math.min(CHUNK, this.inputFrames - this.inputPosition));
      this.screen(input, this.inputPosition);
      this.inputPosition += input[0]!.length;
    } else {
      // libsamplerate holds back its filter's length: flush it with silence.
      if (this.flushed++ > 16) throw new Error(`resampler did not deliver the end of ${this.path}`);
      input = Array.from({ length: this.channels }, () => new Float32Array(8192));
    }
    const produced = this.resampler.process(input, input[0]!.length);
    const n = produced[0]!.length;
    this.ensureCapacity(n);
    produced.forEach((x, ch) => this.buffer[ch]!.set(x, this.bufferLength));
    this.bufferLength += n;
  }

  async close(): Promise<void> {
    for (const x of this.buffer) releaseSamples(x);
    this.buffer = [];
    this.resampler?.destroy();
    await this.source?.close();
  }
}
