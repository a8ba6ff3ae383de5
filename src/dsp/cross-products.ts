import { RangeCollector, type FrameRange } from './ranges.js';
import { dot } from './simd.js';

/** Window for pairwise cancellation and the loudest-window search: 400 ms (a momentary-loudness block). */
const PAIR_WINDOW_SECONDS = 0.4;
/** Pairs are judged only where both stems are above −50 dBFS RMS. */
const PAIR_MIN_ENERGY = 10 ** (-50 / 10);
/** A pair "cancels" in a window when their sum loses this much against their power sum. */
const CANCELLATION_DB = -3;

/** Two stems that cancel somewhere: the windows where summing them loses ≥ 3 dB against their power sum. */
export interface PairPass {
  a: number;
  b: number;
  ranges: FrameRange[];
  worstDb: number;
}

export interface CrossProductsState {
  /** Mono (Σ channels) cross products: gram[i][j] = <s_i, s_j>. */
  gram: number[][];
  /** <s_i, mix> per stem (zeros without a mix). */
  withMix: number[];
  /** <mix, mix>. */
  mixEnergy: number;
  /** Only the pairs that cancelled somewhere (the Gram matrix has every pair). */
  pairs: PairPass[];
  /** Per stem, its loudest 400 ms window (mean mono energy) and where it starts (frame). */
  loudest: { energy: number; start: number }[];
}

export interface CrossProductsOptions {
  stems: number;
  hasMix: boolean;
  sampleRate: number;
  /** Segment [start, end) in frames: windows are on the global 400 ms grid, the last one closes at `end`. */
  start: number;
  end: number;
  /** Frames each picked frame stands for (the caller samples one frame in `stride`). */
  stride: number;
}

/**
 * The stems' (and the mix's) mono cross products over picked frames, for gain, polarity and
 * cancellation diagnosis, plus each stem's loudest window (where alignment probes look). Every
 * pair's state sits in flat arrays, and a pair keeps ranges only once it cancels, so 1000 stems
 * (499,500 pairs) cost a few MB. Mergeable across time segments.
 */
export class CrossProducts {
  private readonly stems: number;
  private readonly mixIndex: number;
  private readonly stride: number;
  private readonly end: number;
  private readonly window: number;
  private readonly gram: number[][];
  private readonly withMix: number[];
  private mixEnergy = 0;
  private readonly pairA: Uint32Array;
  private readonly pairB: Uint32Array;
  private readonly pairWorstDb: Float64Array;
  private readonly pairRanges = new Map<number, RangeCollector>();
  private readonly windowEnergy: Float64Array;
  private readonly windowDot: Float64Array;
  private windowStart: number;
  private readonly loudest: { energy: number; start: number }[];

  constructor(options: CrossProductsOptions) {
    const n = options.stems;
    this.stems = n;
    this.mixIndex = options.hasMix ? n : -1;
    this.stride = options.stride;
    this.end = options.end;
    this.window = Math.round(PAIR_WINDOW_SECONDS * options.sampleRate);
    this.gram = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    this.withMix = new Array<number>(n).fill(0);
    const pairs = (n * (n - 1)) / 2;
    this.pairA = new Uint32Array(pairs);
    this.pairB = new Uint32Array(pairs);
    for (let a = 0, index = 0; a < n; a++) for (let b = a + 1; b < n; b++, index++) [this.pairA[index], this.pairB[index]] = [a, b];
    this.pairWorstDb = new Float64Array(pairs);
    this.windowEnergy = new Float64Array(n);
    this.windowDot = new Float64Array(pairs);
    this.windowStart = Math.floor(options.start / this.window) * this.window;
    this.loudest = Array.from({ length: n }, () => ({ energy: 0, start: 0 }));
  }

  /** Σ x[t]·y[t] over picked frames [t0, t1), scaled to the frames they stand for; NaN (non-finite input) counts as 0. */
  private pickedDot(x: Float32Array, y: Float32Array, t0: number, t1: number): number {
    const d = this.stride * dot(x, y, t0, t1);
    return d === d ? d : 0;
  }

