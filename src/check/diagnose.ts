import type { AudioSource } from '../audio/types.js';
import { findLags } from '../dsp/xcorr.js';

/**
 * Diagnosis of a failed null test, from the pass's cross products and (for timing) a short probe
 * around each stem's loudest passage. Pure arithmetic on measurements, except the probe, which
 * reads a few seconds per stem and only runs when the null test has already failed.
 */

/** Solves A x = b by Gaussian elimination with partial pivoting; a tiny ridge keeps silent stems solvable. */
export function solve(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const scale = Math.max(1e-30, ...matrix.map((row, i) => Math.abs(row[i]!)));
  // One flat row-major array (n × n+1): 1000 stems eliminate in well under a second.
  const width = n + 1;
  const a = new Float64Array(n * width);
  matrix.forEach((row, i) => {
    row.forEach((v, j) => (a[i * width + j] = v + (i === j ? scale * 1e-12 : 0)));
    a[i * width + n] = rhs[i]!;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * width + col]!) > Math.abs(a[pivot * width + col]!)) pivot = r;
    if (pivot !== col) {
      const rowCol = a.slice(col * width, (col + 1) * width);
      a.copyWithin(col * width, pivot * width, (pivot + 1) * width);
      a.set(rowCol, pivot * width);
    }
    const p = a[col * width + col]!;
    if (p === 0) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * width + col]! / p;
      if (f === 0) continue;
      const at = r * width;
      const from = col * width;
      for (let c = col; c <= n; c++) a[at + c]! -= f * a[from + c]!;
    }
  }
  return Array.from({ length: n }, (_, i) => {
    const d = a[i * width + i]!;
    return d === 0 ? 1 : a[i * width + n]! / d;
  });
}

export interface GainDiagnosis {
  /** Residual energy (mono cross products) relative to the mix, as measured: stems at unity. */
  unityRelativeDb: number;
  /** One gain for the whole sum: the mix ≈ g·Σ stems. */
  globalGain: number;
  globalRelativeDb: number;
  /** Per stem, the gain that best fits with the other stems at unity, and the residual it leaves. */
  perStem: { gain: number; relativeDb: number }[];
  /** All stems' gains fitted together (least squares); finite, 1 where a stem cannot be fitted. */
  joint: number[];
  jointRelativeDb: number;
}

const db = (ratio: number) => 10 * Math.log10(Math.max(ratio, 1e-30));

/** Residual energy ‖mix − Σ g_i s_i‖² from the Gram matrix, for any gains. */
function residualEnergy(gram: number[][], withMix: number[], mixEnergy: number, gains: number[]): number {
  let e = mixEnergy;
  for (let i = 0; i < gains.length; i++) {
    e -= 2 * gains[i]! * withMix[i]!;
    for (let j = 0; j < gains.length; j++) e += gains[i]! * gains[j]! * gram[i]![j]!;
  }
  return Math.max(0, e);
}

export function diagnoseGains(gram: number[][], withMix: number[], mixEnergy: number): GainDiagnosis {
  const n = withMix.length;
  const ones = new Array<number>(n).fill(1);
  const unity = residualEnergy(gram, withMix, mixEnergy, ones);
  const sumEnergy = gram.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  const sumWithMix = withMix.reduce((a, b) => a + b, 0);
  const globalGain = sumEnergy > 0 ? sumWithMix / sumEnergy : 1;
  // Changing one stem's gain from 1 by δ changes the unity residual by −2δ(w_k − Σ_j G_kj) + δ²G_kk:
  // O(n) per stem, so 1000 stems cost a million operations, not a billion.
  const perStem = Array.from({ length: n }, (_, k) => {
    const rowSum = gram[k]!.reduce((a, v) => a + v, 0);
    const others = rowSum - gram[k]![k]!;
    const gain = gram[k]![k]! > 0 ? (withMix[k]! - others) / gram[k]![k]! : 1;
    const delta = gain - 1;
    const energy = Math.max(0, unity - 2 * delta * (withMix[k]! - rowSum) + delta * delta * gram[k]![k]!);
    return { gain, relativeDb: db(energy / mixEnergy) };
  });
  const joint = solve(gram, withMix).map((g) => (Number.isFinite(g) ? g : 1));
  return {
    unityRelativeDb: db(unity / mixEnergy),
    globalGain,
    globalRelativeDb: db(residualEnergy(gram, withMix, mixEnergy, ones.map(() => globalGain)) / mixEnergy),
    perStem,
    joint,
    jointRelativeDb: db(residualEnergy(gram, withMix, mixEnergy, joint) / mixEnergy),
  };
}

/** Samples either side searched for a stem's offset against the mix. */
export const MAX_LAG_SECONDS = 2;
/** Lags either side of each correlation candidate that the residual test tries. */
const REFINE_RADIUS = 8;
/** Probe excerpt length: 2^15 frames (0.68 s at 48 kHz). */
const PROBE_FRAMES = 1 << 15;

