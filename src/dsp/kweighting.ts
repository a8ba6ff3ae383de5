/**
 * BS.1770 K-weighting: a high-shelf "pre-filter" (stage 1) followed by the RLB high-pass (stage 2).
 *
 * The standard tabulates coefficients for 48 kHz only and asks for the same response at other rates.
 * Like libebur128, the Rust `ebur128` crate and FFmpeg, we derive both biquads from the analog
 * parameters (bilinear transform with frequency pre-warping); at 48 kHz this reproduces the table to
 * about 14 digits.
 */
import type { KWeightChannel } from './simd.js';

/** A biquad with a0 normalised to 1: y = b0 x + b1 x₋₁ + b2 x₋₂ − a1 y₋₁ − a2 y₋₂. */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

export interface KWeightingCoefficients {
  /** Stage 1: the high-shelf pre-filter (+4 dB above ~1.7 kHz, head modelling). */
  shelf: BiquadCoefficients;
  /** Stage 2: the RLB high-pass (~38 Hz); its numerator is exactly [1, −2, 1]. */
  highPass: BiquadCoefficients;
}

const SHELF_F0 = 1681.974450955533;
const SHELF_GAIN_DB = 3.999843853973347;
const SHELF_Q = 0.7071752369554196;
const SHELF_VB_EXPONENT = 0.4996667741545416;
const HIGHPASS_F0 = 38.13547087602444;
const HIGHPASS_Q = 0.5003270373238773;

/** K-weighting biquads for `sampleRate` Hz (any positive rate; above ~3.3 kHz to keep the shelf below Nyquist). */
export function kWeightingCoefficients(sampleRate: number): KWeightingCoefficients {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) throw new RangeError(`sampleRate must be a positive number, got ${sampleRate}`);
  let K = Math.tan((Math.PI * SHELF_F0) / sampleRate);
  const Vh = Math.pow(10, SHELF_GAIN_DB / 20);
  const Vb = Math.pow(Vh, SHELF_VB_EXPONENT);
  let a0 = 1 + K / SHELF_Q + K * K;
  const shelf: BiquadCoefficients = {
    b0: (Vh + (Vb * K) / SHELF_Q + K * K) / a0,
    b1: (2 * (K * K - Vh)) / a0,
    b2: (Vh - (Vb * K) / SHELF_Q + K * K) / a0,
    a1: (2 * (K * K - 1)) / a0,
    a2: (1 - K / SHELF_Q + K * K) / a0,
  };
  K = Math.tan((Math.PI * HIGHPASS_F0) / sampleRate);
  a0 = 1 + K / HIGHPASS_Q + K * K;
  const highPass: BiquadCoefficients = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (K * K - 1)) / a0,
    a2: (1 - K / HIGHPASS_Q + K * K) / a0,
  };
  return { shelf, highPass };
}

/** States smaller than this are flushed to zero at `flushDenormals()` so decaying silence never runs on subnormals. */
const DENORMAL_GUARD = 1e-25;

/**
 * Stateful K-weighting for `channels` independent channels: two biquads in transposed direct form II
 * with Float64 state (4 doubles per channel). Processing is sample-by-sample identical whatever the
 * block sizes, so results never depend on how the caller chunks the stream.
 */
