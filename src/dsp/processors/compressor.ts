/**
 * Feed-forward compressor (Giannoulis, Massberg & Reiss 2012 topology):
 *
 *   level (peak |x|, or 10 ms one-pole RMS) → dB → soft-knee gain computer → gain reduction GR (dB)
 *   → smooth decoupled detector in the log domain:
 *        y1 = max(GR, αR·y1 + (1 − αR)·GR)    (instant attack, release)
 *        yL = αA·yL + (1 − αA)·y1             (attack)
 *   → gain = 10^(−yL/20) · makeup.
 *
 * Static curve (knee width W centred on the threshold T, ratio R), input level x in dB:
 *   x < T − W/2: no change;  |x − T| ≤ W/2: GR = (1 − 1/R)(x − T + W/2)² / (2W);  above: GR = (1 − 1/R)(x − T).
 * For a steady sine, peak detection measures the sine's peak level (the release hold between peaks
 * costs < 0.05 dB with release ≥ 50 ms at 1 kHz); RMS detection measures its RMS level.
 *
 * Attack and release are 10 %→90 % times of the gain change (dB) for a level step (one-pole
 * coefficient exp(−ln 9 / samples)). Linked: one detector fed by the loudest channel, one gain for
 * all channels (image-stable); unlinked: independent detectors and gains per channel.
 *
 * Per frame this costs one logarithm (only above the knee start) and no Math.exp. Peak detection on
 * one or two channels takes the logarithm of |x| from its Float32 bits (exponent plus a 4096-entry
 * table over the mantissa, interpolated: error < 1e-7 dB), several times cheaper than Math.log;
 * RMS detection uses Math.log. e^(−yL·ln10/20)
 * is carried forward by the change of yL (3rd-order Taylor, relative error < 5e-14 per step) and
 * recomputed exactly every 1024 frames of absolute position, so results stay block-size invariant.
 *
 * Zero latency; zero tail (the output is the input times a gain: silent in, silent out).
 */
import { compress, type CompressorKernelState } from '../simd.js';
import type { CompressorSpec } from './schema.js';
import { checkPlanar, dbToGain, type Processor, type ProcessorContext, tenNinetyCoefficient } from './types.js';

/** RMS detector time constant (1/e), seconds. */
export const RMS_WINDOW_SECONDS = 0.01;
const DB_PER_NEPER = 20 / Math.LN10;
const NEPER_PER_DB = Math.LN10 / 20;
/** Frames between exact recomputations of the smoothed linear gain. */
const GRID = 1024;
/** Gain reductions below this (dB) are zeroed so release tails never run on subnormals. */
const GR_FLOOR = 1e-9;

/** ln(1 + i/4096), i = 0 … 4096. */
const LN_MANTISSA = Float64Array.from({ length: 4097 }, (_, i) => Math.log1p(i / 4096));

/** ln of a positive normal Float32 from its bit pattern (linear interpolation in the table: error < 1e-8). */
function lnFloat32Bits(bits: number): number {
  const index = (bits >>> 11) & 0xfff;
  const a = LN_MANTISSA[index]!;
  return ((bits >>> 23) - 127) * Math.LN2 + a + (bits & 0x7ff) * (1 / 2048) * (LN_MANTISSA[index + 1]! - a);
}

/** The bits of a Float32 array, to read |x| as an integer (no copy). */
function bitsOf(x: Float32Array, frames: number): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, frames);
}

/** A feed-forward compressor with a soft knee, peak or RMS detection, linked or per channel (see the top of this file). */
export class Compressor implements Processor {
  /** None: the detector does not look ahead. */
  readonly latency = 0;
  /** None: the output is the input times a gain, so silence in is silence out. */
  readonly tail = 0;
  private readonly channels: number;
  private readonly link: boolean;
  private readonly rms: boolean;
  private readonly threshold: number;
  private readonly halfKnee: number;
  private readonly inv2Knee: number;
  private readonly slope: number;
  /** Detector value (amplitude, or power for RMS) below which the gain computer returns 0 dB. */
  private readonly kneeStart: number;
  /** The Float32 bit pattern of the amplitude knee start (peak detection). */
  private readonly kneeStartBits: number;
  /** dB per natural-log unit of the detector value (20/ln10 for amplitude, 10/ln10 for power). */
  private readonly dbScale: number;
  private readonly attackCoef: number;
  private readonly releaseCoef: number;
  private readonly rmsCoef: number;
  private readonly makeup: number;
  private readonly y1: Float64Array;
  private readonly yL: Float64Array;
  private readonly ms: Float64Array;
  /** Per detector: e^(−yL·ln10/20), the linear gain before make-up. */
  private readonly lin: Float64Array;
  /** Per detector: frames since the last exact recomputation of `lin` (a fixed grid of absolute positions). */
  private readonly phase: Int32Array;

