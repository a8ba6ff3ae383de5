/**
 * Loudness meter after ITU-R BS.1770 and EBU Tech 3341/3342: integrated loudness (gated), loudness
 * range (LRA), maximum momentary (400 ms) and maximum short-term (3 s) loudness.
 *
 * Design (streaming, O(1) memory in duration, mergeable across segments):
 * - Each channel is K-weighted and squared in one tight loop; squares are summed per 100 ms hop
 *   ("sub-block") per channel, then combined with the BS.1770 channel weights Gᵢ into one weighted
 *   energy per hop. Only the last 30 hop energies are kept (a ring).
 * - Hop boundaries sit on a grid anchored at global frame 0: boundary k is at frame ⌊k·fs/10⌋
 *   (integer arithmetic). When fs is a multiple of 10 every hop is exactly fs/10 samples. Otherwise
 *   hops differ by at most one sample (11.025 kHz: 1102 and 1103); a window spanning hops
 *   [k−n, k) covers frames [⌊(k−n)·fs/10⌋, ⌊k·fs/10⌋) and its mean square divides by that exact
 *   sample count. Windows of 4 hops are exactly 400 ms and of 30 hops exactly 3 s whenever 0.4·fs is
 *   an integer (any rate divisible by 5: 11.025k, 22.05k, 44.1k, 48k, 96k, …); for other rates they
 *   are 400 ms / 3 s to within one sample.
 * - At each boundary the window ending there is evaluated: the 400 ms window (momentary loudness and
 *   the gating block) and the 3 s window (short-term loudness, 10 values per second for LRA). Window
 *   energies are summed afresh from the ring (4 or 30 additions per hop, not a running add/subtract),
 *   so they do not depend on history or on how the stream was chunked.
 * - Only complete windows count (an incomplete last block is discarded), and only windows whose hops
 *   were all fed (from startFrame on). A window is counted by the meter whose countFrom precedes its
 *   last frame, i.e. by the segment in which it ends; see segment.ts.
 * - Gating blocks and short-term values above the −70 LUFS absolute gate go into histograms of
 *   0.01 LU bins from −70 to +30 LUFS (louder values clamp into the top bin) holding counts and
 *   summed energies. Power means come from the summed energies, so they are exact; only the
 *   relative-gate decision for the one bin that straddles the gate, and the LRA percentiles, are
 *   resolved at 0.01 LU (a percentile reads the mean loudness of its bin).
 * - Non-finite input (NaN/Infinity) makes the hops it falls in unmeasurable: windows containing them
 *   are dropped, and the filter state is reset at the next hop boundary.
 *
 */
import { KWeightingFilter } from './kweighting.js';
import { kWeight, type KWeightChannel } from './simd.js';
import type { SegmentPosition } from './segment.js';

/** Options of the LoudnessMeter: the signal's rate and channel weights, and where its segment lies in the file. */
export interface LoudnessMeterOptions extends SegmentPosition {
  /** Hz. */
  sampleRate: number;
  /** BS.1770 weight Gᵢ per channel (see loudnessWeight in audio/channels.ts): 1, 1.41 for surrounds, 0 for LFE. */
  channelWeights: number[];
}

/**
 * Windows above the absolute gate by 0.01 LU bin: bin b holds [−70 + b/100, −70 + (b+1)/100) LUFS.
 * Only the span of bins that were ever used is kept, [first, first + counts.length), so a meter of
 * a quiet one-second part costs a few kB rather than the 10,000 bins of the full scale.
 */
export interface LoudnessHistogram {
  /** Index of the first bin kept (0 is −70 LUFS). */
  first: number;
  /** Windows per bin. */
  counts: Float64Array;
  /** Summed energies of those windows per bin. */
  energies: Float64Array;
}

/**
 * Everything a meter has counted, as a plain structured-cloneable object whose size does not depend
 * on duration. Energies are BS.1770 weighted mean squares Σ Gᵢ·zᵢ (loudness = −0.691 + 10·log10 E).
 */
