/**
 * AAC-LC noiseless coding (ISO/IEC 14496-3 4.6.3, 4.5.2.3.2-4): section data, scalefactor data and
 * spectral data of one individual channel stream, plus the bit costs the encoder's rate loop needs.
 *
 * Coefficients come as one Int32Array in spectral_data order; band j = g * maxSfb + sfb covers
 * q[bandStart[j], bandStart[j + 1]), widths are multiples of 4 (for short windows the caller has
 * already interleaved the windows of a group, so a band spans all its windows).
 * Only codebooks 0 (ZERO_HCB) and 1-11 are handled: noise and intensity books (13-15) are not used here.
 */
import type { BitWriter } from './bit-writer.js';
import { ESCAPE_MAX, SCALEFACTOR_CODES, SCALEFACTOR_DIFF_MAX, SCALEFACTOR_LENGTHS, SPECTRAL_CODEBOOKS, type SpectralCodebook } from './tables.js';

/** Codebook 0: the band is all zeros and sends no spectral data (and no scalefactor). */
export const ZERO_HCB = 0;
/** Codebook 11: pairs up to 15 directly, larger magnitudes through an escape sequence. */
export const ESC_HCB = 11;
const LAST_SPECTRAL_HCB = 11;
const ESCAPE_FLAG = 16;
const SECTION_CB_BITS = 4;

function codebook(cb: number): SpectralCodebook {
  const book = SPECTRAL_CODEBOOKS[cb];
  if (book === undefined) throw new Error(`AAC spectral codebook ${cb} is not supported by the noiseless coder`);
  return book;
}

/** Bits of the escape sequence of a magnitude 16 ≤ s ≤ 8191: N ones, a zero, then the low N + 4 bits, N = floor(log2 s) − 4. */
function escapeBits(s: number): number {
  return 2 * (27 - Math.clz32(s)) + 5;
}

/** Book 11's bits after the codeword for one value of magnitude s: its sign bit and, from 16 up, its escape. */
function escapedValueBits(s: number): number {
  if (s === 0) return 0;
  return s < ESCAPE_FLAG ? 1 : 1 + escapeBits(s);
}

/**
 * Exact bits (codewords, sign bits, escapes) to code q[start, end) with codebook cb; Infinity when a
 * value exceeds what the book can code. Codebook 0 costs 0 for an all-zero band, Infinity otherwise.
 */
export function bandCost(q: Int32Array, start: number, end: number, cb: number): number {
  if (cb === ZERO_HCB) {
    for (let i = start; i < end; i++) if (q[i] !== 0) return Infinity;
    return 0;
  }
  const book = SPECTRAL_CODEBOOKS[cb];
  if (book === undefined) return Infinity;
  const { lengths, modulus: m } = book;
  let bits = 0;
  if (cb === ESC_HCB) {
    for (let i = start; i < end; i += 2) {
      const y = Math.abs(q[i]), z = Math.abs(q[i + 1]);
      if (y > ESCAPE_MAX || z > ESCAPE_MAX) return Infinity;
      bits += lengths[m * Math.min(y, ESCAPE_FLAG) + Math.min(z, ESCAPE_FLAG)] + escapedValueBits(y) + escapedValueBits(z);
    }
    return bits;
  }
  // Values map to digits 0..m-1 (|v| for unsigned books, v + lav for signed); `>>> 0` turns a negative digit into a huge one.
  const offset = book.unsigned ? 0 : book.lav;
  if (book.dimension === 4) {
    for (let i = start; i < end; i += 4) {
      const a = book.unsigned ? Math.abs(q[i]) : q[i] + offset;
      const b = book.unsigned ? Math.abs(q[i + 1]) : q[i + 1] + offset;
      const c = book.unsigned ? Math.abs(q[i + 2]) : q[i + 2] + offset;
      const d = book.unsigned ? Math.abs(q[i + 3]) : q[i + 3] + offset;
      if ((a >>> 0) >= m || (b >>> 0) >= m || (c >>> 0) >= m || (d >>> 0) >= m) return Infinity;
      bits += lengths[((a * m + b) * m + c) * m + d];
      if (book.unsigned) bits += (-a >>> 31) + (-b >>> 31) + (-c >>> 31) + (-d >>> 31);
    }
  } else {
    for (let i = start; i < end; i += 2) {
      const y = book.unsigned ? Math.abs(q[i]) : q[i] + offset;
      const z = book.unsigned ? Math.abs(q[i + 1]) : q[i + 1] + offset;
      if ((y >>> 0) >= m || (z >>> 0) >= m) return Infinity;
      bits += lengths[y * m + z];
      if (book.unsigned) bits += (-y >>> 31) + (-z >>> 31);
    }
  }
  return bits;
}

