import { describe, expect, it, vi } from 'vitest';
import { loudnessWeight } from '../src/audio/channels.js';
import { KWeightingFilter, kWeightingCoefficients } from '../src/dsp/kweighting.js';
import { kWeight } from '../src/dsp/simd.js';
import { LOUDNESS_HISTOGRAM_BINS, LoudnessMeter, type LoudnessHistogram, type LoudnessState, type LoudnessSummary } from '../src/dsp/loudness.js';
import { PRE_ROLL_SECONDS } from '../src/dsp/segment.js';
import { TruePeakMeter } from '../src/dsp/true-peak.js';
import { musicLike, sineSections } from './helpers/music.js';

const FS = 48000;
const STEREO = [1, 1];

function repeat(sections: [number, number][], times: number): [number, number][] {
  return Array.from({ length: times }, () => sections).flat();
}

function run(meter: { push(p: Float32Array[], n: number): void }, planar: Float32Array[], block = 4096, from = 0, to = planar[0]!.length): void {
  for (let i = from; i < to; i += block) {
    const n = Math.min(block, to - i);
    meter.push(
      planar.map((c) => c.subarray(i, i + n)),
      n,
    );
  }
}

function measure(planar: Float32Array[], sampleRate = FS, weights = planar.map(() => 1), block = 4096): { state: LoudnessState; summary: LoudnessSummary } {
  const meter = new LoudnessMeter({ sampleRate, channelWeights: weights });
  run(meter, planar, block);
  const state = meter.state();
  return { state, summary: LoudnessMeter.summarize(state) };
}

/** Loudest and quietest histogram bins in use, as LUFS bin lower edges. */
function histogramSpan({ first, counts }: LoudnessHistogram): [number, number] {
  let lo = -1;
  let hi = -1;
  for (let b = 0; b < counts.length; b++) {
    if (counts[b]! > 0) {
      if (lo < 0) lo = b;
      hi = b;
    }
  }
  return [-70 + (first + lo) / 100, -70 + (first + hi + 1) / 100];
}

/** The histogram over all 10,000 bins, for comparing histograms whatever their kept span. */
function dense({ first, counts }: LoudnessHistogram): Float64Array {
  const out = new Float64Array(LOUDNESS_HISTOGRAM_BINS);
  out.set(counts, first);
  return out;
}

