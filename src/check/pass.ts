import { openPlaced, type Placement } from '../engine/placed-source.js';
import { loudnessWeight } from '../audio/channels.js';
import type { AudioFormat, AudioSource } from '../audio/types.js';
import { LoudnessMeter, type LoudnessState } from '../dsp/loudness.js';
import { Overview, type OverviewState } from '../dsp/overview.js';
import { PRE_ROLL_SECONDS } from '../dsp/segment.js';
import { SignalMeter, type SignalMeterState } from '../dsp/signal-meter.js';
import { pickInGroupOf8 } from '../dsp/random.js';
import { allocateIndices, allocateSamples, pickedMono, releaseSamples, unitySum } from '../dsp/simd.js';
import { TruePeakMeter, type TruePeakState } from '../dsp/true-peak.js';
import { GainCurve, type GainCurveState } from '../dsp/gain-curve.js';
import { ResidualMeter, type ResidualState } from '../dsp/residual-meter.js';
import { CrossProducts, type CrossProductsState } from '../dsp/cross-products.js';
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
}


export interface PassResult {
  start: number;
  end: number;
  files: FilePass[];
  /** The unity sum; its true peak is measured only when there is no mix (with a mix that nulls, it is the mix's). */
  sum: { signal: SignalMeterState; truePeak: TruePeakState | null; overview: OverviewState } | null;
  residual: ResidualState | null;
  /** The mix's gain against Σ stems per 50 ms window, by the sum's level (master dynamics diagnosis); null without a residual. */
  gainCurve: GainCurveState | null;
  /** The stems' and the mix's mono cross products, cancelling pairs and each stem's loudest window. */
  cross: CrossProductsState;
}

/** Cross products use one frame in 8 (2400 per 400 ms window at 48 kHz), see pickInGroupOf8. */
const CROSS_STRIDE = 8;

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
  const residual = residualOn ? new ResidualMeter({ channels, sampleRate: rate, totalFrames, columns: input.columns, threshold: input.residualThreshold, ...position }) : null;
  // Mono downmixes (Σ channels) at picked frames drive the cross products: cheap, and enough for diagnosis.
  const monoCount = sources.length;
  const cross = new CrossProducts({ stems: stemCount, hasMix: input.hasMix, sampleRate: rate, start, end, stride: CROSS_STRIDE });

  // Work buffers in the SIMD kernels' memory, sized for the first (largest) block.
  let sumPlanar: Float32Array[] = [];
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
      if (residual) residual.push(block.data[mixIndex]!, sums, n, block.start, counted, files[mixIndex]!.signal.peakSoFar());
      cross.push(mono, picks, pickCount, block.start, counted, n);
    }
  } finally {
    for (const x of owned) releaseSamples(x);
    residual?.dispose();
  }

  const crossState = cross.state();
  return {
    start,
    end,
    files: files.map((f) => ({
      signal: f.signal.state(),
      loudness: f.loudness.state(),
      truePeak: f.truePeak.state(),
      overview: f.overview.state(),
    })),
    sum: sum && { signal: sum.signal.state(), truePeak: sum.truePeak?.state() ?? null, overview: sum.overview.state() },
    residual: residual?.state() ?? null,
    gainCurve: gainCurve?.state() ?? null,
    cross: crossState,
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
    return {
      signal: signal(all.map((f) => f.signal)),
      loudness: LoudnessMeter.merge(all.map((f) => f.loudness)),
      truePeak: TruePeakMeter.merge(all.map((f) => f.truePeak)),
      overview: Overview.merge(all.map((f) => f.overview)),
    };
  });
  const sum = first.sum && {
    signal: signal(parts.map((p) => p.sum!.signal)),
    truePeak: first.sum.truePeak ? TruePeakMeter.merge(parts.map((p) => p.sum!.truePeak!)) : null,
    overview: Overview.merge(parts.map((p) => p.sum!.overview)),
  };
  const residual = first.residual && ResidualMeter.merge(parts.map((p) => p.residual!), signal);
  return {
    start: first.start,
    end: parts.at(-1)!.end,
    files,
    sum,
    residual,
    gainCurve: first.gainCurve ? GainCurve.merge(parts.map((p) => p.gainCurve!)) : null,
    cross: CrossProducts.merge(parts.map((p) => p.cross)),
  };
}
