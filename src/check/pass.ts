import { openPlaced, type Placement } from '../engine/placed-source.js';
import { loudnessWeight } from '../audio/channels.js';
import type { AudioFormat, AudioSource } from '../audio/types.js';
import { LoudnessMeter, type LoudnessState } from '../dsp/loudness.js';
import { Overview, type OverviewState } from '../dsp/overview.js';
import { RangeCollector, type FrameRange } from '../dsp/ranges.js';
import { PRE_ROLL_SECONDS } from '../dsp/segment.js';
import { SignalMeter, type SignalMeterState } from '../dsp/signal-meter.js';
import { pickInGroupOf8 } from '../dsp/random.js';
import { allocateIndices, allocateSamples, dot, pickedMono, releaseSamples, residual as difference, unitySum } from '../dsp/simd.js';
import { TruePeakMeter, type TruePeakState } from '../dsp/true-peak.js';
import { GainCurve, type GainCurveState } from '../dsp/gain-curve.js';
import { ResidualMoments, SPECTRUM_SIZE, type ResidualMomentsState } from '../dsp/residual-moments.js';
import { lockstep, LockstepBuffers } from '../engine/lockstep.js';

/**
 * The ONE streaming pass of `check`: every file in lockstep, feeding per file its meters, the
 * running unity sum of the stems, the residual (mix − sum), the stems' cross products (for gain,
 * polarity and cancellation diagnosis) and the loudest window of each stem (for alignment).
 * A pass covers one time segment, so workers can run segments in parallel; `mergePasses` joins them.
 */
export interface PassInput {
  /** Stems first, then the mix (if any) last. */
  paths: string[];
  hasMix: boolean;
  /** Whether stems and mix agree in rate and channels, so summing them means something. */
  summable: boolean;
  /** Segment [start, end) in frames; meters pre-roll before start. */
  start: number;
  end: number;
  totalFrames: number;
  /** Residual windows above this (linear peak) are located in time. */
  residualThreshold: number;
  /** Columns of the overview plots. */
  columns: number;
  /** Per path, where the file sits on the package timeline (BWF start, resampling); absent: as it is. */
  placements?: (Placement | null)[];
}

export interface FilePass {
  signal: SignalMeterState;
  loudness: LoudnessState;
  truePeak: TruePeakState;
  overview: OverviewState;
  /** Loudest 400 ms window (mono energy) and where it starts. */
  loudestEnergy: number;
  loudestStart: number;
}

export interface PairPass {
  a: number;
  b: number;
  /** Windows where summing the two loses ≥ 3 dB against their power sum (partial cancellation). */
  ranges: FrameRange[];
  worstDb: number;
}

export interface PassResult {
  start: number;
  end: number;
  files: FilePass[];
  /** The unity sum; its true peak is measured only when there is no mix (with a mix that nulls, it is the mix's). */
  sum: { signal: SignalMeterState; truePeak: TruePeakState | null; overview: OverviewState } | null;
  residual: {
    signal: SignalMeterState;
    overview: OverviewState;
    ranges: FrameRange[];
    /** Residual energy in over-threshold windows where the mix is near its peak so far (limiter diagnosis); the total is Σ signal.sumSquares. */
    energyNearPeaks: number;
    /** Its worst windows, the frame and channel of its peak, and the spectrum of its loudest passages. */
    moments: ResidualMomentsState;
  } | null;
  /** The mix's gain against Σ stems per 50 ms window, by the sum's level (master dynamics diagnosis); null without a residual. */
  gainCurve: GainCurveState | null;
  /** Mono (L+R…) cross products: gram[i][j] = <s_i, s_j>, withMix[i] = <s_i, mix>, mixEnergy = <mix, mix>. */
  gram: number[][];
  withMix: number[];
  mixEnergy: number;
  /** Only the pairs that cancelled somewhere (a pair with no ranges is left out; the Gram matrix has every pair). */
  pairs: PairPass[];
}

