/**
 * ALAC's entropy coder: adaptive Golomb codes whose parameter follows a running mean of the
 * residuals ("history"), with zero runs coded as a count once the mean drops low. Arithmetic is
 * uint32 as in the C references (Math.imul / >>> 0), so hostile parameters wrap the same way.
 *
 * Apple's and FFmpeg's decoders differ in one corner: after a zero run, a residual whose code is
 * exactly 0x10000 clamps the history in FFmpeg but not in Apple's decoder. The encoder reports that
 * case (encodeResiduals returns -1) so the frame can be written another way; the decoder follows
 * FFmpeg.
 */
import type { BitReader, BitWriter } from './bits.js';
import { corrupt } from './bits.js';

/** Unary prefixes of 9 ones mean "escape: the value follows in plain bits". */
const MAX_PREFIX = 9;
/** History values below this switch the coder into zero-run mode. */
const RUN_THRESHOLD = 128;
/** The history cap: a residual code above it resets the history to it. */
const HISTORY_CLAMP = 0xffff;

/** The Golomb parameter of a sample given the history, capped at kb. */
function sampleK(history: number, kb: number): number {
  const k = 31 - Math.clz32((history >>> 9) + 3);
  return k < kb ? k : kb;
}

/** The Golomb parameter of a zero-run count given the history (< RUN_THRESHOLD). */
function runK(history: number): number {
  return 7 - (31 - Math.clz32(history | 1)) + ((history + 16) >> 6);
}

/** history ← history + pb·x − (pb·history >> 9), in uint32. */
function nextHistory(history: number, pb: number, x: number): number {
  if (x > HISTORY_CLAMP) return HISTORY_CLAMP;
  return (Math.imul(pb, x) + history - (Math.imul(pb, history) >>> 9)) >>> 0;
}

/**
 * Writes `value` with parameter k (divisor 2^k − 1), escaping to `escapeBits` plain bits when the
 * quotient exceeds 8; returns the bits it takes. With `w` null it only counts.
 */
function putCode(w: BitWriter | null, value: number, k: number, escapeBits: number): number {
  const divisor = (1 << k) - 1;
  // value / (2^k − 1) without a division: value = q0·2^k + low = q0·divisor + (low + q0).
  let q = value >>> k;
  let r = (value & divisor) + q;
  if (k === 1) {
    q = value;
    r = 0;
  } else if (q < MAX_PREFIX) {
    while (r >= divisor) {
      r -= divisor;
      q++;
    }
  }
  if (q >= MAX_PREFIX) {
    if (w) {
      w.write((1 << MAX_PREFIX) - 1, MAX_PREFIX);
      w.writeLong(value, escapeBits);
    }
    return MAX_PREFIX + escapeBits;
  }
  const ones = (1 << q) - 1;
  if (r > 0) {
    if (w) w.write((ones << (k + 1)) | (r + 1), q + 1 + k);
    return q + 1 + k;
  }
  // r = 0 is coded as k − 1 zero bits after the terminating zero (for k = 1: the prefix alone).
  if (w) w.write(ones << k, q + k);
  return q + k;
}

/**
 * Codes residuals[0, n) (signed, within `bitSize` bits) with history multiplier `pb` and the
 * cookie's mb/kb. With `w` null nothing is written and the bits it would take are returned. When
 * writing, returns the bits written, or -1 when the stream would decode differently in Apple's
 * decoder than in FFmpeg's (see the module note).
 */
export function encodeResiduals(w: BitWriter | null, residuals: Int32Array, n: number, bitSize: number, pb: number, mb: number, kb: number): number {
  let history = mb;
  let zmode = 0;
  let bits = 0;
  let ambiguous = false;
  let i = 0;
  while (i < n) {
    const k = sampleK(history, kb);
    const s = residuals[i++]!;
    const x = ((s << 1) ^ (s >> 31)) >>> 0;
    if (zmode === 1 && x === HISTORY_CLAMP + 1) ambiguous = true;
    bits += putCode(w, x - zmode, k, bitSize);
    history = nextHistory(history, pb, x);
    zmode = 0;
    if (history < RUN_THRESHOLD && i < n) {
      const start = i;
      while (i < n && residuals[i] === 0) i++;
      const k = runK(history);
      bits += putCode(w, i - start, k < kb ? k : kb, 16);
      zmode = 1;
      history = 0;
    }
  }
  return ambiguous && w ? -1 : bits;
}

/** Reads one code with parameter k (k ≥ 1), escapes of `escapeBits` plain bits. */
function getCode(r: BitReader, k: number, escapeBits: number): number {
  const word = r.peek32();
  const q = Math.clz32(~word);
  if (q >= MAX_PREFIX) {
    r.pos += MAX_PREFIX;
    return r.read(escapeBits);
  }
  if (k === 1) {
    r.pos += q + 1;
    return q;
  }
  // q ≤ 8 and k ≤ 23, so the prefix, its zero and the k bits all sit in `word`.
  const extra = (word << (q + 1)) >>> (32 - k);
  let x = q * ((1 << k) - 1);
  if (extra > 1) {
    x += extra - 1;
    r.pos += q + 1 + k;
  } else r.pos += q + k;
  return x;
}

/**
 * Decodes n residuals of `bitSize` bits into out[0, n) as FFmpeg does. Throws E_BAD_DATA when the
 * packet ends first or a zero run overshoots the frame.
 */
export function decodeResiduals(r: BitReader, out: Int32Array, n: number, bitSize: number, pb: number, mb: number, kb: number): void {
  let history = mb;
  let modifier = 0;
  for (let i = 0; i < n; i++) {
    if (r.pos >= r.end) throw corrupt('the ALAC packet ends inside its residuals');
    const x = (getCode(r, sampleK(history, kb), bitSize) + modifier) >>> 0;
    modifier = 0;
    out[i] = (x >>> 1) ^ -(x & 1);
    history = nextHistory(history, pb, x);
    if (history < RUN_THRESHOLD && i + 1 < n) {
      const k = runK(history);
      const run = getCode(r, k < kb ? k : kb, 16);
      if (run > 0) {
        if (run >= n - i) throw corrupt(`an ALAC zero run of ${run} samples overshoots the frame`);
        out.fill(0, i + 1, i + 1 + run);
        i += run;
      }
      modifier = 1;
      history = 0;
    }
  }
  r.checkEnd('its residuals');
}