  constructor(spec: CompressorSpec, ctx: ProcessorContext) {
    const fs = ctx.sampleRate;
    this.channels = ctx.channels;
    this.link = spec.link;
    this.rms = spec.detection === 'rms';
    this.threshold = spec.threshold;
    this.halfKnee = spec.knee / 2;
    this.inv2Knee = spec.knee > 0 ? 1 / (2 * spec.knee) : 0;
    this.slope = 1 - 1 / spec.ratio;
    const startDb = spec.threshold - spec.knee / 2;
    this.kneeStart = this.rms ? 10 ** (startDb / 10) : 10 ** (startDb / 20);
    this.kneeStartBits = new Int32Array(Float32Array.of(this.kneeStart).buffer)[0]!;
    this.dbScale = this.rms ? DB_PER_NEPER / 2 : DB_PER_NEPER;
    this.attackCoef = tenNinetyCoefficient(spec.attack, fs);
    this.releaseCoef = tenNinetyCoefficient(spec.release, fs);
    this.rmsCoef = Math.exp(-1 / (RMS_WINDOW_SECONDS * fs));
    this.makeup = dbToGain(spec.makeup);
    const detectors = this.link ? 1 : ctx.channels;
    this.y1 = new Float64Array(detectors);
    this.yL = new Float64Array(detectors);
    this.ms = new Float64Array(ctx.channels);
    this.lin = new Float64Array(detectors).fill(1);
    this.phase = new Int32Array(detectors);
    // The kernel's constants, once; runInKernels fills in a detector's state per call.
    const params = new Float64Array(15);
    params.set([this.threshold, this.halfKnee, this.inv2Knee, this.slope, this.kneeStart, this.dbScale, this.attackCoef, this.releaseCoef, this.makeup, this.rmsCoef]);
    this.kernel = { params, phase: 0, startBits: this.kneeStartBits, lnTable: LN_MANTISSA };
  }