/** The smallest-numbered codebook that can code a band whose largest magnitude is maxAbs (books are ordered by LAV). */
export function minimalCodebook(maxAbs: number): number {
  if (maxAbs === 0) return ZERO_HCB;
  if (maxAbs <= 1) return 1;
  if (maxAbs <= 2) return 3;
  if (maxAbs <= 4) return 5;
  if (maxAbs <= 7) return 7;
  if (maxAbs <= 12) return 9;
  if (maxAbs <= ESCAPE_MAX) return ESC_HCB;
  throw new Error(`AAC quantized value ${maxAbs} exceeds ${ESCAPE_MAX}: the quantizer must not produce it`);
}

/** Bits of one all-zero tuple in each book (a zero band coded with a real book costs only these). */
const ZERO_TUPLE_BITS = SPECTRAL_CODEBOOKS.map((book) => {
  if (book === undefined) return 0;
  let index = 0;
  for (let k = 0; k < book.dimension; k++) index = index * book.modulus + (book.unsigned ? 0 : book.lav);
  return book.lengths[index];
});

/** sect_len: 5-bit fields for long windows, 3-bit for short; a field equal to `escape` means another follows. */
const LONG_SECTION_LENGTH = { lengthBits: 5, escape: 31 };
const SHORT_SECTION_LENGTH = { lengthBits: 3, escape: 7 };

function sectionLengthLayout(isShort: boolean): { lengthBits: number; escape: number } {
  return isShort ? SHORT_SECTION_LENGTH : LONG_SECTION_LENGTH;
}

/** Side-info bits of one section of `bands` bands: sect_cb plus sect_len with its escapes. */
function sectionHeaderBits(bands: number, lengthBits: number, escape: number): number {
  return SECTION_CB_BITS + lengthBits * (Math.floor(bands / escape) + 1);
}

// Scratch reused across calls (the rate loop calls chooseSections many times per frame).
const BOOKS = LAST_SPECTRAL_HCB + 1;
let costScratch = new Float64Array(0);
let bestScratch = new Float64Array(0);
let fromBandScratch = new Int32Array(0);
let fromBookScratch = new Uint8Array(0);
let startScratch = new Int32Array(0);
let startValueScratch = new Float64Array(0);
const startCounts = new Int32Array(BOOKS);
const runningCost = new Float64Array(BOOKS);

function ensureScratch(bands: number): void {
  if (fromBandScratch.length >= bands + 1) return;
  costScratch = new Float64Array(BOOKS * bands);
  bestScratch = new Float64Array(bands + 1);
  fromBandScratch = new Int32Array(bands + 1);
  fromBookScratch = new Uint8Array(bands + 1);
  startScratch = new Int32Array(BOOKS * (bands + 1));
  startValueScratch = new Float64Array(BOOKS * (bands + 1));
}