describe('K-weighting', () => {
  it('reproduces the BS.1770 48 kHz table and the 44.1 kHz check values', () => {
    const c48 = kWeightingCoefficients(48000);
    const t48 = [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585, -1.99004745483398, 0.99007225036621];
    const g48 = [c48.shelf.b0, c48.shelf.b1, c48.shelf.b2, c48.shelf.a1, c48.shelf.a2, c48.highPass.a1, c48.highPass.a2];
    g48.forEach((v, i) => expect(Math.abs(v - t48[i]!)).toBeLessThan(1e-12));
    expect([c48.highPass.b0, c48.highPass.b1, c48.highPass.b2]).toEqual([1, -2, 1]);
    const c44 = kWeightingCoefficients(44100);
    const t44 = [1.53084123005035, -2.65097999515473, 1.16907907992159, -1.66365511325602, 0.71259542807323, -1.9891696736298, 0.98919903578704];
    const g44 = [c44.shelf.b0, c44.shelf.b1, c44.shelf.b2, c44.shelf.a1, c44.shelf.a2, c44.highPass.a1, c44.highPass.a2];
    g44.forEach((v, i) => expect(Math.abs(v - t44[i]!)).toBeLessThan(1e-12));
  });

  it('has +0.691 dB gain at 997 Hz at 48 kHz (the BS.1770 offset), and close to it at other rates', () => {
    const gainDb = (fs: number, f: number) => {
      const { shelf: s, highPass: h } = kWeightingCoefficients(fs);
      const w = (2 * Math.PI * f) / fs;
      const mag = (b: number[], a: number[]) => {
        const re = (c: number[]) => c[0]! + c[1]! * Math.cos(w) + c[2]! * Math.cos(2 * w);
        const im = (c: number[]) => -c[1]! * Math.sin(w) - c[2]! * Math.sin(2 * w);
        return Math.hypot(re(b), im(b)) / Math.hypot(re(a), im(a));
      };
      return 20 * Math.log10(mag([s.b0, s.b1, s.b2], [1, s.a1, s.a2]) * mag([h.b0, h.b1, h.b2], [1, h.a1, h.a2]));
    };
    expect(Math.abs(gainDb(48000, 997) - 0.691)).toBeLessThan(0.0005);
    expect(Math.abs(gainDb(44100, 997) - 0.691)).toBeLessThan(0.005);
    // The bilinear transform warps differently at each rate: the analog-derived design (as in
    // libebur128 and the Rust crate) drifts by a few hundredths of a dB at 1 kHz from 11 to 192 kHz.
    for (const fs of [11025, 22050, 32000, 88200, 96000, 192000]) expect(Math.abs(gainDb(fs, 997) - 0.691)).toBeLessThan(0.05);
    // … and matches the 48 kHz curve within 0.05 dB across the band at 44.1 and 96 kHz.
    for (const f of [20, 50, 100, 500, 1000, 2000, 5000, 10000, 15000]) {
      expect(Math.abs(gainDb(44100, f) - gainDb(48000, f))).toBeLessThan(0.05);
      expect(Math.abs(gainDb(96000, f) - gainDb(48000, f))).toBeLessThan(0.05);
    }
  });

  it('filters in place and sums squares identically, whatever the block split', () => {
    const x = musicLike(FS, 1, 3)[0]!;
    const whole = new KWeightingFilter(FS, 1);
    const y = new Float64Array(x.length);
    whole.process(0, x, y);
    let expected = 0;
    for (let i = 0; i < y.length; i++) expected += y[i]! * y[i]!;
    const split = new KWeightingFilter(FS, 1);
    let sum = 0;
    for (let i = 0; i < x.length; i += 777) sum = split.sumSquares(0, x, i, Math.min(x.length, i + 777), sum);
    expect(sum).toBe(expected);
    const inPlace = Float32Array.from(x);
    new KWeightingFilter(FS, 1).process(0, inPlace, inPlace);
    expect(inPlace).toEqual(Float32Array.from(y));
  });

  it('filters two or four channels at once (SIMD lanes) with bit-identical sums to one channel at a time', () => {
    const [l, r] = musicLike(FS, 2, 4);
    const [u, v] = musicLike(FS, 2, 5);
    const inputs = [l!, r!, u!, v!];
    const single = new KWeightingFilter(FS, 4);
    const want = [0, 0, 0, 0];
    const twoAtOnce = new KWeightingFilter(FS, 4);
    const gotTwo = new Float64Array(4);
    const fourAtOnce = new KWeightingFilter(FS, 4);
    const gotFour = new Float64Array(4);
    const two = [0, 1, 2, 3].map((ch) => twoAtOnce.channel(ch, gotTwo));
    const four = [0, 1, 2, 3].map((ch) => fourAtOnce.channel(ch, gotFour));
    [...two, ...four].forEach((c) => (c.input = inputs[c.ch]!));
    for (let i = 0; i < l!.length; i += 1000) {
      const end = Math.min(l!.length, i + 1000);
      for (let ch = 0; ch < 4; ch++) want[ch] = single.sumSquares(ch, inputs[ch]!, i, end, want[ch]!);
      kWeight([two[0]!, two[1]!], i, end, twoAtOnce.packed);
      kWeight([two[2]!, two[3]!], i, end, twoAtOnce.packed);
      kWeight(four, i, end, fourAtOnce.packed);
    }
    expect([...gotTwo]).toEqual(want);
    expect([...gotFour]).toEqual(want);
    expect(new Set(want).size).toBe(4);
  });
});

