// Signal-meter pieces: Σx, Σx², max|x| per channel (plus Σ L·R and Σ (L − R)² for stereo).
// Σx is added in float64, where sums of PCM samples (multiples of 2⁻²³) are exact in any order, so
// the DC offset does not depend on how a file is cut into blocks or segments. The products run in
// float32 over groups of 64 frames flushed into float64: an error within 2⁻²⁰ of the sum, far
// below the 0.01 dB the meters report, at four lanes a step. A group that sees a non-finite
// sample leaves a non-finite sum, which the caller resolves sample by sample.

import { at, maxLane, peakOf, sumLanes, widenSum } from './lanes';

const GROUP_STEPS = 16; // 16 steps of 4 frames

/** out[0..2] = Σx, Σx², max|x| of x[0, n) (x: float32 pointer, out: float64 pointer). */
export function monoStats(x: usize, n: i32, out: usize): void {
  let sum = f64x2.splat(0);
  let squares = f64x2.splat(0);
  let peak = f32x4.splat(0);
  let i = 0;
  while (i + 4 <= n) {
    let q = f32x4.splat(0);
    const steps = min(GROUP_STEPS, (n - i) >> 2);
    for (let k = 0; k < steps; k++) {
      const v = v128.load(at(x, i));
      sum = f64x2.add(sum, widenSum(v));
      q = f32x4.add(q, f32x4.mul(v, v));
      peak = f32x4.pmax(peak, f32x4.abs(v));
      i += 4;
    }
    squares = f64x2.add(squares, widenSum(q));
  }
  let total = sumLanes(sum);
  let totalSquares = sumLanes(squares);
  let top = maxLane(peak);
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    total += <f64>v;
    totalSquares += <f64>v * <f64>v;
    top = max(top, abs(v));
  }
  store<f64>(out, total);
  store<f64>(out, totalSquares, 8);
  store<f64>(out, <f64>top, 16);
}

/** monoStats of l into out[0..2] and of r into out[3..5], Σ L·R into out[6], Σ (L − R)² into out[7]. */
export function stereoStats(l: usize, r: usize, n: i32, out: usize): void {
  let sumL = f64x2.splat(0), squaresL = f64x2.splat(0);
  let sumR = f64x2.splat(0), squaresR = f64x2.splat(0);
  let cross = f64x2.splat(0), side = f64x2.splat(0);
  let peakL = f32x4.splat(0), peakR = f32x4.splat(0);
  let i = 0;
  while (i + 4 <= n) {
    let ql = f32x4.splat(0), qr = f32x4.splat(0);
    let c = f32x4.splat(0), d = f32x4.splat(0);
    const steps = min(GROUP_STEPS, (n - i) >> 2);
    for (let k = 0; k < steps; k++) {
      const u = v128.load(at(l, i));
      const v = v128.load(at(r, i));
      sumL = f64x2.add(sumL, widenSum(u));
      ql = f32x4.add(ql, f32x4.mul(u, u));
      peakL = f32x4.pmax(peakL, f32x4.abs(u));
      sumR = f64x2.add(sumR, widenSum(v));
      qr = f32x4.add(qr, f32x4.mul(v, v));
      peakR = f32x4.pmax(peakR, f32x4.abs(v));
      c = f32x4.add(c, f32x4.mul(u, v));
      const e = f32x4.sub(u, v);
      d = f32x4.add(d, f32x4.mul(e, e));
      i += 4;
    }
    squaresL = f64x2.add(squaresL, widenSum(ql));
    squaresR = f64x2.add(squaresR, widenSum(qr));
    cross = f64x2.add(cross, widenSum(c));
    side = f64x2.add(side, widenSum(d));
  }
  let tsl = sumLanes(sumL), tql = sumLanes(squaresL), tsr = sumLanes(sumR), tqr = sumLanes(squaresR);
  let tc = sumLanes(cross), td = sumLanes(side);
  let pl = maxLane(peakL), pr = maxLane(peakR);
  for (; i < n; i++) {
    const u = load<f32>(at(l, i));
    const v = load<f32>(at(r, i));
    tsl += <f64>u;
    tql += <f64>u * <f64>u;
    pl = max(pl, abs(u));
    tsr += <f64>v;
    tqr += <f64>v * <f64>v;
    pr = max(pr, abs(v));
    tc += <f64>u * <f64>v;
    const e = <f64>u - <f64>v;
    td += e * e;
  }
  store<f64>(out, tsl);
  store<f64>(out, tql, 8);
  store<f64>(out, <f64>pl, 16);
  store<f64>(out, tsr, 24);
  store<f64>(out, tqr, 32);
  store<f64>(out, <f64>pr, 40);
  store<f64>(out, tc, 48);
  store<f64>(out, td, 56);
}

/** max |x[i]| for i < n (0 when n is 0); NaN is passed over. */
export function samplePeak(x: usize, n: i32): f32 {
  return peakOf(x, 0, n);
}

/** Whether every x[i] for i < n is finite: x − x is 0 for finite x and NaN for NaN and ±Infinity. */
export function allFinite(x: usize, n: i32): bool {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.sub(v, v));
  }
  let tail: f32 = 0;
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    tail += v - v;
  }
  const total = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
  return total == 0;
}