/**
 * Σ channels of `source` over [start, start + frames) (zeros outside the file), into `out` if
 * given; reads go through `scratch` (planar, at least `frames` long) so probing allocates no
 * per-read buffers.
 */
async function monoExcerpt(source: AudioSource, start: number, frames: number, scratch: Float32Array[], out = new Float32Array(frames)): Promise<Float32Array> {
  out.fill(0, 0, frames);
  const from = Math.max(0, start);
  const skip = from - start;
  const planar = await source.read(from, Math.max(0, frames - skip), scratch.slice(0, source.format.channels));
  for (const channel of planar) for (let i = 0; i < channel.length; i++) out[skip + i] = out[skip + i]! + channel[i]!;
  return out;
}

/** Longest material probed through one residual window covering every probe (else one window per probe start). */
const WHOLE_WINDOW_FRAMES = 1 << 22;

/**
 * mix − Σ_j g_j·s_j(t + lag_j) (mono) over the probes' search ranges, for one placement of the
 * stems: computed once and shared by every stem's probe, which adds its own stem back. Each
 * probe then reads two excerpts instead of every stem, so probing n stems reads O(n) audio, not O(n²).
 */
export class ProbeResiduals {
  private readonly windows = new Map<number, Float64Array>();
  private whole: { from: number; data: Float64Array } | null = null;

  constructor(
    private readonly stems: AudioSource[],
    private readonly mix: AudioSource,
    readonly others: { gains?: number[]; lags?: number[] },
    /** The probe starts that will be asked for, so short material gets one window covering them all. */
    starts: number[],
  ) {
    const maxLag = Math.round(MAX_LAG_SECONDS * mix.format.sampleRate);
    const from = Math.min(...starts) - maxLag;
    const to = Math.max(...starts) + PROBE_FRAMES + maxLag;
    if (starts.length > 1 && to - from <= WHOLE_WINDOW_FRAMES) this.whole = { from, data: new Float64Array(to - from) };
  }

  private async compute(from: number, frames: number): Promise<Float64Array> {
    const channels = Math.max(this.mix.format.channels, ...this.stems.map((x) => x.format.channels));
    const scratch = Array.from({ length: channels }, () => new Float32Array(Math.min(frames, 1 << 18)));
    const out = new Float64Array(frames);
    const excerpt = new Float32Array(scratch[0]!.length);
    // In chunks, so a window over a long span needs no file-sized scratch.
    for (let at = 0; at < frames; at += excerpt.length) {
      const count = Math.min(excerpt.length, frames - at);
      const mixPart = await monoExcerpt(this.mix, from + at, count, scratch, excerpt);
      for (let i = 0; i < count; i++) out[at + i] = mixPart[i]!;
      for (let j = 0; j < this.stems.length; j++) {
        const g = this.others.gains?.[j] ?? 1;
        if (g === 0) continue;
        const x = await monoExcerpt(this.stems[j]!, from + at + (this.others.lags?.[j] ?? 0), count, scratch, excerpt);
        for (let i = 0; i < count; i++) out[at + i] = out[at + i]! - g * x[i]!;
      }
    }
    return out;
  }

  /** mix − Σ_{j≠k} g_j·s_j(t + lag_j) over [from, from + frames). */
  async without(k: number, from: number, frames: number, scratch: Float32Array[]): Promise<Float32Array> {
    let all: Float64Array;
    let offset = 0;
    if (this.whole && from >= this.whole.from && from + frames <= this.whole.from + this.whole.data.length) {
      if (!this.windows.has(Number.NEGATIVE_INFINITY)) {
        this.whole.data = await this.compute(this.whole.from, this.whole.data.length);
        this.windows.set(Number.NEGATIVE_INFINITY, this.whole.data);
      }
      all = this.whole.data;
      offset = from - this.whole.from;
    } else {
      const cached = this.windows.get(from);
      all = cached ?? (await this.compute(from, frames));
      if (!cached) this.windows.set(from, all);
    }
    const g = this.others.gains?.[k] ?? 1;
    const own = await monoExcerpt(this.stems[k]!, from + (this.others.lags?.[k] ?? 0), frames, scratch);
    const rest = new Float32Array(frames);
    for (let i = 0; i < frames; i++) rest[i] = all[offset + i]! + g * own[i]!;
    return rest;
  }
}

/** The start of the probe around a stem's loudest passage. */
export function probeStart(mix: AudioSource, loudestStart: number): number {
  return Math.max(0, Math.min(loudestStart, mix.format.frames - PROBE_FRAMES));
}

/**
 * At most this many stems are probed for an offset: the ones with the most energy, since a stem
 * can leave at most 4× its energy in the residual by being misplaced. Bounds the diagnosis of a
 * failed null at any stem count (1000 stems check in seconds).
 */
