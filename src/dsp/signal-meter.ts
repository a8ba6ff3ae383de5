import type { Overview } from './overview.js';
import { pickInGroupOf8 } from './random.js';
import { monoStats, stereoStats } from './simd.js';
import type { SegmentPosition } from './segment.js';

/** Options of the SignalMeter: the signal, what counts as clipping and as sound, and where its segment lies in the file. */
export interface SignalMeterOptions extends SegmentPosition {
  /** Channels of every block pushed. */
  channels: number;
  /** Hz; places the last 10 ms. */
  sampleRate: number;
  /** Total frames of the file, so the meter knows where the last 10 ms begin. */
  totalFrames: number;
  /** |x| at or above this is "at full scale" (integer formats: the largest code). Default 1 − 2⁻²³. */
  clipLevel?: number;
  /** Consecutive full-scale samples that make a clipped run. Default 3. */
  clipRunLength?: number;
  /**
   * Float files: a run counts only while the samples are flat-topped (the same |value|, at or above
   * clipLevel). Float overs are intact audio, not clipping; a clipper leaves plateaus. Default false.
   */
  flatTopsOnly?: boolean;
  /** "Sound" starts above this linear level. Default 0.001 (−60 dBFS). */
  soundThreshold?: number;
  /** Also fills this overview (peak and RMS per column) from the same loop. */
  overview?: Overview;
}

/** Clipped runs longer than this many are counted but not listed. */
const MAX_LISTED_RUNS = 200;
/** Peak-level histogram: 0.1 dB bins from −120 dBFS to +12 dBFS. */
export const LEVEL_BINS = 1320;
const LEVEL_FLOOR_DB = -120;
const LEVEL_BIN_DB = 0.1;
/** |x| in [0, 1) → histogram bin, by table: a log per sample is the costliest thing this meter could do. */
const LUT_SCALE = 1 << 12;
const LEVEL_LUT = (() => {
  const table = new Uint16Array(LUT_SCALE);
  for (let k = 0; k < LUT_SCALE; k++) {
    const a = (k + 0.5) / LUT_SCALE;
    table[k] = Math.max(0, Math.min(LEVEL_BINS - 1, Math.floor((20 * Math.log10(a) - LEVEL_FLOOR_DB) / LEVEL_BIN_DB)));
  }
  return table;
})();

/** A run of consecutive full-scale samples in one channel. */
export interface ClipRun {
  /** Channel index, from 0. */
  channel: number;
  /** File frame index of its first sample. */
  start: number;
  /** Samples in the run. */
  length: number;
}

/** Everything a SignalMeter has counted, as a plain structured-cloneable object. */
export interface SignalMeterState {
  /** Channels measured. */
  channels: number;
  /** Frames counted (from countFrom on). */
  frames: number;
  /** Per channel: max |sample| over finite samples (linear). */
  peak: number[];
  /** Per channel: Σ x over finite samples. */
  sum: number[];
  /** Per channel: Σ x² over finite samples. */
  sumSquares: number[];
  /** Σ L·R over the counted frames (stereo only; 0 otherwise). */
  sumLR: number;
  /** Non-zero once L and R differ anywhere (stereo only; a witness, not the largest difference): 0 means dual mono. */
  maxSideAbs: number;
  /** NaN and ±Infinity samples, all channels. */
  nonFinite: number;
  /** Samples strictly above 0 dBFS (float overs). */
  overs: number;
  /** File frame index of the first sample above the sound threshold; null when there is none. */
  firstSound: number | null;
  /** File frame index of the last sample above the sound threshold; null when there is none. */
  lastSound: number | null;
  /** Max |sample| in the file's last 10 ms, all channels (linear). */
  tailPeak: number;
  /** Completed runs of at least clipRunLength, in order, capped at MAX_LISTED_RUNS. */
  clipRuns: ClipRun[];
  /** Completed runs of at least clipRunLength, listed or not. */
  clipRunCount: number;
  /** Consecutive full-scale samples that make a clipped run (from the options). */
  clipRunLength: number;
  /** Per channel, the full-scale run touching the first counted sample (for stitching segments). */
  leadingRun: number[];
  /** Per channel, the full-scale run still open at the last counted sample. */
  trailingRun: number[];
  /** Counts of |x| per 0.1 dB level bin (all channels). */
  levelHistogram: number[];
}