describe('LoudnessMeter: several meters at once', () => {
  it('pushTogether gives each meter exactly the state it gets on its own (stereo, 5.1 with LFE, mono, one at another position)', () => {
    const [l, r] = musicLike(FS, 6, 21);
    const [u, v] = musicLike(FS, 6, 22);
    const surround = [l!, r!, u!, v!, l!.map((x) => 0.5 * x), r!.map((x) => -x)];
    const layouts: { weights: number[]; planar: Float32Array[]; start?: number }[] = [
      { weights: STEREO, planar: [l!, r!] },
      { weights: [1, 1, 1, 0, 1.41, 1.41], planar: surround },
      { weights: [1], planar: [u!] },
      { weights: STEREO, planar: [v!, u!] },
      { weights: STEREO, planar: [u!, l!], start: 6000 }, // joins the others when they reach it
    ];
    const fresh = () => layouts.map((x) => new LoudnessMeter({ sampleRate: FS, channelWeights: x.weights, startFrame: x.start ?? 0 }));
    const alone = fresh();
    alone.forEach((m, j) => run(m, layouts[j]!.planar, 3000, layouts[j]!.start ?? 0));
    const together = fresh();
    for (let i = 0; i < l!.length; i += 3000) {
      const n = Math.min(3000, l!.length - i);
      const ready = together.filter((_, j) => (layouts[j]!.start ?? 0) <= i);
      LoudnessMeter.pushTogether(ready, ready.map((m) => layouts[together.indexOf(m)]!.planar.map((x) => x.subarray(i, i + n))), n);
    }
    together.forEach((m, j) => expect(m.state()).toEqual(alone[j]!.state()));

    // Meters at different positions are pushed one by one, each with its own frames.
    const early = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO });
    const late = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO, startFrame: 4800 });
    for (let i = 0; i + 4800 < l!.length; i += 3000) {
      const n = Math.min(3000, l!.length - 4800 - i);
      LoudnessMeter.pushTogether([early, late], [[l!.subarray(i, i + n), r!.subarray(i, i + n)], [u!.subarray(4800 + i, 4800 + i + n), l!.subarray(4800 + i, 4800 + i + n)]], n);
    }
    const earlyAlone = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO });
    run(earlyAlone, [l!, r!], 3000, 0, l!.length - 4800);
    expect(early.state()).toEqual(earlyAlone.state());
    const lateAlone = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO, startFrame: 4800 });
    run(lateAlone, [u!, l!], 3000, 4800);
    expect(late.state()).toEqual(lateAlone.state());
  });
});

describe('LoudnessMeter: basics', () => {
  it('reads a stereo 1 kHz sine at −23 dBFS as −22.99 LUFS, and a 997 Hz one as −23.00', () => {
    const x = sineSections(FS, [[10, -23]]);
    const { summary } = measure([x, x]);
    expect(summary.integratedLufs!).toBeCloseTo(-22.99, 2);
    expect(summary.momentaryMaxLufs!).toBeCloseTo(-22.99, 2);
    expect(summary.shortTermMaxLufs!).toBeCloseTo(-22.99, 2);
    expect(summary.loudnessRangeLu).toBeLessThan(0.02);
    const y = sineSections(FS, [[10, -23]], 997);
    expect(Math.abs(measure([y, y]).summary.integratedLufs! + 23)).toBeLessThan(0.005);
  });

  it('gives null everywhere for silence, sub-gate signals and audio shorter than one block', () => {
    const silence = new Float32Array(FS * 5);
    expect(measure([silence, silence]).summary).toEqual({ integratedLufs: null, loudnessRangeLu: null, momentaryMaxLufs: null, shortTermMaxLufs: null });
    const quiet = sineSections(FS, [[5, -80]]);
    expect(measure([quiet, quiet]).summary).toEqual({ integratedLufs: null, loudnessRangeLu: null, momentaryMaxLufs: null, shortTermMaxLufs: null });
    const short = sineSections(FS, [[0.39, -10]]);
    expect(measure([short, short]).summary).toEqual({ integratedLufs: null, loudnessRangeLu: null, momentaryMaxLufs: null, shortTermMaxLufs: null });
    // 0.4 s exactly: one block, no short-term value.
    const one = sineSections(FS, [[0.4, -10]]);
    const s = measure([one, one]);
    expect(s.state.blocks).toBe(1);
    expect(s.summary.integratedLufs).not.toBeNull();
    expect(s.summary.loudnessRangeLu).toBeNull();
    expect(s.summary.shortTermMaxLufs).toBeNull();
  });

  it('discards the incomplete last block and keeps state size independent of duration', () => {
    const x = sineSections(FS, [[2.05, -20]]);
    const { state } = measure([x]);
    expect(state.blocks).toBe(17); // windows ending at 0.4, 0.5, …, 2.0 s
    // A steady −20 dBFS sine uses one bin: the kept span is one step of 256 bins, not the full scale.
    expect(state.block.counts.length).toBe(256);
    expect(state.block.counts.length).toBeLessThan(LOUDNESS_HISTOGRAM_BINS);
    const long = measure([sineSections(FS, [[30, -20]])]).state;
    expect(long.block.counts.length).toBe(state.block.counts.length);
    expect(long.block.first).toBe(state.block.first);
    // structured-cloneable
    expect(structuredClone(long)).toEqual(long);
  });

  it('ignores LFE (weight 0) and weights surrounds by 1.41', () => {
    const x = sineSections(FS, [[5, -20]]);
    const loudLfe = sineSections(FS, [[5, 0]], 50);
    const withLfe = measure([x, x, loudLfe], FS, [1, 1, 0]).summary.integratedLufs!;
    expect(withLfe).toBeCloseTo(measure([x, x]).summary.integratedLufs!, 10);
    const surround = measure([x], FS, [1.41]).summary.integratedLufs!;
    expect(surround - measure([x]).summary.integratedLufs!).toBeCloseTo(10 * Math.log10(1.41), 10);
  });

  it('drops windows with non-finite samples and recovers afterwards', () => {
    const x = sineSections(FS, [[10, -23]]);
    x[FS * 2] = NaN;
    const { state, summary } = measure([x, x]);
    expect(summary.integratedLufs!).toBeCloseTo(-22.99, 2);
    expect(state.blocks).toBeLessThan(97);
    expect(state.blocks).toBeGreaterThan(90);
  });

  it('rejects bad options and mismatched merges', () => {
    expect(() => new LoudnessMeter({ sampleRate: 0, channelWeights: [1] })).toThrow(RangeError);
    expect(() => new LoudnessMeter({ sampleRate: FS, channelWeights: [] })).toThrow(RangeError);
    expect(() => new LoudnessMeter({ sampleRate: FS, channelWeights: [1], startFrame: 10, countFrom: 5 })).toThrow(RangeError);
    const a = new LoudnessMeter({ sampleRate: FS, channelWeights: [1] }).state();
    const b = new LoudnessMeter({ sampleRate: 44100, channelWeights: [1] }).state();
    expect(() => LoudnessMeter.merge([a, b])).toThrow(RangeError);
    expect(() => LoudnessMeter.merge([])).toThrow(RangeError);
  });
});

