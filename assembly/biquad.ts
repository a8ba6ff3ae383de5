// Biquad cascades (transposed direct form II, float64 state) on a channel pair, one channel per
// float64 lane and every section of a frame in one pass, so the sections' recursions overlap. The
// operations are those of src/dsp/processors/biquad.ts in the same order: bit-identical results.

@inline function coefficient(coef: usize, section: i32, k: i32): v128 {
  return f64x2.splat(load<f64>(coef + <usize>(40 * section + 8 * k)));
}

/**
 * Runs up to four sections over frames [0, n) of a channel pair. Input: float32 channels a and b,
 * or (when `fromScratch`) the float64 lane pairs in scratch; output likewise (`toScratch`).
 * coef: b0, b1, b2, a1, a2 for four sections (f64; unused ones may be anything finite); state: z1
 * and z2 per section as lane pairs (updated).
 */
export function biquadPair(a: usize, b: usize, scratch: usize, n: i32, coef: usize, sections: i32, state: usize, fromScratch: i32, toScratch: i32): void {
  let p1 = v128.load(state), q1 = v128.load(state, 16);
  let p2 = v128.load(state, 32), q2 = v128.load(state, 48);
  let p3 = v128.load(state, 64), q3 = v128.load(state, 80);
  let p4 = v128.load(state, 96), q4 = v128.load(state, 112);
  // Coefficients as lane pairs, hoisted: b0, b1, b2, a1, a2 of sections 1 … 4.
  const b01 = coefficient(coef, 0, 0), b11 = coefficient(coef, 0, 1), b21 = coefficient(coef, 0, 2), a11 = coefficient(coef, 0, 3), a21 = coefficient(coef, 0, 4);
  const b02 = coefficient(coef, 1, 0), b12 = coefficient(coef, 1, 1), b22 = coefficient(coef, 1, 2), a12 = coefficient(coef, 1, 3), a22 = coefficient(coef, 1, 4);
  const b03 = coefficient(coef, 2, 0), b13 = coefficient(coef, 2, 1), b23 = coefficient(coef, 2, 2), a13 = coefficient(coef, 2, 3), a23 = coefficient(coef, 2, 4);
  const b04 = coefficient(coef, 3, 0), b14 = coefficient(coef, 3, 1), b24 = coefficient(coef, 3, 2), a14 = coefficient(coef, 3, 3), a24 = coefficient(coef, 3, 4);
  for (let i = 0; i < n; i++) {
    let x: v128;
    if (fromScratch) x = v128.load(scratch + (<usize>i << 4));
    else x = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a + (<usize>i << 2))), 1, <f64>load<f32>(b + (<usize>i << 2)));
    // y = b0·x + z1; z1 = b1·x − a1·y + z2; z2 = b2·x − a2·y
    let y = f64x2.add(f64x2.mul(b01, x), p1);
    p1 = f64x2.add(f64x2.sub(f64x2.mul(b11, x), f64x2.mul(a11, y)), q1);
    q1 = f64x2.sub(f64x2.mul(b21, x), f64x2.mul(a21, y));
    x = y;
    if (sections > 1) {
      y = f64x2.add(f64x2.mul(b02, x), p2);
      p2 = f64x2.add(f64x2.sub(f64x2.mul(b12, x), f64x2.mul(a12, y)), q2);
      q2 = f64x2.sub(f64x2.mul(b22, x), f64x2.mul(a22, y));
      x = y;
      if (sections > 2) {
        y = f64x2.add(f64x2.mul(b03, x), p3);
        p3 = f64x2.add(f64x2.sub(f64x2.mul(b13, x), f64x2.mul(a13, y)), q3);
        q3 = f64x2.sub(f64x2.mul(b23, x), f64x2.mul(a23, y));
        x = y;
        if (sections > 3) {
          y = f64x2.add(f64x2.mul(b04, x), p4);
          p4 = f64x2.add(f64x2.sub(f64x2.mul(b14, x), f64x2.mul(a14, y)), q4);
          q4 = f64x2.sub(f64x2.mul(b24, x), f64x2.mul(a24, y));
          x = y;
        }
      }
    }
    if (toScratch) v128.store(scratch + (<usize>i << 4), x);
    else {
      store<f32>(a + (<usize>i << 2), <f32>f64x2.extract_lane(x, 0));
      store<f32>(b + (<usize>i << 2), <f32>f64x2.extract_lane(x, 1));
    }
  }
  v128.store(state, p1);
  v128.store(state, q1, 16);
  v128.store(state, p2, 32);
  v128.store(state, q2, 48);
  v128.store(state, p3, 64);
  v128.store(state, q3, 80);
  v128.store(state, p4, 96);
  v128.store(state, q4, 112);
}
