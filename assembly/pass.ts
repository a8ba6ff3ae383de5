// The check pass's own per-sample work: the residual (mix − unity sum), mono downmixes of the
// frames picked for cross products, and the dot products between them.

import { at, sumLanes, widenSum } from './lanes';

/**
 * out[k] = mix[k] − sum[k] for k < n (float32). Returns 1 when some |out[k]| with k ≥ from exceeds
 * `threshold` (NaN never does), else 0.
 */
export function residual(out: usize, mix: usize, sum: usize, from: i32, n: i32, threshold: f32): i32 {
  let k = 0;
  for (; k < from; k++) store<f32>(at(out, k), load<f32>(at(mix, k)) - load<f32>(at(sum, k)));
  const limit = f32x4.splat(threshold);
  let over = i32x4.splat(0);
  for (; k + 4 <= n; k += 4) {
    const r = f32x4.sub(v128.load(at(mix, k)), v128.load(at(sum, k)));
    v128.store(at(out, k), r);
    over = v128.or(over, f32x4.gt(f32x4.abs(r), limit));
  }
  let found = v128.any_true(over) ? 1 : 0;
  for (; k < n; k++) {
    const r = load<f32>(at(mix, k)) - load<f32>(at(sum, k));
    store<f32>(at(out, k), r);
    if (abs(r) > threshold) found = 1;
  }
  return found;
}

/** out[t] = Σ_c channels[c][picks[t]] for t < count; `channels` points at `channelCount` u32 pointers. */
export function pickedMono(out: usize, channels: usize, channelCount: i32, picks: usize, count: i32): void {
  const first = <usize>load<u32>(channels);
  for (let t = 0; t < count; t++) store<f32>(at(out, t), load<f32>(at(first, load<i32>(at(picks, t)))));
  for (let c = 1; c < channelCount; c++) {
    const x = <usize>load<u32>(channels + (<usize>c << 2));
    for (let t = 0; t < count; t++) store<f32>(at(out, t), load<f32>(at(out, t)) + load<f32>(at(x, load<i32>(at(picks, t)))));
  }
}

/**
 * Σ x[t]·y[t] over t in [from, to): products summed in float32 over groups of 16 per lane, the
 * groups in float64 (an error within 2⁻²⁰ of Σ|x·y|).
 */
export function dot(x: usize, y: usize, from: i32, to: i32): f64 {
  let acc = f64x2.splat(0);
  let t = from;
  while (t + 4 <= to) {
    let s = f32x4.splat(0);
    const end = min(to, t + 64);
    for (; t + 4 <= end; t += 4) s = f32x4.add(s, f32x4.mul(v128.load(at(x, t)), v128.load(at(y, t))));
    acc = f64x2.add(acc, widenSum(s));
  }
  let total = sumLanes(acc);
  for (; t < to; t++) total += <f64>load<f32>(at(x, t)) * <f64>load<f32>(at(y, t));
  return total;
}
