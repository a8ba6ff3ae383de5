// K-weighting (BS.1770's shelf and high-pass biquads, transposed direct form II) for two channels
// at once, one per float64 lane: the same operations in the same order as src/dsp/kweighting.ts,
// so the filtered values and their sums of squares are bit-identical to the scalar code.
// kWeightQuad repeats kWeightPair's recursion for a second pair on purpose: one loop with both
// (or with a branch for the second) measured 15 % slower for single pairs.

import { at } from './lanes';

/** One frame of a pair in lanes: (a[i], b[i]). */
@inline function frame(a: usize, b: usize, i: i32): v128 {
  return f64x2.replace_lane(f64x2.splat(<f64>load<f32>(at(a, i))), 1, <f64>load<f32>(at(b, i)));
}

/**
 * Filters a[0, n) and b[0, n) and adds the squares of the outputs, in order, to acc[0] and acc[1].
 * coef: shelf b0, b1, b2, a1, a2, high-pass a1, a2 (its numerator is 1, −2, 1).
 * state: shelf s1, s2 and high-pass t1, t2, each as an (a, b) pair of float64s.
 */
export function kWeightPair(a: usize, b: usize, n: i32, coef: usize, state: usize, acc: usize): void {
  const b0 = f64x2.splat(load<f64>(coef)), b1 = f64x2.splat(load<f64>(coef, 8)), b2 = f64x2.splat(load<f64>(coef, 16));
  const a1 = f64x2.splat(load<f64>(coef, 24)), a2 = f64x2.splat(load<f64>(coef, 32));
  const c1 = f64x2.splat(load<f64>(coef, 40)), c2 = f64x2.splat(load<f64>(coef, 48));
  const two = f64x2.splat(2);
  let s1 = v128.load(state), s2 = v128.load(state, 16), t1 = v128.load(state, 32), t2 = v128.load(state, 48);
  let sum = v128.load(acc);
  for (let i = 0; i < n; i++) {
    const x = frame(a, b, i);
    const y = f64x2.add(f64x2.mul(b0, x), s1);
    s1 = f64x2.add(f64x2.sub(f64x2.mul(b1, x), f64x2.mul(a1, y)), s2);
    s2 = f64x2.sub(f64x2.mul(b2, x), f64x2.mul(a2, y));
    const w = f64x2.add(y, t1);
    t1 = f64x2.sub(f64x2.sub(t2, f64x2.mul(two, y)), f64x2.mul(c1, w));
    t2 = f64x2.sub(y, f64x2.mul(c2, w));
    sum = f64x2.add(sum, f64x2.mul(w, w));
  }
  v128.store(state, s1);
  v128.store(state, s2, 16);
  v128.store(state, t1, 32);
  v128.store(state, t2, 48);
  v128.store(acc, sum);
}

/**
 * kWeightPair for two pairs of channels at once (a, b) and (c, d): two independent recursions in
 * flight keep the floating-point units busy where one waits on its own latency, about 1.4× the
 * throughput. state and acc hold the second pair's values right after the first's (64 and 16 bytes on).
 */
export function kWeightQuad(a: usize, b: usize, c: usize, d: usize, n: i32, coef: usize, state: usize, acc: usize): void {
  const b0 = f64x2.splat(load<f64>(coef)), b1 = f64x2.splat(load<f64>(coef, 8)), b2 = f64x2.splat(load<f64>(coef, 16));
  const a1 = f64x2.splat(load<f64>(coef, 24)), a2 = f64x2.splat(load<f64>(coef, 32));
  const c1 = f64x2.splat(load<f64>(coef, 40)), c2 = f64x2.splat(load<f64>(coef, 48));
  const two = f64x2.splat(2);
  let s1 = v128.load(state), s2 = v128.load(state, 16), t1 = v128.load(state, 32), t2 = v128.load(state, 48);
  let S1 = v128.load(state, 64), S2 = v128.load(state, 80), T1 = v128.load(state, 96), T2 = v128.load(state, 112);
  let sum = v128.load(acc), SUM = v128.load(acc, 16);
  for (let i = 0; i < n; i++) {
    const x = frame(a, b, i);
    const X = frame(c, d, i);
    const y = f64x2.add(f64x2.mul(b0, x), s1);
    const Y = f64x2.add(f64x2.mul(b0, X), S1);
    s1 = f64x2.add(f64x2.sub(f64x2.mul(b1, x), f64x2.mul(a1, y)), s2);
    S1 = f64x2.add(f64x2.sub(f64x2.mul(b1, X), f64x2.mul(a1, Y)), S2);
    s2 = f64x2.sub(f64x2.mul(b2, x), f64x2.mul(a2, y));
    S2 = f64x2.sub(f64x2.mul(b2, X), f64x2.mul(a2, Y));
    const w = f64x2.add(y, t1);
    const W = f64x2.add(Y, T1);
    t1 = f64x2.sub(f64x2.sub(t2, f64x2.mul(two, y)), f64x2.mul(c1, w));
    T1 = f64x2.sub(f64x2.sub(T2, f64x2.mul(two, Y)), f64x2.mul(c1, W));
    t2 = f64x2.sub(y, f64x2.mul(c2, w));
    T2 = f64x2.sub(Y, f64x2.mul(c2, W));
    sum = f64x2.add(sum, f64x2.mul(w, w));
    SUM = f64x2.add(SUM, f64x2.mul(W, W));
  }
  v128.store(state, s1);
  v128.store(state, s2, 16);
  v128.store(state, t1, 32);
  v128.store(state, t2, 48);
  v128.store(state, S1, 64);
  v128.store(state, S2, 80);
  v128.store(state, T1, 96);
  v128.store(state, T2, 112);
  v128.store(acc, sum);
  v128.store(acc, SUM, 16);
}
