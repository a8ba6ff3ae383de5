/**
 * Linear-phase ×2 interpolation and decimation with Kaiser-windowed half-band FIRs, the building
 * blocks of the saturator's ×8 oversampling (three ×2 stages each way).
 *
 * A half-band FIR of length 2c + 1 (c odd) is symmetric about tap c, which is ½; the other taps at
 * odd offsets from c vanish. So the interpolator has one trivial polyphase branch (a pure delay)
 * and one symmetric FIR of c + 1 taps on the even indices; the decimator likewise. Both have an
 * exact group delay of c samples at the high rate.
 */
import { besselI0 } from '../kaiser.js';

/**
 * Half-band taps h[0 … 2c] (c odd): Kaiser(β)-windowed ½·sinc(n/2), with the even-index taps
 * rescaled so each polyphase branch has DC gain exactly ½ (unity after the ×2 of interpolation).
 */
export function halfbandTaps(c: number, beta: number): Float64Array {
  if (!Number.isInteger(c) || c < 1 || c % 2 === 0) throw new RangeError(`half-band centre must be a positive odd integer, got ${c}`);
  const N = 2 * c + 1;
  const h = new Float64Array(N);
  const norm = besselI0(beta);
  let evenSum = 0;
  for (let n = 0; n < N; n++) {
    const m = n - c;
    if (m === 0) h[n] = 0.5;
    else if (m % 2 === 0) h[n] = 0;
    else {
      const u = m / c;
      const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - u * u))) / norm;
      const x = (Math.PI * m) / 2;
      h[n] = (0.5 * Math.sin(x)) / x * w;
      evenSum += h[n]!;
    }
  }
  for (let n = 0; n < N; n += 2) h[n] = (h[n]! * 0.5) / evenSum;
  return h;
}

/** |H(f)| of a FIR at normalised frequency f (cycles per sample). */
export function firMagnitude(h: ArrayLike<number>, f: number): number {
  let re = 0, im = 0;
  for (let n = 0; n < h.length; n++) {
    re += h[n]! * Math.cos(2 * Math.PI * f * n);
    im -= h[n]! * Math.sin(2 * Math.PI * f * n);
  }
  return Math.hypot(re, im);
}

/**
 * ×2 interpolator. Input history is kept per instance (one channel). `process(input, n, out)` reads
 * input[0, n) and writes out[0, 2n): out[2i] = Σ 2·h[2k]·x[i − k], out[2i + 1] = x[i − (c − 1)/2].
 */
export class HalfbandUp {
  readonly c: number;
  /** Group delay at the output (high) rate. */
  readonly delay: number;
  private readonly pairs: Float64Array;
  private readonly buf: Float64Array;

  constructor(taps: Float64Array, maxBlock: number) {
    this.c = (taps.length - 1) / 2;
    this.delay = this.c;
    const c = this.c;
    // Even-branch taps g_k = 2·h[2k], k = 0 … c, symmetric (g_k = g_{c−k}): keep the first (c + 1)/2.
    this.pairs = new Float64Array((c + 1) / 2);
    for (let k = 0; k < this.pairs.length; k++) this.pairs[k] = 2 * taps[2 * k]!;
    this.buf = new Float64Array(c + maxBlock);
  }

  process(input: Float64Array, n: number, out: Float64Array): void {
    const c = this.c, buf = this.buf, g = this.pairs, P = g.length, half = (c - 1) / 2;
    for (let i = 0; i < n; i++) buf[c + i] = input[i]!;
    for (let i = 0; i < n; i++) {
      const p = c + i;
      let acc = 0;
      for (let k = 0; k < P; k++) acc += g[k]! * (buf[p - k]! + buf[p - c + k]!);
      out[2 * i] = acc;
      out[2 * i + 1] = buf[p - half]!;
    }
    buf.copyWithin(0, n, n + c);
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/**
 * ×2 decimator with an optional extra delay of `extra` high-rate samples, used to make the whole
 * oversampling chain's delay an integer number of base-rate samples. `process(input, n2, out)`
 * reads input[0, n2) (n2 even) and writes out[0, n2/2): out[i] = Σ_j h[j]·v[2i + 1 − extra − j],
 * where v[2i], v[2i + 1] are the pair of input samples belonging to output i. With output i placed
 * at high-rate time 2i, the group delay is c − 1 + extra high-rate samples.
 */
export class HalfbandDown {
  readonly c: number;
  /** Group delay at the input (high) rate, extra delay included. */
  readonly delay: number;
  private readonly pairs: Float64Array;
  private readonly history: number;
  private readonly extra: number;
  private readonly buf: Float64Array;

  constructor(taps: Float64Array, maxBlockHigh: number, extra = 0) {
    if (!Number.isInteger(extra) || extra < 0) throw new RangeError(`extra delay must be an integer ≥ 0, got ${extra}`);
    this.c = (taps.length - 1) / 2;
    const c = this.c;
    this.extra = extra;
    this.delay = c + extra - 1;
    this.pairs = new Float64Array((c + 1) / 2);
    for (let k = 0; k < this.pairs.length; k++) this.pairs[k] = taps[2 * k]!;
    this.history = 2 * c + extra;
    this.buf = new Float64Array(this.history + maxBlockHigh);
  }

  process(input: Float64Array, n2: number, out: Float64Array): void {
    const c = this.c, buf = this.buf, g = this.pairs, P = g.length, H = this.history;
    for (let i = 0; i < n2; i++) buf[H + i] = input[i]!;
    const n = n2 >> 1;
    for (let i = 0; i < n; i++) {
      // q: buffer index of v[2i + 1 − extra]; taps h[2k] = h[2c − 2k] pair v at q − 2k and q − 2c + 2k, h[c] = ½ sits at q − c.
      const q = H + 2 * i + 1 - this.extra;
      let acc = 0.5 * buf[q - c]!;
      for (let k = 0; k < P; k++) acc += g[k]! * (buf[q - 2 * k]! + buf[q - 2 * c + 2 * k]!);
      out[i] = acc;
    }
    buf.copyWithin(0, n2, n2 + H);
  }

  reset(): void {
    this.buf.fill(0);
  }
}
