// Mixing: y += c·x in float32 (the engine's buses are float32; one rounding per product and one per
// sum, as a float32 mixer does), and the unity sum of many inputs in float64 rounded once.

import { at } from './lanes';

/** y[i] += c·x[i] for i < n. */
export function addScaled(y: usize, x: usize, c: f32, n: i32): void {
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(cv, v128.load(at(x, i)))));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + c * load<f32>(at(x, i)));
}

/** y0[i] += c0·x[i] and y1[i] += c1·x[i]: a mono source into two outputs (a panned track). */
export function addScaled2(x: usize, y0: usize, c0: f32, y1: usize, c1: f32, n: i32): void {
  const v0 = f32x4.splat(c0), v1 = f32x4.splat(c1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    v128.store(at(y0, i), f32x4.add(v128.load(at(y0, i)), f32x4.mul(v0, v)));
    v128.store(at(y1, i), f32x4.add(v128.load(at(y1, i)), f32x4.mul(v1, v)));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(y0, i), load<f32>(at(y0, i)) + c0 * v);
    store<f32>(at(y1, i), load<f32>(at(y1, i)) + c1 * v);
  }
}

/** addScaled2 into four outputs (a panned track and its send). */
export function addScaled4(x: usize, y0: usize, c0: f32, y1: usize, c1: f32, y2: usize, c2: f32, y3: usize, c3: f32, n: i32): void {
  const v0 = f32x4.splat(c0), v1 = f32x4.splat(c1), v2 = f32x4.splat(c2), v3 = f32x4.splat(c3);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    v128.store(at(y0, i), f32x4.add(v128.load(at(y0, i)), f32x4.mul(v0, v)));
    v128.store(at(y1, i), f32x4.add(v128.load(at(y1, i)), f32x4.mul(v1, v)));
    v128.store(at(y2, i), f32x4.add(v128.load(at(y2, i)), f32x4.mul(v2, v)));
    v128.store(at(y3, i), f32x4.add(v128.load(at(y3, i)), f32x4.mul(v3, v)));
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(y0, i), load<f32>(at(y0, i)) + c0 * v);
    store<f32>(at(y1, i), load<f32>(at(y1, i)) + c1 * v);
    store<f32>(at(y2, i), load<f32>(at(y2, i)) + c2 * v);
    store<f32>(at(y3, i), load<f32>(at(y3, i)) + c3 * v);
  }
}

/** y[i] = c·x[i] (y may be x). */
export function scale(y: usize, x: usize, c: f32, n: i32): void {
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.mul(cv, v128.load(at(x, i))));
  for (; i < n; i++) store<f32>(at(y, i), c * load<f32>(at(x, i)));
}

/** Frames per tile of unitySum: its float64 partial sums (8 KiB) stay in the L1 cache. */
const SUM_TILE: i32 = 1024;

/**
 * out[k] = Σ_j inputs[j][k] for k < n, added in float64 in input order and rounded to float32 once:
 * the value of a float64 running sum, so the render's mix and check's unity sum agree to the bit.
 * `inputs` points at `count` u32 pointers to float32 arrays; `scratch` at SUM_TILE (1024) float64s.
 */
export function unitySum(out: usize, inputs: usize, count: i32, n: i32, scratch: usize): void {
  for (let t = 0; t < n; t += SUM_TILE) {
    const m = min(SUM_TILE, n - t);
    if (count === 0) {
      memory.fill(at(out, t), 0, <usize>m << 2);
      continue;
    }
    const first = at(<usize>load<u32>(inputs), t);
    let k = 0;
    for (; k + 2 <= m; k += 2) v128.store(scratch + (<usize>k << 3), f64x2.promote_low_f32x4(v128.load64_zero(at(first, k))));
    for (; k < m; k++) store<f64>(scratch + (<usize>k << 3), <f64>load<f32>(at(first, k)));
    for (let j = 1; j < count; j++) {
      const p = at(<usize>load<u32>(inputs + (<usize>j << 2)), t);
      k = 0;
      for (; k + 2 <= m; k += 2) {
        const s = scratch + (<usize>k << 3);
        v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(v128.load64_zero(at(p, k)))));
      }
      for (; k < m; k++) {
        const s = scratch + (<usize>k << 3);
        store<f64>(s, load<f64>(s) + <f64>load<f32>(at(p, k)));
      }
    }
    k = 0;
    for (; k + 2 <= m; k += 2) v128.store64_lane(at(out, t + k), f32x4.demote_f64x2_zero(v128.load(scratch + (<usize>k << 3))), 0);
    for (; k < m; k++) store<f32>(at(out, t + k), <f32>load<f64>(scratch + (<usize>k << 3)));
  }
}
