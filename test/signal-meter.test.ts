import { describe, expect, it } from 'vitest';
import { Overview } from '../src/dsp/overview.js';
import { SignalMeter, type SignalMeterState } from '../src/dsp/signal-meter.js';
import { prng, sine } from './helpers/signals.js';

const FS = 48000;
const CLIP = 1 - 2 ** -23;
/**
 * The meter adds 16 samples per SIMD lane in float32 before carrying the partial sum in float64:
 * the error of a sum is then within 2⁻²⁰ of the sum of the magnitudes it adds.
 */
const F32_PARTIALS = 2 ** -20;

/** Stereo material with everything the meter has to find: DC, silence at both ends, a clipped run, an over. */
function material(frames: number, seed: number): Float32Array[] {
  const rnd = prng(seed);
  const l = new Float32Array(frames);
  const r = new Float32Array(frames);
  for (let i = 2000; i < frames - 3000; i++) {
    l[i] = 0.3 * Math.sin(i / 40) + 0.1 * (rnd() - 0.5) + 0.01;
    r[i] = 0.25 * Math.sin(i / 33) + 0.1 * (rnd() - 0.5);
  }
  for (let i = 20000; i < 20007; i++) l[i] = CLIP; // a 7-sample clipped run
  r[30000] = -CLIP; // a single full-scale sample: not a run
  return [l, r];
}

