import { openAudio } from '../audio/open.js';
import type { AudioSource } from '../audio/types.js';
import { Resampler } from '../dsp/resampler.js';

/**
 * One track on the session timeline: its file read block by block (resampled to the session rate
 * when it differs), placed at its offset, silence before and after. Reads must move forward.
 */
export class TrackStream {
  private source: AudioSource | null = null;
  private resampler: Resampler | null = null;
  /** Resampled frames waiting to be consumed, and the timeline frame of the first one. */
  private fifo: Float32Array[] = [];
  private fifoStart = 0;
  private fifoLength = 0;
  private inputPosition = 0;
  private flushed = 0;
  private readonly channels: number;
  private readonly outputFrames: number;

  private constructor(
    private readonly path: string,
    private readonly offset: number,
    private readonly inputFrames: number,
    channels: number,
    private readonly ratio: number,
  ) {
    this.channels = channels;
    this.outputFrames = Math.round(inputFrames * ratio);
    this.fifoStart = offset;
  }

  /** The frame after the track's last sample on the timeline. */
  get end(): number {
    return this.offset + this.outputFrames;
  }

  static async open(path: string, offsetFrames: number, sampleRate: number): Promise<TrackStream> {
    const source = await openAudio(path);
    const ratio = sampleRate / source.format.sampleRate;
    const stream = new TrackStream(path, offsetFrames, source.format.frames, source.format.channels, ratio);
    stream.source = source;
    if (ratio !== 1) stream.resampler = await Resampler.create(source.format.channels, source.format.sampleRate, sampleRate);
    return stream;
  }

  /** Fills out[ch][0 … frames) with the track at timeline [start, start + frames). */
  async read(start: number, frames: number, out: Float32Array[]): Promise<void> {
    for (const x of out) x.fill(0, 0, frames);
    const from = Math.max(start, this.offset);
    const to = Math.min(start + frames, this.end);
    if (from >= to || !this.source) return;
    if (!this.resampler) {
      const got = await this.source.read(from - this.offset, to - from);
      got.forEach((x, ch) => out[ch]!.set(x, from - start));
      return;
    }
    await this.fillFifo(to);
    const skip = from - this.fifoStart;
    for (let ch = 0; ch < this.channels; ch++) out[ch]!.set(this.fifo[ch]!.subarray(skip, skip + (to - from)), from - start);
    this.consume(to);
  }

  private async fillFifo(until: number): Promise<void> {
    const chunk = 8192;
    while (this.fifoStart + this.fifoLength < until) {
      let input: Float32Array[];
      if (this.inputPosition < this.inputFrames) {
        input = await this.source!.read(this.inputPosition, Math.min(chunk, this.inputFrames - this.inputPosition));
        this.inputPosition += input[0]!.length;
      } else {
        // libsamplerate holds back its filter's length: flush it with silence.
        if (this.flushed > 16) throw new Error(`resampler did not deliver the end of ${this.path}`);
        this.flushed++;
        input = Array.from({ length: this.channels }, () => new Float32Array(chunk));
      }
      const produced = this.resampler!.process(input, input[0]!.length);
      this.append(produced);
    }
  }

  private append(planar: Float32Array[]): void {
    const n = planar[0]!.length;
    if (this.fifo.length === 0 || this.fifo[0]!.length < this.fifoLength + n) {
      const capacity = Math.max(16384, (this.fifoLength + n) * 2);
      this.fifo = Array.from({ length: this.channels }, (_, ch) => {
        const next = new Float32Array(capacity);
        if (this.fifo[ch]) next.set(this.fifo[ch]!.subarray(0, this.fifoLength));
        return next;
      });
    }
    planar.forEach((x, ch) => this.fifo[ch]!.set(x, this.fifoLength));
    this.fifoLength += n;
  }

  private consume(until: number): void {
    const drop = until - this.fifoStart;
    if (drop <= 0) return;
    for (const x of this.fifo) x.copyWithin(0, drop, this.fifoLength);
    this.fifoLength -= drop;
    this.fifoStart = until;
  }

  async close(): Promise<void> {
    this.resampler?.destroy();
    await this.source?.close();
  }
}