function emptyState(channels: number, clipRunLength: number): SignalMeterState {
  const zeros = () => new Array<number>(channels).fill(0);
  return {
    channels,
    frames: 0,
    peak: zeros(),
    sum: zeros(),
    sumSquares: zeros(),
    sumLR: 0,
    maxSideAbs: 0,
    nonFinite: 0,
    overs: 0,
    firstSound: null,
    lastSound: null,
    tailPeak: 0,
    clipRuns: [],
    clipRunCount: 0,
    clipRunLength,
    leadingRun: zeros(),
    trailingRun: zeros(),
    levelHistogram: new Array<number>(LEVEL_BINS).fill(0),
  };
}

/**
 * Everything about one signal that a single loop over its samples can tell, as a mergeable state:
 * sample peak, DC, RMS, clipped runs, non-finite samples, first/last sound, the level of the last
 * 10 ms, a peak-level histogram (for flat-topped limiting) and L/R correlation. Partitionable by
 * time without pre-roll (samples before `countFrom` are ignored): peaks, counts, runs and the sums
 * of PCM samples merge exactly; energies to within the SIMD kernel's 2⁻²⁰ (see simd.ts).
 */
export class SignalMeter {
  private readonly o: Required<Omit<SignalMeterOptions, 'overview'>>;
  private readonly overview: Overview | null;
  private position: number;
  private readonly s: SignalMeterState;
  private readonly open: number[];
  private readonly runStart: number[];
  /** |value| of the open run's samples (flatTopsOnly). */
  private readonly runLevel: number[];
  private readonly atStart: boolean[];
  private readonly histogram: Uint32Array;

  constructor(options: SignalMeterOptions) {
    const startFrame = options.startFrame ?? 0;
    this.o = {
      startFrame,
      countFrom: options.countFrom ?? startFrame,
      clipLevel: options.clipLevel ?? 1 - 2 ** -23,
      clipRunLength: options.clipRunLength ?? 3,
      flatTopsOnly: options.flatTopsOnly ?? false,
      soundThreshold: options.soundThreshold ?? 0.001,
      ...options,
    } as Required<Omit<SignalMeterOptions, 'overview'>>;
    this.overview = options.overview ?? null;
    this.o.startFrame = startFrame;
    this.o.countFrom = options.countFrom ?? startFrame;
    this.position = startFrame;
    const n = options.channels;
    this.s = emptyState(n, this.o.clipRunLength);
    this.open = new Array<number>(n).fill(0);
    this.runStart = new Array<number>(n).fill(0);
    this.runLevel = new Array<number>(n).fill(0);
    this.atStart = new Array<boolean>(n).fill(true);
    this.histogram = new Uint32Array(LEVEL_BINS);
    this.piece = new Float64Array(Math.max(8, 3 * n));
  }