export interface LoudnessState {
  /** Hz. */
  sampleRate: number;
  /** The meter's BS.1770 weight per channel. */
  channelWeights: number[];
  /** 400 ms gating blocks (100 ms hop) above −70 LUFS. */
  block: LoudnessHistogram;
  /** 3 s short-term values at 10 Hz above −70 LUFS. */
  shortTerm: LoudnessHistogram;
  /** Counted 400 ms windows, including those below the absolute gate. */
  blocks: number;
  /** Counted 3 s windows, including those below the absolute gate. */
  shortTermWindows: number;
  /** Largest momentary (400 ms) energy over counted windows; 0 if none. */
  momentaryMaxEnergy: number;
  /** Largest short-term (3 s) energy over counted windows; 0 if none. */
  shortTermMaxEnergy: number;
}

/** The loudness figures of a LoudnessState (EBU Tech 3341/3342). */
export interface LoudnessSummary {
  /** Gated integrated loudness, LUFS; null when no 400 ms block passes the −70 LUFS absolute gate. */
  integratedLufs: number | null;
  /** EBU Tech 3342 loudness range, LU; null when no 3 s value passes the −70 LUFS absolute gate. */
  loudnessRangeLu: number | null;
  /** Maximum momentary loudness, LUFS; null when no 400 ms window exceeds −70 LUFS. */
  momentaryMaxLufs: number | null;
  /** Maximum short-term loudness, LUFS; null when no 3 s window exceeds −70 LUFS. */
  shortTermMaxLufs: number | null;
}

/** BS.1770 offset: cancels the K-filter's +0.691 dB gain at 997 Hz, so a 0 dBFS 997 Hz sine in one channel reads −3.01 LUFS. */
const OFFSET = -0.691;
const ABSOLUTE_GATE_LUFS = -70;
/** Energies at or below this are below the absolute gate (l ≤ −70 LUFS). */
const ABSOLUTE_GATE_ENERGY = Math.pow(10, (ABSOLUTE_GATE_LUFS - OFFSET) / 10);
const BINS_PER_LU = 100;
const HISTOGRAM_TOP_LUFS = 30;
/** Bins of the full histogram scale: 0.01 LU each from −70 to +30 LUFS. */
export const LOUDNESS_HISTOGRAM_BINS = (HISTOGRAM_TOP_LUFS - ABSOLUTE_GATE_LUFS) * BINS_PER_LU;
const MOMENTARY_HOPS = 4;
const SHORT_TERM_HOPS = 30;
const HOPS_PER_SECOND = 10;
/**
 * Maximum momentary and short-term loudness are evaluated every 10 ms (EBU Tech 3341 asks file-based
 * meters for at least 10 Hz; a 100 ms grid misses up to 1.2 dB of a 400 ms burst that straddles it).
 * Gating blocks and the LRA's short-term values stay on the 100 ms hop grid BS.1770 and Tech 3342 define.
 */
const SUBS_PER_HOP = 10;
const SUBS_PER_SECOND = HOPS_PER_SECOND * SUBS_PER_HOP;
const MOMENTARY_SUBS = MOMENTARY_HOPS * SUBS_PER_HOP;
const SHORT_TERM_SUBS = SHORT_TERM_HOPS * SUBS_PER_HOP;
const INTEGRATED_RELATIVE_GATE_LU = -10;
const LRA_RELATIVE_GATE_LU = -20;
const LRA_LOW_PERCENTILE = 0.1;
const LRA_HIGH_PERCENTILE = 0.95;

function loudnessOf(energy: number): number {
  return OFFSET + 10 * Math.log10(energy);
}

function binOf(energy: number): number {
  const b = Math.floor((loudnessOf(energy) - ABSOLUTE_GATE_LUFS) * BINS_PER_LU);
  return b < 0 ? 0 : b >= LOUDNESS_HISTOGRAM_BINS ? LOUDNESS_HISTOGRAM_BINS - 1 : b;
}