  /**
   * One block: `mono[i]` holds stem i's (then the mix's) mono samples at the picked frames
   * `picks[0 … pickCount)` (block offsets, ascending); frames before `counted` are pre-roll.
   */
  push(mono: Float32Array[], picks: Int32Array, pickCount: number, blockStart: number, counted: number, n: number): void {
    const { stems, mixIndex, gram, withMix, pairA, pairB, windowEnergy, windowDot } = this;
    const pairCount = pairA.length;
    let k0 = counted;
    let t0 = 0;
    while (k0 < n) {
      const g = blockStart + k0;
      const boundary = this.windowStart + this.window;
      const k1 = Math.min(n, boundary - blockStart);
      let t1 = t0;
      while (t1 < pickCount && picks[t1]! < k1) t1++;
      for (let i = 0; i < stems; i++) {
        const x = mono[i]!;
        const e = this.pickedDot(x, x, t0, t1);
        windowEnergy[i] = windowEnergy[i]! + e;
        gram[i]![i] = gram[i]![i]! + e;
        if (mixIndex >= 0) withMix[i] = withMix[i]! + this.pickedDot(x, mono[mixIndex]!, t0, t1);
      }
      if (mixIndex >= 0) this.mixEnergy += this.pickedDot(mono[mixIndex]!, mono[mixIndex]!, t0, t1);
      for (let index = 0; index < pairCount; index++) {
        const a = pairA[index]!;
        const b = pairB[index]!;
        const d = this.pickedDot(mono[a]!, mono[b]!, t0, t1);
        windowDot[index] = windowDot[index]! + d;
        gram[a]![b] = gram[a]![b]! + d;
        gram[b]![a] = gram[b]![a]! + d;
      }
      if (g + (k1 - k0) >= boundary || blockStart + k1 >= this.end) {
        this.closeWindow(this.windowStart, blockStart + k1);
        this.windowStart = boundary;
      }
      k0 = k1;
      t0 = t1;
    }
  }

  private closeWindow(wStart: number, wEnd: number): void {
    const frames = wEnd - wStart;
    if (frames <= 0) return;
    const { windowEnergy, windowDot, pairA, pairB } = this;
    for (let i = 0; i < this.stems; i++) {
      const energy = windowEnergy[i]! / frames;
      if (energy > this.loudest[i]!.energy) this.loudest[i] = { energy, start: wStart };
    }
    for (let index = 0; index < pairA.length; index++) {
      const ea = windowEnergy[pairA[index]!]! / frames;
      const eb = windowEnergy[pairB[index]!]! / frames;
      if (ea > PAIR_MIN_ENERGY && eb > PAIR_MIN_ENERGY) {
        const d = windowDot[index]! / frames;
        const lossDb = 10 * Math.log10(Math.max(1e-12, (ea + eb + 2 * d) / (ea + eb)));
        if (lossDb <= CANCELLATION_DB) {
          let ranges = this.pairRanges.get(index);
          if (!ranges) this.pairRanges.set(index, (ranges = new RangeCollector()));
          ranges.add(wStart, wEnd);
          this.pairWorstDb[index] = Math.min(this.pairWorstDb[index]!, lossDb);
        }
      }
      windowDot[index] = 0;
    }
    windowEnergy.fill(0);
  }

  state(): CrossProductsState {
    return {
      gram: this.gram,
      withMix: this.withMix,
      mixEnergy: this.mixEnergy,
      pairs: [...this.pairRanges]
        .sort(([x], [y]) => x - y)
        .map(([index, ranges]) => ({ a: this.pairA[index]!, b: this.pairB[index]!, ranges: ranges.ranges, worstDb: this.pairWorstDb[index]! })),
      loudest: this.loudest.map((l) => ({ ...l })),
    };
  }

  /** Joins the states of consecutive time segments (in time order). */
  static merge(parts: CrossProductsState[]): CrossProductsState {
    const first = parts[0]!;
    return {
      gram: first.gram.map((row, i) => row.map((_, j) => parts.reduce((a, p) => a + p.gram[i]![j]!, 0))),
      withMix: first.withMix.map((_, i) => parts.reduce((a, p) => a + p.withMix[i]!, 0)),
      mixEnergy: parts.reduce((a, p) => a + p.mixEnergy, 0),
      pairs: mergePairs(parts.map((p) => p.pairs)),
      // The first loudest window wins ties, as within one pass.
      loudest: first.loudest.map((_, i) => parts.map((p) => p.loudest[i]!).reduce((best, l) => (l.energy > best.energy ? l : best))),
    };
  }
}

/** The pairs that cancelled in any segment, each with its ranges from every segment in order. */
function mergePairs(parts: PairPass[][]): PairPass[] {
  const byPair = new Map<string, PairPass>();
  for (const pairs of parts) {
    for (const pair of pairs) {
      const key = `${pair.a}:${pair.b}`;
      const seen = byPair.get(key);
      if (seen) byPair.set(key, { ...seen, ranges: [...seen.ranges, ...pair.ranges], worstDb: Math.min(seen.worstDb, pair.worstDb) });
      else byPair.set(key, { ...pair, ranges: [...pair.ranges] });
    }
  }
  return [...byPair.values()].sort((x, y) => x.a - y.a || x.b - y.b);
}
