/**
 * AAC noiseless coding (ISO/IEC 14496-3 4.6.3): the codebook of each scalefactor band and the
 * sections that carry them, scalefactor differences, and the Huffman-coded quantized spectrum.
 * Bands are indexed j = group·maxSfb + sfb over the frame's groups; band j covers
 * q[bandStart[j], bandStart[j + 1]) in spectral_data order.
 */
import type { BitWriter } from './bit-writer.js';
import { SCALEFACTOR_CODEBOOK, SPECTRAL_CODEBOOKS } from './tables.js';

/** Codebook 11's escape value and the largest magnitude any codebook carries. */
const ESCAPE = 16;
export const MAX_QUANTIZED = 8191;
const CODEBOOKS = 12;
/** The largest magnitude each codebook codes directly (LAV; 11 escapes beyond 15). */
const LARGEST = [0, 1, 1, 2, 2, 4, 4, 7, 7, 12, 12, MAX_QUANTIZED];
const UNSIGNED = [false, false, false, true, true, false, false, true, true, true, true, true];
const QUADS = [false, true, true, true, true, false, false, false, false, false, false, false];
/** Index base per value: 3 (quads), 9 (signed pairs), 8, 13 or 17 (unsigned pairs). */
const BASE = [0, 3, 3, 3, 3, 9, 9, 8, 8, 13, 13, 17];

const LENGTHS = SPECTRAL_CODEBOOKS.map((c) => c.lengths);
const CODES = SPECTRAL_CODEBOOKS.map((c) => c.codes);

/** Bits of one all-zero quad or pair in each codebook (zeros carry no sign bits). */
const ZERO_TUPLE_BITS = LENGTHS.map((lengths, cb) => (cb === 0 ? 0 : lengths[UNSIGNED[cb] ? 0 : QUADS[cb] ? 40 : 40]!));

/** Index of a quad or pair in codebook `cb` (values already known to fit it). */
function quadIndex(cb: number, w: number, x: number, y: number, z: number): number {
  return UNSIGNED[cb] ? 27 * Math.abs(w) + 9 * Math.abs(x) + 3 * Math.abs(y) + Math.abs(z) : 27 * (w + 1) + 9 * (x + 1) + 3 * (y + 1) + (z + 1);
}

function pairIndex(cb: number, y: number, z: number): number {
  if (!UNSIGNED[cb]) return 9 * (y + 4) + (z + 4);
  const base = BASE[cb]!;
  return cb === 11 ? base * Math.min(Math.abs(y), ESCAPE) + Math.min(Math.abs(z), ESCAPE) : base * Math.abs(y) + Math.abs(z);
}

/** Bits of codebook 11's escape sequence for magnitude v ≥ 16. */
function escapeBits(v: number): number {
  const n = 31 - Math.clz32(v) - 4;
  return 2 * n + 5;
}

/** Exact bits to code q[start, end) with codebook cb: codewords, sign bits, escapes; Infinity if a value does not fit. */
export function bandCost(q: Int32Array, start: number, end: number, cb: number): number {
  if (cb === 0) {
    for (let k = start; k < end; k++) if (q[k] !== 0) return Infinity;
    return 0;
  }
  const lengths = LENGTHS[cb]!;
  const largest = LARGEST[cb]!;
  const unsigned = UNSIGNED[cb]!;
  let bits = 0;
  if (QUADS[cb]) {
    for (let k = start; k < end; k += 4) {
      const w = q[k]!;
      const x = q[k + 1]!;
      const y = q[k + 2]!;
      const z = q[k + 3]!;
      if (Math.abs(w) > largest || Math.abs(x) > largest || Math.abs(y) > largest || Math.abs(z) > largest) return Infinity;
      bits += lengths[quadIndex(cb, w, x, y, z)]!;
      if (unsigned) bits += (w !== 0 ? 1 : 0) + (x !== 0 ? 1 : 0) + (y !== 0 ? 1 : 0) + (z !== 0 ? 1 : 0);
    }
    return bits;
  }
  for (let k = start; k < end; k += 2) {
    const y = q[k]!;
    const z = q[k + 1]!;
    const ay = Math.abs(y);
    const az = Math.abs(z);
    if (ay > largest || az > largest) return Infinity;
    bits += lengths[pairIndex(cb, y, z)]!;
    if (unsigned) bits += (ay !== 0 ? 1 : 0) + (az !== 0 ? 1 : 0);
    if (cb === 11) {
      if (ay >= ESCAPE) bits += escapeBits(ay);
      if (az >= ESCAPE) bits += escapeBits(az);
    }
  }
  return bits;
}

