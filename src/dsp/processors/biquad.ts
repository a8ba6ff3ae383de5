/**
 * RBJ "Audio EQ Cookbook" biquads (bilinear transform, pre-warped at the centre/cutoff frequency),
 * Butterworth cascades for 12/24/48 dB/oct pass filters, and a multi-channel cascade that runs in
 * transposed direct form II with Float64 state. Pure math: no Node APIs.
 */
import type { BiquadCoefficients } from '../kweighting.js';
import { biquadPair } from '../simd.js';

export type { BiquadCoefficients };

export type BiquadShape = 'lowpass' | 'highpass' | 'bandpass' | 'notch' | 'peak' | 'lowshelf' | 'highshelf';

/**
 * One RBJ cookbook section. `gainDb` is used by peak and shelves; `q` is the quality factor (for
 * shelves, RBJ's shelf Q: 1/√2 gives the steepest monotonic shelf). Bandpass is the constant 0 dB
 * peak-gain variant. 1 − cos w0 and 1 + cos w0 are computed from half-angle sines/cosines so very
 * low frequencies keep full precision.
 */
export function rbjBiquad(shape: BiquadShape, freq: number, sampleRate: number, q: number, gainDb = 0): BiquadCoefficients {
  const w0 = (2 * Math.PI * freq) / sampleRate;
  const cw = Math.cos(w0);
  const sw = Math.sin(w0);
  const sh = Math.sin(w0 / 2);
  const ch = Math.cos(w0 / 2);
  const oneMinusCos = 2 * sh * sh;
  const onePlusCos = 2 * ch * ch;
  const alpha = sw / (2 * q);
  let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number;
  switch (shape) {
    case 'lowpass':
      b0 = oneMinusCos / 2; b1 = oneMinusCos; b2 = oneMinusCos / 2;
      a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
      break;
    case 'highpass':
      b0 = onePlusCos / 2; b1 = -onePlusCos; b2 = onePlusCos / 2;
      a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
      break;
    case 'bandpass':
      b0 = alpha; b1 = 0; b2 = -alpha;
      a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
      break;
    case 'notch':
      b0 = 1; b1 = -2 * cw; b2 = 1;
      a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
      break;
    case 'peak': {
      const A = 10 ** (gainDb / 40);
      b0 = 1 + alpha * A; b1 = -2 * cw; b2 = 1 - alpha * A;
      a0 = 1 + alpha / A; a1 = -2 * cw; a2 = 1 - alpha / A;
      break;
    }
    case 'lowshelf': {
      const A = 10 ** (gainDb / 40);
      const k = 2 * Math.sqrt(A) * alpha;
      // (A+1) ∓ (A−1)cos w0 written with 1 ± cos w0: A(1 − cos) + (1 + cos), A(1 + cos) + (1 − cos).
      const p = A * oneMinusCos + onePlusCos; // (A+1) − (A−1)cos w0
      const m = A * onePlusCos + oneMinusCos; // (A+1) + (A−1)cos w0
      b0 = A * (p + k); b2 = A * (p - k);
      // b1 = 2A[(A−1) − (A+1)cos w0] = 2A[A(1 − cos) − (1 + cos)]
      b1 = 2 * A * (A * oneMinusCos - onePlusCos);
      a0 = m + k; a2 = m - k;
      // a1 = −2[(A−1) + (A+1)cos w0] = −2[A(1 + cos) − (1 − cos)]
      a1 = -2 * (A * onePlusCos - oneMinusCos);
      break;
    }
    case 'highshelf': {
      const A = 10 ** (gainDb / 40);
      const k = 2 * Math.sqrt(A) * alpha;
      const m = A * onePlusCos + oneMinusCos; // (A+1) + (A−1)cos w0
      const p = A * oneMinusCos + onePlusCos; // (A+1) − (A−1)cos w0
      b0 = A * (m + k); b2 = A * (m - k);
      // b1 = −2A[(A−1) + (A+1)cos w0] = −2A[A(1 + cos) − (1 − cos)]
      b1 = -2 * A * (A * onePlusCos - oneMinusCos);
      a0 = p + k; a2 = p - k;
      // a1 = 2[(A−1) − (A+1)cos w0] = 2[A(1 − cos) − (1 + cos)]
      a1 = 2 * (A * oneMinusCos - onePlusCos);
      break;
    }
  }
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** Q of each biquad of an even-order Butterworth filter (order 2, 4, 8 → 1, 2, 4 sections). */
export function butterworthQs(order: number): number[] {
  if (!Number.isInteger(order) || order < 2 || order % 2 !== 0) throw new RangeError(`Butterworth order must be even and ≥ 2, got ${order}`);
  const qs: number[] = [];
  for (let k = 0; k < order / 2; k++) qs.push(1 / (2 * Math.sin(((2 * k + 1) * Math.PI) / (2 * order))));
  return qs;
}

/** |H(e^{jω})| of one section at `freq` Hz. */
export function biquadMagnitude(c: BiquadCoefficients, freq: number, sampleRate: number): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  const c1 = Math.cos(w), s1 = Math.sin(w), c2 = Math.cos(2 * w), s2 = Math.sin(2 * w);
  const nr = c.b0 + c.b1 * c1 + c.b2 * c2, ni = -(c.b1 * s1 + c.b2 * s2);
  const dr = 1 + c.a1 * c1 + c.a2 * c2, di = -(c.a1 * s1 + c.a2 * s2);
  return Math.sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

/** States smaller than this are flushed to zero on the grid, so decaying silence never runs on subnormals. */
const DENORMAL_GUARD = 1e-30;

/**
 * A cascade of biquads applied to each of `channels` channels, in transposed direct form II with
 * Float64 state. `run()` filters a Float64 block in place, section by section (tight loops).
 */
export class BiquadCascade {
  readonly sections: number;
  /** b0, b1, b2, a1, a2 per section. */
  private readonly coef: Float64Array;
  /** z1, z2 per section per channel (channel-major). */
  private readonly z: Float64Array;

  constructor(
    sections: BiquadCoefficients[],
    readonly channels: number,
  ) {
    this.sections = sections.length;
    this.coef = new Float64Array(5 * sections.length);
    sections.forEach((s, i) => this.coef.set([s.b0, s.b1, s.b2, s.a1, s.a2], 5 * i));
    this.z = new Float64Array(2 * sections.length * channels);
  }

  /**
   * Filters input[from, from + n) of channel `ch` into output[from, from + n) (may be the same
   * array). Between sections the signal stays in the Float64 `scratch` (length ≥ n), so cascades
   * never round to Float32 in the middle.
   */
  run(ch: number, input: Float32Array, output: Float32Array, from: number, n: number, scratch: Float64Array): void {
    for (let i = 0; i < n; i++) scratch[i] = input[from + i]!;
    const coef = this.coef;
    const z = this.z;
    for (let s = 0, c = 0, o = 2 * ch * this.sections; s < this.sections; s++, c += 5, o += 2) {
      const b0 = coef[c]!, b1 = coef[c + 1]!, b2 = coef[c + 2]!, a1 = coef[c + 3]!, a2 = coef[c + 4]!;
      let z1 = z[o]!, z2 = z[o + 1]!;
      for (let i = 0; i < n; i++) {
        const x = scratch[i]!;
        const y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        scratch[i] = y;
      }
      z[o] = z1;
      z[o + 1] = z2;
    }
    for (let i = 0; i < n; i++) output[from + i] = scratch[i]!;
  }

  /**
   * Channels `ch` and `ch + 1` in place over [from, from + n), section by section with both
   * channels in one loop: two independent recursions interleave (instruction-level parallelism),
   * with exactly the arithmetic of `run`, so the results are bit-identical.
   */
  runPair(ch: number, left: Float32Array, right: Float32Array, from: number, n: number, scratchL: Float64Array, scratchR: Float64Array): void {
    // In the SIMD kernels' memory the pair runs there, every section of a frame in one pass.
    if (biquadPair(left, right, from, n, this.coef, this.z, ch, ch + 1)) return;
    for (let i = 0; i < n; i++) {
      scratchL[i] = left[from + i]!;
      scratchR[i] = right[from + i]!;
    }
    const coef = this.coef;
    const z = this.z;
    const S = this.sections;
    for (let s = 0, c = 0, o = 2 * ch * S; s < S; s++, c += 5, o += 2) {
      const b0 = coef[c]!, b1 = coef[c + 1]!, b2 = coef[c + 2]!, a1 = coef[c + 3]!, a2 = coef[c + 4]!;
      const p = o + 2 * S;
      let l1 = z[o]!, l2 = z[o + 1]!, r1 = z[p]!, r2 = z[p + 1]!;
      for (let i = 0; i < n; i++) {
        const x = scratchL[i]!;
        const w = scratchR[i]!;
        const y = b0 * x + l1;
        const v = b0 * w + r1;
        l1 = b1 * x - a1 * y + l2;
        r1 = b1 * w - a1 * v + r2;
        l2 = b2 * x - a2 * y;
        r2 = b2 * w - a2 * v;
        scratchL[i] = y;
        scratchR[i] = v;
      }
      z[o] = l1;
      z[o + 1] = l2;
      z[p] = r1;
      z[p + 1] = r2;
    }
    for (let i = 0; i < n; i++) {
      left[from + i] = scratchL[i]!;
      right[from + i] = scratchR[i]!;
    }
  }

  /** Zeroes subnormal-bound states and resets non-finite ones (NaN input), so the filter recovers. Call on a fixed grid. */
  flush(): void {
    const z = this.z;
    for (let i = 0; i < z.length; i++) {
      const v = z[i]!;
      if (v < DENORMAL_GUARD && v > -DENORMAL_GUARD) z[i] = 0;
      else if (!Number.isFinite(v)) z[i] = 0;
    }
  }

  reset(): void {
    this.z.fill(0);
  }
}
