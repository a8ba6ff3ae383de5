/**
 * ALAC's adaptive FIR predictor ("dynamic predictor"): each sample is predicted from the `order`
 * samples before it relative to the one before those ("top"), and after each sample the
 * coefficients move one step by sign-sign adaptation, so encoder and decoder track each other
 * without side information beyond the starting coefficients.
 *
 * Coefficients are in the bitstream's order: coefs[0] weighs the newest sample. They are int16
 * and wrap like the C references' int16_t; sums are int32 with wraparound (Math.imul). The
 * rounding (sum + 2^(shift−1)) >> shift is done without 32-bit overflow, as FFmpeg does; Apple's
 * decoder overflows when sum is within 2^(shift−1) of 2^31, so `predict` reports that case.
 *
 * Order 31 is the special first-difference mode; order 0 passes samples through.
 */

/** Sign of an int32: -1, 0 or 1. */
function sign(v: number): number {
  return (v >> 31) | (-v >>> 31);
}

/** Sign-extends the low `bits` bits (via shift = 32 − bits) of v. */
function wrap(v: number, shift: number): number {
  return (v << shift) >> shift;
}

/**
 * Residuals of input[0, n) into residual[0, n), adapting `coefs` (order entries) in place.
 * `chanBits` is the width of the samples (residuals wrap to it), `shift` the coefficients'
 * fixed-point shift (1..15). Returns true when some prediction would overflow in Apple's decoder.
 */
export function predict(input: Int32Array, residual: Int32Array, n: number, coefs: Int16Array, order: number, chanBits: number, shift: number): boolean {
  if (n <= 0) return false;
  const cs = 32 - chanBits;
  residual[0] = input[0]!;
  if (order === 0) {
    residual.set(input.subarray(1, n), 1);
    return false;
  }
  const warm = order === 31 ? n - 1 : Math.min(order, n - 1);
  for (let j = 1; j <= warm; j++) residual[j] = wrap(input[j]! - input[j - 1]!, cs);
  if (order === 31) return false;
  return filter(input, residual, n, coefs, order, cs, shift, false);
}

/**
 * The inverse of predict, as FFmpeg's decoder computes it: samples from residual[0, n) into
 * out[0, n) (out may be residual for order 31), adapting `coefs` in place.
 */
export function unpredict(residual: Int32Array, out: Int32Array, n: number, coefs: Int16Array | null, order: number, chanBits: number, shift: number): void {
  if (n <= 0) return;
  const cs = 32 - chanBits;
  out[0] = residual[0]!;
  if (order === 0) {
    if (out !== residual) out.set(residual.subarray(1, n), 1);
    return;
  }
  const warm = order === 31 ? n - 1 : Math.min(order, n - 1);
  for (let j = 1; j <= warm; j++) out[j] = wrap(out[j - 1]! + residual[j]!, cs);
  if (order === 31 || coefs === null) return;
  filter(out, residual, n, coefs, order, cs, shift, true);
}

/**
 * The adaptive filter from sample order + 1 on. `x` holds the samples: read-only when encoding
 * (residuals are written), filled in when decoding (residuals are read). Returns the overflow flag
 * described in the module note.
 */
function filter(x: Int32Array, residual: Int32Array, n: number, coefs: Int16Array, order: number, cs: number, shift: number, decode: boolean): boolean {
  if (order === 8) return filter8(x, residual, n, coefs, cs, shift, decode);
  if (order === 4) return filter4(x, residual, n, coefs, cs, shift, decode);
  const half = 1 << (shift - 1);
  const mask = (1 << shift) - 1;
  const limit = 0x7fffffff - half;
  let overflow = false;
  for (let j = order + 1; j < n; j++) {
    const top = x[j - order - 1]!;
    let sum = 0;
    for (let k = 0; k < order; k++) sum = (sum + Math.imul(coefs[k]!, x[j - 1 - k]! - top)) | 0;
    if (sum > limit) overflow = true;
    const prediction = (sum >> shift) + (((sum & mask) + half) >> shift);
    let del: number;
    if (decode) {
      del = residual[j]!;
      x[j] = wrap(prediction + top + del, cs);
    } else {
      del = wrap(x[j]! - top - prediction, cs);
      residual[j] = del;
    }
    adapt(coefs, order, x, j, top, del, shift);
  }
  return overflow;
}