  /** Compresses `frames` frames of `planar` in place (one gain for all channels when linked). */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    if (this.link) this.run(planar, 0, this.channels, 0, frames);
    else for (let ch = 0; ch < this.channels; ch++) this.run(planar, ch, ch + 1, ch, frames);
  }

  /**
   * Channels [c0, c1) share detector k: detection (max over the channels), gain computer, smoothing
   * and gain application in one pass per frame.
   */
  private run(planar: Float32Array[], c0: number, c1: number, k: number, frames: number): void {
    if (c1 - c0 <= 2 && this.runInKernels(planar, c0, c1, k, frames)) return;
    const T = this.threshold, halfW = this.halfKnee, inv2W = this.inv2Knee, slope = this.slope;
    const start = this.kneeStart, scale = this.dbScale;
    const aA = this.attackCoef, bA = 1 - aA, aR = this.releaseCoef, bR = 1 - aR;
    const makeup = this.makeup;
    const rms = this.rms, aS = this.rmsCoef, bS = 1 - aS;
    const ms = this.ms;
    const single = c1 - c0 === 1, pair = c1 - c0 === 2;
    const xa = planar[c0]!, xb = pair ? planar[c0 + 1]! : xa;
    // Peak detection on one or two channels: |x| compared and logged as Float32 bits.
    const bitwise = !rms && (single || pair);
    const ba = bitwise ? bitsOf(xa, frames) : null, bb = bitwise ? bitsOf(xb, frames) : null;
    const startBits = this.kneeStartBits;
    let msA = ms[c0]!, msB = pair ? ms[c0 + 1]! : 0;
    let y1 = this.y1[k]!, yL = this.yL[k]!, lin = this.lin[k]!;
    let phase = this.phase[k]!;
    for (let i = 0; i < frames; i++) {
      // Detector: amplitude (peak) or mean square (rms), the loudest of the channels.
      let d = 0;
      let bits = 0;
      if (bitwise) {
        bits = ba![i]! & 0x7fffffff;
        const other = bb![i]! & 0x7fffffff;
        if (other > bits) bits = other;
      } else if (single || pair) {
        // (RMS: peak detection on one or two channels is bitwise.)
        const va = xa[i]!;
        msA = aS * msA + bS * va * va;
        d = msA;
        if (pair) {
          const vb = xb[i]!;
          msB = aS * msB + bS * vb * vb;
          if (msB > d) d = msB;
        }
      } else {
        d = 0;
        for (let c = c0; c < c1; c++) {
          const v = planar[c]![i]!;
          let m: number;
          if (rms) {
            m = aS * ms[c]! + bS * v * v;
            ms[c] = m;
          } else m = v < 0 ? -v : v;
          if (m > d) d = m;
        }
      }
      // Gain computer (dB of gain reduction).
      let gr = 0;
      if (bitwise ? bits > startBits : d > start) {
        const over = scale * (bitwise ? lnFloat32Bits(bits) : Math.log(d)) - T;
        if (over >= halfW) gr = slope * over;
        else {
          const t = over + halfW;
          gr = slope * t * t * inv2W;
        }
        if (gr > 400) gr = 400; // infinite input: stay recoverable
      }
      // Smooth decoupled peak detector in the log domain.
      const rel = aR * y1 + bR * gr;
      y1 = gr > rel ? gr : rel;
      if (y1 < GR_FLOOR) y1 = 0;
      const prev = yL;
      yL = aA * yL + bA * y1;
      if (yL < GR_FLOOR) yL = 0;
      // lin = e^(−yL·ln10/20), updated by the change of yL (3rd-order Taylor, error < 5e-14 per step)
      // and recomputed exactly every GRID frames of absolute position, and whenever yL jumps.
      if (++phase === GRID) {
        phase = 0;
        lin = Math.exp(-yL * NEPER_PER_DB);
      } else if (yL === 0) lin = 1;
      else {
        const e = (prev - yL) * NEPER_PER_DB;
        if (e < 1e-3 && e > -1e-3) lin *= 1 + e * (1 + e * (0.5 + e * (1 / 6)));
        else lin = Math.exp(-yL * NEPER_PER_DB);
      }
      const g = makeup * lin;
      if (single || pair) {
        xa[i] = xa[i]! * g;
        if (pair) xb[i] = xb[i]! * g;
      } else for (let c = c0; c < c1; c++) planar[c]![i] = planar[c]![i]! * g;
    }
    if (single || pair) {
      ms[c0] = msA < 1e-300 ? 0 : msA;
      if (pair) ms[c0 + 1] = msB < 1e-300 ? 0 : msB;
    } else for (let c = c0; c < c1; c++) if (ms[c]! < 1e-300) ms[c] = 0;
    this.y1[k] = y1;
    this.yL[k] = yL;
    this.lin[k] = lin;
    this.phase[k] = phase;
  }

  /** The parameters and state of detector k as the SIMD kernel takes them (see CompressorKernelState). */
  private readonly kernel: CompressorKernelState;

  /** run for one channel or a linked pair, in the SIMD module when the audio is in its memory. */
  private runInKernels(planar: Float32Array[], c0: number, c1: number, k: number, frames: number): boolean {
    const pair = c1 - c0 === 2;
    const s = this.kernel;
    s.params.set([this.y1[k]!, this.yL[k]!, this.lin[k]!, this.ms[c0]!, pair ? this.ms[c0 + 1]! : 0], 10);
    s.phase = this.phase[k]!;
    if (!compress(planar[c0]!, pair ? planar[c0 + 1]! : null, frames, this.rms, s)) return false;
    this.y1[k] = s.params[10]!;
    this.yL[k] = s.params[11]!;
    this.lin[k] = s.params[12]!;
    const msA = s.params[13]!, msB = s.params[14]!;
    this.ms[c0] = msA < 1e-300 ? 0 : msA;
    if (pair) this.ms[c0 + 1] = msB < 1e-300 ? 0 : msB;
    this.phase[k] = s.phase;
    return true;
  }

  /** Current gain reduction (dB, ≥ 0) of detector k (0 when linked). */
  gainReduction(k = 0): number {
    return this.yL[k]!;
  }

  /** Back to no gain reduction and empty RMS detectors. */
  reset(): void {
    this.y1.fill(0);
    this.yL.fill(0);
    this.ms.fill(0);
    this.lin.fill(1);
    this.phase.fill(0);
  }
}
