/**
 * Per-channel sample peak, DC (mean) and RMS as a mergeable accumulator: segments of a file can be
 * measured on different workers and merged into exactly the whole-file answer.
 */
export interface SampleStatsResult {
  /** Frames measured. */
  frames: number;
  /** Per channel: max |sample| (linear). */
  peak: number[];
  /** Per channel: Σ x. */
  sum: number[];
  /** Per channel: Σ x². */
  sumSquares: number[];
}

/** Accumulates sample peak, sum and sum of squares per channel over the blocks pushed to it. */
export class SampleStats {
  private frames = 0;
  private readonly peak: number[];
  private readonly sum: number[];
  private readonly sumSquares: number[];

  constructor(
    /** Channels of every block pushed. */
    readonly channels: number,
  ) {
    this.peak = new Array<number>(channels).fill(0);
    this.sum = new Array<number>(channels).fill(0);
    this.sumSquares = new Array<number>(channels).fill(0);
  }

  /** Adds the first `frames` frames of `planar` (default: all of the first channel's length). */
  push(planar: Float32Array[], frames = planar[0]?.length ?? 0): void {
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      let peak = this.peak[ch]!;
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < frames; i++) {
        const v = x[i]!;
        sum += v;
        squares += v * v;
        const a = v < 0 ? -v : v;
        if (a > peak) peak = a;
      }
      this.peak[ch] = peak;
      this.sum[ch] = this.sum[ch]! + sum;
      this.sumSquares[ch] = this.sumSquares[ch]! + squares;
    }
    this.frames += frames;
  }

  /** The totals so far (a copy: later pushes do not change it). */
  result(): SampleStatsResult {
    return { frames: this.frames, peak: [...this.peak], sum: [...this.sum], sumSquares: [...this.sumSquares] };
  }

  /** The results of segments of one signal (measured anywhere, in any order) combined into the whole's. */
  static merge(parts: SampleStatsResult[]): SampleStatsResult {
    const channels = parts[0]?.peak.length ?? 0;
    const merged: SampleStatsResult = {
      frames: 0,
      peak: new Array<number>(channels).fill(0),
      sum: new Array<number>(channels).fill(0),
      sumSquares: new Array<number>(channels).fill(0),
    };
    for (const part of parts) {
      merged.frames += part.frames;
      for (let ch = 0; ch < channels; ch++) {
        merged.peak[ch] = Math.max(merged.peak[ch]!, part.peak[ch]!);
        merged.sum[ch] = merged.sum[ch]! + part.sum[ch]!;
        merged.sumSquares[ch] = merged.sumSquares[ch]! + part.sumSquares[ch]!;
      }
    }
    return merged;
  }
}
