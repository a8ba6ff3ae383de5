/**
 * Parametric EQ: the bands of an `eq` spec as one cascade of RBJ biquads (high/low-pass bands become
 * Butterworth cascades: 12, 24, 48 dB/oct = 1, 2, 4 sections with the Butterworth Qs, all at the
 * cutoff, so the cascade is exactly −3 dB there). Minimum phase, zero latency; tail from the
 * slowest pole's decay.
 *
 * Between sections the signal stays in a Float64 scratch (no Float32 rounding inside the cascade).
 * Work proceeds in chunks aligned to a fixed grid of absolute frame positions and state flushing
 * happens on that grid, so the output is bit-identical whatever the caller's block sizes.
 */
import { BiquadCascade, butterworthQs, rbjBiquad, type BiquadCoefficients } from './biquad.js';
import type { EqBand, EqSpec } from './schema.js';
import { checkBelowNyquist, checkPlanar, type Processor, type ProcessorContext, TAIL_FLOOR } from './types.js';

export const GRID = 1024;

export function eqSections(bands: readonly EqBand[], sampleRate: number): BiquadCoefficients[] {
  const sections: BiquadCoefficients[] = [];
  bands.forEach((band, i) => {
    checkBelowNyquist(['bands', i, 'freq'], band.freq, sampleRate);
    switch (band.type) {
      case 'highpass':
      case 'lowpass':
        for (const q of butterworthQs(band.slope / 6)) sections.push(rbjBiquad(band.type, band.freq, sampleRate, q));
        break;
      case 'lowshelf':
      case 'highshelf':
      case 'peak':
        sections.push(rbjBiquad(band.type, band.freq, sampleRate, band.q, band.gain));
        break;
      case 'notch':
      case 'bandpass':
        sections.push(rbjBiquad(band.type, band.freq, sampleRate, band.q));
        break;
    }
  });
  return sections;
}

/**
 * Frames until a biquad's impulse response falls below `floor` relative to its initial size,
 * from its pole radius r = √a2 (complex poles) or the larger real pole, with a ×4 safety factor for
 * the transient gain of a resonant section and cascades.
 */
export function biquadTail(c: BiquadCoefficients, floor: number): number {
  const disc = c.a1 * c.a1 - 4 * c.a2;
  let r: number;
  if (disc < 0) r = Math.sqrt(c.a2);
  else r = Math.max(Math.abs((-c.a1 + Math.sqrt(disc)) / 2), Math.abs((-c.a1 - Math.sqrt(disc)) / 2));
  if (!(r < 1)) return Infinity;
  if (r === 0) return 2;
  // |h[n]| ≲ K·(n+1)·r^n; K ≤ 1/(1−r) covers the resonance gain of a high-Q section.
  const k = 4 / (1 - r);
  let n = Math.ceil(Math.log(floor / k) / Math.log(r));
  n += Math.ceil(Math.log(n + 1) / -Math.log(r)); // the (n+1) factor of a double pole
  return Math.max(2, n);
}

/** A parametric EQ: its bands as one cascade of biquads on every channel. */
export class Eq implements Processor {
  /** None: the filters are minimum phase. */
  readonly latency = 0;
  /** Frames until the cascade rings out: the sum of its sections' tails. */
  readonly tail: number;
  private readonly cascade: BiquadCascade;
  private readonly scratch = new Float64Array(GRID);
  private readonly scratch2 = new Float64Array(GRID);
  private readonly channels: number;
  private phase = 0;

  constructor(spec: EqSpec, ctx: ProcessorContext) {
    const sections = eqSections(spec.bands, ctx.sampleRate);
    this.channels = ctx.channels;
    this.cascade = new BiquadCascade(sections, ctx.channels);
    // Sections in series: tails add (each one's output is the next one's input).
    let tail = 0;
    for (const s of sections) tail += biquadTail(s, TAIL_FLOOR / 16);
    this.tail = tail;
  }

  /** Filters `frames` frames of `planar` in place. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    if (this.cascade.sections === 0) return;
    const buf = this.scratch;
    let off = 0;
    while (off < frames) {
      const n = Math.min(frames - off, GRID - this.phase);
      let ch = 0;
      for (; ch + 1 < this.channels; ch += 2) this.cascade.runPair(ch, planar[ch]!, planar[ch + 1]!, off, n, buf, this.scratch2);
      if (ch < this.channels) this.cascade.run(ch, planar[ch]!, planar[ch]!, off, n, buf);
      off += n;
      this.phase += n;
      if (this.phase === GRID) {
        this.phase = 0;
        this.cascade.flush();
      }
    }
  }

  /** Clears every section's filter state. */
  reset(): void {
    this.cascade.reset();
    this.phase = 0;
  }
}
