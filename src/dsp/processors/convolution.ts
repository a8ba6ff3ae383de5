/**
 * Convolution reverb: uniformly partitioned FFT convolution (overlap-save with a frequency-domain
 * delay line). The impulse response is cut into K partitions of B samples; every B input samples,
 * the last 2B inputs are transformed once, stored in the delay line, and the output block is
 * Σ_k X(t − k)·H_k, transformed back (two channels per complex inverse FFT).
 *
 * Block latency B is absorbed by the pre-delay when the pre-delay is at least B: the input is
 * pre-delayed by max(0, P − B) and the declared latency is max(0, B − P), exact to the sample.
 * B grows with the IR (L/32 rounded up to a power of two, 64 … 4096), which bounds the per-sample
 * cost by ~32 complex multiply-adds per channel plus two FFTs of 2B per B samples.
 *
 * IR channel c % (IR channels) is applied to signal channel c (a mono IR on every channel, a stereo
 * IR channel by channel). `mix` blends with the dry signal delayed by the latency.
 */
import FFT from 'fft.js';
import type { ReverbSpec } from './schema.js';
import { checkPlanar, msToSamples, ProcessorConfigError, type Processor, type ProcessorContext } from './types.js';

export function partitionSize(irLength: number): number {
  let b = 64;
  while (b < 4096 && b * 32 < irLength) b *= 2;
  return b;
}

/** A reverb that convolves each channel with an impulse response (partitioned FFT convolution). */
export class ConvolutionReverb implements Processor {
  /** The block size less the pre-delay, frames; 0 when the pre-delay covers the block. */
  readonly latency: number;
  /** Frames the wet output lasts after the input stops: pre-delay, one block and the whole IR (the latency alone when `mix` is 0). */
  readonly tail: number;
  /** Frames per partition (B): the IR's length ÷ 32, rounded up to a power of two, 64 … 4096. */
  readonly blockSize: number;
  /** Number of partitions (K) the IR is cut into. */
  readonly partitions: number;
  private readonly channels: number;
  private readonly mix: number;
  private readonly fft: FFT;
  private readonly size: number;
  /** Per IR channel: K partition spectra, bins 0 … B interleaved (2(B + 1) doubles each). */
  private readonly irSpectra: Float64Array[];
  private readonly irIndex: number[];
  /** Per signal channel: [previous B | current B] input window. */
  private readonly windows: Float64Array[];
  /** Per signal channel: K input spectra (frequency-domain delay line). */
  private readonly fdl: Float64Array[];
  private fdlHead = 0;
  /** Per signal channel: the output block being played. */
  private readonly outBlocks: Float64Array[];
  private fill = 0;
  private readonly preLength: number;
  private readonly pre: Float64Array[];
  private prePos = 0;
  private readonly dry: Float64Array[];
  private dryPos = 0;
  // FFT scratch.
  private readonly spectrum: Float64Array;
  private readonly accA: Float64Array;
  private readonly accB: Float64Array;
  private readonly packed: Float64Array;
  private readonly result: Float64Array;