const [L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((cb) => codebook(cb).lengths);

/*
 * Books 1/2, 3/4, 5/6, 7/8 and 9/10 share their index layout, so each pair is summed in one pass.
 * The passes run only for books whose LAV covers the band's maximum, so they skip range checks;
 * sign bits (one per nonzero value in unsigned books) are counted once per band by the caller.
 */
function quadSignedBits(q: Int32Array, start: number, end: number, cost: Float64Array, at1: number, at2: number): void {
  let bits1 = 0, bits2 = 0;
  for (let i = start; i < end; i += 4) {
    const index = 27 * q[i] + 9 * q[i + 1] + 3 * q[i + 2] + q[i + 3] + 40;
    bits1 += L1[index];
    bits2 += L2[index];
  }
  cost[at1] = bits1;
  cost[at2] = bits2;
}

function quadUnsignedBits(q: Int32Array, start: number, end: number, cost: Float64Array, at3: number, at4: number, signBits: number): void {
  let bits3 = signBits, bits4 = signBits;
  for (let i = start; i < end; i += 4) {
    const index = 27 * Math.abs(q[i]) + 9 * Math.abs(q[i + 1]) + 3 * Math.abs(q[i + 2]) + Math.abs(q[i + 3]);
    bits3 += L3[index];
    bits4 += L4[index];
  }
  cost[at3] = bits3;
  cost[at4] = bits4;
}

function pairSignedBits(q: Int32Array, start: number, end: number, cost: Float64Array, at5: number, at6: number): void {
  let bits5 = 0, bits6 = 0;
  for (let i = start; i < end; i += 2) {
    const index = 9 * q[i] + q[i + 1] + 40;
    bits5 += L5[index];
    bits6 += L6[index];
  }
  cost[at5] = bits5;
  cost[at6] = bits6;
}

function pairUnsignedBits(q: Int32Array, start: number, end: number, m: number, a: Uint8Array, b: Uint8Array, cost: Float64Array, atA: number, atB: number, signBits: number): void {
  let bitsA = signBits, bitsB = signBits;
  for (let i = start; i < end; i += 2) {
    const index = m * Math.abs(q[i]) + Math.abs(q[i + 1]);
    bitsA += a[index];
    bitsB += b[index];
  }
  cost[atA] = bitsA;
  cost[atB] = bitsB;
}

function escapeBookBits(q: Int32Array, start: number, end: number, signBits: number): number {
  let bits = signBits;
  for (let i = start; i < end; i += 2) {
    const y = Math.abs(q[i]), z = Math.abs(q[i + 1]);
    bits += L11[17 * Math.min(y, ESCAPE_FLAG) + Math.min(z, ESCAPE_FLAG)];
    if (y >= ESCAPE_FLAG) bits += escapeBits(y);
    if (z >= ESCAPE_FLAG) bits += escapeBits(z);
  }
  return bits;
}

/** Fills cost[cb * stride + b] for every book: spectral bits of q[start, end), Infinity where the book cannot code it. */
function fillBandCosts(q: Int32Array, start: number, end: number, cost: Float64Array, stride: number, b: number): void {
  let maxAbs = 0, nonzero = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(q[i]);
    if (a > maxAbs) maxAbs = a;
    nonzero += -a >>> 31;
  }
  const first = minimalCodebook(maxAbs);
  if (first === ZERO_HCB) {
    cost[b] = 0;
    for (let cb = 1; cb < BOOKS; cb++) cost[cb * stride + b] = ((end - start) / codebook(cb).dimension) * ZERO_TUPLE_BITS[cb];
    return;
  }
  for (let cb = 0; cb < first; cb++) cost[cb * stride + b] = Infinity;
  if (first <= 1) quadSignedBits(q, start, end, cost, stride + b, 2 * stride + b);
  if (first <= 3) quadUnsignedBits(q, start, end, cost, 3 * stride + b, 4 * stride + b, nonzero);
  if (first <= 5) pairSignedBits(q, start, end, cost, 5 * stride + b, 6 * stride + b);
  if (first <= 7) pairUnsignedBits(q, start, end, 8, L7, L8, cost, 7 * stride + b, 8 * stride + b, nonzero);
  if (first <= 9) pairUnsignedBits(q, start, end, 13, L9, L10, cost, 9 * stride + b, 10 * stride + b, nonzero);
  cost[ESC_HCB * stride + b] = escapeBookBits(q, start, end, nonzero);
}

/**
 * Chooses a codebook for each of the numGroups × maxSfb bands and writes it to out.cb[g * maxSfb + sfb]:
 * an exact dynamic program over section boundaries within each group (sections never cross groups),
 * minimising section_data + spectral_data bits over every codebook that can code each band (all-zero
 * bands may join a neighbour's section when that is cheaper than a ZERO_HCB section of their own).
 * Returns those total bits, which is what writeSectionData + writeSpectralData then write.
 * Note: a zero band given a real codebook carries a scalefactor, which this objective does not count.
 */