/** Cross products use one frame in 8 (2400 per 400 ms window at 48 kHz), see pickInGroupOf8. */
const CROSS_STRIDE = 8;
/** Window for residual location: 10 ms. */
const RESIDUAL_WINDOW_SECONDS = 0.01;
/** Window for pairwise cancellation: 400 ms (a momentary-loudness block). */
const PAIR_WINDOW_SECONDS = 0.4;
/** Pairs are judged only where both stems are above −50 dBFS RMS. */
const PAIR_MIN_ENERGY = 10 ** (-50 / 10);
/** A pair "cancels" in a window when their sum loses this much against their power sum. */
const CANCELLATION_DB = -3;
/** Residual samples count as "at the mix's peaks" above this fraction of the mix's running peak. */
const NEAR_PEAK_FRACTION = 0.7;

/** Σ x[t]·y[t] over picked frames [t0, t1), scaled to the frames they stand for; NaN (non-finite input) counts as 0. */
function pickedDot(x: Float32Array, y: Float32Array, t0: number, t1: number): number {
  const d = CROSS_STRIDE * dot(x, y, t0, t1);
  return d === d ? d : 0;
}

function clipLevel(format: AudioFormat): number {
  return format.encoding === 'float' ? 1 : 1 - 2 ** -(Math.min(format.bitDepth, 24) - 1);
}

function channelWeights(format: AudioFormat): number[] {
  return format.channelLayout.map(loudnessWeight);
}

/** Block buffers kept for the next segment this thread measures. */
const blockBuffers = new LockstepBuffers();

/** Gives this thread's kept block buffers back to the kernels' memory (after a check on the calling thread). */
export function releasePassBuffers(): void {
  blockBuffers.clear();
}

/** A no-op job: loading this module in a worker ahead of the first segment (see preparePassWorkers). */
export function workerReady(): boolean {
  return true;
}

/** Progress reports per pass: often enough for a smooth bar, few enough to cost nothing. */
const PROGRESS_STEPS = 50;

