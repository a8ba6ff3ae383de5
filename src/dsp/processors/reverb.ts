/**
 * Algorithmic reverb: a feedback delay network (Jot & Chaigne; Schlecht & Habets).
 *
 * - N delay lines (8, or 16+ for more than 6 output channels), lengths spread
 *   geometrically between 10 + 20·size ms and 30 + 70·size ms and rounded to distinct primes.
 * - Per-line gain g_i = 10^(−3·m_i / (RT60·fs)): every recirculation through line i loses exactly
 *   60 dB per RT60, so the network decays at RT60 whatever path the energy takes.
 * - Optional damping: a one-pole low-pass (unity DC gain) in each line, so high frequencies decay
 *   faster while RT60 holds at low frequencies.
 * - Feedback mixing by the normalised Hadamard matrix (orthogonal, every line feeds every line
 *   with equal weight), computed as a fast Walsh–Hadamard transform.
 * - The input channels are averaged, pre-delayed (exact to the sample) and injected into every
 *   line with the signs of Hadamard row N − 1 (over √N).
 * - Decorrelated outputs: channel c sums all lines with the signs of Hadamard row c + 1 (orthogonal
 *   to the other channels' rows and to the injection row), each line read at a channel-specific
 *   point along it (channel 0 at the line ends, others at irregular fractions 0.45 … 0.95 of the
 *   length). Different tap points give every mode a different phase per channel, which is what
 *   decorrelates the channels (≤ 0.05 normalised cross-correlation of the impulse responses;
 *   orthogonal signs alone leave ≈ 0.2 because of coherent equal-length paths).
 * - Onset exactly at the pre-delay: channel c also plays the pre-delayed input through a short
 *   Walsh code (row c of a W-point Hadamard matrix, W ≥ channels, first chip +1), so every channel
 *   starts at the pre-delay while the onsets stay mutually orthogonal.
 * - The wet level is normalised so the impulse response has ≈ unit energy (noise in ≈ level out)
 *   whatever the decay and size.
 *
 * Silence: after the input has been silent long enough for the network to decay by 400 dB
 * (20/3 RT60, far below any output format and long before Float64 state could become subnormal,
 * which takes ~90 RT60), the state is zeroed on the chunk grid; from then on silent input skips
 * the network entirely (exact: a zero state stays zero). So no per-sample denormal guard is needed.
 *
 * Processing runs in chunks no longer than the shortest line or tap distance, so a chunk never
 * reads what it writes; each line carries a mirror of its first `chunk` slots after its end, so
 * reads never wrap. The usual case (8 lines, ≤ 2 channels) runs one fused pass per frame in
 * registers; other configurations run stage by stage over the chunk. Per sample the arithmetic is
 * the same in any chunking (and in both paths), so output is bit-identical whatever the caller's
 * block sizes. Zero latency.
 */
import { allocateDoubles, allocateIndices, inArena, releaseSamples, reverbFused } from '../simd.js';
import type { ReverbSpec } from './schema.js';
import { checkBelowNyquist, checkPlanar, msToSamples, type Processor, type ProcessorContext, TAIL_FLOOR_DB } from './types.js';

const MAX_CHUNK = 256;
/** How far (dB) the network decays in silence before its state is zeroed. */
const SETTLE_DB = 400;
export const DEFAULT_DECAY = 2;
export const DEFAULT_SIZE = 0.5;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** Delay-line lengths (samples): geometric spread, nearest unused primes. */
export function fdnLengths(lines: number, size: number, sampleRate: number): number[] {
  const lo = ((10 + 20 * size) * sampleRate) / 1000;
  const hi = ((30 + 70 * size) * sampleRate) / 1000;
  const used = new Set<number>();
  const out: number[] = [];
  for (let i = 0; i < lines; i++) {
    let m = Math.max(2, Math.round(lo * (hi / lo) ** (i / (lines - 1))));
    for (let step = 0; ; step++) {
      const up = m + step, down = m - step;
      if (isPrime(up) && !used.has(up)) { m = up; break; }
      if (down >= 2 && isPrime(down) && !used.has(down)) { m = down; break; }
    }
    used.add(m);
    out.push(m);
  }
  return out;
}