  /** Feeds `frames` frames (planar, one array per channel) that follow the previous ones; those before countFrom are skipped. */
  push(planar: Float32Array[], frames: number): void {
    const begin = Math.max(0, this.o.countFrom - this.position);
    const globalStart = this.position;
    this.position += frames;
    if (begin >= frames) return;
    const n = this.s.channels;
    const tailFrom = this.o.totalFrames - Math.round(0.01 * this.o.sampleRate);
    const clip = this.o.clipLevel;
    const threshold = this.o.soundThreshold;
    const overview = this.overview;
    const stereo = n === 2;
    // Pieces end at overview column boundaries, so one loop serves both. The common case (finite,
    // below full scale) is one tight loop over the piece (both channels and Σ L·R at once for
    // stereo); clipping and non-finite values are resolved per sample only in pieces that have them.
    for (let c = begin; c < frames; ) {
      const e = overview ? Math.min(frames, overview.columnEnd(globalStart + c) - globalStart) : frames;
      const piece = this.piece;
      if (stereo) {
        stereoStats(planar[0]!, planar[1]!, c, e, piece);
        this.stereoExtras(planar[0]!, planar[1]!, c, e);
      } else for (let ch = 0; ch < n; ch++) monoStats(planar[ch]!, c, e, piece, 3 * ch);
      for (let ch = 0; ch < n; ch++) {
        const x = planar[ch]!;
        let cs = piece[3 * ch]!;
        let cq = piece[3 * ch + 1]!;
        let cmax = piece[3 * ch + 2]!;
        if (!(cq < Infinity)) {
          this.exactChunk(ch, x, c, e, globalStart);
          const part = this.partial;
          cs = part.sum;
          cq = part.squares;
          cmax = part.max;
        } else if (cmax >= clip || this.open[ch]! > 0) {
          this.clipChunk(ch, x, c, e, globalStart);
        } else if (this.open[ch] === 0) {
          this.atStart[ch] = false;
        }
        this.s.sum[ch] = this.s.sum[ch]! + cs;
        this.s.sumSquares[ch] = this.s.sumSquares[ch]! + cq;
        if (cmax > this.s.peak[ch]!) this.s.peak[ch] = cmax;
        overview?.add(globalStart + c, e - c, cq, cmax);
        if (cmax > threshold) this.sound(ch, x, c, e, globalStart);
      }
      c = e;
    }
    for (let ch = 0; ch < n; ch++) {
      const x = planar[ch]!;
      if (globalStart + frames > tailFrom) {
        let tail = this.s.tailPeak;
        for (let i = Math.max(begin, tailFrom - globalStart); i < frames; i++) {
          const a = Math.abs(x[i]!);
          if (a > tail && a < Infinity) tail = a;
        }
        this.s.tailPeak = tail;
      }
      if (this.open[ch]! > 0 && this.atStart[ch]) this.s.leadingRun[ch] = this.open[ch]!;
    }
    this.s.frames += frames - begin;
  }

  /** Per channel Σx, Σx², max|x| of the current piece; then Σ L·R and Σ (L − R)² (stereo). */
  private readonly piece: Float64Array;

  /** Σ L·R of a stereo piece, and the dual-mono witness (non-finite pieces compared per sample). */
  private stereoExtras(l: Float32Array, r: Float32Array, from: number, to: number): void {
    const lr = this.piece[6]!;
    const side = this.piece[7]!;
    if (lr === lr) this.s.sumLR += lr;
    if (this.s.maxSideAbs === 0 && side !== 0) {
      if (side < Infinity) this.s.maxSideAbs = Math.sqrt(side / (to - from));
      else {
        for (let i = from; i < to; i++) {
          if (l[i] !== r[i] && (l[i] === l[i] || r[i] === r[i])) {
            this.s.maxSideAbs = Math.abs(l[i]! - r[i]!) || 1;
            break;
          }
        }
      }
    }
  }

  /** A piece [from, to) with sound in it: first and last sound, and the level histogram. */
  private sound(ch: number, x: Float32Array, from: number, to: number, globalStart: number): void {
    const threshold = this.o.soundThreshold;
    if (this.s.firstSound === null || globalStart + from < this.s.firstSound) {
      let first = from;
      while (!(Math.abs(x[first]!) > threshold)) first++;
      if (this.s.firstSound === null || globalStart + first < this.s.firstSound) this.s.firstSound = globalStart + first;
    }
    let last = to - 1;
    while (!(Math.abs(x[last]!) > threshold && Math.abs(x[last]!) < Infinity)) last--;
    if (this.s.lastSound === null || globalStart + last > this.s.lastSound) this.s.lastSound = globalStart + last;
    // One frame in 8 (the histogram feeds a proportion), picked as in pickInGroupOf8.
    const histogram = this.histogram;
    for (let q = Math.floor((globalStart + from) / 8); q * 8 < globalStart + to; q++) {
      const i = q * 8 + pickInGroupOf8(q) - globalStart;
      if (i < from || i >= to) continue;
      const a = Math.abs(x[i]!);
      if (a > threshold && a < Infinity) histogram[a < 1 ? LEVEL_LUT[(a * LUT_SCALE) | 0]! : LEVEL_BINS - 1]! += 8;
    }
  }