/** Measures a segment; `report` (the pool's progress channel) gets the fraction done now and then. */
export async function runPass(input: PassInput, report?: (fraction: number) => void, signal?: AbortSignal): Promise<PassResult> {
  const sources: AudioSource[] = [];
  try {
    for (const [i, path] of input.paths.entries()) sources.push(await openPlaced(path, input.placements?.[i] ?? undefined));
    return await measure(sources, input, report, signal);
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}

async function measure(sources: AudioSource[], input: PassInput, report?: (fraction: number) => void, signal?: AbortSignal): Promise<PassResult> {
  const { start, end, totalFrames } = input;
  const rate = sources[0]!.format.sampleRate;
  const preRoll = Math.min(start, Math.round(PRE_ROLL_SECONDS * rate));
  const from = start - preRoll;
  const position = { startFrame: from, countFrom: start };
  const stemCount = input.hasMix ? sources.length - 1 : sources.length;
  const mixIndex = input.hasMix ? sources.length - 1 : -1;

  const files = sources.map((s) => {
    const overview = new Overview(input.columns, totalFrames);
    return {
      signal: new SignalMeter({ channels: s.format.channels, sampleRate: s.format.sampleRate, totalFrames: s.format.frames, clipLevel: clipLevel(s.format), flatTopsOnly: s.format.encoding === 'float', overview, ...position }),
      loudness: new LoudnessMeter({ sampleRate: s.format.sampleRate, channelWeights: channelWeights(s.format), ...position }),
      truePeak: new TruePeakMeter({ sampleRate: s.format.sampleRate, channels: s.format.channels, ...position }),
      overview,
      loudestEnergy: 0,
      loudestStart: 0,
    };
  });
  /** A signal meter for a derived signal (the sum, the residual) with its overview. */
  const derivedMeter = () => {
    const overview = new Overview(input.columns, totalFrames);
    return { overview, signal: new SignalMeter({ channels, sampleRate: rate, totalFrames, clipLevel: Infinity, overview, ...position }) };
  };
  const channels = sources[0]!.format.channels;
  const summing = input.summable && stemCount > 0;
  const sum = summing
    ? {
        ...derivedMeter(),
        truePeak: input.hasMix ? null : new TruePeakMeter({ sampleRate: rate, channels, ...position }),
      }
    : null;
  const residualOn = summing && input.hasMix;
  const gainCurve = residualOn ? new GainCurve(rate) : null;
  let sumMono: Float32Array = new Float32Array(0);
  const residual = residualOn
    ? {
        ...derivedMeter(),
        ranges: new RangeCollector(),
        energyNearPeaks: 0,
        moments: new ResidualMoments(rate),
      }
    : null;

  // Mono downmixes (Σ channels) drive the cross products: cheap, and enough for diagnosis.
  const monoCount = sources.length;
  const gram = Array.from({ length: stemCount }, () => new Array<number>(stemCount).fill(0));
  const withMix = new Array<number>(stemCount).fill(0);
  let mixEnergy = 0;
  const pairWindow = Math.round(PAIR_WINDOW_SECONDS * rate);
  const residualWindow = Math.max(1, Math.round(RESIDUAL_WINDOW_SECONDS * rate));
  // Every pair's state in flat arrays; a pair gets ranges only once it cancels, so 1000 stems
  // (499,500 pairs) cost a few MB, and only pairs that cancelled leave the pass.
  const pairCount = (stemCount * (stemCount - 1)) / 2;
  const pairA = new Uint32Array(pairCount);
  const pairB = new Uint32Array(pairCount);
  for (let a = 0, index = 0; a < stemCount; a++) for (let b = a + 1; b < stemCount; b++, index++) [pairA[index], pairB[index]] = [a, b];
  const pairWorstDb = new Float64Array(pairCount);
  const pairRanges = new Map<number, RangeCollector>();
  const windowEnergy = new Float64Array(monoCount);
  const windowDot = new Float64Array(pairCount);
  let windowStart = Math.floor(start / pairWindow) * pairWindow;

  // Work buffers in the SIMD kernels' memory, sized for the first (largest) block.
  let sumPlanar: Float32Array[] = [];
  let residualPlanar: Float32Array[] = [];
  let mono: Float32Array[] = [];
  let picks: Int32Array = new Int32Array(0);
  const owned: (Float32Array | Int32Array)[] = [];
  const own = <T extends Float32Array | Int32Array>(x: T): T => (owned.push(x), x);

  let reported = 0;
  const onProgress = report
    ? ({ fraction }: { fraction: number }) => {
        if (fraction >= 1 || fraction - reported >= 1 / PROGRESS_STEPS) report((reported = fraction));
      }
    : undefined;
  try {
    for await (const block of lockstep(sources, { start: from, end, buffers: blockBuffers, ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) })) {
      const n = block.frames;
      const stemData = block.data.slice(0, stemCount);
      if (sumPlanar.length === 0 || sumPlanar[0]!.length < n) {
        sumPlanar = Array.from({ length: channels }, () => own(allocateSamples(n)));
        residualPlanar = Array.from({ length: channels }, () => own(allocateSamples(n)));
        mono = Array.from({ length: monoCount }, () => own(allocateSamples(Math.ceil(n / CROSS_STRIDE) + 1)));
        picks = own(allocateIndices(Math.ceil(n / CROSS_STRIDE) + 1));
        sumMono = own(allocateSamples(Math.ceil(n / CROSS_STRIDE) + 1));
      }
      // Cross products sample one frame in 8 (pickInGroupOf8): diagnosis needs proportions, not
      // every sample, and this is the pass's O(stems²) part.
      const counted = Math.max(0, start - block.start);
      let pickCount = 0;
      for (let q = Math.floor((block.start + counted) / CROSS_STRIDE); q * CROSS_STRIDE < block.start + n; q++) {
        const k = q * CROSS_STRIDE + pickInGroupOf8(q) - block.start;
        if (k >= counted && k < n) picks[pickCount++] = k;
      }
      block.data.forEach((planar, i) => {
        const f = files[i]!;
        f.signal.push(planar, n);
        f.truePeak.push(planar, n);
        // The mono downmix (Σ channels) of the picked frames, packed.
        pickedMono(mono[i]!, planar, picks, pickCount);
      });
      // All files at once: the loudness meters K-weight two files' channel pairs at a time.
      LoudnessMeter.pushTogether(files.map((f) => f.loudness), block.data, n);
      const sums = sumPlanar.map((a) => a.subarray(0, n));
      if (sum) {
        for (let ch = 0; ch < channels; ch++) unitySum(sums[ch]!, stemData.map((planar) => planar[ch]!), n);
        sum.signal.push(sums, n);
        sum.truePeak?.push(sums, n);
        // The sum's picked mono from the unity sum itself: one kernel call, not a loop over the stems.
        if (gainCurve) {
          pickedMono(sumMono, sums, picks, pickCount);
          gainCurve.push(sumMono, mono[mixIndex]!, picks, block.start, pickCount);
        }
      }
      if (residual) {
        const res = residualPlanar.map((a) => a.subarray(0, n));
        const mixData = block.data[mixIndex]!;
        const threshold = input.residualThreshold;
        let over = false;
        for (let ch = 0; ch < channels; ch++) if (difference(res[ch]!, mixData[ch]!, sums[ch]!, counted, n, threshold)) over = true;
        residual.signal.push(res, n);
        // Residual location on a 10 ms grid (only in blocks that have some); only windows above the
        // threshold look at the mix, to tell a residual at the mix's loudest moments (limiting) from
        // one anywhere (missing content).
        const mixPeakSoFar = files[mixIndex]!.signal.peakSoFar();
        let blockWorst = -1;
        let blockWorstPeak = 0;
        for (let w = over ? counted : n; w < n; ) {
          const globalW = block.start + w;
          const wEnd = Math.min(n, w + residualWindow - (globalW % residualWindow));
          let peak = 0;
          let peakAt = w;
          let peakChannel = 0;
          for (let ch = 0; ch < channels; ch++) {
            const r = res[ch]!;
            for (let k = w; k < wEnd; k++) {
              const a = r[k]! < 0 ? -r[k]! : r[k]!;
              if (a > peak) {
                peak = a;
                peakAt = k;
                peakChannel = ch;
              }
            }
          }
          if (peak > threshold) {
            // Named by its aligned start: a window cut by a block boundary is one window, however the blocks fall.
            residual.moments.window(globalW - (globalW % residualWindow), peak, block.start + peakAt, peakChannel);
            if (peak > blockWorstPeak) {
              blockWorstPeak = peak;
              blockWorst = peakAt;
            }
            residual.ranges.add(block.start + w, block.start + wEnd);
            let mixPeak = 0;
            let energy = 0;
            for (let ch = 0; ch < channels; ch++) {
              const r = res[ch]!;
              const m = mixData[ch]!;
              for (let k = w; k < wEnd; k++) {
                mixPeak = Math.max(mixPeak, Math.abs(m[k]!));
                energy += r[k]! * r[k]!;
              }
            }
            if (mixPeak >= NEAR_PEAK_FRACTION * mixPeakSoFar && energy === energy) residual.energyNearPeaks += energy;
          }
          w = wEnd;
        }
        // One spectrum per block that fails, around its worst moment: the loudest passages are what a listener hears.
        if (blockWorst >= 0) residual.moments.excerpt(res, Math.max(counted, Math.min(n - SPECTRUM_SIZE, blockWorst - SPECTRUM_SIZE / 2)), n);
      }

      // Cross products and windowed pair analysis over counted frames only.
      let k0 = counted;
      let t0 = 0;
      while (k0 < n) {
        const g = block.start + k0;
        const boundary = windowStart + pairWindow;
        const k1 = Math.min(n, boundary - block.start);
        let t1 = t0;
        while (t1 < pickCount && picks[t1]! < k1) t1++;
        for (let i = 0; i < stemCount; i++) {
          const x = mono[i]!;
          const e = pickedDot(x, x, t0, t1);
          windowEnergy[i] = windowEnergy[i]! + e;
          gram[i]![i] = gram[i]![i]! + e;
          if (mixIndex >= 0) withMix[i] = withMix[i]! + pickedDot(x, mono[mixIndex]!, t0, t1);
        }
        if (mixIndex >= 0) mixEnergy += pickedDot(mono[mixIndex]!, mono[mixIndex]!, t0, t1);
        for (let index = 0; index < pairCount; index++) {
          const a = pairA[index]!;
          const b = pairB[index]!;
          const d = pickedDot(mono[a]!, mono[b]!, t0, t1);
          windowDot[index] = windowDot[index]! + d;
          gram[a]![b] = gram[a]![b]! + d;
          gram[b]![a] = gram[b]![a]! + d;
        }
        if (g + (k1 - k0) >= boundary || block.start + k1 >= end) {
          closeWindow(windowStart, block.start + k1);
          windowStart = boundary;
        }
        k0 = k1;
        t0 = t1;
      }
    }
  } finally {
    for (const x of owned) releaseSamples(x);
  }

  function closeWindow(wStart: number, wEnd: number): void {
    const frames = wEnd - wStart;
    if (frames <= 0) return;
    for (let i = 0; i < stemCount; i++) {
      const energy = windowEnergy[i]! / frames;
      if (energy > files[i]!.loudestEnergy) {
        files[i]!.loudestEnergy = energy;
        files[i]!.loudestStart = wStart;
      }
    }
    for (let index = 0; index < pairCount; index++) {
      const ea = windowEnergy[pairA[index]!]! / frames;
      const eb = windowEnergy[pairB[index]!]! / frames;
      if (ea > PAIR_MIN_ENERGY && eb > PAIR_MIN_ENERGY) {
        const dot = windowDot[index]! / frames;
        const lossDb = 10 * Math.log10(Math.max(1e-12, (ea + eb + 2 * dot) / (ea + eb)));
        if (lossDb <= CANCELLATION_DB) {
          let ranges = pairRanges.get(index);
          if (!ranges) pairRanges.set(index, (ranges = new RangeCollector()));
          ranges.add(wStart, wEnd);
          pairWorstDb[index] = Math.min(pairWorstDb[index]!, lossDb);
        }
      }
      windowDot[index] = 0;
    }
    windowEnergy.fill(0);
  }

  return {
    start,
    end,
    files: files.map((f) => ({
      signal: f.signal.state(),
      loudness: f.loudness.state(),
      truePeak: f.truePeak.state(),
      overview: f.overview.state(),
      loudestEnergy: f.loudestEnergy,
      loudestStart: f.loudestStart,
    })),
    sum: sum && { signal: sum.signal.state(), truePeak: sum.truePeak?.state() ?? null, overview: sum.overview.state() },
    residual: residual && {
      signal: residual.signal.state(),
      overview: residual.overview.state(),
      ranges: residual.ranges.ranges,
      energyNearPeaks: residual.energyNearPeaks,
      moments: residual.moments.state(),
    },
    gainCurve: gainCurve?.state() ?? null,
    gram,
    withMix,
    mixEnergy,
    pairs: [...pairRanges].sort(([x], [y]) => x - y).map(([index, ranges]) => ({ a: pairA[index]!, b: pairB[index]!, ranges: ranges.ranges, worstDb: pairWorstDb[index]! })),
  };
}