/**
 * Where channel c taps line i, as a fraction of the line length: channel 0 at the line outputs,
 * the others at distinct, irregular points further up the lines. Reading each channel at other
 * points gives every mode a different phase per channel, which decorrelates the channels.
 */
function tapPoint(c: number, i: number): number {
  if (c === 0) return 1;
  const golden = 0.6180339887498949;
  return 0.45 + 0.5 * ((c * golden + i * golden * golden) % 1);
}

/** Sylvester–Hadamard entry H[r][c] = (−1)^popcount(r & c). */
function hadamard(r: number, c: number): number {
  let v = r & c, parity = 0;
  while (v) {
    parity ^= v & 1;
    v >>>= 1;
  }
  return parity ? -1 : 1;
}

/** An algorithmic reverb: a feedback delay network with decorrelated outputs per channel. */
export class Reverb implements Processor {
  /** None: the dry signal passes undelayed, and the wet one starts at the pre-delay. */
  readonly latency = 0;
  /** Frames until the decay falls below −90 dBFS: pre-delay, the longest line and the RT60 slope (0 when `mix` is 0). */
  readonly tail: number;
  /** The delay lines' lengths, frames: distinct primes. */
  readonly lengths: readonly number[];
  /** The pre-delay, frames. */
  readonly predelay: number;
  private readonly channels: number;
  private readonly n: number;
  private readonly mix: number;
  private readonly gains: Float64Array;
  private readonly damp: number;
  private readonly inject: Float64Array;
  private readonly outSign: Float64Array;
  /** Per channel and line: how far back (samples, ≤ the line length) the output tap reads. */
  private readonly taps: Int32Array;
  /** Per channel: the onset code (Walsh row), applied to the pre-delayed input. */
  private readonly onset: Float64Array;
  private readonly onsetLength: number;
  /** The last onsetLength − 1 pre-delayed inputs (newest last). */
  private readonly onsetHistory: Float64Array;
  private readonly outScale: number;
  private readonly chunk: number;
  /** Per line: m slots, then a mirror of the first `chunk` slots (reads never wrap); views into `store` from `base`. */
  private readonly lines: Float64Array[];
  private readonly store: Float64Array;
  private readonly base: Int32Array;
  /** N = 8 and ≤ 2 channels: the fused per-frame path. */
  private readonly fast: boolean;
  /** The fused path runs in the SIMD module (assembly/reverb.ts) with these positions and parameters. */
  private readonly kernel: boolean;
  private readonly index: Int32Array;
  private readonly params: Float64Array;
  private readonly pos: Int32Array;
  private readonly lp: Float64Array;
  private readonly pre: Float64Array;
  /** Scratch for swapping a chunk with the pre-delay ring. */
  private readonly swap: Float64Array;
  private prePos = 0;
  private phase = 0;
  /** Frames of silent input since the last non-silent one, and how many make the network zero. */
  private silentFor = 0;
  private readonly settle: number;
  /** The whole state is zero (until the input is not silent). */
  private idle = true;
  // Scratch: mono input, per-line block (N × chunk), output accumulator (runBlocks).
  private readonly xin: Float64Array;
  private readonly block: Float64Array;
  private readonly acc: Float64Array;