  private readonly partial = { sum: 0, squares: 0, max: 0 };

  /** A chunk holding NaN/±Infinity: count them, measure the rest (and track clipping) sample by sample. */
  private exactChunk(ch: number, x: Float32Array, from: number, to: number, globalStart: number): void {
    let sum = 0;
    let squares = 0;
    let max = 0;
    for (let i = from; i < to; i++) {
      const v = x[i]!;
      if (!(Math.abs(v) < Infinity)) {
        this.s.nonFinite++;
        continue;
      }
      sum += v;
      squares += v * v;
      if (Math.abs(v) > max) max = Math.abs(v);
      this.clipSample(ch, Math.abs(v), globalStart + i);
    }
    this.partial.sum = sum;
    this.partial.squares = squares;
    this.partial.max = max;
  }

  /** A chunk with full-scale samples (or a run still open from the previous chunk). */
  private clipChunk(ch: number, x: Float32Array, from: number, to: number, globalStart: number): void {
    for (let i = from; i < to; i++) this.clipSample(ch, Math.abs(x[i]!), globalStart + i);
  }

  private clipSample(ch: number, a: number, frame: number): void {
    if (a >= this.o.clipLevel) {
      if (a > 1) this.s.overs++;
      if (this.o.flatTopsOnly && this.open[ch]! > 0 && a !== this.runLevel[ch]) {
        // A new level ends the plateau: the run so far closes and this sample may start the next.
        this.closeRun(ch, this.open[ch]!);
        this.open[ch] = 0;
      }
      this.runLevel[ch] = a;
      if (this.open[ch] === 0) this.runStart[ch] = frame;
      this.open[ch]!++;
      return;
    }
    if (this.open[ch]! > 0) {
      this.closeRun(ch, this.open[ch]!);
      this.open[ch] = 0;
    }
    this.atStart[ch] = false;
  }

  private closeRun(ch: number, length: number): void {
    if (this.atStart[ch]) {
      // A run touching the segment start: its true length depends on the previous segment.
      this.s.leadingRun[ch] = length;
      this.atStart[ch] = false;
      return;
    }
    if (length >= this.o.clipRunLength) {
      this.s.clipRunCount++;
      if (this.s.clipRuns.length < MAX_LISTED_RUNS) this.s.clipRuns.push({ channel: ch, start: this.runStart[ch]!, length });
    }
  }

  /** The largest |sample| counted so far, over all channels. */
  peakSoFar(): number {
    return Math.max(0, ...this.s.peak);
  }

  /** A snapshot of everything counted so far (copies; the meter can keep going). */
  state(): SignalMeterState {
    const trailing = this.open.map((open, ch) => (this.atStart[ch] ? 0 : open));
    return {
      ...this.s,
      peak: [...this.s.peak],
      sum: [...this.s.sum],
      sumSquares: [...this.s.sumSquares],
      clipRuns: [...this.s.clipRuns],
      leadingRun: [...this.s.leadingRun],
      trailingRun: trailing,
      levelHistogram: Array.from(this.histogram),
    };
  }