/** One step of sign-sign adaptation after sample j with residual `del`. */
function adapt(coefs: Int16Array, order: number, x: Int32Array, j: number, top: number, del: number, shift: number): void {
  if (del > 0) {
    let left = del;
    for (let k = order - 1; k >= 0; k--) {
      const d = (top - x[j - 1 - k]!) | 0;
      const s = sign(d);
      coefs[k] = coefs[k]! - s;
      left = (left - Math.imul(order - k, Math.imul(s, d) >> shift)) | 0;
      if (left <= 0) break;
    }
  } else if (del < 0) {
    let left = del;
    for (let k = order - 1; k >= 0; k--) {
      const d = (top - x[j - 1 - k]!) | 0;
      const s = sign(d);
      coefs[k] = coefs[k]! + s;
      left = (left - Math.imul(order - k, Math.imul(-s, d) >> shift)) | 0;
      if (left >= 0) break;
    }
  }
}

// filter8 and filter4: the same filter with the coefficients in locals (int16 wrap by << 16 >> 16)
// and b = sample − top, the negation of the reference's top − sample, so the signs flip accordingly.
// Every int32 quantity is wrapped (| 0, Math.imul, shifts) where the references wrap, so wide samples
// (32-bit mono) give the same results as the general loop.

function filter8(x: Int32Array, residual: Int32Array, n: number, coefs: Int16Array, cs: number, shift: number, decode: boolean): boolean {
  const half = 1 << (shift - 1);
  const mask = (1 << shift) - 1;
  const limit = 0x7fffffff - half;
  let overflow = false;
  let a0 = coefs[0]!, a1 = coefs[1]!, a2 = coefs[2]!, a3 = coefs[3]!;
  let a4 = coefs[4]!, a5 = coefs[5]!, a6 = coefs[6]!, a7 = coefs[7]!;
  for (let j = 9; j < n; j++) {
    const top = x[j - 9]!;
    const b0 = x[j - 1]! - top, b1 = x[j - 2]! - top, b2 = x[j - 3]! - top, b3 = x[j - 4]! - top;
    const b4 = x[j - 5]! - top, b5 = x[j - 6]! - top, b6 = x[j - 7]! - top, b7 = x[j - 8]! - top;
    const sum =
      (Math.imul(a0, b0) + Math.imul(a1, b1) + Math.imul(a2, b2) + Math.imul(a3, b3) + Math.imul(a4, b4) + Math.imul(a5, b5) + Math.imul(a6, b6) + Math.imul(a7, b7)) | 0;
    if (sum > limit) overflow = true;
    const prediction = (sum >> shift) + (((sum & mask) + half) >> shift);
    let del: number;
    if (decode) {
      del = residual[j]!;
      x[j] = wrap(prediction + top + del, cs);
    } else {
      del = wrap(x[j]! - top - prediction, cs);
      residual[j] = del;
    }
    if (del > 0) {
      let left = del;
      let s = sign(b7); a7 = ((a7 + s) << 16) >> 16; left = (left - ((s * b7) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b6); a6 = ((a6 + s) << 16) >> 16; left = (left - 2 * ((s * b6) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b5); a5 = ((a5 + s) << 16) >> 16; left = (left - 3 * ((s * b5) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b4); a4 = ((a4 + s) << 16) >> 16; left = (left - 4 * ((s * b4) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b3); a3 = ((a3 + s) << 16) >> 16; left = (left - 5 * ((s * b3) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b2); a2 = ((a2 + s) << 16) >> 16; left = (left - 6 * ((s * b2) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b1); a1 = ((a1 + s) << 16) >> 16; left = (left - 7 * ((s * b1) >> shift)) | 0; if (left <= 0) continue;
      a0 = ((a0 + sign(b0)) << 16) >> 16;
    } else if (del < 0) {
      let left = del;
      let s = sign(b7); a7 = ((a7 - s) << 16) >> 16; left = (left - ((-s * b7) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b6); a6 = ((a6 - s) << 16) >> 16; left = (left - 2 * ((-s * b6) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b5); a5 = ((a5 - s) << 16) >> 16; left = (left - 3 * ((-s * b5) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b4); a4 = ((a4 - s) << 16) >> 16; left = (left - 4 * ((-s * b4) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b3); a3 = ((a3 - s) << 16) >> 16; left = (left - 5 * ((-s * b3) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b2); a2 = ((a2 - s) << 16) >> 16; left = (left - 6 * ((-s * b2) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b1); a1 = ((a1 - s) << 16) >> 16; left = (left - 7 * ((-s * b1) >> shift)) | 0; if (left >= 0) continue;
      a0 = ((a0 - sign(b0)) << 16) >> 16;
    }
  }
  coefs[0] = a0; coefs[1] = a1; coefs[2] = a2; coefs[3] = a3;
  coefs[4] = a4; coefs[5] = a5; coefs[6] = a6; coefs[7] = a7;
  return overflow;
}

function filter4(x: Int32Array, residual: Int32Array, n: number, coefs: Int16Array, cs: number, shift: number, decode: boolean): boolean {
  const half = 1 << (shift - 1);
  const mask = (1 << shift) - 1;
  const limit = 0x7fffffff - half;
  let overflow = false;
  let a0 = coefs[0]!, a1 = coefs[1]!, a2 = coefs[2]!, a3 = coefs[3]!;
  for (let j = 5; j < n; j++) {
    const top = x[j - 5]!;
    const b0 = x[j - 1]! - top, b1 = x[j - 2]! - top, b2 = x[j - 3]! - top, b3 = x[j - 4]! - top;
    const sum = (Math.imul(a0, b0) + Math.imul(a1, b1) + Math.imul(a2, b2) + Math.imul(a3, b3)) | 0;
    if (sum > limit) overflow = true;
    const prediction = (sum >> shift) + (((sum & mask) + half) >> shift);
    let del: number;
    if (decode) {
      del = residual[j]!;
      x[j] = wrap(prediction + top + del, cs);
    } else {
      del = wrap(x[j]! - top - prediction, cs);
      residual[j] = del;
    }
    if (del > 0) {
      let left = del;
      let s = sign(b3); a3 = ((a3 + s) << 16) >> 16; left = (left - ((s * b3) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b2); a2 = ((a2 + s) << 16) >> 16; left = (left - 2 * ((s * b2) >> shift)) | 0; if (left <= 0) continue;
      s = sign(b1); a1 = ((a1 + s) << 16) >> 16; left = (left - 3 * ((s * b1) >> shift)) | 0; if (left <= 0) continue;
      a0 = ((a0 + sign(b0)) << 16) >> 16;
    } else if (del < 0) {
      let left = del;
      let s = sign(b3); a3 = ((a3 - s) << 16) >> 16; left = (left - ((-s * b3) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b2); a2 = ((a2 - s) << 16) >> 16; left = (left - 2 * ((-s * b2) >> shift)) | 0; if (left >= 0) continue;
      s = sign(b1); a1 = ((a1 - s) << 16) >> 16; left = (left - 3 * ((-s * b1) >> shift)) | 0; if (left >= 0) continue;
      a0 = ((a0 - sign(b0)) << 16) >> 16;
    }
  }
  coefs[0] = a0; coefs[1] = a1; coefs[2] = a2; coefs[3] = a3;
  return overflow;
}