  constructor(spec: ReverbSpec, ctx: ProcessorContext) {
    const fs = ctx.sampleRate;
    const decay = spec.decay ?? DEFAULT_DECAY;
    const size = spec.size ?? DEFAULT_SIZE;
    this.channels = ctx.channels;
    // Output rows 1 … C and the injection row N − 1 must be distinct.
    let n = 8;
    while (n < ctx.channels + 2) n *= 2;
    this.n = n;
    this.mix = spec.mix;
    this.lengths = fdnLengths(n, size, fs);
    this.gains = Float64Array.from(this.lengths, (m) => 10 ** ((-3 * m) / (decay * fs)));
    if (spec.damping !== undefined) {
      checkBelowNyquist(['damping'], spec.damping, fs);
      this.damp = 1 - Math.exp((-2 * Math.PI * spec.damping) / fs);
    } else this.damp = 0;
    // Injection: the last Hadamard row over √N (unit norm, every line, orthogonal to the output rows).
    this.inject = Float64Array.from({ length: n }, (_, i) => hadamard(n - 1, i) / Math.sqrt(n));
    // Output taps: channel c reads line i at TAP_POINTS[c]·m_i samples back, with sign H[c + 1][i].
    this.outSign = new Float64Array(ctx.channels * n);
    this.taps = new Int32Array(ctx.channels * n);
    for (let c = 0; c < ctx.channels; c++) {
      for (let i = 0; i < n; i++) {
        this.outSign[c * n + i] = hadamard(c + 1, i);
        this.taps[c * n + i] = Math.max(1, Math.round(tapPoint(c, i) * this.lengths[i]!));
      }
    }
    // Onset codes: channel c starts with Walsh row c (length W ≥ channels, first chip +1) at the pre-delay.
    let w = 1;
    while (w < ctx.channels) w *= 2;
    this.onset = Float64Array.from({ length: ctx.channels * w }, (_, k) => hadamard(Math.floor(k / w), k % w) / Math.sqrt(n));
    this.onsetLength = w;
    this.onsetHistory = new Float64Array(w);
    const meanLength = this.lengths.reduce((a, b) => a + b, 0) / n;
    // Unit-energy impulse response: Σ_t Σ_i w_i² ≈ 1/(1 − ḡ²) ≈ RT60·fs / (3·ln10·m̄) … per output row.
    this.outScale = Math.sqrt((6 * Math.LN10 * meanLength) / (decay * fs));
    this.predelay = msToSamples(spec.predelay, fs);
    this.pre = new Float64Array(this.predelay);
    this.swap = new Float64Array(MAX_CHUNK);
    this.chunk = Math.min(MAX_CHUNK, Math.min(...this.lengths), Math.min(...this.taps));
    // All lines in one array: the fused loop then indexes one buffer (one base, one bounds check)
    // instead of eight, which is markedly faster in V8.
    const bases = this.lengths.map((_, i) => this.lengths.slice(0, i).reduce((a, m) => a + m + this.chunk, 0));
    this.fast = n === 8 && ctx.channels <= 2;
    // The fused path's state lives in the SIMD kernels' memory (see dispose): lines, input, and the
    // kernel's positions and parameters, the damping states among them.
    const storeLength = bases[n - 1]! + this.lengths[n - 1]! + this.chunk;
    this.store = this.fast ? allocateDoubles(storeLength) : new Float64Array(storeLength);
    this.index = this.fast ? allocateIndices(16) : new Int32Array(16);
    this.params = this.fast ? allocateDoubles(32) : new Float64Array(32);
    this.base = Int32Array.from(bases);
    this.lines = this.lengths.map((m, i) => this.store.subarray(bases[i]!, bases[i]! + m + this.chunk));
    this.pos = new Int32Array(n);
    this.lp = n === 8 ? this.params.subarray(16, 24) : new Float64Array(n);
    this.xin = this.fast ? allocateDoubles(this.chunk) : new Float64Array(this.chunk);
    this.kernel = this.fast && inArena(this.store) && inArena(this.xin) && inArena(this.index) && inArena(this.params);
    if (this.kernel) {
      const two = ctx.channels === 2;
      this.params.set(this.gains, 0);
      this.params.set(this.inject, 8);
      this.params.set([this.damp, this.mix * this.outScale, 1 - this.mix, this.onset[0]!, two ? this.onset[1]! : 0, two ? this.onset[2]! : 0, two ? this.onset[3]! : 0], 24);
    }
    this.block = new Float64Array(n * this.chunk);
    this.acc = new Float64Array(this.chunk);
    // Tail: decay from the worst-case build-up (ℓ1 bound of a unit-energy response over its effective
    // length RT60·fs/(3·ln10)) down to −90 dB, after the pre-delay and the longest line.
    const effective = (decay * fs) / (3 * Math.LN10);
    const headroomDb = 10 * Math.log10(effective) + 6;
    this.tail = spec.mix === 0 ? 0 : this.predelay + Math.max(...this.lengths) + Math.ceil((decay * fs * (-TAIL_FLOOR_DB + headroomDb)) / 60);
    this.settle = this.predelay + Math.max(...this.lengths) + Math.ceil((decay * fs * SETTLE_DB) / 60);
  }