export function chooseSections(q: Int32Array, bandStart: Int32Array, numGroups: number, maxSfb: number, isShort: boolean, out: { cb: Uint8Array }): number {
  const { lengthBits, escape } = sectionLengthLayout(isShort);
  ensureScratch(maxSfb);
  const cost = costScratch, best = bestScratch, fromBand = fromBandScratch, fromBook = fromBookScratch;
  const startBand = startScratch, startValue = startValueScratch, starts = startCounts, running = runningCost;
  let total = 0;
  for (let g = 0; g < numGroups; g++) {
    const base = g * maxSfb;
    for (let b = 0; b < maxSfb; b++) fillBandCosts(q, bandStart[base + b], bandStart[base + b + 1], cost, maxSfb, b);
    // best[j]: fewest bits for bands [0, j); the last section [fromBand[j], j) uses fromBook[j].
    // A section [i, j) in book cb costs spectral(cb, i, j) + header(j − i) = P(j) − P(i) + header(j − i),
    // P a running sum of cb's band costs. So each book keeps its candidate starts i with
    // value best[i] − P(i); a start is dropped once a later start has no greater value, since the
    // later one also has the shorter (never dearer) header. What is left is short: values rise with i.
    best[0] = 0;
    const stride = maxSfb + 1;
    running.fill(0);
    starts.fill(0);
    for (let j = 1; j <= maxSfb; j++) {
      let bestBits = Infinity, bestFrom = j - 1, bestBook = 0;
      for (let cb = 0; cb < BOOKS; cb++) {
        const c = cost[cb * maxSfb + j - 1];
        const list = cb * stride;
        if (c === Infinity) {
          // No section of this book spans band j − 1: start over after it.
          starts[cb] = 0;
          running[cb] = 0;
          continue;
        }
        const value = best[j - 1] - running[cb];
        let count = starts[cb];
        while (count > 0 && startValue[list + count - 1] >= value) count--;
        startBand[list + count] = j - 1;
        startValue[list + count] = value;
        starts[cb] = ++count;
        const prefix = (running[cb] += c);
        for (let k = 0; k < count; k++) {
          const i = startBand[list + k];
          const bits = startValue[list + k] + prefix + sectionHeaderBits(j - i, lengthBits, escape);
          if (bits < bestBits) {
            bestBits = bits;
            bestFrom = i;
            bestBook = cb;
          }
        }
      }
      best[j] = bestBits;
      fromBand[j] = bestFrom;
      fromBook[j] = bestBook;
    }
    for (let j = maxSfb; j > 0; j = fromBand[j]) out.cb.fill(fromBook[j], base + fromBand[j], base + j);
    total += best[maxSfb];
  }
  return total;
}

/** Writes section_data(): per group, runs of equal codebooks as sect_cb (4 bits) and sect_len with escapes. */
export function writeSectionData(w: BitWriter, cb: Uint8Array, numGroups: number, maxSfb: number, isShort: boolean): void {
  const { lengthBits, escape } = sectionLengthLayout(isShort);
  for (let g = 0; g < numGroups; g++) {
    const base = g * maxSfb;
    let sfb = 0;
    while (sfb < maxSfb) {
      const book = cb[base + sfb];
      if (book > LAST_SPECTRAL_HCB) throw new Error(`AAC codebook ${book} is not supported by the noiseless coder`);
      let end = sfb + 1;
      while (end < maxSfb && cb[base + end] === book) end++;
      w.write(book, SECTION_CB_BITS);
      let length = end - sfb;
      while (length >= escape) {
        w.write(escape, lengthBits);
        length -= escape;
      }
      w.write(length, lengthBits);
      sfb = end;
    }
  }
}

/** Bits section_data() takes for these codebooks (what writeSectionData writes). */
export function sectionDataBits(cb: Uint8Array, numGroups: number, maxSfb: number, isShort: boolean): number {
  const { lengthBits, escape } = sectionLengthLayout(isShort);
  let bits = 0;
  for (let g = 0; g < numGroups; g++) {
    const base = g * maxSfb;
    for (let sfb = 0; sfb < maxSfb; ) {
      let end = sfb + 1;
      while (end < maxSfb && cb[base + end] === cb[base + sfb]) end++;
      bits += sectionHeaderBits(end - sfb, lengthBits, escape);
      sfb = end;
    }
  }
  return bits;
}

function scalefactorIndex(sf: Int32Array, band: number, previous: number): number {
  const diff = sf[band] - previous;
  if (diff < -SCALEFACTOR_DIFF_MAX || diff > SCALEFACTOR_DIFF_MAX) {
    throw new Error(`AAC scalefactor difference ${diff} at band ${band} leaves ±${SCALEFACTOR_DIFF_MAX}: the rate loop must keep neighbouring scalefactors closer`);
  }
  return diff + SCALEFACTOR_DIFF_MAX;
}

