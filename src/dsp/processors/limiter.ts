/**
 * True-peak lookahead limiter: the output stays at or below the ceiling in BS.1770 true peak as
 * measured by src/dsp/true-peak.ts, with the standard's 48-tap ×4 table ('bs1770') and with the
 * meter's default Kaiser-sinc interpolator ('sinc'); both are evaluated here on the input. (From
 * 96 kHz the sinc ½ phase, from 192 kHz the sample peak, as the meter does.)
 *
 * 1. Requirement. When input frame n arrives, every channel's |x[n]| and the interpolated values
 *    the meter computes at that moment (sinc ¼, ½, ¾ phases over x[n−23 … n]; BS.1770 phases over
 *    x[n−11 … n]) give q[n] = max over channels. Output samples n−23 … n (the interpolators'
 *    support, S = 24) must be scaled by at most c / q[n].
 * 2. Hold. A running maximum of q over H = D + 1 frames (monotonic deque), i.e. a running minimum
 *    of the required gain m = min(1, c / max q).
 * 3. Release. env = m when m falls, else env → m with a one-pole whose 10–90 % time is `release`;
 *    so env ≤ m always.
 * 4. Attack. A moving average of env over B = D − S + 2 frames: a linear ramp that reaches the
 *    required gain before the peak arrives. Every frame in the average window is ≤ the requirement
 *    of every output sample it is applied to, so the mean is too.
 * 5. The gain multiplies the input delayed by D = lookahead samples, the latency.
 *
 * What is exact and what is not: steps 2–4 guarantee g ≤ c/q on every sample of each
 * interpolation support. Where the gain is constant over the support (always at the loudest peak
 * of a hold window) the output's interpolated value is exactly g × the input's, so ≤ c. On a gain
 * ramp the 24 taps see slightly different gains and the interpolated output can exceed g × the
 * input's by a residual that shrinks with the ramp length B. The target therefore sits
 * marginDb(B) below the ceiling (0.17 dB at 1 ms lookahead, 0.011 dB at the default 5 ms, 48 kHz),
 * ≥ 3× the worst residual found on adversarial material. That is a measured bound, not a proof;
 * a proof needs the worst-case Σ|h_j|·|x_j| bound, which over-limits by up to 6 dB. The tests check
 * "never above the ceiling" on music-like and adversarial material at 1, 2 and 5 ms.
 *
 * Linked: one gain for all channels (the stereo image never shifts). Tail = latency (the delay
 * line empties; the gain never adds energy).
 */
import { BS1770_PHASE0, BS1770_PHASE1, sincPhase, truePeakOversampling } from '../true-peak.js';
import type { LimiterSpec } from './schema.js';
import { checkPlanar, dbToGain, msToSamples, ProcessorConfigError, type Processor, type ProcessorContext, tenNinetyCoefficient } from './types.js';

const CHUNK = 256;
/** Interpolation support (input samples) of the meter's sinc interpolator; BS.1770's 12 fit inside. */
const SINC_SUPPORT = 24;
/**
 * Safety margin (dB) for a moving average of B samples: 2/B + 60/B². At least 3× the worst ramp
 * residual measured on adversarial material (spiky white noise, stepped tones near fs/4 and
 * fs/2, 1 ms release) at 44.1, 48 and 96 kHz: 0.17 dB at 1 ms lookahead, 0.011 dB at 5 ms (48 kHz).
 */
function marginDb(box: number): number {
  return 2 / box + 60 / (box * box);
}

function sumAbs(taps: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < taps.length; i++) s += Math.abs(taps[i]!);
  return s;
}