  /** Adds the reverb to `frames` frames of `planar` in place, blended with the dry signal by `mix`. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    let off = 0;
    while (off < frames) {
      const len = Math.min(frames - off, this.chunk - this.phase);
      if (this.idle && this.silent(planar, off, len)) {
        // A zero state with silent input stays zero: only the dry part of the output remains.
        const dry = 1 - this.mix;
        for (let c = 0; c < this.channels; c++) {
          const x = planar[c]!;
          for (let j = off; j < off + len; j++) x[j] = dry * x[j]!;
        }
        this.silentFor += len;
      } else {
        this.idle = false;
        this.run(planar, off, len);
      }
      off += len;
      this.phase += len;
      if (this.phase === this.chunk) {
        this.phase = 0;
        // Grid-aligned: flush damping states that decayed to nothing, zero a network that has.
        const lp = this.lp;
        for (let i = 0; i < this.n; i++) if (lp[i]! < 1e-30 && lp[i]! > -1e-30) lp[i] = 0;
        if (!this.idle && this.silentFor >= this.settle) this.zero();
      }
    }
  }

  /** Whether the mono input (the channels' sum) is exactly zero over [off, off + len). */
  private silent(planar: Float32Array[], off: number, len: number): boolean {
    const C = this.channels;
    for (let j = off; j < off + len; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += planar[c]![j]!;
      if (s !== 0) return false;
    }
    return true;
  }

  private run(planar: Float32Array[], off: number, len: number): void {
    const C = this.channels;
    const xin = this.xin;
    // 1. Mono input, pre-delayed.
    const invC = 1 / C;
    let silentFor = this.silentFor;
    if (C <= 2) {
      // (0 + a) + b: the same sum as the general loop, with both arrays hoisted.
      const a = planar[0]!, b = C === 2 ? planar[1]! : null;
      for (let j = 0; j < len; j++) {
        const s = b === null ? 0 + a[off + j]! : 0 + a[off + j]! + b[off + j]!;
        xin[j] = s * invC;
        silentFor = s === 0 ? silentFor + 1 : 0;
      }
    } else {
      for (let j = 0; j < len; j++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += planar[c]![off + j]!;
        xin[j] = s * invC;
        silentFor = s === 0 ? silentFor + 1 : 0;
      }
    }
    this.silentFor = silentFor;
    const P = this.predelay;
    if (P > 0) {
      // Swap the chunk with the ring, in runs up to the ring's end (no per-sample wrap test).
      const pre = this.pre, swap = this.swap;
      let p = this.prePos;
      for (let j = 0; j < len; ) {
        const run = Math.min(len - j, P - p);
        swap.set(pre.subarray(p, p + run));
        pre.set(xin.subarray(j, j + run), p);
        xin.set(swap.subarray(0, run), j);
        j += run;
        p += run;
        if (p === P) p = 0;
      }
      this.prePos = p;
    }
    // 2. The network: reads, outputs, mixing, writes (at unwrapped positions pos … pos + len − 1).
    if (this.fast) this.runFused(planar, off, len);
    else this.runBlocks(planar, off, len);
    // 3. Ring bookkeeping: every line is stored with a mirror of its first `chunk` slots after its
    //    end, so reads of up to `chunk` consecutive slots never wrap. Re-sync the copy that was not
    //    written, then advance.
    const S = this.chunk;
    for (let i = 0; i < this.n; i++) {
      const line = this.lines[i]!;
      const m = this.lengths[i]!;
      const lo = this.pos[i]!, hi = lo + len;
      if (lo < S) line.copyWithin(lo + m, lo, Math.min(hi, S));
      if (hi > m) line.copyWithin(Math.max(lo, m) - m, Math.max(lo, m), hi);
      this.pos[i] = hi >= m ? hi - m : hi;
    }
    // Keep the newest pre-delayed inputs for the onset codes of the next chunk.
    const Wn = this.onsetLength, hist = this.onsetHistory;
    for (let k = 0; k < Wn; k++) {
      const src = len - Wn + k;
      hist[k] = src >= 0 ? xin[src]! : hist[k + len]!;
    }
  }