/** Histogram spans grow in steps of this many bins (2.56 LU), aligned, so a span depends only on the bins used. */
const SPAN_STEP = 256;

/** The aligned span [first, end) that holds bins lo … hi. */
function spanOf(lo: number, hi: number): { first: number; end: number } {
  return { first: Math.floor(lo / SPAN_STEP) * SPAN_STEP, end: Math.min(LOUDNESS_HISTOGRAM_BINS, Math.ceil((hi + 1) / SPAN_STEP) * SPAN_STEP) };
}

function emptyHistogram(): LoudnessHistogram {
  return { first: 0, counts: new Float64Array(0), energies: new Float64Array(0) };
}

/** `h` widened to [first, end) (a new histogram; the bins it had keep their values). */
function widened(h: LoudnessHistogram, first: number, end: number): LoudnessHistogram {
  const out = { first, counts: new Float64Array(end - first), energies: new Float64Array(end - first) };
  if (h.counts.length > 0) {
    out.counts.set(h.counts, h.first - first);
    out.energies.set(h.energies, h.first - first);
  }
  return out;
}

/** Counted windows of one length on the 100 ms grid (how many, gated energy histogram), and the loudest on the 10 ms grid. */
class GatedWindows {
  windows = 0;
  maxEnergy = 0;
  histogram = emptyHistogram();

  /** Counts a window of mean energy `e`; e < 0 marks a window with non-finite samples (skipped). */
  count(e: number): void {
    if (e < 0) return;
    this.windows++;
    if (e > ABSOLUTE_GATE_ENERGY) {
      const b = binOf(e);
      let h = this.histogram;
      if (b < h.first || b >= h.first + h.counts.length) {
        const used = h.counts.length > 0;
        const span = spanOf(used ? Math.min(b, h.first) : b, used ? Math.max(b, h.first + h.counts.length - 1) : b);
        h = this.histogram = widened(h, span.first, span.end);
      }
      h.counts[b - h.first]++;
      h.energies[b - h.first] += e;
    }
  }

  snapshot(): LoudnessHistogram {
    const h = this.histogram;
    return { first: h.first, counts: h.counts.slice(), energies: h.energies.slice() };
  }
}

/** The sum of histograms, over the span that holds all of them. */
function addHistograms(parts: LoudnessHistogram[]): LoudnessHistogram {
  const used = parts.filter((h) => h.counts.length > 0);
  if (used.length === 0) return emptyHistogram();
  for (const h of used) {
    if (h.counts.length !== h.energies.length || h.first < 0 || h.first + h.counts.length > LOUDNESS_HISTOGRAM_BINS) {
      throw new RangeError('loudness state histogram has the wrong size');
    }
  }
  const span = spanOf(Math.min(...used.map((h) => h.first)), Math.max(...used.map((h) => h.first + h.counts.length - 1)));
  const out = widened(emptyHistogram(), span.first, span.end);
  for (const h of used) {
    const at = h.first - out.first;
    for (let i = 0; i < h.counts.length; i++) {
      out.counts[at + i] += h.counts[i]!;
      out.energies[at + i] += h.energies[i]!;
    }
  }
  return out;
}

