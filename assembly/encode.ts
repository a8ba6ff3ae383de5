// Float32 → 16/24-bit little-endian PCM for the WAV writer, mono or stereo interleaved: the same
// rounding (halves up), clipping and counting as src/audio/pcm-encode.ts, and the samples as a
// decoder reads them back added to float64 sums (the mix of a render), in one pass. Groups of four
// frames in range (the usual case) go through SIMD lanes; a group with a sample out of range or
// not finite is encoded sample by sample.

// The clipped and non-finite counts of the current call.
let clipped = 0;
let nonFinite = 0;

/** One sample: rounded halves up (floor(x + ½) with x = sample·scale), clipped to [−scale, scale − 1]. */
function roundOne(v: f32, scale: f64): i32 {
  const x = <f64>v * scale;
  if (x >= -scale - 0.5 && x < scale - 0.5) return <i32>Math.floor(x + 0.5);
  if (x > 0 && x < Infinity) {
    clipped++;
    return <i32>scale - 1;
  }
  if (x < 0 && x > -Infinity) {
    clipped++;
    return -<i32>scale;
  }
  nonFinite++;
  return 0;
}

/** Four frames of one channel, rounded; out-of-range or non-finite groups sample by sample. */
@inline function roundFour(src: usize, scale: f64): v128 {
  const s = f64x2.splat(scale);
  const a = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(src)), s);
  const b = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(src + 8)), s);
  const lo = f64x2.splat(-scale - 0.5);
  const hi = f64x2.splat(scale - 0.5);
  const ok = v128.and(v128.and(f64x2.ge(a, lo), f64x2.lt(a, hi)), v128.and(f64x2.ge(b, lo), f64x2.lt(b, hi)));
  if (i64x2.all_true(ok)) {
    // In range x + scale + ½ is positive, so truncation is the floor (exact: see pcm-encode.ts).
    const bias = f64x2.splat(scale + 0.5);
    const qa = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(a, bias));
    const qb = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(b, bias));
    return i32x4.sub(v128.shuffle<i32>(qa, qb, 0, 1, 4, 5), i32x4.splat(<i32>scale));
  }
  let q = i32x4.splat(0);
  q = i32x4.replace_lane(q, 0, roundOne(load<f32>(src), scale));
  q = i32x4.replace_lane(q, 1, roundOne(load<f32>(src, 4), scale));
  q = i32x4.replace_lane(q, 2, roundOne(load<f32>(src, 8), scale));
  q = i32x4.replace_lane(q, 3, roundOne(load<f32>(src, 12), scale));
  return q;
}

/** sum[0 … 3] += q·unit (float64). */
@inline function addFour(sum: usize, q: v128, unit: f64): void {
  const u = f64x2.splat(unit);
  v128.store(sum, f64x2.add(v128.load(sum), f64x2.mul(f64x2.convert_low_i32x4_s(q), u)));
  v128.store(sum, f64x2.add(v128.load(sum, 16), f64x2.mul(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(q, q, 2, 3, 2, 3)), u)), 16);
}

/** Stores the low `bytes` (2 or 3) bytes of each of q's four values, in order: 8 or 12 bytes. */
@inline function storePacked(p: usize, q: v128, bytes: i32): void {
  if (bytes === 3) {
    const packed = i8x16.swizzle(q, i8x16(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
    v128.store64_lane(p, packed, 0);
    v128.store32_lane(p, packed, 2, 8);
  } else {
    v128.store64_lane(p, i8x16.swizzle(q, i8x16(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1)), 0);
  }
}

/** One frame's samples at the end (fewer than four left). */
function tailSample(src: usize, i: i32, scale: f64, p: usize, bytes: i32, sum: usize, unit: f64): void {
  const q = roundOne(load<f32>(src + (<usize>i << 2)), scale);
  store<u16>(p, <u16>q);
  if (bytes === 3) store<u8>(p, <u8>(q >> 16), 2);
  if (sum) {
    const s = sum + (<usize>i << 3);
    store<f64>(s, load<f64>(s) + <f64>q * unit);
  }
}

/**
 * Encodes n frames of channel a (and b when `stereo`) at `bytes` (2 or 3) per sample into `out`.
 * sumA/sumB (0: none) point at float64 arrays that get each written value added. results[0] and
 * results[1] (float64) receive the clipped and the non-finite sample counts.
 */
export function encodeInt(a: usize, b: usize, stereo: i32, n: i32, bytes: i32, out: usize, sumA: usize, sumB: usize, results: usize): void {
  const scale: f64 = bytes === 3 ? 8388608.0 : 32768.0;
  const unit = 1.0 / scale;
  clipped = 0;
  nonFinite = 0;
  let i = 0;
  let p = out;
  if (stereo) {
    for (; i + 4 <= n; i += 4) {
      const l = roundFour(a + (<usize>i << 2), scale);
      const r = roundFour(b + (<usize>i << 2), scale);
      storePacked(p, v128.shuffle<i32>(l, r, 0, 4, 1, 5), bytes);
      storePacked(p + <usize>(4 * bytes), v128.shuffle<i32>(l, r, 2, 6, 3, 7), bytes);
      p += <usize>(8 * bytes);
      if (sumA) addFour(sumA + (<usize>i << 3), l, unit);
      if (sumB) addFour(sumB + (<usize>i << 3), r, unit);
    }
    for (; i < n; i++) {
      tailSample(a, i, scale, p, bytes, sumA, unit);
      tailSample(b, i, scale, p + <usize>bytes, bytes, sumB, unit);
      p += <usize>(2 * bytes);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const q = roundFour(a + (<usize>i << 2), scale);
      storePacked(p, q, bytes);
      p += <usize>(4 * bytes);
      if (sumA) addFour(sumA + (<usize>i << 3), q, unit);
    }
    for (; i < n; i++) {
      tailSample(a, i, scale, p, bytes, sumA, unit);
      p += <usize>bytes;
    }
  }
  store<f64>(results, <f64>clipped);
  store<f64>(results, <f64>nonFinite, 8);
}