  /** Any N and channel count: one pass per stage over the whole chunk (tight per-line loops). */
  private runBlocks(planar: Float32Array[], off: number, len: number): void {
    const N = this.n, C = this.channels, S = this.chunk;
    const xin = this.xin, block = this.block, acc = this.acc;
    // Read every line for the chunk (len ≤ shortest line), damp, apply the decay gain.
    const a = this.damp;
    for (let i = 0; i < N; i++) {
      const line = this.lines[i]!;
      const g = this.gains[i]!;
      const base = i * S;
      const p = this.pos[i]!;
      if (a > 0) {
        let s = this.lp[i]!;
        for (let j = 0; j < len; j++) {
          s += a * (line[p + j]! - s);
          block[base + j] = g * s;
        }
        this.lp[i] = s;
      } else {
        for (let j = 0; j < len; j++) block[base + j] = g * line[p + j]!;
      }
    }
    // Outputs: channel c sums the lines at its own tap points (signs: Hadamard row c + 1) and,
    // for the onset, its Walsh code over the last pre-delayed inputs.
    const wet = this.mix * this.outScale, dry = 1 - this.mix;
    const Wn = this.onsetLength, hist = this.onsetHistory;
    for (let c = 0; c < C; c++) {
      const code = c * Wn;
      const c0 = this.onset[code]!;
      for (let j = 0; j < len; j++) {
        let v = c0 * xin[j]!;
        for (let k = 1; k < Wn; k++) v += this.onset[code + k]! * (j - k >= 0 ? xin[j - k]! : hist[Wn + j - k]!);
        acc[j] = v;
      }
      for (let i = 0; i < N; i++) {
        const line = this.lines[i]!;
        const m = this.lengths[i]!;
        let p = this.pos[i]! + m - this.taps[c * N + i]!;
        if (p >= m) p -= m;
        if (this.outSign[c * N + i]! > 0) for (let j = 0; j < len; j++) acc[j] = acc[j]! + line[p + j]!;
        else for (let j = 0; j < len; j++) acc[j] = acc[j]! - line[p + j]!;
      }
      const x = planar[c]!;
      for (let j = 0; j < len; j++) x[off + j] = dry * x[off + j]! + wet * acc[j]!;
    }
    // Hadamard mixing (fast Walsh–Hadamard butterflies across lines).
    for (let h = 1; h < N; h *= 2) {
      for (let i0 = 0; i0 < N; i0 += 2 * h) {
        for (let i = i0; i < i0 + h; i++) {
          const A = i * S, B = (i + h) * S;
          for (let j = 0; j < len; j++) {
            const u = block[A + j]!, v = block[B + j]!;
            block[A + j] = u + v;
            block[B + j] = u - v;
          }
        }
      }
    }
    // Normalise, inject, write back where the chunk was read (each line's delay is its length).
    const norm = 1 / Math.sqrt(N);
    for (let i = 0; i < N; i++) {
      const line = this.lines[i]!;
      const b = this.inject[i]!;
      const base = i * S;
      const p = this.pos[i]!;
      for (let j = 0; j < len; j++) line[p + j] = block[base + j]! * norm + b * xin[j]!;
    }
  }