describe('EBU Tech 3341 (48 kHz)', () => {
  const within = (value: number | null, target: number, tol = 0.1) => {
    expect(value).not.toBeNull();
    expect(Math.abs(value! - target)).toBeLessThanOrEqual(tol);
  };

  it('case 1: −23 dBFS, 20 s → M, S, I = −23.0', () => {
    const x = sineSections(FS, [[20, -23]]);
    const { summary } = measure([x, x]);
    within(summary.integratedLufs, -23);
    within(summary.momentaryMaxLufs, -23);
    within(summary.shortTermMaxLufs, -23);
  });

  it('case 2: −33 dBFS, 20 s → M, S, I = −33.0', () => {
    const x = sineSections(FS, [[20, -33]]);
    const { summary } = measure([x, x]);
    within(summary.integratedLufs, -33);
    within(summary.momentaryMaxLufs, -33);
    within(summary.shortTermMaxLufs, -33);
  });

  it('case 3: 10 s −36, 60 s −23, 10 s −36 → I = −23.0', () => {
    const x = sineSections(FS, [[10, -36], [60, -23], [10, -36]]);
    within(measure([x, x]).summary.integratedLufs, -23);
  });

  it('case 4: −72, −36, −23, −36, −72 → I = −23.0', () => {
    const x = sineSections(FS, [[10, -72], [10, -36], [60, -23], [10, -36], [10, -72]]);
    within(measure([x, x]).summary.integratedLufs, -23);
  });

  it('case 5: 20 s −26, 20.1 s −20, 20 s −26 → I = −23.0', () => {
    const x = sineSections(FS, [[20, -26], [20.1, -20], [20, -26]]);
    within(measure([x, x]).summary.integratedLufs, -23);
  });

  it('case 6: 5.0 channels L,R −28, C −24, Ls,Rs −30 dBFS → I = −23.0', () => {
    const labels = ['L', 'R', 'C', 'Ls', 'Rs'];
    const levels = [-28, -28, -24, -30, -30];
    const planar = levels.map((db) => sineSections(FS, [[20, db]]));
    within(measure(planar, FS, labels.map(loudnessWeight)).summary.integratedLufs, -23);
  });

  it('case 9: (1.34 s −20, 1.66 s −30) × 5 → S = −23.0 after 3 s', () => {
    const x = sineSections(FS, repeat([[1.34, -20], [1.66, -30]], 5));
    const { state, summary } = measure([x, x]);
    within(summary.shortTermMaxLufs, -23);
    // Every short-term value (all windows end at ≥ 3 s) is −23 ± 0.1.
    const [lo, hi] = histogramSpan(state.shortTerm);
    expect(lo).toBeGreaterThanOrEqual(-23.1);
    expect(hi).toBeLessThanOrEqual(-22.9);
    expect(state.shortTermWindows).toBe(121);
  });

  it('case 12: (0.18 s −20, 0.22 s −30) × 25 → M = −23.0 after 1 s', () => {
    const x = sineSections(FS, repeat([[0.18, -20], [0.22, -30]], 25));
    const { summary } = measure([x, x]);
    within(summary.momentaryMaxLufs, -23);
    // Count only from 1 s (a segment meter): every momentary value is −23 ± 0.1.
    const meter = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO, countFrom: FS });
    run(meter, [x, x]);
    const state = meter.state();
    const [lo, hi] = histogramSpan(state.block);
    expect(lo).toBeGreaterThanOrEqual(-23.1);
    expect(hi).toBeLessThanOrEqual(-22.9);
    within(LoudnessMeter.summarize(state).momentaryMaxLufs, -23);
  });
});