export class KWeightingFilter {
  readonly coefficients: KWeightingCoefficients;
  /** Per channel: shelf s1, s2, high-pass s1, s2. */
  private readonly z: Float64Array;
  /** The coefficients as the SIMD kernels take them: shelf b0, b1, b2, a1, a2, high-pass a1, a2. */
  readonly packed: Float64Array;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
  ) {
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be a positive integer, got ${channels}`);
    this.coefficients = kWeightingCoefficients(sampleRate);
    this.z = new Float64Array(4 * channels);
    const { shelf, highPass } = this.coefficients;
    this.packed = Float64Array.of(shelf.b0, shelf.b1, shelf.b2, shelf.a1, shelf.a2, highPass.a1, highPass.a2);
  }

  /** Filters input[from, to) of channel `ch` into output[from, to) (output may be input: in place). */
  process(ch: number, input: Float32Array, output: Float32Array | Float64Array, from = 0, to = input.length): void {
    const { shelf, highPass } = this.coefficients;
    const b0 = shelf.b0, b1 = shelf.b1, b2 = shelf.b2, a1 = shelf.a1, a2 = shelf.a2;
    const c1 = highPass.a1, c2 = highPass.a2;
    const z = this.z;
    const o = ch * 4;
    let s1 = z[o]!, s2 = z[o + 1]!, t1 = z[o + 2]!, t2 = z[o + 3]!;
    for (let i = from; i < to; i++) {
      const x = input[i]!;
      const y = b0 * x + s1;
      s1 = b1 * x - a1 * y + s2;
      s2 = b2 * x - a2 * y;
      const w = y + t1;
      t1 = t2 - 2 * y - c1 * w;
      t2 = y - c2 * w;
      output[i] = w;
    }
    z[o] = s1;
    z[o + 1] = s2;
    z[o + 2] = t1;
    z[o + 3] = t2;
  }

  /**
   * K-weights input[from, to) of channel `ch` and returns `acc` plus the sum of squares of the
   * filtered samples, added one by one in order (so splitting a range never changes the result).
   * This is the loudness meter's inner loop: no output buffer, one pass.
   */
  sumSquares(ch: number, input: Float32Array, from: number, to: number, acc: number): number {
    const { shelf, highPass } = this.coefficients;
    const b0 = shelf.b0, b1 = shelf.b1, b2 = shelf.b2, a1 = shelf.a1, a2 = shelf.a2;
    const c1 = highPass.a1, c2 = highPass.a2;
    const z = this.z;
    const o = ch * 4;
    let s1 = z[o]!, s2 = z[o + 1]!, t1 = z[o + 2]!, t2 = z[o + 3]!;
    let sum = acc;
    for (let i = from; i < to; i++) {
      const x = input[i]!;
      const y = b0 * x + s1;
      s1 = b1 * x - a1 * y + s2;
      s2 = b2 * x - a2 * y;
      const w = y + t1;
      t1 = t2 - 2 * y - c1 * w;
      t2 = y - c2 * w;
      sum += w * w;
    }
    z[o] = s1;
    z[o + 1] = s2;
    z[o + 2] = t1;
    z[o + 3] = t2;
    return sum;
  }

  /**
   * Channel `ch` as the SIMD kernels take it (see kWeight in simd.ts), its squared outputs adding
   * up in acc[ch]: K-weighting channels two or four at a time keeps each channel's arithmetic
   * exactly that of sumSquares (bit-identical sums), in the float64 lanes of a SIMD kernel.
   */
  channel(ch: number, acc: Float64Array): KWeightChannel {
    return { input: new Float32Array(0), z: this.z, ch, acc };
  }

  /**
   * Whether channel `ch` is at rest (zero state) and input[from, to) is digital silence: then its
   * output is exactly zero and filtering can be skipped. Costs nothing while the state is not zero.
   */
  silent(ch: number, input: Float32Array, from: number, to: number): boolean {
    const z = this.z;
    const o = ch * 4;
    if (z[o] !== 0 || z[o + 1] !== 0 || z[o + 2] !== 0 || z[o + 3] !== 0) return false;
    for (let i = from; i < to; i++) if (input[i] !== 0) return false;
    return true;
  }

  /**
   * Zeroes tiny states (|s| < 1e-25, far below any audible or measurable level) and resets channels
   * whose state went non-finite (NaN/Infinity input), so the filter recovers. Call it on a fixed grid
   * (the loudness meter uses its 100 ms hop boundaries) to keep results independent of block sizes.
   */
  flushDenormals(): void {
    const z = this.z;
    for (let ch = 0; ch < this.channels; ch++) {
      const o = ch * 4;
      let finite = true;
      for (let k = 0; k < 4; k++) {
        const v = z[o + k]!;
        if (!Number.isFinite(v)) finite = false;
        else if (v < DENORMAL_GUARD && v > -DENORMAL_GUARD) z[o + k] = 0;
      }
      if (!finite) z.fill(0, o, o + 4);
    }
  }

  reset(): void {
    this.z.fill(0);
  }
}