  /**
   * N = 8 with 1 or 2 channels (the usual stereo return): everything for a frame in registers,
   * one pass. Same operations in the same order as runBlocks, so the results are bit-identical.
   */
  private runFused(planar: Float32Array[], off: number, len: number): void {
    // The network's state is in the kernels' memory; the audio may be anywhere (staged if outside).
    if (this.kernel) {
      const index = this.index, pos = this.pos, base = this.base, lengths = this.lengths, taps = this.taps;
      for (let i = 0; i < 8; i++) {
        index[i] = base[i]! + pos[i]!;
        if (this.channels === 2) {
          const m = lengths[i]!;
          const p = pos[i]! + m - taps[8 + i]!;
          index[8 + i] = base[i]! + (p >= m ? p - m : p);
        }
      }
      this.params[31] = this.onsetHistory[this.onsetLength - 1]!;
      reverbFused(this.store, index, this.params, planar[0]!, this.channels === 2 ? planar[1]! : null, off, this.xin, len);
      return;
    }
    const C = this.channels;
    const xin = this.xin;
    const L = this.store;
    const pos = this.pos, lengths = this.lengths, taps = this.taps, base = this.base;
    // Read/write positions and channel 1's tap positions, as indices into the one store.
    const r0 = base[0]! + pos[0]!, r1 = base[1]! + pos[1]!, r2 = base[2]! + pos[2]!, r3 = base[3]! + pos[3]!;
    const r4 = base[4]! + pos[4]!, r5 = base[5]! + pos[5]!, r6 = base[6]! + pos[6]!, r7 = base[7]! + pos[7]!;
    const tap = (c: number, i: number) => {
      const m = lengths[i]!;
      const p = pos[i]! + m - taps[c * 8 + i]!;
      return base[i]! + (p >= m ? p - m : p);
    };
    const two = C === 2;
    const b0 = two ? tap(1, 0) : 0, b1 = two ? tap(1, 1) : 0, b2 = two ? tap(1, 2) : 0, b3 = two ? tap(1, 3) : 0;
    const b4 = two ? tap(1, 4) : 0, b5 = two ? tap(1, 5) : 0, b6 = two ? tap(1, 6) : 0, b7 = two ? tap(1, 7) : 0;
    const g = this.gains;
    const g0 = g[0]!, g1 = g[1]!, g2 = g[2]!, g3 = g[3]!, g4 = g[4]!, g5 = g[5]!, g6 = g[6]!, g7 = g[7]!;
    const inj = this.inject;
    const k0 = inj[0]!, k1 = inj[1]!, k2 = inj[2]!, k3 = inj[3]!, k4 = inj[4]!, k5 = inj[5]!, k6 = inj[6]!, k7 = inj[7]!;
    const lp = this.lp;
    let s0 = lp[0]!, s1 = lp[1]!, s2 = lp[2]!, s3 = lp[3]!, s4 = lp[4]!, s5 = lp[5]!, s6 = lp[6]!, s7 = lp[7]!;
    const damp = this.damp, damped = damp > 0;
    const norm = 1 / Math.sqrt(8);
    const wet = this.mix * this.outScale, dry = 1 - this.mix;
    const Wn = this.onsetLength;
    const o00 = this.onset[0]!, o01 = two ? this.onset[1]! : 0, o10 = two ? this.onset[2]! : 0, o11 = two ? this.onset[3]! : 0;
    let prev = this.onsetHistory[Wn - 1]!;
    const x0 = planar[0]!, x1 = two ? planar[1]! : planar[0]!;
    for (let j = 0; j < len; j++) {
      const x = xin[j]!;
      // Line outputs; channel 0 taps the lines at their ends, i.e. exactly these.
      const u0 = L[r0 + j]!, u1 = L[r1 + j]!, u2 = L[r2 + j]!, u3 = L[r3 + j]!;
      const u4 = L[r4 + j]!, u5 = L[r5 + j]!, u6 = L[r6 + j]!, u7 = L[r7 + j]!;
      // Outputs (before this frame's writes; taps are ≥ len slots behind, so never this chunk's writes).
      let y0 = o00 * x;
      if (two) y0 += o01 * prev;
      y0 = y0 + u0 - u1 + u2 - u3 + u4 - u5 + u6 - u7;
      x0[off + j] = dry * x0[off + j]! + wet * y0;
      if (two) {
        let y1 = o10 * x + o11 * prev;
        y1 = y1 + L[b0 + j]! + L[b1 + j]! - L[b2 + j]! - L[b3 + j]! + L[b4 + j]! + L[b5 + j]! - L[b6 + j]! - L[b7 + j]!;
        x1[off + j] = dry * x1[off + j]! + wet * y1;
      }
      prev = x;
      // Line outputs, damped, decay gains.
      let f0: number, f1: number, f2: number, f3: number, f4: number, f5: number, f6: number, f7: number;
      if (damped) {
        s0 += damp * (u0 - s0); s1 += damp * (u1 - s1); s2 += damp * (u2 - s2); s3 += damp * (u3 - s3);
        s4 += damp * (u4 - s4); s5 += damp * (u5 - s5); s6 += damp * (u6 - s6); s7 += damp * (u7 - s7);
        f0 = g0 * s0; f1 = g1 * s1; f2 = g2 * s2; f3 = g3 * s3; f4 = g4 * s4; f5 = g5 * s5; f6 = g6 * s6; f7 = g7 * s7;
      } else {
        f0 = g0 * u0; f1 = g1 * u1; f2 = g2 * u2; f3 = g3 * u3; f4 = g4 * u4; f5 = g5 * u5; f6 = g6 * u6; f7 = g7 * u7;
      }
      // Fast Walsh–Hadamard transform, same butterflies as runBlocks (h = 1, 2, 4).
      const c0 = f0 + f1, c1 = f0 - f1, c2 = f2 + f3, c3 = f2 - f3, c4 = f4 + f5, c5 = f4 - f5, c6 = f6 + f7, c7 = f6 - f7;
      const d0 = c0 + c2, d2 = c0 - c2, d1 = c1 + c3, d3 = c1 - c3, d4 = c4 + c6, d6 = c4 - c6, d5 = c5 + c7, d7 = c5 - c7;
      L[r0 + j] = (d0 + d4) * norm + k0 * x;
      L[r1 + j] = (d1 + d5) * norm + k1 * x;
      L[r2 + j] = (d2 + d6) * norm + k2 * x;
      L[r3 + j] = (d3 + d7) * norm + k3 * x;
      L[r4 + j] = (d0 - d4) * norm + k4 * x;
      L[r5 + j] = (d1 - d5) * norm + k5 * x;
      L[r6 + j] = (d2 - d6) * norm + k6 * x;
      L[r7 + j] = (d3 - d7) * norm + k7 * x;
    }
    if (damped) {
      lp[0] = s0; lp[1] = s1; lp[2] = s2; lp[3] = s3; lp[4] = s4; lp[5] = s5; lp[6] = s6; lp[7] = s7;
    }
  }

  /** Zeroes the state; the chunk grid (phase) and the silence count are the caller's. */
  private zero(): void {
    this.store.fill(0);
    this.pos.fill(0);
    this.lp.fill(0);
    this.pre.fill(0);
    this.prePos = 0;
    this.onsetHistory.fill(0);
    this.idle = true;
  }

  /** Silences the network, the pre-delay and the onsets. */
  reset(): void {
    this.zero();
    this.phase = 0;
    this.silentFor = 0;
  }

  /** Gives the state held in the SIMD kernels' memory back; the reverb must not be used afterwards. */
  dispose(): void {
    for (const x of [this.store, this.xin, this.index, this.params]) releaseSamples(x);
  }
}