/** A true-peak lookahead limiter, one gain for all channels: the output stays at or below the ceiling (dBTP). */
export class Limiter implements Processor {
  /** The lookahead, frames: the input is delayed by it while the gain ramps down ahead of a peak. */
  readonly latency: number;
  /** The lookahead again, frames: the delay line empties, and the gain never adds energy. */
  readonly tail: number;
  /** Linear ceiling the gain computer aims at (the spec's ceiling less the safety margin). */
  readonly target: number;
  /** dB below the ceiling the gain computer aims at. */
  readonly margin: number;
  private readonly channels: number;
  private readonly oversampling: 1 | 2 | 4;
  private readonly support: number;
  private readonly historyLength: number;
  private readonly box: number;
  private readonly hold: number;
  private readonly releaseCoef: number;
  private readonly worstCaseGain: number;
  // Kernels: sinc ½ phase (symmetric, 12), ¼/¾ mirrored sums and differences (12 each); BS.1770 pairs (6 each).
  private readonly half = new Float64Array(12);
  private readonly qSum = new Float64Array(12);
  private readonly qDiff = new Float64Array(12);
  private readonly p0 = new Float64Array(6);
  private readonly q0 = new Float64Array(6);
  private readonly p1 = new Float64Array(6);
  private readonly q1 = new Float64Array(6);
  // State.
  private readonly history: Float64Array[];
  private readonly delay: Float32Array[];
  private delayPos = 0;
  private readonly peaks = new Float64Array(CHUNK);
  private readonly gains = new Float64Array(CHUNK);
  private readonly dqValue: Float64Array;
  private readonly dqIndex: Float64Array;
  private dqHead = 0;
  private dqSize = 0;
  private frame = 0;
  private env = 1;
  private readonly boxRing: Float64Array;
  private boxPos = 0;
  private boxSum: number;
  private phase = 0;

  constructor(spec: LimiterSpec, ctx: ProcessorContext) {
    const fs = ctx.sampleRate;
    this.channels = ctx.channels;
    const D = msToSamples(spec.lookahead, fs);
    this.oversampling = truePeakOversampling(fs);
    this.support = this.oversampling === 1 ? 1 : SINC_SUPPORT;
    this.historyLength = this.support - 1;
    this.box = Math.min(D, D - this.support + 2);
    if (this.box < 8) {
      throw new ProcessorConfigError(['lookahead'], `${spec.lookahead} ms is ${D} samples at ${fs} Hz; the true-peak limiter needs at least ${this.support + 6} samples`);
    }
    this.hold = D + 1;
    this.latency = D;
    this.tail = D;
    this.releaseCoef = tenNinetyCoefficient(spec.release, fs);
    // Safety margin for the residual of a gain ramp inside an interpolation support (see header):
    // marginDb(B), plus 1e-6 for Float32 rounding of the output.
    this.margin = this.support > 1 ? marginDb(this.box) : 0;
    this.target = dbToGain(spec.ceiling - this.margin) * (1 - 1e-6);
    let worst = 1;
    if (this.oversampling > 1) {
      const half = sincPhase(0.5);
      const quarter = sincPhase(0.25);
      for (let j = 0; j < 12; j++) {
        this.half[j] = half[j]!;
        this.qSum[j] = quarter[j]! + quarter[23 - j]!;
        this.qDiff[j] = quarter[j]! - quarter[23 - j]!;
      }
      worst = Math.max(worst, sumAbs(half), this.oversampling === 4 ? sumAbs(quarter) : 0);
    }
    if (this.oversampling === 4) {
      for (let j = 0; j < 6; j++) {
        this.p0[j] = BS1770_PHASE0[j]! + BS1770_PHASE0[11 - j]!;
        this.q0[j] = BS1770_PHASE0[j]! - BS1770_PHASE0[11 - j]!;
        this.p1[j] = BS1770_PHASE1[j]! + BS1770_PHASE1[11 - j]!;
        this.q1[j] = BS1770_PHASE1[j]! - BS1770_PHASE1[11 - j]!;
      }
      worst = Math.max(worst, sumAbs(BS1770_PHASE0), sumAbs(BS1770_PHASE1));
    }
    this.worstCaseGain = worst * (1 + 1e-9);
    this.history = Array.from({ length: ctx.channels }, () => new Float64Array(this.historyLength + CHUNK));
    this.delay = Array.from({ length: ctx.channels }, () => new Float32Array(D));
    this.dqValue = new Float64Array(this.hold + 1);
    this.dqIndex = new Float64Array(this.hold + 1);
    this.boxRing = new Float64Array(this.box).fill(1);
    this.boxSum = this.box;
  }