/** The smallest codebook whose values reach `peak`. */
function smallestCodebook(peak: number): number {
  if (peak === 0) return 0;
  if (peak === 1) return 1;
  if (peak === 2) return 3;
  if (peak <= 4) return 5;
  if (peak <= 7) return 7;
  if (peak <= 12) return 9;
  return 11;
}

/** Section side info: codebook bits and section length bits with its escape value. */
function sectionShape(short: boolean): { cbBits: number; lenBits: number; escape: number } {
  return short ? { cbBits: 4, lenBits: 3, escape: 7 } : { cbBits: 4, lenBits: 5, escape: 31 };
}

function sectionHeaderBits(length: number, short: boolean): number {
  const { cbBits, lenBits, escape } = sectionShape(short);
  return cbBits + lenBits * (1 + Math.floor(length / escape));
}

/** Working rows of the section search, reused. */
const cost = new Float64Array(128 * CODEBOOKS);
const best = new Float64Array(128 * CODEBOOKS);
const from = new Int8Array(128 * CODEBOOKS);

/**
 * Picks a codebook per band and the sections carrying them, minimising the bits of section_data
 * and spectral_data together: a Viterbi search over the bands of each group, whose states are
 * codebooks, a band's cost its exact spectral bits, and a change of codebook the cost of a section
 * header. Each band considers the two smallest codebook pairs that reach its peak (larger ones
 * cost more bits on real spectra), and zeros may also ride in a neighbour's section. Returns the
 * exact bits of section_data and spectral_data for the choice written to `out.cb`.
 */
export function chooseSections(q: Int32Array, bandStart: Int32Array, numGroups: number, maxSfb: number, short: boolean, out: { cb: Uint8Array }): number {
  const header = sectionHeaderBits(1, short);
  let total = 0;
  if (maxSfb === 0) return 0;
  for (let g = 0; g < numGroups; g++) {
    const first = g * maxSfb;
    for (let b = 0; b < maxSfb; b++) {
      const j = first + b;
      const start = bandStart[j]!;
      const end = bandStart[j + 1]!;
      let peak = 0;
      for (let k = start; k < end; k++) {
        const a = Math.abs(q[k]!);
        if (a > peak) peak = a;
      }
      const row = b * CODEBOOKS;
      cost.fill(Infinity, row, row + CODEBOOKS);
      const smallest = smallestCodebook(peak);
      if (smallest === 0) {
        cost[row] = 0;
        for (let cb = 1; cb < CODEBOOKS; cb++) cost[row + cb] = ((end - start) / (QUADS[cb] ? 4 : 2)) * ZERO_TUPLE_BITS[cb]!;
      } else {
        const last = smallest === 11 ? 11 : Math.min(11, smallest + 3);
        for (let cb = smallest; cb <= last; cb++) cost[row + cb] = bandCost(q, start, end, cb);
      }
    }
    // Viterbi: best[b][cb] = cost of bands ≤ b with band b in a section of codebook cb.
    for (let b = 0; b < maxSfb; b++) {
      const row = b * CODEBOOKS;
      let cheapest = Infinity;
      let cheapestCb = 0;
      if (b > 0) {
        for (let cb = 0; cb < CODEBOOKS; cb++) {
          const v = best[row - CODEBOOKS + cb]!;
          if (v < cheapest) {
            cheapest = v;
            cheapestCb = cb;
          }
        }
      }
      for (let cb = 0; cb < CODEBOOKS; cb++) {
        const c = cost[row + cb]!;
        if (c === Infinity) {
          best[row + cb] = Infinity;
          continue;
        }
        if (b === 0) {
          best[row + cb] = header + c;
          from[row + cb] = -1;
          continue;
        }
        const stay = best[row - CODEBOOKS + cb]!;
        const change = cheapest + header;
        if (stay <= change) {
          best[row + cb] = stay + c;
          from[row + cb] = cb;
        } else {
          best[row + cb] = change + c;
          from[row + cb] = cheapestCb;
        }
      }
    }
    let cb = 0;
    let end = Infinity;
    const lastRow = (maxSfb - 1) * CODEBOOKS;
    for (let c = 0; c < CODEBOOKS; c++) {
      if (best[lastRow + c]! < end) {
        end = best[lastRow + c]!;
        cb = c;
      }
    }
    for (let b = maxSfb - 1; b >= 0; b--) {
      out.cb[first + b] = cb;
      const previous = from[b * CODEBOOKS + cb]!;
      if (previous >= 0) cb = previous;
    }
    // Exact bits: the search charged one header per section, escapes of long sections come on top.
    let run = 0;
    for (let b = 0; b < maxSfb; b++) {
      const c = out.cb[first + b]!;
      total += cost[b * CODEBOOKS + c]!;
      run++;
      if (b + 1 === maxSfb || out.cb[first + b + 1] !== c) {
        total += sectionHeaderBits(run, short);
        run = 0;
      }
    }
  }
  return total;
}