  /**
   * Merges segment states in time order. A run open at one segment's end joins the leading run of
   * the next; a segment that is one run from end to end carries it through.
   */
  static merge(parts: SignalMeterState[], runStarts: number[]): SignalMeterState {
    const first = parts[0]!;
    const n = first.channels;
    const out = emptyState(n, first.clipRunLength);
    const carry = new Array<number>(n).fill(0);
    const carryStart = new Array<number>(n).fill(0);
    parts.forEach((p, index) => {
      const segmentStart = runStarts[index]!;
      for (let ch = 0; ch < n; ch++) {
        out.peak[ch] = Math.max(out.peak[ch]!, p.peak[ch]!);
        out.sum[ch] = out.sum[ch]! + p.sum[ch]!;
        out.sumSquares[ch] = out.sumSquares[ch]! + p.sumSquares[ch]!;
        const whole = p.leadingRun[ch] === p.frames && p.frames > 0;
        if (p.leadingRun[ch]! > 0) {
          if (carry[ch] === 0) carryStart[ch] = segmentStart;
          carry[ch] = carry[ch]! + p.leadingRun[ch]!;
        }
        if (!whole) {
          if (carry[ch]! >= out.clipRunLength) {
            out.clipRunCount++;
            out.clipRuns.push({ channel: ch, start: carryStart[ch]!, length: carry[ch]! });
          }
          carry[ch] = 0;
        }
      }
      for (const run of p.clipRuns) out.clipRuns.push(run);
      out.clipRunCount += p.clipRunCount;
      for (let ch = 0; ch < n; ch++) {
        if (p.trailingRun[ch]! > 0 && !(p.leadingRun[ch] === p.frames)) {
          carry[ch] = p.trailingRun[ch]!;
          carryStart[ch] = segmentStart + p.frames - p.trailingRun[ch]!;
        }
      }
      out.frames += p.frames;
      out.sumLR += p.sumLR;
      out.maxSideAbs = Math.max(out.maxSideAbs, p.maxSideAbs);
      out.nonFinite += p.nonFinite;
      out.overs += p.overs;
      if (p.firstSound !== null && (out.firstSound === null || p.firstSound < out.firstSound)) out.firstSound = p.firstSound;
      if (p.lastSound !== null && (out.lastSound === null || p.lastSound > out.lastSound)) out.lastSound = p.lastSound;
      out.tailPeak = Math.max(out.tailPeak, p.tailPeak);
      p.levelHistogram.forEach((count, bin) => (out.levelHistogram[bin]! += count));
    });
    for (let ch = 0; ch < n; ch++) {
      if (carry[ch]! >= out.clipRunLength) {
        out.clipRunCount++;
        out.clipRuns.push({ channel: ch, start: carryStart[ch]!, length: carry[ch]! });
      }
    }
    out.clipRuns.sort((a, b) => a.start - b.start || a.channel - b.channel);
    out.clipRuns = out.clipRuns.slice(0, MAX_LISTED_RUNS);
    return out;
  }

  /** Share of samples (all channels) at or above `dbfs`, from the level histogram (one frame in 8). */
  static fractionAbove(state: SignalMeterState, dbfs: number): number {
    const fromBin = Math.max(0, Math.floor((dbfs - LEVEL_FLOOR_DB) / LEVEL_BIN_DB));
    let above = 0;
    for (let bin = fromBin; bin < state.levelHistogram.length; bin++) above += state.levelHistogram[bin]!;
    const samples = state.frames * state.channels;
    return samples ? above / samples : 0;
  }

  /** Fraction of samples within `db` of the peak: high for flat-topped (brick-wall limited) material. */
  static nearPeakFraction(state: SignalMeterState, db = 0.5): number {
    const peak = Math.max(...state.peak);
    if (peak <= 0) return 0;
    const peakBin = Math.floor((20 * Math.log10(peak) - LEVEL_FLOOR_DB) / LEVEL_BIN_DB);
    const fromBin = Math.max(0, peakBin - Math.round(db / LEVEL_BIN_DB));
    let near = 0;
    state.levelHistogram.forEach((count, bin) => {
      if (bin >= fromBin) near += count;
    });
    const samples = state.frames * state.channels;
    return samples ? near / samples : 0;
  }
}