/** Measures BS.1770 loudness (integrated, range, max momentary and short-term) over the blocks pushed to it. */
export class LoudnessMeter {
  /** Hz. */
  readonly sampleRate: number;
  /** BS.1770 weight per channel (a copy of the options'); its length is the channel count. */
  readonly channelWeights: number[];
  private readonly channels: number;
  private readonly filter: KWeightingFilter;
  /** Channels with a non-zero weight, the only ones filtered. */
  private readonly activeChannels: number[];
  /** The active channels in pairs for the SIMD kernel, and the odd one out (filtered alone). */
  private readonly pairs: [KWeightChannel, KWeightChannel][];
  private readonly single: number | null;
  private readonly countFrom: number;
  /** Global frame index of the next sample to be pushed. */
  private position: number;
  /** Index of the 10 ms sub-hop in progress (frames [boundary(sub), boundary(sub + 1))); 10 make a hop. */
  private sub: number;
  private nextBoundary: number;
  /** First sub-hop whose every frame was fed. */
  private readonly firstFullSub: number;
  /** Per channel Σ y² of the sub-hop in progress. */
  private readonly acc: Float64Array;
  /** Weighted energy (Σ Gᵢ Σ y²) of the last 300 sub-hops, indexed by sub % 300. */
  private readonly subRing = new Float64Array(SHORT_TERM_SUBS);
  /** Per sub-hop slot: it had non-finite samples. */
  private readonly subBad = new Uint8Array(SHORT_TERM_SUBS);
  /** Weighted energy of the last 30 complete hops (each the sum of its sub-hops), indexed by hop % 30. */
  private readonly ring = new Float64Array(SHORT_TERM_HOPS);
  /** Per ring slot: hop had non-finite samples. */
  private readonly ringBad = new Uint8Array(SHORT_TERM_HOPS);
  /** 400 ms gating blocks and 3 s short-term windows. */
  private readonly momentary = new GatedWindows();
  private readonly shortTerm = new GatedWindows();

