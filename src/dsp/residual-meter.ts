import { Overview, type OverviewState } from './overview.js';
import { RangeCollector, type FrameRange } from './ranges.js';
import { ResidualMoments, SPECTRUM_SIZE, type ResidualMomentsState } from './residual-moments.js';
import type { SegmentPosition } from './segment.js';
import { SignalMeter, type SignalMeterState } from './signal-meter.js';
import { allocateSamples, releaseSamples, residual as difference } from './simd.js';

/** Window for residual location: 10 ms. */
const RESIDUAL_WINDOW_SECONDS = 0.01;
/** Residual samples count as "at the mix's peaks" above this fraction of the mix's running peak. */
const NEAR_PEAK_FRACTION = 0.7;

export interface ResidualState {
  signal: SignalMeterState;
  overview: OverviewState;
  /** 10 ms windows whose residual peak is above the threshold, merged into ranges (frames). */
  ranges: FrameRange[];
  /** Residual energy in over-threshold windows where the mix is near its peak so far (limiter diagnosis); the total is Σ signal.sumSquares. */
  energyNearPeaks: number;
  /** Its worst windows, the frame and channel of its peak, and the spectrum of its loudest passages. */
  moments: ResidualMomentsState;
}

export interface ResidualMeterOptions extends SegmentPosition {
  channels: number;
  sampleRate: number;
  totalFrames: number;
  /** Columns of the overview plot. */
  columns: number;
  /** Residual windows whose peak is above this (linear) are located in time. */
  threshold: number;
}

/**
 * The null test's residual, mix − Σ stems, as a meter: its levels and overview, where it exceeds
 * the threshold (10 ms windows), how much of it sits at the mix's loudest moments (limiting)
 * rather than anywhere (missing content), and its worst moments and spectrum. Mergeable across
 * time segments. The residual's samples live in buffers of its own (dispose gives them back).
 */
export class ResidualMeter {
  private readonly signal: SignalMeter;
  private readonly overview: Overview;
  private readonly ranges = new RangeCollector();
  private energyNearPeaks = 0;
  private readonly moments: ResidualMoments;
  private readonly window: number;
  private readonly threshold: number;
  private buffers: Float32Array[] = [];

  constructor(private readonly options: ResidualMeterOptions) {
    const { channels, sampleRate, totalFrames, columns, startFrame, countFrom } = options;
    this.overview = new Overview(columns, totalFrames);
    this.signal = new SignalMeter({ channels, sampleRate, totalFrames, clipLevel: Infinity, overview: this.overview, startFrame, countFrom });
    this.moments = new ResidualMoments(sampleRate);
    this.window = Math.max(1, Math.round(RESIDUAL_WINDOW_SECONDS * sampleRate));
    this.threshold = options.threshold;
  }

  /**
   * One block of `n` frames at `blockStart`: the mix and the unity sum of the stems (planar); frames
   * before `counted` are pre-roll. `mixPeakSoFar` is the mix's sample peak up to this block.
   */
  push(mix: Float32Array[], sum: Float32Array[], n: number, blockStart: number, counted: number, mixPeakSoFar: number): void {
    const { channels } = this.options;
    if (this.buffers.length === 0 || this.buffers[0]!.length < n) {
      this.dispose();
      // In the SIMD kernels' memory, where the difference kernel writes in place.
      this.buffers = Array.from({ length: channels }, () => allocateSamples(n));
    }
    const res = this.buffers.map((a) => a.subarray(0, n));
    const threshold = this.threshold;
    let over = false;
    for (let ch = 0; ch < channels; ch++) if (difference(res[ch]!, mix[ch]!, sum[ch]!, counted, n, threshold)) over = true;
    this.signal.push(res, n);
    // Residual location on a 10 ms grid (only in blocks that have some); only windows above the
    // threshold look at the mix, to tell a residual at the mix's loudest moments (limiting) from
    // one anywhere (missing content).
    const size = this.window;
    let blockWorst = -1;
    let blockWorstPeak = 0;
    for (let w = over ? counted : n; w < n; ) {
      const globalW = blockStart + w;
      const wEnd = Math.min(n, w + size - (globalW % size));
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
        this.moments.window(globalW - (globalW % size), peak, blockStart + peakAt, peakChannel);
        if (peak > blockWorstPeak) {
          blockWorstPeak = peak;
          blockWorst = peakAt;
        }
        this.ranges.add(blockStart + w, blockStart + wEnd);
        let mixPeak = 0;
        let energy = 0;
        for (let ch = 0; ch < channels; ch++) {
          const r = res[ch]!;
          const m = mix[ch]!;
          for (let k = w; k < wEnd; k++) {
            mixPeak = Math.max(mixPeak, Math.abs(m[k]!));
            energy += r[k]! * r[k]!;
          }
        }
        if (mixPeak >= NEAR_PEAK_FRACTION * mixPeakSoFar && energy === energy) this.energyNearPeaks += energy;
      }
      w = wEnd;
    }
    // One spectrum per block that fails, around its worst moment: the loudest passages are what a listener hears.
    if (blockWorst >= 0) this.moments.excerpt(res, Math.max(counted, Math.min(n - SPECTRUM_SIZE, blockWorst - SPECTRUM_SIZE / 2)), n);
  }

  state(): ResidualState {
    return {
      signal: this.signal.state(),
      overview: this.overview.state(),
      ranges: this.ranges.ranges,
      energyNearPeaks: this.energyNearPeaks,
      moments: this.moments.state(),
    };
  }

  /** Joins consecutive segments' states; `signal` merges the signal states (clipped runs need every segment's start). */
  static merge(parts: ResidualState[], signal: (states: SignalMeterState[]) => SignalMeterState): ResidualState {
    return {
      signal: signal(parts.map((p) => p.signal)),
      overview: Overview.merge(parts.map((p) => p.overview)),
      ranges: parts.flatMap((p) => p.ranges),
      energyNearPeaks: parts.reduce((a, p) => a + p.energyNearPeaks, 0),
      moments: ResidualMoments.merge(parts.map((p) => p.moments)),
    };
  }

  /** Gives the residual's buffers back to the kernels' memory. */
  dispose(): void {
    for (const x of this.buffers) releaseSamples(x);
    this.buffers = [];
  }
}
