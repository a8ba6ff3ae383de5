// Small helpers every kernel file shares: addressing and reducing SIMD lanes.

/** The address of element i of a float32 (or 32-bit) array at p. */
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** The two float64 lanes of v, added. */
@inline export function sumLanes(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** The four float32 lanes of v as a float64 pair whose lanes add up to their sum. */
@inline export function widenSum(v: v128): v128 {
  return f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)));
}

/** The largest of the four float32 lanes of v. */
@inline export function maxLane(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** max |x[i]| for i in [from, to) (0 for an empty range); NaN is passed over. */
export function peakOf(x: usize, from: i32, to: i32): f32 {
  let m = f32x4.splat(0);
  let i = from;
  for (; i + 4 <= to; i += 4) m = f32x4.pmax(m, f32x4.abs(v128.load(at(x, i))));
  let top = maxLane(m);
  for (; i < to; i++) {
    const a = abs(load<f32>(at(x, i)));
    if (a > top) top = a;
  }
  return top;
}