/** What the meter must report, computed the obvious way. */
function reference(planar: Float32Array[]): {
  peak: number[];
  sum: number[];
  sumAbs: number[];
  squares: number[];
  lr: number;
  lrAbs: number;
  first: number;
  last: number;
} {
  const peak = planar.map((x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  const sum = planar.map((x) => x.reduce((a, v) => a + v, 0));
  const sumAbs = planar.map((x) => x.reduce((a, v) => a + Math.abs(v), 0));
  const squares = planar.map((x) => x.reduce((a, v) => a + v * v, 0));
  let lr = 0;
  let lrAbs = 0;
  let first = Infinity;
  let last = -1;
  for (let i = 0; i < planar[0]!.length; i++) {
    lr += planar[0]![i]! * planar[1]![i]!;
    lrAbs += Math.abs(planar[0]![i]! * planar[1]![i]!);
    for (const x of planar) {
      if (Math.abs(x[i]!) > 0.001) {
        first = Math.min(first, i);
        last = Math.max(last, i);
      }
    }
  }
  return { peak, sum, sumAbs, squares, lr, lrAbs, first, last };
}

function run(planar: Float32Array[], block: number, options: { startFrame?: number; countFrom?: number; overview?: Overview } = {}): SignalMeterState {
  const frames = planar[0]!.length;
  const meter = new SignalMeter({ channels: planar.length, sampleRate: FS, totalFrames: frames, clipLevel: CLIP, ...options });
  const from = options.startFrame ?? 0;
  for (let i = from; i < frames; i += block) {
    const n = Math.min(block, frames - i);
    meter.push(
      planar.map((x) => x.subarray(i, i + n)),
      n,
    );
  }
  return meter.state();
}

describe('SignalMeter', () => {
  it('measures peak, DC, RMS, L·R, sound boundaries and clipped runs as a brute-force pass does, whatever the block size', () => {
    const planar = material(FS * 2, 1);
    const want = reference(planar);
    for (const block of [1, 333, 4096, FS * 2]) {
      const s = run(planar, block);
      expect(s.peak).toEqual(want.peak);
      s.sum.forEach((v, ch) => expect(Math.abs(v - want.sum[ch]!)).toBeLessThanOrEqual(F32_PARTIALS * want.sumAbs[ch]!));
      s.sumSquares.forEach((v, ch) => expect(Math.abs(v / want.squares[ch]! - 1)).toBeLessThanOrEqual(F32_PARTIALS));
      expect(Math.abs(s.sumLR - want.lr)).toBeLessThanOrEqual(F32_PARTIALS * want.lrAbs);
      expect(s.firstSound).toBe(want.first);
      expect(s.lastSound).toBe(want.last);
      expect(s.clipRunCount).toBe(1);
      expect(s.clipRuns).toEqual([{ channel: 0, start: 20000, length: 7 }]);
      expect(s.maxSideAbs).toBeGreaterThan(0);
      expect(s.frames).toBe(FS * 2);
    }
  });

  it('merges segments (with pre-roll that is not counted) into the whole-file state', () => {
    const planar = material(FS * 2, 2);
    const whole = run(planar, 4096);
    // A clipped run straddling the cut at 20003 must still be one run of 7.
    const cuts = [0, 20003, 61000, FS * 2];
    const parts = cuts.slice(0, -1).map((start, k) => {
      const end = cuts[k + 1]!;
      const sub = planar.map((x) => x.subarray(0, end));
      return run(sub, 1000, { startFrame: Math.max(0, start - 500), countFrom: start });
    });
    const merged = SignalMeter.merge(parts, cuts.slice(0, -1));
    expect(merged.peak).toEqual(whole.peak);
    expect(merged.clipRuns).toEqual(whole.clipRuns);
    expect(merged.firstSound).toBe(whole.firstSound);
    expect(merged.lastSound).toBe(whole.lastSound);
    expect(merged.frames).toBe(whole.frames);
    merged.sumSquares.forEach((v, ch) => expect(Math.abs(v / whole.sumSquares[ch]! - 1)).toBeLessThanOrEqual(2 * F32_PARTIALS));
    expect(merged.levelHistogram).toEqual(whole.levelHistogram);
  });

  it('fills the overview it is given: per column peak and energy of all channels', () => {
    const planar = material(10007, 3);
    const columns = 37;
    const overview = new Overview(columns, 10007);
    run(planar, 999, { overview });
    const state = overview.state();
    const per = 10007 / columns;
    for (let c = 0; c < columns; c++) {
      const from = Math.ceil(c * per);
      const to = Math.min(10007, Math.ceil((c + 1) * per));
      let peak = 0;
      let squares = 0;
      for (const x of planar) {
        for (let i = from; i < to; i++) {
          peak = Math.max(peak, Math.abs(x[i]!));
          squares += x[i]! * x[i]!;
        }
      }
      expect(state.peak[c]).toBe(peak);
      expect(state.count[c]).toBe(2 * (to - from));
      expect(Math.abs(state.sumSquares[c]! - squares)).toBeLessThanOrEqual(F32_PARTIALS * squares);
    }
  });

  it('samples the level histogram without locking onto a tone at an eighth of the rate', () => {
    // Every 8th sample of a sine at fs/8 has the same phase: a strided histogram would see one level.
    const tone = sine(FS, FS, FS / 8, 0.5, 0.3);
    const s = run([tone, tone], 4096);
    expect(s.maxSideAbs).toBe(0); // dual mono
    expect(SignalMeter.nearPeakFraction(s, 0.5)).toBeGreaterThan(0.15);
    expect(SignalMeter.nearPeakFraction(s, 0.5)).toBeLessThan(0.6);
    const total = s.levelHistogram.reduce((a, b) => a + b, 0);
    expect(total / (2 * FS)).toBeGreaterThan(0.9);
    expect(total / (2 * FS)).toBeLessThan(1.1);
  });

  it('counts non-finite samples and keeps them out of every other number', () => {
    const [l, r] = material(FS, 4);
    l![5000] = NaN;
    r![6000] = Infinity;
    const s = run([l!, r!], 4096);
    expect(s.nonFinite).toBe(2);
    expect(Number.isFinite(s.sumSquares[0]!) && Number.isFinite(s.sumSquares[1]!)).toBe(true);
    expect(s.peak[1]).toBeLessThan(1);
    expect(s.maxSideAbs).toBeGreaterThan(0);
  });
});