export const MAX_PROBED_STEMS = 48;

/** Indices of the stems worth probing: audible, the loudest MAX_PROBED_STEMS by their energy in the sum. */
export function stemsToProbe(gram: number[][], loudestEnergy: number[]): number[] {
  return loudestEnergy
    .map((e, k) => ({ k, e, energy: gram[k]?.[k] ?? 0 }))
    .filter((x) => x.e > 0)
    .sort((a, b) => b.energy - a.energy || a.k - b.k)
    .slice(0, MAX_PROBED_STEMS)
    .map((x) => x.k)
    .sort((a, b) => a - b);
}

export interface OffsetResult {
  lag: number;
  /** Residual energy over the probe with the stem at this lag, relative to unity placement (dB; negative = better). */
  improvementDb: number;
  /** The stem's best gain at that lag over the probe (negative: inverted polarity)… */
  gain: number;
  /** …and what is left with lag and gain applied, relative to the stem's part of the mix (dB). */
  fitRelativeDb: number;
}

/**
 * The lag of stem `k` against the mix, exact to the sample, and its gain there: cross-correlation
 * around the stem's loudest passage proposes candidate lags; the residual (mix − other stems −
 * shifted stem) over the same excerpt decides among them, so periodic material cannot fool it.
 * The other stems are taken at `others` gains and lags (the joint least-squares fit, then what
 * their own probes found), so one stem's wrong gain, polarity or offset does not hide another's.
 */
export async function probeOffset(
  stems: AudioSource[],
  mix: AudioSource,
  k: number,
  loudestStart: number,
  others: { gains?: number[]; lags?: number[] } | ProbeResiduals = {},
): Promise<OffsetResult> {
  const rate = mix.format.sampleRate;
  const maxLag = Math.round(MAX_LAG_SECONDS * rate);
  const start = probeStart(mix, loudestStart);
  const wideFrames = PROBE_FRAMES + 2 * maxLag;
  const channels = Math.max(mix.format.channels, ...stems.map((x) => x.format.channels));
  const scratch = Array.from({ length: channels }, () => new Float32Array(wideFrames));
  // The stem over the whole search range; the probe is its middle.
  const stemWide = await monoExcerpt(stems[k]!, start - maxLag, wideFrames, scratch);
  const probe = stemWide.subarray(maxLag, maxLag + PROBE_FRAMES);
  // What the mix holds of this stem: mix − Σ_{j≠k} s_j over the whole search range. Correlating
  // against it rather than the mix keeps the other stems out of the way: where only this stem is
  // misplaced it is an exact shifted copy, so even a sustained bass note gives one clear peak.
  const residuals = others instanceof ProbeResiduals ? others : new ProbeResiduals(stems, mix, others, [start]);
  const restWide = await residuals.without(k, start - maxLag, wideFrames, scratch);
  const candidates = findLags(probe, restWide, maxLag);
  const rest = restWide.subarray(maxLag, maxLag + PROBE_FRAMES);
  let restEnergy = 0;
  for (let i = 0; i < PROBE_FRAMES; i++) restEnergy += rest[i]! * rest[i]!;
  // What is left of `rest` with the stem at `lag` and its best gain there (so an inverted or
  // mis-levelled stem is still placed right): ‖rest‖² − ⟨rest, s⟩² / ‖s‖².
  const fitAt = (lag: number) => {
    // A stem late by `lag` means mix(t) contains stem(t + lag).
    let cross = 0;
    let self = 0;
    for (let i = 0; i < PROBE_FRAMES; i++) {
      const x = stemWide[maxLag + i + lag]!;
      cross += rest[i]! * x;
      self += x * x;
    }
    return { lag, energy: Math.max(0, self > 0 ? restEnergy - (cross * cross) / self : restEnergy), gain: self > 0 ? cross / self : 1 };
  };
  const atZero = fitAt(0);
  let best = atZero;
  // The residual decides, around each candidate: correlation peaks can sit a few samples off.
  const tried = new Set<number>([0]);
  for (const candidate of candidates.map((x) => x.lag)) {
    for (let c = candidate - REFINE_RADIUS; c <= candidate + REFINE_RADIUS; c++) {
      if (Math.abs(c) > maxLag || tried.has(c)) continue;
      tried.add(c);
      const fit = fitAt(c);
      // On a sample-exact loop a bar away nulls just as well: of equal fits, the smallest shift.
      const tie = Math.abs(fit.energy - best.energy) <= 1e-9 * Math.max(fit.energy, best.energy);
      if ((fit.energy < best.energy && !tie) || (tie && Math.abs(c) < Math.abs(best.lag))) best = fit;
    }
  }
  return {
    lag: best.lag,
    improvementDb: db(best.energy / Math.max(atZero.energy, 1e-30)),
    gain: best.gain,
    fitRelativeDb: db(best.energy / Math.max(restEnergy, 1e-30)),
  };
}