/**
 * mergePasses fed one part at a time in time order: it holds the merged result and the parts'
 * signal states (small), not the parts (each carries every file's loudness histograms). Clipped
 * runs are stitched across all segments at the end, as mergePasses does.
 */
export class PassMerger {
  private merged: PassResult | null = null;
  private readonly starts: number[] = [];
  private readonly signals: { files: SignalMeterState[]; sum: SignalMeterState | null; residual: SignalMeterState | null }[] = [];

  add(part: PassResult): void {
    this.merged = this.merged ? mergeParts([this.merged, part], false) : part;
    this.starts.push(part.start);
    this.signals.push({ files: part.files.map((f) => f.signal), sum: part.sum?.signal ?? null, residual: part.residual?.signal ?? null });
  }

  result(): PassResult {
    const merged = this.merged!;
    const each = <T>(pick: (s: (typeof this.signals)[number]) => T): T[] => this.signals.map(pick);
    merged.files.forEach((f, i) => (f.signal = SignalMeter.merge(each((s) => s.files[i]!), this.starts)));
    if (merged.sum) merged.sum.signal = SignalMeter.merge(each((s) => s.sum!), this.starts);
    if (merged.residual) merged.residual.signal = SignalMeter.merge(each((s) => s.residual!), this.starts);
    return merged;
  }
}