  constructor(spec: ReverbSpec, ctx: ProcessorContext, impulse: Float32Array[]) {
    if (impulse.length === 0) throw new ProcessorConfigError(['impulse'], 'the impulse response has no channels');
    const L = Math.max(...impulse.map((c) => c.length));
    if (L === 0) throw new ProcessorConfigError(['impulse'], 'the impulse response is empty');
    for (const c of impulse) for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i]!)) throw new ProcessorConfigError(['impulse'], `the impulse response holds a non-finite sample at ${i}`);
    this.channels = ctx.channels;
    this.mix = spec.mix;
    const B = partitionSize(L);
    const N = 2 * B;
    const K = Math.ceil(L / B);
    this.blockSize = B;
    this.partitions = K;
    this.size = N;
    this.fft = new FFT(N);
    const bins = 2 * (B + 1);
    this.spectrum = new Float64Array(2 * N);
    const frame = new Float64Array(N);
    this.irSpectra = impulse.map((ir) => {
      const spectra = new Float64Array(K * bins);
      for (let k = 0; k < K; k++) {
        frame.fill(0);
        for (let j = 0; j < B && k * B + j < ir.length; j++) frame[j] = ir[k * B + j]!;
        this.fft.realTransform(this.spectrum, frame);
        spectra.set(this.spectrum.subarray(0, bins), k * bins);
      }
      return spectra;
    });
    this.irIndex = Array.from({ length: ctx.channels }, (_, c) => c % impulse.length);
    this.windows = Array.from({ length: ctx.channels }, () => new Float64Array(N));
    this.fdl = Array.from({ length: ctx.channels }, () => new Float64Array(K * bins));
    this.outBlocks = Array.from({ length: ctx.channels }, () => new Float64Array(B));
    const P = msToSamples(spec.predelay, ctx.sampleRate);
    this.preLength = Math.max(0, P - B);
    this.latency = Math.max(0, B - P);
    this.pre = Array.from({ length: ctx.channels }, () => new Float64Array(this.preLength));
    this.dry = Array.from({ length: ctx.channels }, () => new Float64Array(spec.mix < 1 ? this.latency : 0));
    this.accA = new Float64Array(bins);
    this.accB = new Float64Array(bins);
    this.packed = new Float64Array(2 * N);
    this.result = new Float64Array(2 * N);
    this.tail = spec.mix > 0 ? this.preLength + B + L : this.latency;
  }

  /** Convolves `frames` frames of `planar` in place, blended with the delayed dry signal by `mix`. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    const B = this.blockSize;
    const wet = this.mix, dryGain = 1 - wet;
    const PL = this.preLength, DL = this.dry[0]!.length;
    let off = 0;
    while (off < frames) {
      const run = Math.min(frames - off, B - this.fill);
      let pp = this.prePos, dp = this.dryPos;
      for (let ch = 0; ch < this.channels; ch++) {
        const x = planar[ch]!;
        const win = this.windows[ch]!;
        const out = this.outBlocks[ch]!;
        const pre = this.pre[ch]!;
        const dry = this.dry[ch]!;
        const f = this.fill;
        pp = this.prePos;
        dp = this.dryPos;
        for (let i = 0; i < run; i++) {
          const input = x[off + i]!;
          let v = input;
          if (PL > 0) {
            v = pre[pp]!;
            pre[pp] = input;
            if (++pp === PL) pp = 0;
          }
          win[B + f + i] = v;
          let d = input;
          if (DL > 0) {
            d = dry[dp]!;
            dry[dp] = input;
            if (++dp === DL) dp = 0;
          }
          x[off + i] = dryGain * d + wet * out[f + i]!;
        }
      }
      this.prePos = pp;
      this.dryPos = dp;
      this.fill += run;
      off += run;
      if (this.fill === B) {
        this.fill = 0;
        this.block();
      }
    }
  }

  /** A full input block is in every window: transform, accumulate over partitions, transform back. */
  private block(): void {
    const B = this.blockSize, N = this.size, K = this.partitions, bins = 2 * (B + 1);
    const head = this.fdlHead;
    for (let ch = 0; ch < this.channels; ch++) {
      const win = this.windows[ch]!;
      this.fft.realTransform(this.spectrum, win);
      this.fdl[ch]!.set(this.spectrum.subarray(0, bins), head * bins);
      win.copyWithin(0, B, N);
    }
    for (let ch = 0; ch < this.channels; ch += 2) {
      this.accumulate(ch, this.accA);
      const pair = ch + 1 < this.channels;
      if (pair) this.accumulate(ch + 1, this.accB);
      else this.accB.fill(0);
      // Z = Y₁ + j·Y₂ over the full circle (Y(N − k) = conj Y(k)); its inverse is y₁ + j·y₂.
      const A = this.accA, Bc = this.accB, Z = this.packed;
      for (let k = 0; k <= B; k++) {
        const ar = A[2 * k]!, ai = A[2 * k + 1]!, br = Bc[2 * k]!, bi = Bc[2 * k + 1]!;
        Z[2 * k] = ar - bi;
        Z[2 * k + 1] = ai + br;
        if (k > 0 && k < B) {
          const m = N - k;
          Z[2 * m] = ar + bi;
          Z[2 * m + 1] = br - ai;
        }
      }
      this.fft.inverseTransform(this.result, Z);
      const r = this.result;
      const o1 = this.outBlocks[ch]!;
      for (let i = 0; i < B; i++) o1[i] = r[2 * (B + i)]!;
      if (pair) {
        const o2 = this.outBlocks[ch + 1]!;
        for (let i = 0; i < B; i++) o2[i] = r[2 * (B + i) + 1]!;
      }
    }
    this.fdlHead = head + 1 === K ? 0 : head + 1;
  }

  /** acc = Σ_k X(head − k) · H_k for signal channel ch. */
  private accumulate(ch: number, acc: Float64Array): void {
    const K = this.partitions, bins = 2 * (this.blockSize + 1);
    const X = this.fdl[ch]!;
    const H = this.irSpectra[this.irIndex[ch]!]!;
    acc.fill(0);
    let slot = this.fdlHead;
    for (let k = 0; k < K; k++) {
      const xo = slot * bins, ho = k * bins;
      for (let b = 0; b < bins; b += 2) {
        const xr = X[xo + b]!, xi = X[xo + b + 1]!, hr = H[ho + b]!, hi = H[ho + b + 1]!;
        acc[b] = acc[b]! + xr * hr - xi * hi;
        acc[b + 1] = acc[b + 1]! + xr * hi + xi * hr;
      }
      slot = slot === 0 ? K - 1 : slot - 1;
    }
  }

  /** Empties the input windows, the spectra delay line, the pre-delay and the dry delay. */
  reset(): void {
    for (const w of this.windows) w.fill(0);
    for (const f of this.fdl) f.fill(0);
    for (const o of this.outBlocks) o.fill(0);
    for (const p of this.pre) p.fill(0);
    for (const d of this.dry) d.fill(0);
    this.fdlHead = 0;
    this.fill = 0;
    this.prePos = 0;
    this.dryPos = 0;
  }
}