  /** Limits `frames` frames of `planar` in place (delayed by `latency`). */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    let off = 0;
    while (off < frames) {
      const n = Math.min(frames - off, CHUNK - this.phase);
      this.peaks.fill(0, 0, n);
      for (let ch = 0; ch < this.channels; ch++) this.measure(ch, planar[ch]!, off, n);
      this.computeGains(n);
      this.apply(planar, off, n);
      off += n;
      this.phase += n;
      if (this.phase === CHUNK) {
        this.phase = 0;
        // Re-sum the moving average exactly on a fixed grid: no drift, and an all-unity window is exactly 1.
        let s = 0;
        for (let i = 0; i < this.box; i++) s += this.boxRing[i]!;
        this.boxSum = s;
      }
    }
  }

  /** peaks[i] = max(peaks[i], true-peak requirement of channel ch when frame off + i arrives). */
  private measure(ch: number, x: Float32Array, off: number, n: number): void {
    const HL = this.historyLength;
    const buf = this.history[ch]!;
    let maxAbs = 0;
    for (let j = 0; j < HL; j++) {
      const v = buf[j]!;
      const a = v < 0 ? -v : v;
      if (a > maxAbs) maxAbs = a;
    }
    for (let i = 0; i < n; i++) {
      const v = x[off + i]!;
      buf[HL + i] = v;
      const a = v < 0 ? -v : v;
      if (a > maxAbs) maxAbs = a;
    }
    // Exact skip: nothing in this chunk (interpolated or not) can reach the target.
    if (maxAbs * this.worstCaseGain > this.target) {
      const peaks = this.peaks;
      if (this.oversampling === 4) this.interpolate4(buf, n, peaks);
      else if (this.oversampling === 2) this.interpolate2(buf, n, peaks);
      else {
        for (let i = 0; i < n; i++) {
          const v = buf[i]!;
          const a = v < 0 ? -v : v;
          if (a > peaks[i]!) peaks[i] = a;
        }
      }
    }
    if (HL > 0) buf.copyWithin(0, n, n + HL);
  }

  private interpolate4(buf: Float64Array, n: number, peaks: Float64Array): void {
    const HL = this.historyLength;
    const hf = this.half, qs = this.qSum, qd = this.qDiff;
    const h0 = hf[0]!, s0 = qs[0]!, d0 = qd[0]!;
    const h1 = hf[1]!, s1 = qs[1]!, d1 = qd[1]!;
    const h2 = hf[2]!, s2 = qs[2]!, d2 = qd[2]!;
    const h3 = hf[3]!, s3 = qs[3]!, d3 = qd[3]!;
    const h4 = hf[4]!, s4 = qs[4]!, d4 = qd[4]!;
    const h5 = hf[5]!, s5 = qs[5]!, d5 = qd[5]!;
    const h6 = hf[6]!, s6 = qs[6]!, d6 = qd[6]!;
    const h7 = hf[7]!, s7 = qs[7]!, d7 = qd[7]!;
    const h8 = hf[8]!, s8 = qs[8]!, d8 = qd[8]!;
    const h9 = hf[9]!, s9 = qs[9]!, d9 = qd[9]!;
    const h10 = hf[10]!, s10 = qs[10]!, d10 = qd[10]!;
    const h11 = hf[11]!, s11 = qs[11]!, d11 = qd[11]!;
    const p0 = this.p0, q0 = this.q0, p1 = this.p1, q1 = this.q1;
    const P0 = p0[0]!, Q0 = q0[0]!, R0 = p1[0]!, S0 = q1[0]!;
    const P1 = p0[1]!, Q1 = q0[1]!, R1 = p1[1]!, S1 = q1[1]!;
    const P2 = p0[2]!, Q2 = q0[2]!, R2 = p1[2]!, S2 = q1[2]!;
    const P3 = p0[3]!, Q3 = q0[3]!, R3 = p1[3]!, S3 = q1[3]!;
    const P4 = p0[4]!, Q4 = q0[4]!, R4 = p1[4]!, S4 = q1[4]!;
    const P5 = p0[5]!, Q5 = q0[5]!, R5 = p1[5]!, S5 = q1[5]!;
    for (let i = 0; i < n; i++) {
      const p = HL + i;
      // Sinc: mirrored sums/differences over x[n − 23 … n] give the ½ phase and the ¼/¾ pair.
      const u0 = buf[p - 0]!, v0 = buf[p - 23]!, a0 = u0 + v0, b0 = u0 - v0;
      const u1 = buf[p - 1]!, v1 = buf[p - 22]!, a1 = u1 + v1, b1 = u1 - v1;
      const u2 = buf[p - 2]!, v2 = buf[p - 21]!, a2 = u2 + v2, b2 = u2 - v2;
      const u3 = buf[p - 3]!, v3 = buf[p - 20]!, a3 = u3 + v3, b3 = u3 - v3;
      const u4 = buf[p - 4]!, v4 = buf[p - 19]!, a4 = u4 + v4, b4 = u4 - v4;
      const u5 = buf[p - 5]!, v5 = buf[p - 18]!, a5 = u5 + v5, b5 = u5 - v5;
      const u6 = buf[p - 6]!, v6 = buf[p - 17]!, a6 = u6 + v6, b6 = u6 - v6;
      const u7 = buf[p - 7]!, v7 = buf[p - 16]!, a7 = u7 + v7, b7 = u7 - v7;
      const u8 = buf[p - 8]!, v8 = buf[p - 15]!, a8 = u8 + v8, b8 = u8 - v8;
      const u9 = buf[p - 9]!, v9 = buf[p - 14]!, a9 = u9 + v9, b9 = u9 - v9;
      const u10 = buf[p - 10]!, v10 = buf[p - 13]!, a10 = u10 + v10, b10 = u10 - v10;
      const u11 = buf[p - 11]!, v11 = buf[p - 12]!, a11 = u11 + v11, b11 = u11 - v11;
      const half = h0 * a0 + h1 * a1 + h2 * a2 + h3 * a3 + h4 * a4 + h5 * a5 + h6 * a6 + h7 * a7 + h8 * a8 + h9 * a9 + h10 * a10 + h11 * a11;
      const qa = s0 * a0 + s1 * a1 + s2 * a2 + s3 * a3 + s4 * a4 + s5 * a5 + s6 * a6 + s7 * a7 + s8 * a8 + s9 * a9 + s10 * a10 + s11 * a11;
      const qb = d0 * b0 + d1 * b1 + d2 * b2 + d3 * b3 + d4 * b4 + d5 * b5 + d6 * b6 + d7 * b7 + d8 * b8 + d9 * b9 + d10 * b10 + d11 * b11;
      // BS.1770 table: mirrored sums/differences over x[n − 11 … n] (u0 … u11 above).
      const e0 = u0 + u11, f0 = u0 - u11;
      const e1 = u1 + u10, f1 = u1 - u10;
      const e2 = u2 + u9, f2 = u2 - u9;
      const e3 = u3 + u8, f3 = u3 - u8;
      const e4 = u4 + u7, f4 = u4 - u7;
      const e5 = u5 + u6, f5 = u5 - u6;
      const c0 = P0 * e0 + P1 * e1 + P2 * e2 + P3 * e3 + P4 * e4 + P5 * e5;
      const c1 = Q0 * f0 + Q1 * f1 + Q2 * f2 + Q3 * f3 + Q4 * f4 + Q5 * f5;
      const c2 = R0 * e0 + R1 * e1 + R2 * e2 + R3 * e3 + R4 * e4 + R5 * e5;
      const c3 = S0 * f0 + S1 * f1 + S2 * f2 + S3 * f3 + S4 * f4 + S5 * f5;
      let m = u0 < 0 ? -u0 : u0;
      const mh = half < 0 ? -half : half;
      if (mh > m) m = mh;
      const mq = (Math.abs(qa) + Math.abs(qb)) * 0.5;
      if (mq > m) m = mq;
      const m03 = (Math.abs(c0) + Math.abs(c1)) * 0.5;
      if (m03 > m) m = m03;
      const m12 = (Math.abs(c2) + Math.abs(c3)) * 0.5;
      if (m12 > m) m = m12;
      if (m > peaks[i]!) peaks[i] = m;
    }
  }

  private interpolate2(buf: Float64Array, n: number, peaks: Float64Array): void {
    const HL = this.historyLength;
    const half = this.half;
    for (let i = 0; i < n; i++) {
      const pos = HL + i;
      const x0 = buf[pos]!;
      let m = x0 < 0 ? -x0 : x0;
      let h = 0;
      for (let j = 0; j < 12; j++) h += half[j]! * (buf[pos - j]! + buf[pos - 23 + j]!);
      if (h < 0) h = -h;
      if (h > m) m = h;
      if (m > peaks[i]!) peaks[i] = m;
    }
  }

  private computeGains(n: number): void {
    const peaks = this.peaks, gains = this.gains;
    const c = this.target;
    const H = this.hold, cap = this.dqValue.length;
    const dqV = this.dqValue, dqI = this.dqIndex;
    const ring = this.boxRing, B = this.box, invB = 1 / B;
    const aR = this.releaseCoef, bR = 1 - aR;
    let head = this.dqHead, size = this.dqSize, t = this.frame;
    let env = this.env, bp = this.boxPos, sum = this.boxSum;
    for (let i = 0; i < n; i++, t++) {
      const p = peaks[i]!;
      const v = p > c ? p : 0;
      // Sliding-window maximum over the last H frames.
      while (size > 0) {
        const back = head + size - 1;
        if (dqV[back >= cap ? back - cap : back]! <= v) size--;
        else break;
      }
      let slot = head + size;
      if (slot >= cap) slot -= cap;
      dqV[slot] = v;
      dqI[slot] = t;
      size++;
      if (dqI[head]! <= t - H) {
        head++;
        if (head === cap) head = 0;
        size--;
      }
      const M = dqV[head]!;
      const m = M > c ? c / M : 1;
      if (m < env) env = m;
      else {
        env = aR * env + bR * m;
        if (m - env < 1e-12) env = m;
      }
      sum += env - ring[bp]!;
      ring[bp] = env;
      bp++;
      if (bp === B) bp = 0;
      gains[i] = sum * invB;
    }
    this.dqHead = head;
    this.dqSize = size;
    this.frame = t;
    this.env = env;
    this.boxPos = bp;
    this.boxSum = sum;
  }

  private apply(planar: Float32Array[], off: number, n: number): void {
    const gains = this.gains;
    const D = this.latency;
    let pos = this.delayPos;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      const line = this.delay[ch]!;
      pos = this.delayPos;
      for (let i = 0; i < n; i++) {
        const delayed = line[pos]!;
        line[pos] = x[off + i]!;
        x[off + i] = delayed * gains[i]!;
        pos++;
        if (pos === D) pos = 0;
      }
    }
    this.delayPos = pos;
  }

  /** Gain applied to the most recent output frame (1 = no reduction). */
  get currentGain(): number {
    return this.boxSum / this.box;
  }

  /** Back to unity gain with an empty delay line. */
  reset(): void {
    for (const h of this.history) h.fill(0);
    for (const d of this.delay) d.fill(0);
    this.delayPos = 0;
    this.dqHead = 0;
    this.dqSize = 0;
    this.frame = 0;
    this.env = 1;
    this.boxRing.fill(1);
    this.boxPos = 0;
    this.boxSum = this.box;
    this.phase = 0;
  }
}
