/**
 * The mix's gain against the sum of the stems, window by window, binned by how loud the sum is.
 *
 * A mix that is the stems' sum through a compressor or limiter is, to a close approximation, the
 * sum times a gain that changes slowly and falls as the sum gets louder. Fitting one gain per short
 * window (least squares: g = ⟨mix, Σ⟩ / ⟨Σ, Σ⟩) therefore leaves far less residual than one gain for
 * the whole song, and the fitted gains drawn against the sum's level are the master chain's static
 * curve: flat for a fader, falling at the top for dynamics. A missing element or a different take is
 * not a time-varying gain, so it stays in the windowed residual.
 *
 * Inputs are the pass's picked mono frames (one in 8); windows sit on a global grid so that segments
 * measured in parallel merge exactly (sums per bin, a minimum).
 */

/** 50 ms: shorter than a limiter's release, long enough for ~300 picked frames at 48 kHz. */
export const GAIN_WINDOW_SECONDS = 0.05;
/** Sum-level bins: 1 dB from −90 dBFS (RMS of the picked mono sum). */
const FLOOR_DB = -90;
const BINS = 110;
/** Windows quieter than this say nothing about dynamics. */
const MIN_LEVEL_DB = -70;

export interface GainCurveState {
  /** Per 1 dB level bin of the sum's window RMS: Σ⟨Σ,Σ⟩, Σ⟨mix,Σ⟩, Σ⟨mix,mix⟩, window count. */
  sumSum: number[];
  mixSum: number[];
  mixMix: number[];
  windows: number[];
  /** Σ over windows of what a per-window gain leaves: ⟨mix,mix⟩ − ⟨mix,Σ⟩²/⟨Σ,Σ⟩. */
  windowedResidual: number;
  /** Σ⟨mix,mix⟩ over every window, quiet ones included. */
  mixTotal: number;
  /** Per level bin, the window where the mix is lowest against the sum (window start frame, gain dB). */
  lowest: ({ frame: number; gainDb: number } | null)[];
}

export class GainCurve {
  private readonly s: GainCurveState = {
    sumSum: new Array<number>(BINS).fill(0),
    mixSum: new Array<number>(BINS).fill(0),
    mixMix: new Array<number>(BINS).fill(0),
    windows: new Array<number>(BINS).fill(0),
    windowedResidual: 0,
    mixTotal: 0,
    lowest: new Array<{ frame: number; gainDb: number } | null>(BINS).fill(null),
  };
  private readonly window: number;
  private current = -1;
  private ss = 0;
  private ms = 0;
  private mm = 0;
  private count = 0;

  constructor(sampleRate: number) {
    this.window = Math.max(1, Math.round(GAIN_WINDOW_SECONDS * sampleRate));
  }

  /** Picked frames: `frames[t]` is the global frame of sum[t] and mix[t], ascending. */
  push(sum: Float32Array, mix: Float32Array, frames: ArrayLike<number>, offset: number, count: number): void {
    // Frames ascend: a division only when a window boundary is crossed.
    let from = this.current * this.window;
    let to = from + this.window;
    let ss = this.ss;
    let ms = this.ms;
    let mm = this.mm;
    let n = this.count;
    for (let t = 0; t < count; t++) {
      const x = sum[t]!;
      const y = mix[t]!;
      const frame = offset + frames[t]!;
      if (frame >= to || frame < from) {
        this.ss = ss;
        this.ms = ms;
        this.mm = mm;
        this.count = n;
        this.close();
        this.current = Math.floor(frame / this.window);
        from = this.current * this.window;
        to = from + this.window;
        ss = ms = mm = n = 0;
      }
      if (!(Math.abs(x) < Infinity && Math.abs(y) < Infinity)) continue;
      ss += x * x;
      ms += x * y;
      mm += y * y;
      n++;
    }
    this.ss = ss;
    this.ms = ms;
    this.mm = mm;
    this.count = n;
  }