/** Stereo 1 kHz tone burst at `dbfs` peak, `seconds` long, starting `start` seconds into `total` seconds of silence. */
function burst(total: number, start: number, seconds: number, dbfs: number): Float32Array {
  const x = new Float32Array(Math.round(total * FS));
  const a = 10 ** (dbfs / 20);
  const from = Math.round(start * FS);
  const to = from + Math.round(seconds * FS);
  for (let i = from; i < to; i++) x[i] = a * Math.sin((2 * Math.PI * 1000 * (i - from)) / FS);
  return x;
}

describe('EBU Tech 3341 file-based maxima on a 10 ms grid (cases 10 and 13)', () => {
  const within = (value: number | null, target: number) => {
    expect(value).not.toBeNull();
    expect(Math.abs(value! - target)).toBeLessThanOrEqual(0.1);
  };
  // Twenty start positions across one 100 ms hop: a meter that only evaluates its windows every
  // 100 ms misses up to 0.14 dB of the 3 s burst and 1.2 dB of the 400 ms one.
  const offsets = Array.from({ length: 20 }, (_, j) => 1 + j * 0.005);

  it('case 10: a 3 s burst at −23 dBFS at 20 offsets → max S = −23.0 ± 0.1 for every one', () => {
    for (const start of offsets) {
      const x = burst(6, start, 3, -23);
      within(measure([x, x]).summary.shortTermMaxLufs, -23);
    }
  });

  it('case 13: a 400 ms burst at −23 dBFS at 20 offsets → max M = −23.0 ± 0.1 for every one', () => {
    for (const start of offsets) {
      const x = burst(3, start, 0.4, -23);
      within(measure([x, x]).summary.momentaryMaxLufs, -23);
    }
  });

  it('the 10 ms maxima merge exactly across segments (a burst straddling the cut)', () => {
    const x = burst(12, 5.83, 0.4, -23);
    const whole = measure([x, x]).state;
    const cut = 6 * FS;
    const preRoll = Math.round(PRE_ROLL_SECONDS * FS);
    const a = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO });
    run(a, [x, x], 4096, 0, cut);
    const b = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO, startFrame: cut - preRoll, countFrom: cut });
    run(b, [x, x], 4096, cut - preRoll);
    const merged = LoudnessMeter.merge([a.state(), b.state()]);
    expect(merged.momentaryMaxEnergy).toBe(whole.momentaryMaxEnergy);
    expect(merged.shortTermMaxEnergy).toBe(whole.shortTermMaxEnergy);
    within(LoudnessMeter.summarize(merged).momentaryMaxLufs, -23);
  });
});

