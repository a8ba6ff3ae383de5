// True peak (BS.1770 Annex 2): the exact skip test of src/dsp/true-peak.ts run four lanes at a
// time, and the interpolation in float64 (the windowed sinc at ×4 or ×2, or the standard's 48-tap
// table), each output summed in a fixed order so values do not depend on how frames are chunked.

import { at, maxLane, peakOf } from './lanes';

/** Frames per run: the unit of the skip test. */
const RUN: i32 = 64;
/** Taps per side of the sinc (24 taps), so its window reaches 23 samples back. */
const HALF: i32 = 12;
const HISTORY: i32 = 2 * HALF - 1;
/** The BS.1770 table has 12 taps per phase: its window reaches 11 samples back. */
const TABLE_HISTORY: i32 = 11;

/** Interpolators (`kind`). */
const SINC4: i32 = 4;
const SINC2: i32 = 2;
const TABLE4: i32 = 1770;
/**
 * |second difference| computed in float32 is within 6·2⁻²⁴·max|x| of the exact one; 2⁻²¹·max|x|
 * covers it, so the skip test stays a proof.
 */
const DIFFERENCE_SLACK: f32 = 1.0 / 2097152.0;

/** max |x[k − 1] − 2·x[k] + x[k + 1]| for centres k in [from, to). */
function curvatureOf(x: usize, from: i32, to: i32): f32 {
  let m = f32x4.splat(0);
  let k = from;
  for (; k + 4 <= to; k += 4) {
    const b = v128.load(at(x, k));
    const d = f32x4.sub(f32x4.add(v128.load(at(x, k - 1)), v128.load(at(x, k + 1))), f32x4.add(b, b));
    m = f32x4.pmax(m, f32x4.abs(d));
  }
  let top = maxLane(m);
  for (; k < to; k++) {
    const b = load<f32>(at(x, k));
    const a = abs(load<f32>(at(x, k - 1)) + load<f32>(at(x, k + 1)) - (b + b));
    if (a > top) top = a;
  }
  return top;
}

/**
 * Sinc ×4: max |y| over the ¼, ½ and ¾ phases of outputs computed as x[from … to) arrive.
 * taps: ½ phase (12), ¼ + ¾ phase sums (12), ¼ − ¾ differences (12), for mirrored pairs.
 */
function interpolate4(x: usize, from: i32, to: i32, taps: usize): f64 {
  let top: f64 = 0;
  let top2: f64 = 0;
  for (let i = from; i < to; i++) {
    let a: f64 = 0, b: f64 = 0, c: f64 = 0;
    for (let j = 0; j < HALF; j++) {
      const u = <f64>load<f32>(at(x, i - j));
      const v = <f64>load<f32>(at(x, i - HISTORY + j));
      const s = u + v;
      const d = u - v;
      a += load<f64>(taps + (<usize>j << 3)) * s;
      b += load<f64>(taps + (<usize>(HALF + j) << 3)) * s;
      c += load<f64>(taps + (<usize>(2 * HALF + j) << 3)) * d;
    }
    const m = abs(a);
    if (m > top) top = m;
    const m2 = abs(b) + abs(c);
    if (m2 > top2) top2 = m2;
  }
  return max(top, top2 / 2);
}

/**
 * The BS.1770 table ×4: max |y| over its four phases. taps: for phases 0/3 the mirrored-pair sums
 * (6) and differences (6), then the same for phases 1/2.
 */
function interpolateTable(x: usize, from: i32, to: i32, taps: usize): f64 {
  let top2: f64 = 0; // twice the maximum
  for (let i = from; i < to; i++) {
    let a: f64 = 0, b: f64 = 0, c: f64 = 0, d: f64 = 0;
    for (let j = 0; j < 6; j++) {
      const u = <f64>load<f32>(at(x, i - j));
      const v = <f64>load<f32>(at(x, i - TABLE_HISTORY + j));
      const s = u + v;
      const t = u - v;
      a += load<f64>(taps + (<usize>j << 3)) * s; // y0 + y3
      b += load<f64>(taps + (<usize>(6 + j) << 3)) * t; // y0 − y3
      c += load<f64>(taps + (<usize>(12 + j) << 3)) * s; // y1 + y2
      d += load<f64>(taps + (<usize>(18 + j) << 3)) * t; // y1 − y2
    }
    const m03 = abs(a) + abs(b);
    if (m03 > top2) top2 = m03;
    const m12 = abs(c) + abs(d);
    if (m12 > top2) top2 = m12;
  }
  return top2 / 2;
}

/** Sinc ×2: max |y| of the ½ phase. */
function interpolate2(x: usize, from: i32, to: i32, taps: usize): f64 {
  let top: f64 = 0;
  for (let i = from; i < to; i++) {
    let a: f64 = 0;
    for (let j = 0; j < HALF; j++) {
      a += load<f64>(taps + (<usize>j << 3)) * (<f64>load<f32>(at(x, i - j)) + <f64>load<f32>(at(x, i - HISTORY + j)));
    }
    const m = abs(a);
    if (m > top) top = m;
  }
  return top;
}

/**
 * The running true peak after frames x[from, to) (x[from − history …] is valid), starting from
 * `peak`. A run of 64 is interpolated only when the bounds of src/dsp/true-peak.ts cannot prove
 * that none of its outputs beats the peak: worstGain·max|x| over its window, then
 * linearGain·max|nearest samples| + curvatureGain·max|second difference|.
 */
export function truePeak(x: usize, from: i32, to: i32, peak: f64, kind: i32, taps: usize, worstGain: f64, linearGain: f64, curvatureGain: f64): f64 {
  const history = kind === TABLE4 ? TABLE_HISTORY : HISTORY;
  const centre = (history + 1) / 2 - 1; // outputs fall between x[i − centre − 1] and x[i − centre]
  // The window of a run's outputs, [r0 − history, r1), lies within the previous run and its own
  // (history < RUN), so one peak per run serves the first test.
  let previous = <f64>peakOf(x, from - history, from);
  for (let r0 = from; r0 < to; r0 += RUN) {
    const r1 = min(to, r0 + RUN);
    const own = <f64>peakOf(x, r0, r1);
    const window = max(previous, own);
    previous = own;
    if (!(window * worstGain > peak)) continue;
    if (own > peak) peak = own;
    const curvature = <f64>curvatureOf(x, r0 - history + 1, r1 - 1) + <f64>DIFFERENCE_SLACK * window;
    const near = (peak - curvatureGain * curvature) / linearGain;
    if (!(<f64>peakOf(x, r0 - centre - 1, r1 - centre) > near)) continue;
    const y = kind === SINC4 ? interpolate4(x, r0, r1, taps) : kind === SINC2 ? interpolate2(x, r0, r1, taps) : interpolateTable(x, r0, r1, taps);
    if (y > peak) peak = y;
  }
  return peak;
}