/** Joins segment passes (in time order) into the whole-package measurement. */
export function mergePasses(parts: PassResult[]): PassResult {
  return mergeParts(parts, true);
}

/** mergePasses; without `signals` the signal states are the first part's (PassMerger stitches them once, at the end). */
function mergeParts(parts: PassResult[], signals: boolean): PassResult {
  const first = parts[0]!;
  const starts = parts.map((p) => p.start);
  const signal = (states: SignalMeterState[]) => (signals ? SignalMeter.merge(states, starts) : states[0]!);
  const files = first.files.map((_, i) => {
    const all = parts.map((p) => p.files[i]!);
    const loudest = all.reduce((best, f) => (f.loudestEnergy > best.loudestEnergy ? f : best));
    return {
      signal: signal(all.map((f) => f.signal)),
      loudness: LoudnessMeter.merge(all.map((f) => f.loudness)),
      truePeak: TruePeakMeter.merge(all.map((f) => f.truePeak)),
      overview: Overview.merge(all.map((f) => f.overview)),
      loudestEnergy: loudest.loudestEnergy,
      loudestStart: loudest.loudestStart,
    };
  });
  const sum = first.sum && {
    signal: signal(parts.map((p) => p.sum!.signal)),
    truePeak: first.sum.truePeak ? TruePeakMeter.merge(parts.map((p) => p.sum!.truePeak!)) : null,
    overview: Overview.merge(parts.map((p) => p.sum!.overview)),
  };
  const residual = first.residual && {
    signal: signal(parts.map((p) => p.residual!.signal)),
    overview: Overview.merge(parts.map((p) => p.residual!.overview)),
    ranges: parts.flatMap((p) => p.residual!.ranges),
    energyNearPeaks: parts.reduce((a, p) => a + p.residual!.energyNearPeaks, 0),
    moments: ResidualMoments.merge(parts.map((p) => p.residual!.moments)),
  };
  const gram = first.gram.map((row, i) => row.map((_, j) => parts.reduce((a, p) => a + p.gram[i]![j]!, 0)));
  return {
    start: first.start,
    end: parts.at(-1)!.end,
    files,
    sum,
    residual,
    gainCurve: first.gainCurve ? GainCurve.merge(parts.map((p) => p.gainCurve!)) : null,
    gram,
    withMix: first.withMix.map((_, i) => parts.reduce((a, p) => a + p.withMix[i]!, 0)),
    mixEnergy: parts.reduce((a, p) => a + p.mixEnergy, 0),
    pairs: mergePairs(parts.map((p) => p.pairs)),
  };
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