  constructor(options: LoudnessMeterOptions) {
    const { sampleRate, channelWeights } = options;
    if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`sampleRate must be a positive integer, got ${sampleRate}`);
    if (!Array.isArray(channelWeights) || channelWeights.length < 1) throw new RangeError('channelWeights must list one weight per channel');
    for (const w of channelWeights) if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`channel weights must be finite and ≥ 0, got ${w}`);
    const startFrame = options.startFrame ?? 0;
    const countFrom = options.countFrom ?? startFrame;
    if (!Number.isSafeInteger(startFrame) || startFrame < 0) throw new RangeError(`startFrame must be a non-negative integer, got ${startFrame}`);
    if (!Number.isSafeInteger(countFrom) || countFrom < startFrame) throw new RangeError(`countFrom must be an integer ≥ startFrame, got ${countFrom}`);
    this.sampleRate = sampleRate;
    this.channelWeights = [...channelWeights];
    this.channels = channelWeights.length;
    this.filter = new KWeightingFilter(sampleRate, this.channels);
    this.activeChannels = this.channelWeights.flatMap((w, ch) => (w === 0 ? [] : [ch]));
    this.acc = new Float64Array(this.channels);
    this.pairs = [];
    const active = this.activeChannels;
    for (let k = 0; k + 1 < active.length; k += 2) this.pairs.push([this.filter.channel(active[k]!, this.acc), this.filter.channel(active[k + 1]!, this.acc)]);
    this.single = active.length % 2 ? active[active.length - 1]! : null;
    this.countFrom = countFrom;
    this.position = startFrame;
    // The sub-hop containing startFrame: largest j with boundary(j) ≤ startFrame.
    let j = Math.floor((startFrame * SUBS_PER_SECOND) / sampleRate);
    while (this.boundary(j + 1) <= startFrame) j++;
    while (j > 0 && this.boundary(j) > startFrame) j--;
    this.sub = j;
    this.nextBoundary = this.boundary(j + 1);
    this.firstFullSub = this.boundary(j) === startFrame ? j : j + 1;
  }

  /** Global frame index of sub-hop boundary k: ⌊k·fs/100⌋ (every 10th is the hop boundary ⌊j·fs/10⌋). */
  private boundary(k: number): number {
    return Math.floor((k * this.sampleRate) / SUBS_PER_SECOND);
  }

  /** Feeds `frames` frames (planar, one Float32Array per channel) that follow the previous ones. */
  push(planar: Float32Array[], frames: number = planar[0]?.length ?? 0): void {
    LoudnessMeter.pushTogether([this], [planar], frames);
  }

  /**
   * push for several meters at the same position and rate (the files of a package, block by block):
   * their channel pairs are K-weighted two pairs at a time, which keeps more arithmetic in flight.
   * Every number is bit-identical to pushing each meter on its own.
   */
  static pushTogether(meters: LoudnessMeter[], planars: Float32Array[][], frames: number): void {
    const first = meters[0];
    if (!first) return;
    if (meters.some((m) => m.position !== first.position || m.sampleRate !== first.sampleRate)) {
      meters.forEach((m, j) => LoudnessMeter.pushTogether([m], [planars[j]!], frames));
      return;
    }
    meters.forEach((m, j) => {
      if (planars[j]!.length < m.channels) throw new RangeError(`expected ${m.channels} channels, got ${planars[j]!.length}`);
    });
    const live: KWeightChannel[] = [];
    // Reused argument arrays: this loop runs every 10 ms of audio for every file.
    const quad: KWeightChannel[] = [];
    const pair: KWeightChannel[] = [];
    let i = 0;
    while (i < frames) {
      const n = Math.min(frames - i, first.nextBoundary - first.position);
      const end = i + n;
      // A filter at rest fed digital silence outputs zeros, so silent stretches (once the state
      // has decayed) are skipped; LFE (weight 0) is never filtered.
      live.length = 0;
      for (let j = 0; j < meters.length; j++) {
        const m = meters[j]!;
        const planar = planars[j]!;
        for (const [a, b] of m.pairs) {
          if (m.filter.silent(a.ch, planar[a.ch]!, i, end) && m.filter.silent(b.ch, planar[b.ch]!, i, end)) continue;
          a.input = planar[a.ch]!;
          b.input = planar[b.ch]!;
          live.push(a, b);
        }
        const ch = m.single;
        if (ch !== null && !m.filter.silent(ch, planar[ch]!, i, end)) m.acc[ch] = m.filter.sumSquares(ch, planar[ch]!, i, end, m.acc[ch]!);
      }
      for (let k = 0; k < live.length; k += 4) {
        const args = k + 4 <= live.length ? quad : pair;
        args.length = 0;
        for (let c = k; c < k + (args === quad ? 4 : 2); c++) args.push(live[c]!);
        kWeight(args, i, end, first.filter.packed);
      }
      i = end;
      for (const m of meters) {
        m.position += n;
        if (m.position === m.nextBoundary) m.closeHop();
      }
    }
  }

  private closeHop(): void {
    const weights = this.channelWeights;
    const acc = this.acc;
    let energy = 0;
    for (let ch = 0; ch < this.channels; ch++) energy += weights[ch]! * acc[ch]!;
    acc.fill(0);
    this.filter.flushDenormals();
    const bad = !Number.isFinite(energy);
    const slot = this.sub % SHORT_TERM_SUBS;
    this.subRing[slot] = bad ? 0 : energy;
    this.subBad[slot] = bad ? 1 : 0;
    const k = ++this.sub; // the sub-hop boundary just reached
    const end = this.position;
    this.nextBoundary = this.boundary(k + 1);
    const hopEnds = k % SUBS_PER_HOP === 0;
    if (hopEnds) {
      // The hop just completed: the sum of its ten sub-hops, afresh (no running sums, so the value
      // does not depend on where the stream started).
      let e = 0;
      let hopBad = 0;
      for (let q = k - SUBS_PER_HOP; q < k; q++) {
        e += this.subRing[q % SHORT_TERM_SUBS]!;
        hopBad |= this.subBad[q % SHORT_TERM_SUBS]!;
      }
      const h = k / SUBS_PER_HOP - 1;
      this.ring[h % SHORT_TERM_HOPS] = e;
      this.ringBad[h % SHORT_TERM_HOPS] = hopBad;
    }
    if (end <= this.countFrom) return; // ends before countFrom: another segment counts this window
    if (k - MOMENTARY_SUBS >= this.firstFullSub) this.momentaryMax(this.windowEnergy(k, MOMENTARY_SUBS));
    if (k - SHORT_TERM_SUBS >= this.firstFullSub) this.shortTermMax(this.windowEnergy(k, SHORT_TERM_SUBS));
    if (!hopEnds) return;
    const hop = k / SUBS_PER_HOP;
    const firstFullHop = Math.ceil(this.firstFullSub / SUBS_PER_HOP);
    if (hop - MOMENTARY_HOPS >= firstFullHop) this.momentary.count(this.hopWindowEnergy(hop, MOMENTARY_HOPS));
    if (hop - SHORT_TERM_HOPS >= firstFullHop) this.shortTerm.count(this.hopWindowEnergy(hop, SHORT_TERM_HOPS));
  }

  private momentaryMax(e: number): void {
    if (e > this.momentary.maxEnergy) this.momentary.maxEnergy = e;
  }

  private shortTermMax(e: number): void {
    if (e > this.shortTerm.maxEnergy) this.shortTerm.maxEnergy = e;
  }

  /**
   * Mean weighted energy of sub-hops [k − subs, k); −1 if any had non-finite samples. Whole hops
   * inside the window come from the hop ring, so a 3 s window costs about 50 additions, not 300.
   */
  private windowEnergy(k: number, subs: number): number {
    const from = k - subs;
    const firstHop = Math.ceil(from / SUBS_PER_HOP);
    const lastHop = Math.floor(k / SUBS_PER_HOP);
    let sum = 0;
    for (let q = from; q < Math.min(k, firstHop * SUBS_PER_HOP); q++) {
      if (this.subBad[q % SHORT_TERM_SUBS]) return -1;
      sum += this.subRing[q % SHORT_TERM_SUBS]!;
    }
    for (let h = firstHop; h < lastHop; h++) {
      if (this.ringBad[h % SHORT_TERM_HOPS]) return -1;
      sum += this.ring[h % SHORT_TERM_HOPS]!;
    }
    for (let q = Math.max(from, lastHop * SUBS_PER_HOP); q < k; q++) {
      if (this.subBad[q % SHORT_TERM_SUBS]) return -1;
      sum += this.subRing[q % SHORT_TERM_SUBS]!;
    }
    return sum / (this.boundary(k) - this.boundary(from));
  }

  /** Mean weighted energy of hops [hop − hops, hop) on the 100 ms grid; −1 if any had non-finite samples. */
  private hopWindowEnergy(hop: number, hops: number): number {
    let sum = 0;
    for (let h = hop - hops; h < hop; h++) {
      const slot = h % SHORT_TERM_HOPS;
      if (this.ringBad[slot]) return -1;
      sum += this.ring[slot]!;
    }
    return sum / (this.boundary(hop * SUBS_PER_HOP) - this.boundary((hop - hops) * SUBS_PER_HOP));
  }

  /** A snapshot of everything counted so far (copies; the meter can keep going). */
  state(): LoudnessState {
    return {
      sampleRate: this.sampleRate,
      channelWeights: [...this.channelWeights],
      block: this.momentary.snapshot(),
      shortTerm: this.shortTerm.snapshot(),
      blocks: this.momentary.windows,
      shortTermWindows: this.shortTerm.windows,
      momentaryMaxEnergy: this.momentary.maxEnergy,
      shortTermMaxEnergy: this.shortTerm.maxEnergy,
    };
  }

  /**
   * Combines the states of meters that counted disjoint parts of one stream (segments): counts add,
   * energies add, maxima take the max. Exact up to the floating-point order of the energy sums.
   */
  static merge(states: LoudnessState[]): LoudnessState {
    const first = states[0];
    if (!first) throw new RangeError('merge needs at least one loudness state');
    const merged: LoudnessState = {
      sampleRate: first.sampleRate,
      channelWeights: [...first.channelWeights],
      block: addHistograms(states.map((s) => s.block)),
      shortTerm: addHistograms(states.map((s) => s.shortTerm)),
      blocks: 0,
      shortTermWindows: 0,
      momentaryMaxEnergy: 0,
      shortTermMaxEnergy: 0,
    };
    for (const s of states) {
      if (s.sampleRate !== first.sampleRate) throw new RangeError(`cannot merge loudness states at ${first.sampleRate} and ${s.sampleRate} Hz`);
      if (s.channelWeights.length !== first.channelWeights.length || s.channelWeights.some((w, i) => w !== first.channelWeights[i])) {
        throw new RangeError('cannot merge loudness states with different channel weights');
      }
      merged.blocks += s.blocks;
      merged.shortTermWindows += s.shortTermWindows;
      if (s.momentaryMaxEnergy > merged.momentaryMaxEnergy) merged.momentaryMaxEnergy = s.momentaryMaxEnergy;
      if (s.shortTermMaxEnergy > merged.shortTermMaxEnergy) merged.shortTermMaxEnergy = s.shortTermMaxEnergy;
    }
    return merged;
  }

  /** Integrated loudness (gated), loudness range, and max momentary and short-term loudness from a state. */
  static summarize(state: LoudnessState): LoudnessSummary {
    let integratedLufs: number | null = null;
    const blocks = gate(state.block, INTEGRATED_RELATIVE_GATE_LU);
    if (blocks) integratedLufs = loudnessOf(blocks.energy / blocks.count);
    let loudnessRangeLu: number | null = null;
    const st = gate(state.shortTerm, LRA_RELATIVE_GATE_LU);
    if (st) {
      const low = percentile(state.shortTerm, st.firstBin, st.count, LRA_LOW_PERCENTILE);
      const high = percentile(state.shortTerm, st.firstBin, st.count, LRA_HIGH_PERCENTILE);
      loudnessRangeLu = Math.max(0, high - low);
    }
    return {
      integratedLufs,
      loudnessRangeLu,
      momentaryMaxLufs: state.momentaryMaxEnergy > ABSOLUTE_GATE_ENERGY ? loudnessOf(state.momentaryMaxEnergy) : null,
      shortTermMaxLufs: state.shortTermMaxEnergy > ABSOLUTE_GATE_ENERGY ? loudnessOf(state.shortTermMaxEnergy) : null,
    };
  }
}