export function writeSectionData(w: BitWriter, cb: Uint8Array, numGroups: number, maxSfb: number, short: boolean): void {
  const { cbBits, lenBits, escape } = sectionShape(short);
  for (let g = 0; g < numGroups; g++) {
    const first = g * maxSfb;
    for (let b = 0; b < maxSfb; ) {
      const c = cb[first + b]!;
      let length = 1;
      while (b + length < maxSfb && cb[first + b + length] === c) length++;
      w.write(c, cbBits);
      let left = length;
      while (left >= escape) {
        w.write(escape, lenBits);
        left -= escape;
      }
      w.write(left, lenBits);
      b += length;
    }
  }
}

function scalefactorStep(difference: number): number {
  if (difference < -60 || difference > 60) throw new Error(`scalefactor difference ${difference} is outside ±60`);
  return difference + 60;
}

/** Bits of scale_factor_data: one difference per band whose codebook is not 0, the first from global_gain. */
export function scalefactorBits(sf: Int32Array, cb: Uint8Array, bands: number, globalGain: number): number {
  let bits = 0;
  let last = globalGain;
  for (let j = 0; j < bands; j++) {
    if (cb[j] === 0) continue;
    bits += SCALEFACTOR_CODEBOOK.lengths[scalefactorStep(sf[j]! - last)]!;
    last = sf[j]!;
  }
  return bits;
}

export function writeScalefactors(w: BitWriter, sf: Int32Array, cb: Uint8Array, bands: number, globalGain: number): void {
  let last = globalGain;
  for (let j = 0; j < bands; j++) {
    if (cb[j] === 0) continue;
    const index = scalefactorStep(sf[j]! - last);
    w.write(SCALEFACTOR_CODEBOOK.codes[index]!, SCALEFACTOR_CODEBOOK.lengths[index]!);
    last = sf[j]!;
  }
}

function writeEscape(w: BitWriter, v: number): void {
  const n = 31 - Math.clz32(v) - 4;
  w.write((1 << (n + 1)) - 2, n + 1); // n ones, then a zero
  w.write(v - (1 << (n + 4)), n + 4);
}

export function writeSpectralData(w: BitWriter, q: Int32Array, bandStart: Int32Array, cb: Uint8Array, bands: number): void {
  for (let j = 0; j < bands; j++) {
    const c = cb[j]!;
    if (c === 0) continue;
    const codes = CODES[c]!;
    const lengths = LENGTHS[c]!;
    const unsigned = UNSIGNED[c]!;
    const end = bandStart[j + 1]!;
    if (QUADS[c]) {
      for (let k = bandStart[j]!; k < end; k += 4) {
        const index = quadIndex(c, q[k]!, q[k + 1]!, q[k + 2]!, q[k + 3]!);
        w.write(codes[index]!, lengths[index]!);
        if (unsigned) for (let i = k; i < k + 4; i++) if (q[i] !== 0) w.write(q[i]! < 0 ? 1 : 0, 1);
      }
      continue;
    }
    for (let k = bandStart[j]!; k < end; k += 2) {
      const y = q[k]!;
      const z = q[k + 1]!;
      const index = pairIndex(c, y, z);
      w.write(codes[index]!, lengths[index]!);
      if (!unsigned) continue;
      if (y !== 0) w.write(y < 0 ? 1 : 0, 1);
      if (z !== 0) w.write(z < 0 ? 1 : 0, 1);
      if (c === 11) {
        if (Math.abs(y) >= ESCAPE) writeEscape(w, Math.abs(y));
        if (Math.abs(z) >= ESCAPE) writeEscape(w, Math.abs(z));
      }
    }
  }
}