describe('EBU Tech 3342 loudness range (48 kHz)', () => {
  const cases: [string, [number, number][], number][] = [
    ['case 1: 20 s −20, 20 s −30 → 10 LU', [[20, -20], [20, -30]], 10],
    ['case 2: 20 s −20, 20 s −15 → 5 LU', [[20, -20], [20, -15]], 5],
    ['case 3: 20 s −40, 20 s −20 → 20 LU', [[20, -40], [20, -20]], 20],
    ['case 4: −50, −35, −20, −35, −50 → 15 LU', [[20, -50], [20, -35], [20, -20], [20, -35], [20, -50]], 15],
  ];
  for (const [name, sections, lra] of cases) {
    it(name, () => {
      const x = sineSections(FS, sections);
      const got = measure([x, x]).summary.loudnessRangeLu!;
      expect(Math.abs(got - lra)).toBeLessThanOrEqual(1);
      // Tighter than the standard asks: the histogram resolves LRA to a few hundredths of an LU here.
      expect(Math.abs(got - lra)).toBeLessThanOrEqual(0.1);
    });
  }
});

describe('other sample rates', () => {
  for (const fs of [11025, 22050, 44100, 96000, 192000]) {
    it(`reads −23 LUFS for the −23 dBFS 1 kHz sine at ${fs} Hz, with the same block count`, () => {
      const x = sineSections(fs, [[10, -23]]);
      const { state, summary } = measure([x, x], fs);
      // −22.99 at 48 kHz; the K-filter's rate-dependent warping moves it by up to 0.04 LU.
      expect(Math.abs(summary.integratedLufs! + 22.99)).toBeLessThan(0.05);
      expect(state.blocks).toBe(97);
      expect(state.shortTermWindows).toBe(71);
      const y = sineSections(fs, [[20, -20], [20, -30]]);
      expect(Math.abs(measure([y, y], fs).summary.loudnessRangeLu! - 10)).toBeLessThan(0.1);
    });
  }
});

