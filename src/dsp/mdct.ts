import FFT from 'fft.js';

/**
 * The forward MDCT of a windowed block of `size` samples into size/2 coefficients,
 *   X[k] = 2 · Σ x[n] · cos(2π/size · (n + n0) · (k + ½)),  n0 = size/4 + ½,
 * the transform whose inverse (with the 2/size factor) AAC decoders apply (ISO/IEC 14496-3 4.6.11).
 * It folds the block into a DCT-IV of size/2 points and computes that with one complex FFT of
 * size/4 points, so a 2048-sample block costs one 512-point FFT.
 */
export class Mdct {
  /** Coefficients out: half the block. */
  readonly bins: number;
  private readonly fft: FFT;
  private readonly folded: Float64Array;
  private readonly complexIn: number[];
  private readonly complexOut: number[];
  /** exp(−iπ(n + ⅛)/M) for the pre- and post-rotation, as cos and sin. */
  private readonly twiddleCos: Float64Array;
  private readonly twiddleSin: Float64Array;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 16 || (size & (size - 1)) !== 0) throw new RangeError(`MDCT size must be a power of two ≥ 16, got ${size}`);
    const m = size / 2;
    this.bins = m;
    this.fft = new FFT(m / 2);
    this.folded = new Float64Array(m);
    this.complexIn = this.fft.createComplexArray() as number[];
    this.complexOut = this.fft.createComplexArray() as number[];
    this.twiddleCos = new Float64Array(m / 2);
    this.twiddleSin = new Float64Array(m / 2);
    for (let n = 0; n < m / 2; n++) {
      const phase = (-Math.PI * (n + 0.125)) / m;
      this.twiddleCos[n] = Math.cos(phase);
      this.twiddleSin[n] = Math.sin(phase);
    }
  }

  /** Transforms `block` (size samples, already windowed) into `out` (size/2 coefficients). */
  forward(block: ArrayLike<number>, out: Float64Array | Float32Array): void {
    const m = this.bins;
    const half = m / 2;
    const v = this.folded;
    // The block's quarters a, b, c, d fold into the DCT-IV input (−c reversed − d, a − b reversed).
    for (let n = 0; n < half; n++) {
      v[n] = -block[m + half - 1 - n]! - block[m + half + n]!;
      v[half + n] = block[n]! - block[m - 1 - n]!;
    }
    const z = this.complexIn;
    const cos = this.twiddleCos;
    const sin = this.twiddleSin;
    for (let n = 0; n < half; n++) {
      const re = v[2 * n]!;
      const im = v[m - 1 - 2 * n]!;
      z[2 * n] = re * cos[n]! - im * sin[n]!;
      z[2 * n + 1] = re * sin[n]! + im * cos[n]!;
    }
    this.fft.transform(this.complexOut, z);
    const y = this.complexOut;
    for (let k = 0; k < half; k++) {
      const re = y[2 * k]!;
      const im = y[2 * k + 1]!;
      const yr = re * cos[k]! - im * sin[k]!;
      const yi = re * sin[k]! + im * cos[k]!;
      out[2 * k] = 2 * yr;
      out[m - 1 - 2 * k] = -2 * yi;
    }
  }
}