/**
 * Relative gating over a histogram whose entries already passed the absolute gate: gate = power
 * mean + `relativeLu`; bins above the gate's bin count in full, the gate's own bin counts when its
 * mean loudness is above the gate. Returns the first counted bin and the counted totals, or null
 * when the histogram is empty.
 */
function gate(h: LoudnessHistogram, relativeLu: number): { firstBin: number; count: number; energy: number } | null {
  const { counts, energies } = h;
  let n = 0;
  let e = 0;
  for (let i = 0; i < counts.length; i++) {
    n += counts[i]!;
    e += energies[i]!;
  }
  if (n === 0) return null;
  const threshold = loudnessOf(e / n) + relativeLu;
  // Bins are counted from the histogram's first; g is the gate's bin on that scale.
  const g = Math.floor((threshold - ABSOLUTE_GATE_LUFS) * BINS_PER_LU) - h.first;
  let firstBin = 0;
  if (g >= 0) {
    firstBin = g + 1;
    if (g < counts.length && counts[g]! > 0 && loudnessOf(energies[g]! / counts[g]!) > threshold) firstBin = g;
  }
  let count = 0;
  let energy = 0;
  for (let b = firstBin; b < counts.length; b++) {
    count += counts[b]!;
    energy += energies[b]!;
  }
  // The loudest bin always lies above mean − 10 LU (or −20), so count > 0 here.
  return { firstBin, count, energy };
}

/** Loudness of the value at rank round((count − 1)·p) (0-based, ascending) among bins from firstBin: its bin's mean loudness. */
function percentile(h: LoudnessHistogram, firstBin: number, count: number, p: number): number {
  const { counts, energies } = h;
  const rank = Math.round((count - 1) * p);
  let seen = 0;
  for (let b = firstBin; b < counts.length; b++) {
    const c = counts[b]!;
    if (c === 0) continue;
    seen += c;
    if (seen > rank) return loudnessOf(energies[b]! / c);
  }
  throw new Error('unreachable: percentile rank beyond histogram');
}