/**
 * Bits of scale_factor_data(): bands in order (g, sfb), those with codebook 0 skipped, each coded as
 * the difference from the previous coded band's scalefactor (the first from global_gain).
 * Throws when a difference leaves ±60.
 */
export function scalefactorBits(sf: Int32Array, cb: Uint8Array, nBands: number, globalGain: number): number {
  let previous = globalGain, bits = 0;
  for (let j = 0; j < nBands; j++) {
    if (cb[j] === ZERO_HCB) continue;
    bits += SCALEFACTOR_LENGTHS[scalefactorIndex(sf, j, previous)];
    previous = sf[j];
  }
  return bits;
}

/** Writes scale_factor_data() as scalefactorBits counts it. */
export function writeScalefactors(w: BitWriter, sf: Int32Array, cb: Uint8Array, nBands: number, globalGain: number): void {
  let previous = globalGain;
  for (let j = 0; j < nBands; j++) {
    if (cb[j] === ZERO_HCB) continue;
    const index = scalefactorIndex(sf, j, previous);
    w.write(SCALEFACTOR_CODES[index], SCALEFACTOR_LENGTHS[index]);
    previous = sf[j];
  }
}

function writeEscape(w: BitWriter, s: number): void {
  const n = 27 - Math.clz32(s);
  // N ones and a zero, then the low N + 4 bits of s: at most 21 bits, one write.
  w.write((((1 << n) - 1) << (n + 5)) | (s & ((1 << (n + 4)) - 1)), 2 * n + 5);
}

function unfit(band: number, cb: number): Error {
  return new Error(`AAC band ${band} has a value codebook ${cb} cannot code`);
}

/**
 * Writes spectral_data() for bands [0, nBands): each band's tuples with its codebook. Bands with
 * codebook 0 send nothing, so whatever q holds there reaches the decoder as zeros. Throws when a
 * value does not fit its band's codebook.
 */
export function writeSpectralData(w: BitWriter, q: Int32Array, bandStart: Int32Array, cb: Uint8Array, nBands: number): void {
  for (let j = 0; j < nBands; j++) {
    const book = cb[j];
    if (book === ZERO_HCB) continue;
    const { codes, lengths, modulus: m, unsigned, dimension } = codebook(book);
    const end = bandStart[j + 1];
    if (book === ESC_HCB) {
      for (let i = bandStart[j]; i < end; i += 2) {
        const vy = q[i], vz = q[i + 1];
        const y = Math.abs(vy), z = Math.abs(vz);
        if (y > ESCAPE_MAX || z > ESCAPE_MAX) throw unfit(j, book);
        const index = m * Math.min(y, ESCAPE_FLAG) + Math.min(z, ESCAPE_FLAG);
        w.write(codes[index], lengths[index]);
        if (y !== 0) w.write(vy >>> 31, 1);
        if (z !== 0) w.write(vz >>> 31, 1);
        if (y >= ESCAPE_FLAG) writeEscape(w, y);
        if (z >= ESCAPE_FLAG) writeEscape(w, z);
      }
      continue;
    }
    const offset = unsigned ? 0 : m >> 1;
    for (let i = bandStart[j]; i < end; i += dimension) {
      let index = 0, signs = 0, signCount = 0;
      for (let k = 0; k < dimension; k++) {
        const v = q[i + k];
        const digit = unsigned ? Math.abs(v) : v + offset;
        if ((digit >>> 0) >= m) throw unfit(j, book);
        index = index * m + digit;
        if (unsigned && v !== 0) {
          signs = (signs << 1) | (v >>> 31);
          signCount++;
        }
      }
      // Codeword (≤ 16 bits) and its sign bits (≤ 4) in one write.
      w.write((codes[index] << signCount) | signs, lengths[index] + signCount);
    }
  }
}

/** Bits writeSpectralData writes for these bands and codebooks (0 for a codebook-0 band; Infinity when a value does not fit). */
export function spectralDataBits(q: Int32Array, bandStart: Int32Array, cb: Uint8Array, nBands: number): number {
  let bits = 0;
  for (let j = 0; j < nBands; j++) if (cb[j] !== ZERO_HCB) bits += bandCost(q, bandStart[j], bandStart[j + 1], cb[j]);
  return bits;
}
