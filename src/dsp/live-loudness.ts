import { KWeightingFilter } from './kweighting.js';

const SUBS_PER_WINDOW = 30;

/**
 * Short-term loudness (BS.1770 / EBU Tech 3341: the K-weighted, channel-weighted mean square of
 * the last 3 s, as LUFS) for a live meter: updated every 100 ms from blocks of any size, constant
 * memory, no kernels needed (a worklet can run it without loading the SIMD module).
 */
export class ShortTermLoudness {
  private readonly filter: KWeightingFilter;
  private readonly subFrames: number;
  private readonly subs = new Float64Array(SUBS_PER_WINDOW);
  private readonly scratch: Float64Array;
  private subsFilled = 0;
  private next = 0;
  private frameInSub = 0;
  private energy = 0;

  constructor(
    sampleRate: number,
    /** BS.1770 weight per channel (1; 1.41 for surrounds; 0 for LFE). */
    private readonly weights: number[],
    maxBlock = 128,
  ) {
    this.filter = new KWeightingFilter(sampleRate, weights.length);
    this.subFrames = Math.round(sampleRate / 10);
    this.scratch = new Float64Array(maxBlock);
  }

  /** Adds `frames` frames of planar audio (at most the constructor's maxBlock). */
  push(planar: Float32Array[], frames: number): void {
    let from = 0;
    while (from < frames) {
      const n = Math.min(frames - from, this.subFrames - this.frameInSub);
      for (let c = 0; c < this.weights.length; c++) {
        const w = this.weights[c]!;
        if (w === 0) continue;
        this.filter.process(c, planar[c]!, this.scratch, from, from + n);
        let e = 0;
        for (let i = from; i < from + n; i++) e += this.scratch[i]! * this.scratch[i]!;
        this.energy += w * e;
      }
      from += n;
      this.frameInSub += n;
      if (this.frameInSub === this.subFrames) {
        this.subs[this.next] = this.energy / this.subFrames;
        this.next = (this.next + 1) % SUBS_PER_WINDOW;
        this.subsFilled = Math.min(SUBS_PER_WINDOW, this.subsFilled + 1);
        this.energy = 0;
        this.frameInSub = 0;
      }
    }
  }

  /** LUFS over the last 3 s (over what there is, in the first 3 s); −Infinity for silence. */
  lufs(): number {
    if (this.subsFilled === 0) return -Infinity;
    let e = 0;
    for (let k = 0; k < this.subsFilled; k++) e += this.subs[k]!;
    e /= this.subsFilled;
    return e > 0 ? -0.691 + 10 * Math.log10(e) : -Infinity;
  }

  /** Forgets the window (after a seek). */
  reset(): void {
    this.subs.fill(0);
    this.subsFilled = 0;
    this.energy = 0;
    this.frameInSub = 0;
  }
}