  private close(): void {
    this.s.mixTotal += this.mm;
    if (this.count > 0 && this.ss > 0) {
      const level = 10 * Math.log10(this.ss / this.count);
      if (level >= MIN_LEVEL_DB) {
        const bin = Math.min(BINS - 1, Math.max(0, Math.floor(level - FLOOR_DB)));
        this.s.sumSum[bin]! += this.ss;
        this.s.mixSum[bin]! += this.ms;
        this.s.mixMix[bin]! += this.mm;
        this.s.windows[bin]!++;
        this.s.windowedResidual += Math.max(0, this.mm - (this.ms * this.ms) / this.ss);
        if (this.ms > 0) {
          const gainDb = 10 * Math.log10((this.ms * this.ms) / (this.ss * this.ss));
          const low = this.s.lowest[bin];
          if (!low || gainDb < low.gainDb) this.s.lowest[bin] = { frame: this.current * this.window, gainDb };
        }
      } else {
        this.s.windowedResidual += this.mm;
      }
    } else this.s.windowedResidual += this.mm;
    this.ss = this.ms = this.mm = 0;
    this.count = 0;
  }

  state(): GainCurveState {
    this.close();
    this.current = -1;
    return { ...this.s, sumSum: [...this.s.sumSum], mixSum: [...this.s.mixSum], mixMix: [...this.s.mixMix], windows: [...this.s.windows], lowest: [...this.s.lowest] };
  }

  static merge(states: GainCurveState[]): GainCurveState {
    const add = (pick: (s: GainCurveState) => number[]) => pick(states[0]!).map((_, i) => states.reduce((a, s) => a + pick(s)[i]!, 0));
    const lower = (a: GainCurveState['lowest'][number], b: GainCurveState['lowest'][number]) => (!a ? b : !b ? a : b.gainDb < a.gainDb ? b : a);
    const lowest = states[0]!.lowest.map((_, bin) => states.reduce<GainCurveState['lowest'][number]>((a, s) => lower(a, s.lowest[bin]!), null));
    return {
      sumSum: add((s) => s.sumSum),
      mixSum: add((s) => s.mixSum),
      mixMix: add((s) => s.mixMix),
      windows: add((s) => s.windows),
      windowedResidual: states.reduce((a, s) => a + s.windowedResidual, 0),
      mixTotal: states.reduce((a, s) => a + s.mixTotal, 0),
      lowest,
    };
  }
}

export interface GainCurveSummary {
  /** The mix's gain against Σ stems where the sum is at its typical level, and at its loudest, dB. */
  typicalGainDb: number;
  loudGainDb: number;
  /** typical − loud: how much more the loud passages were turned down. */
  gainReductionDb: number;
  /** Residual left by one gain per window, relative to the mix's energy, dB. */
  windowedRelativeDb: number;
  /** Where the mix is turned down the most (window start, frames), and by how much below typical. */
  deepest: { frame: number; reductionDb: number } | null;
}

function deepestAmong(windows: GainCurveState['lowest'], typicalDb: number): GainCurveSummary['deepest'] {
  let best: { frame: number; gainDb: number } | null = null;
  for (const w of windows) if (w && (!best || w.gainDb < best.gainDb)) best = w;
  return best ? { frame: best.frame, reductionDb: typicalDb - best.gainDb } : null;
}

/** Reads the curve: the gain in the level bins holding the middle of the windows vs the loudest 5 %. */
export function summarizeGainCurve(s: GainCurveState): GainCurveSummary | null {
  const total = s.windows.reduce((a, b) => a + b, 0);
  if (total < 20 || s.mixTotal <= 0) return null;
  const gainOver = (from: number, to: number) => {
    let ms = 0;
    let ss = 0;
    for (let b = from; b <= to; b++) {
      ms += s.mixSum[b]!;
      ss += s.sumSum[b]!;
    }
    return ss > 0 && ms > 0 ? 10 * Math.log10((ms * ms) / (ss * ss)) : null;
  };
  // Bins by cumulative window count: the typical level (40–60 %) and the loudest 5 %.
  const binAt = (q: number) => {
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      seen += s.windows[b]!;
      if (seen >= q * total) return b;
    }
    return BINS - 1;
  };
  const typical = gainOver(binAt(0.4), binAt(0.6));
  const loud = gainOver(binAt(0.95), BINS - 1);
  if (typical === null || loud === null) return null;
  return {
    typicalGainDb: typical,
    loudGainDb: loud,
    gainReductionDb: typical - loud,
    windowedRelativeDb: 10 * Math.log10(Math.max(1e-30, s.windowedResidual) / s.mixTotal),
    // Where the loudest passages are turned down the most: not a quiet window's noise.
    deepest: deepestAmong(s.lowest.slice(binAt(0.95)), typical),
  };
}
