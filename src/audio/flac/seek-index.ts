import { lastAtOrBelow } from '../sorted.js';

/** A known frame boundary: a frame starts at `byte` with sample `sample`. */
export interface Point {
  byte: number;
  sample: number;
}

/** Index entries kept; when full, every other one is dropped and the spacing doubles. */
const MAX_INDEX = 4096;

/**
 * The frame boundaries a FLAC reader has verified, sparse and sorted by sample: where a seek
 * starts walking or bisecting. Bounded (MAX_INDEX entries, thinned as it fills), so memory is
 * constant for any file length.
 */
export class SeekIndex {
  private readonly samples: number[] = [];
  private readonly bytes: number[] = [];

  /** `spacing`: entries closer than this many samples to a kept one are not recorded. */
  constructor(private spacing: number) {}

  /** Boundaries held (at most MAX_INDEX). */
  get size(): number {
    return this.samples.length;
  }

  /** The last boundary at or before `pos` (the index always holds the first frame). */
  before(pos: number): Point {
    const at = lastAtOrBelow(this.samples, pos);
    return { byte: this.bytes[at]!, sample: this.samples[at]! };
  }

  /** The first boundary after `pos`, or null. */
  after(pos: number): Point | null {
    const s = this.samples;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo < s.length ? { byte: this.bytes[lo]!, sample: s[lo]! } : null;
  }

  /** Records a boundary unless one is already near it. */
  remember(p: Point): void {
    const s = this.samples;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < p.sample) lo = mid + 1;
      else hi = mid;
    }
    const near = (i: number) => i >= 0 && i < s.length && Math.abs(s[i]! - p.sample) < this.spacing;
    if (s.length > 0 && (near(lo) || near(lo - 1))) return;
    s.splice(lo, 0, p.sample);
    this.bytes.splice(lo, 0, p.byte);
    if (s.length > MAX_INDEX) {
      let k = 0;
      for (let i = 0; i < s.length; i += 2, k++) {
        s[k] = s[i]!;
        this.bytes[k] = this.bytes[i]!;
      }
      s.length = k;
      this.bytes.length = k;
      this.spacing *= 2;
    }
  }
}