describe('streaming and segments', () => {
  it('gives bit-identical states for block sizes 1, 7 and 4096', () => {
    const planar = musicLike(FS, 8, 11);
    const ref = measure(planar, FS, STEREO, 4096).state;
    for (const block of [1, 7, 1000, 4800]) expect(measure(planar, FS, STEREO, block).state).toEqual(ref);
    // 11.025 kHz hops alternate 1102/1103 samples.
    const low = musicLike(11025, 8, 12);
    const refLow = measure(low, 11025, STEREO, 4096).state;
    for (const block of [1, 7]) expect(measure(low, 11025, STEREO, block).state).toEqual(refLow);
  });

  it('skips digital silence once the filters are at rest, with exactly the energies of filtering it', () => {
    // 3 s of music, 6 s of digital silence, 3 s of music; one channel also silent in the first part.
    const [l, r] = musicLike(FS, 12, 31);
    l!.fill(0, 3 * FS, 9 * FS);
    r!.fill(0, 0, 9 * FS);
    const meter = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO });
    // A pair is filtered in a hop unless both channels are found silent: one `false` per filtered pair.
    const silent = vi.spyOn(KWeightingFilter.prototype, 'silent');
    run(meter, [l!, r!], 4800);
    const filtered = silent.mock.results.filter((result) => result.value === false).length;
    silent.mockRestore();
    expect(filtered).toBeLessThan(1000); // 1200 sub-hops of 10 ms, the silent middle (after the tails decay) skipped
    // Brute force: every sample through the filters, then the 400 ms blocks.
    const hopEnergy: number[] = [];
    const k = new KWeightingFilter(FS, 2);
    const yl = new Float64Array(l!.length);
    const yr = new Float64Array(r!.length);
    k.process(0, l!, yl);
    k.process(1, r!, yr);
    for (let h = 0; h + 4800 <= l!.length; h += 4800) {
      let e = 0;
      for (let i = h; i < h + 4800; i++) e += yl[i]! * yl[i]! + yr[i]! * yr[i]!;
      hopEnergy.push(e);
    }
    // Maximum momentary loudness is evaluated every 10 ms: 400 ms windows on a 480-sample grid.
    const subEnergy: number[] = [];
    for (let h = 0; h + 480 <= l!.length; h += 480) {
      let e = 0;
      for (let i = h; i < h + 480; i++) e += yl[i]! * yl[i]! + yr[i]! * yr[i]!;
      subEnergy.push(e);
    }
    let momentaryMax = 0;
    for (let q = 40; q <= subEnergy.length; q++) momentaryMax = Math.max(momentaryMax, subEnergy.slice(q - 40, q).reduce((a, b) => a + b, 0) / 19200);
    const state = meter.state();
    expect(state.blocks).toBe(hopEnergy.length - 3);
    expect(Math.abs(state.momentaryMaxEnergy / momentaryMax - 1)).toBeLessThan(1e-9);
    expect(state.block.counts.reduce((a, b) => a + b, 0)).toBeLessThan(state.blocks); // the silent blocks are gated out
  });

  it('merges segments whose boundaries sit exactly on the 100 ms grid (a window ending there belongs to the earlier one)', () => {
    const planar = musicLike(FS, 30, 21);
    const whole = measure(planar).state;
    const bounds = [0, 10 * FS, 10 * FS + 4800, 30 * FS];
    const states = bounds.slice(0, -1).map((countFrom, s) => {
      const startFrame = Math.max(0, countFrom - Math.round(PRE_ROLL_SECONDS * FS));
      const meter = new LoudnessMeter({ sampleRate: FS, channelWeights: STEREO, startFrame, countFrom });
      run(meter, planar, 4096, startFrame, bounds[s + 1]!);
      return meter.state();
    });
    expect(states[1]!.blocks).toBe(1); // only the window ending at 10.1 s
    const merged = LoudnessMeter.merge(states);
    expect(dense(merged.block)).toEqual(dense(whole.block));
    expect(dense(merged.shortTerm)).toEqual(dense(whole.shortTerm));
    const a = LoudnessMeter.summarize(merged);
    const b = LoudnessMeter.summarize(whole);
    expect(Math.abs(a.integratedLufs! - b.integratedLufs!)).toBeLessThan(1e-6);
    expect(Math.abs(a.loudnessRangeLu! - b.loudnessRangeLu!)).toBeLessThan(1e-6);
  });

  for (const fs of [48000, 44100, 96000, 11025]) {
    it(`merges 3 segment meters exactly into the whole-file answer at ${fs} Hz`, () => {
      const seconds = fs === 96000 ? 40 : 60;
      const planar = musicLike(fs, seconds, fs);
      const n = planar[0]!.length;
      const single = new LoudnessMeter({ sampleRate: fs, channelWeights: STEREO });
      const singleTp = new TruePeakMeter({ sampleRate: fs, channels: 2 });
      run(single, planar);
      run(singleTp, planar);
      // Boundaries deliberately off the 100 ms grid.
      const bounds = [0, Math.floor(n * 0.31) + 17, Math.floor(n * 0.77) + 4321, n];
      for (const b of bounds.slice(1, -1)) expect(b % Math.floor(fs / 10)).not.toBe(0);
      const preRoll = Math.round(PRE_ROLL_SECONDS * fs);
      const states: LoudnessState[] = [];
      const tps = [];
      for (let s = 0; s < 3; s++) {
        const countFrom = bounds[s]!;
        const startFrame = Math.max(0, countFrom - preRoll);
        const meter = new LoudnessMeter({ sampleRate: fs, channelWeights: STEREO, startFrame, countFrom });
        const tp = new TruePeakMeter({ sampleRate: fs, channels: 2, startFrame, countFrom });
        run(meter, planar, 3000 + s, startFrame, bounds[s + 1]!);
        run(tp, planar, 3000 + s, startFrame, bounds[s + 1]!);
        states.push(meter.state());
        tps.push(tp.state());
      }
      const merged = LoudnessMeter.merge(states);
      const whole = single.state();
      expect(merged.blocks).toBe(whole.blocks);
      expect(merged.shortTermWindows).toBe(whole.shortTermWindows);
      expect(dense(merged.block)).toEqual(dense(whole.block));
      expect(dense(merged.shortTerm)).toEqual(dense(whole.shortTerm));
      const a = LoudnessMeter.summarize(merged);
      const b = LoudnessMeter.summarize(whole);
      for (const key of ['integratedLufs', 'loudnessRangeLu', 'momentaryMaxLufs', 'shortTermMaxLufs'] as const) {
        expect(a[key]).not.toBeNull();
        expect(Math.abs(a[key]! - b[key]!)).toBeLessThan(1e-6);
      }
      // The material really exercises the gates and the range.
      expect(b.loudnessRangeLu!).toBeGreaterThan(5);
      expect(TruePeakMeter.merge(tps)).toEqual(singleTp.state());
    });
  }
});
