import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { adtsFrame } from './helpers/adts.js';
import { BitWriter } from '../src/audio/aac/bit-writer.js';
import {
  bandCost,
  chooseSections,
  ESC_HCB,
  minimalCodebook,
  scalefactorBits,
  sectionDataBits,
  spectralDataBits,
  writeScalefactors,
  writeSectionData,
  writeSpectralData,
  ZERO_HCB,
} from '../src/audio/aac/noiseless.js';
import { AAC_SAMPLE_RATES, SCALEFACTOR_CODES, SCALEFACTOR_LENGTHS, SPECTRAL_CODEBOOKS, swbCount, swbOffsets } from '../src/audio/aac/tables.js';
import { prng } from '../src/dsp/random.js';

/*
 * The encoder side is judged by a small decoder written here from the spec's rules (ISO/IEC 14496-3
 * 4.6.3): decode trees built from the same code tables, the spec's index layout of each book written
 * out again below (not read from the encoder's descriptors), sign bits and escapes in the spec's order.
 */

const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!HAVE_FFMPEG && process.env.CI) throw new Error('CI=true but ffmpeg is not on PATH (.ci/run installs it)');

/** The spec's layout per book: tuple size, unsigned (|v| + sign bits) or signed (v + lav), LAV. */
const SPEC_LAYOUT: Record<number, { dim: number; unsigned: boolean; lav: number }> = {
  1: { dim: 4, unsigned: false, lav: 1 },
  2: { dim: 4, unsigned: false, lav: 1 },
  3: { dim: 4, unsigned: true, lav: 2 },
  4: { dim: 4, unsigned: true, lav: 2 },
  5: { dim: 2, unsigned: false, lav: 4 },
  6: { dim: 2, unsigned: false, lav: 4 },
  7: { dim: 2, unsigned: true, lav: 7 },
  8: { dim: 2, unsigned: true, lav: 7 },
  9: { dim: 2, unsigned: true, lav: 12 },
  10: { dim: 2, unsigned: true, lav: 12 },
  11: { dim: 2, unsigned: true, lav: 16 },
};

class BitReader {
  position = 0;
  constructor(private readonly bytes: Uint8Array) {}
  bit(): number {
    const byte = this.bytes[this.position >>> 3];
    if (byte === undefined) throw new Error('read past the end');
    const value = (byte >>> (7 - (this.position & 7))) & 1;
    this.position++;
    return value;
  }
  read(bits: number): number {
    let value = 0;
    for (let i = 0; i < bits; i++) value = value * 2 + this.bit();
    return value;
  }
}

/** A decoder for one prefix code: reads bit by bit until the bits read so far are a codeword. */
function decoderOf(codes: ArrayLike<number>, lengths: ArrayLike<number>): (r: BitReader) => number {
  const byCode = new Map<string, number>();
  for (let i = 0; i < codes.length; i++) byCode.set(`${lengths[i]}:${codes[i]}`, i);
  return (r) => {
    let code = 0;
    for (let length = 1; length <= 19; length++) {
      code = code * 2 + r.bit();
      const index = byCode.get(`${length}:${code}`);
      if (index !== undefined) return index;
    }
    throw new Error('no codeword matches');
  };
}

const decodeScalefactorIndex = decoderOf(SCALEFACTOR_CODES, SCALEFACTOR_LENGTHS);
const spectralDecoders = new Map<number, (r: BitReader) => number>();
for (let cb = 1; cb <= 11; cb++) spectralDecoders.set(cb, decoderOf(SPECTRAL_CODEBOOKS[cb]!.codes, SPECTRAL_CODEBOOKS[cb]!.lengths));

function readEscape(r: BitReader): number {
  let n = 0;
  while (r.bit() === 1) n++;
  return (1 << (n + 4)) | r.read(n + 4);
}

function decodeSectionData(r: BitReader, numGroups: number, maxSfb: number, isShort: boolean): Uint8Array {
  const lengthBits = isShort ? 3 : 5;
  const escape = (1 << lengthBits) - 1;
  const cb = new Uint8Array(numGroups * maxSfb);
  for (let g = 0; g < numGroups; g++) {
    for (let k = 0; k < maxSfb; ) {
      const book = r.read(4);
      let length = 0, increment: number;
      do {
        increment = r.read(lengthBits);
        length += increment;
      } while (increment === escape);
      if (length === 0 || k + length > maxSfb) throw new Error(`bad section length ${length} at ${k}`);
      cb.fill(book, g * maxSfb + k, g * maxSfb + k + length);
      k += length;
    }
  }
  return cb;
}

function decodeScalefactors(r: BitReader, cb: Uint8Array, globalGain: number): Int32Array {
  const sf = new Int32Array(cb.length);
  let previous = globalGain;
  for (let j = 0; j < cb.length; j++) {
    if (cb[j] === 0) continue;
    previous += decodeScalefactorIndex(r) - 60;
    sf[j] = previous;
  }
  return sf;
}

function decodeSpectralData(r: BitReader, bandStart: Int32Array, cb: Uint8Array): Int32Array {
  const q = new Int32Array(bandStart[cb.length]);
  for (let j = 0; j < cb.length; j++) {
    if (cb[j] === 0) continue;
    const { dim, unsigned, lav } = SPEC_LAYOUT[cb[j]];
    const modulus = unsigned ? lav + 1 : 2 * lav + 1;
    for (let i = bandStart[j]; i < bandStart[j + 1]; i += dim) {
      let index = spectralDecoders.get(cb[j])!(r);
      for (let k = dim - 1; k >= 0; k--) {
        q[i + k] = (index % modulus) - (unsigned ? 0 : lav);
        index = Math.floor(index / modulus);
      }
      if (unsigned) for (let k = 0; k < dim; k++) if (q[i + k] !== 0 && r.bit() === 1) q[i + k] = -q[i + k];
      if (cb[j] === 11) for (let k = 0; k < 2; k++) if (Math.abs(q[i + k]) === 16) q[i + k] = Math.sign(q[i + k]) * readEscape(r);
    }
  }
  return q;
}

/** Band magnitudes: zero, each LAV and one past it, escapes up to the maximum. */
const BAND_MAXIMA = [0, 0, 0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 15, 16, 17, 31, 32, 100, 1000, 4095, 4096, 8191];

interface Layout {
  numGroups: number;
  maxSfb: number;
  isShort: boolean;
  bandStart: Int32Array;
}

function longLayout(sampleRate: number, maxSfb = swbCount(sampleRate, false)): Layout {
  const offsets = swbOffsets(sampleRate, false);
  return { numGroups: 1, maxSfb, isShort: false, bandStart: Int32Array.from(offsets.subarray(0, maxSfb + 1)) };
}

/** Interleaved short windows: band (g, sfb) spans every window of group g. */
function shortLayout(sampleRate: number, windowsPerGroup: number[], maxSfb = swbCount(sampleRate, true)): Layout {
  const offsets = swbOffsets(sampleRate, true);
  const bandStart = new Int32Array(windowsPerGroup.length * maxSfb + 1);
  let at = 0, j = 0;
  for (const windows of windowsPerGroup) {
    for (let sfb = 0; sfb < maxSfb; sfb++) {
      bandStart[j++] = at;
      at += windows * (offsets[sfb + 1] - offsets[sfb]);
    }
  }
  bandStart[j] = at;
  return { numGroups: windowsPerGroup.length, maxSfb, isShort: true, bandStart };
}

/** Random values per band, each band reaching its drawn maximum (positive or negative) at least once. */
function randomSpectrum(random: () => number, bandStart: Int32Array, maxima = BAND_MAXIMA): Int32Array {
  const bands = bandStart.length - 1;
  const q = new Int32Array(bandStart[bands]);
  for (let j = 0; j < bands; j++) {
    const max = maxima[Math.floor(random() * maxima.length)];
    const start = bandStart[j], end = bandStart[j + 1];
    for (let i = start; i < end; i++) {
      const magnitude = random() < 0.4 ? 0 : Math.floor(random() * (max + 1));
      q[i] = random() < 0.5 ? -magnitude : magnitude;
    }
    if (max > 0) q[start + Math.floor(random() * (end - start))] = random() < 0.5 ? -max : max;
  }
  return q;
}

/** A music-like frame: magnitudes falling with frequency, many zero bands at the top. */
function typicalSpectrum(random: () => number, bandStart: Int32Array): Int32Array {
  const q = new Int32Array(bandStart[bandStart.length - 1]);
  for (let i = 0; i < q.length; i++) {
    const scale = 40 * Math.exp(-i / 90);
    const magnitude = Math.floor(-Math.log(1 - random()) * scale * 0.5);
    q[i] = random() < 0.5 ? -magnitude : magnitude;
  }
  return q;
}

function randomScalefactors(random: () => number, cb: Uint8Array, globalGain: number): Int32Array {
  const sf = new Int32Array(cb.length);
  let previous = globalGain;
  for (let j = 0; j < cb.length; j++) {
    if (cb[j] === 0) continue;
    const step = random() < 0.1 ? Math.round((random() * 2 - 1) * 60) : Math.round((random() * 2 - 1) * 6);
    previous = Math.max(0, Math.min(255, previous + step));
    sf[j] = previous;
  }
  return sf;
}

describe('AAC codebooks', () => {
  const books: [string, ArrayLike<number>, ArrayLike<number>, number][] = [['scalefactor', SCALEFACTOR_CODES, SCALEFACTOR_LENGTHS, 121]];
  const sizes = [0, 81, 81, 81, 81, 81, 81, 64, 64, 169, 169, 289];
  for (let cb = 1; cb <= 11; cb++) books.push([`spectral ${cb}`, SPECTRAL_CODEBOOKS[cb]!.codes, SPECTRAL_CODEBOOKS[cb]!.lengths, sizes[cb]]);

  for (const [name, codes, lengths, size] of books) {
    it(`${name}: ${size} codewords forming a complete prefix code`, () => {
      expect(codes.length).toBe(size);
      expect(lengths.length).toBe(size);
      // Kraft sum exactly 1, in integers: Σ 2^(19 − length) = 2^19.
      let kraft = 0;
      for (let i = 0; i < size; i++) {
        expect(lengths[i]).toBeGreaterThan(0);
        expect(lengths[i]).toBeLessThanOrEqual(19);
        expect(codes[i]).toBeLessThan(2 ** lengths[i]);
        kraft += 2 ** (19 - lengths[i]);
      }
      expect(kraft).toBe(2 ** 19);
      for (let a = 0; a < size; a++) {
        for (let b = 0; b < size; b++) {
          if (a === b || lengths[a] > lengths[b]) continue;
          const prefixOfB = Math.floor(codes[b] / 2 ** (lengths[b] - lengths[a]));
          if (prefixOfB === codes[a]) throw new Error(`${name}: code ${a} is a prefix of code ${b}`);
        }
      }
    });
  }

  it('codewords sit at the spec index of their values (spot checks from an independent decoder table)', () => {
    // [book, values, length, codeword], taken from aac.js's decoder tables, which list values, not indices
    const spots: [number | 'sf', number[], number, number][] = [
  [1, [1, 1, 1, -1], 11, 2047],
  [1, [1, -1, -1, 0], 9, 487],
  [1, [0, 0, 0, -1], 5, 18],
  [2, [1, 1, 1, -1], 9, 511],
  [2, [-1, 1, 1, 0], 7, 107],
  [2, [0, 0, 0, 1], 5, 7],
  [3, [2, 0, 2, 2], 16, 65535],
  [3, [2, 1, 1, 1], 10, 1006],
  [3, [0, 1, 0, 0], 4, 10],
  [4, [2, 0, 2, 2], 12, 4095],
  [4, [0, 2, 0, 1], 8, 241],
  [4, [1, 1, 1, 0], 4, 3],
  [5, [-4, -4], 13, 8191],
  [5, [2, -3], 10, 1003],
  [5, [-1, 0], 4, 8],
  [6, [4, -4], 11, 2047],
  [6, [2, 3], 8, 236],
  [6, [1, 0], 4, 1],
  [7, [7, 7], 12, 4095],
  [7, [3, 4], 9, 497],
  [7, [1, 0], 3, 4],
  [8, [7, 7], 10, 1023],
  [8, [4, 0], 7, 113],
  [8, [2, 1], 4, 2],
  [9, [12, 12], 15, 32767],
  [9, [11, 2], 12, 4041],
  [9, [1, 0], 3, 4],
  [10, [12, 12], 12, 4095],
  [10, [9, 5], 9, 471],
  [10, [1, 2], 4, 1],
  [11, [15, 15], 12, 4095],
  [11, [11, 5], 9, 452],
  [11, [1, 0], 5, 5],
  ['sf', [0], 1, 0],
  ['sf', [-3], 5, 26],
  ['sf', [-47], 19, 524287],
      [11, [16, 16], 5, 4],
      [11, [0, 0], 4, 0],
    ];
    for (const [cb, values, length, code] of spots) {
      if (cb === 'sf') {
        expect([SCALEFACTOR_LENGTHS[values[0] + 60], SCALEFACTOR_CODES[values[0] + 60]]).toEqual([length, code]);
        continue;
      }
      const { unsigned, lav } = SPEC_LAYOUT[cb];
      const modulus = unsigned ? lav + 1 : 2 * lav + 1;
      const index = values.reduce((acc, v) => acc * modulus + (unsigned ? Math.abs(v) : v + lav), 0);
      expect([cb, values, SPECTRAL_CODEBOOKS[cb]!.lengths[index], SPECTRAL_CODEBOOKS[cb]!.codes[index]]).toEqual([cb, values, length, code]);
    }
  });

  it('the encoder descriptors agree with the spec layout', () => {
    for (let cb = 1; cb <= 11; cb++) {
      const book = SPECTRAL_CODEBOOKS[cb]!;
      expect({ dim: book.dimension, unsigned: book.unsigned, lav: book.lav }).toEqual(SPEC_LAYOUT[cb]);
    }
  });

  it('scalefactor band offsets for every AAC rate', () => {
    const longBands = [41, 41, 47, 49, 49, 51, 47, 47, 43, 43, 43, 40, 40];
    const shortBands = [12, 12, 12, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15];
    AAC_SAMPLE_RATES.forEach((rate, i) => {
      for (const [isShort, bands, length] of [[false, longBands[i], 1024], [true, shortBands[i], 128]] as const) {
        const offsets = swbOffsets(rate, isShort);
        expect(swbCount(rate, isShort)).toBe(bands);
        expect(offsets[0]).toBe(0);
        expect(offsets[bands]).toBe(length);
        for (let b = 0; b < bands; b++) {
          const width = offsets[b + 1] - offsets[b];
          expect(width > 0 && width % 4 === 0).toBe(true);
        }
      }
    });
    // spot values of ISO/IEC 14496-3 Tables 4.131 (48/44.1 kHz long) and 4.130 (short)
    expect(Array.from(swbOffsets(44100, false).subarray(45))).toEqual([832, 864, 896, 928, 1024]);
    expect(Array.from(swbOffsets(48000, true))).toEqual([0, 4, 8, 12, 16, 20, 28, 36, 44, 56, 68, 80, 96, 112, 128]);
    expect(Array.from(swbOffsets(64000, true))).toEqual([0, 4, 8, 12, 16, 20, 24, 32, 40, 48, 64, 92, 128]);
    expect(() => swbOffsets(44000, false)).toThrow();
  });
});

describe('BitWriter', () => {
  it('writes MSB-first across 32-bit word boundaries', () => {
    const random = prng(7);
    const w = new BitWriter(8); // small, so it has to grow
    const written: [number, number][] = [];
    for (let n = 0; n < 5000; n++) {
      const bits = Math.floor(random() * 33);
      const value = bits === 0 ? 0 : Math.floor(random() * 2 ** bits);
      w.write(value, bits);
      written.push([value, bits]);
    }
    const r = new BitReader(w.bytes());
    let total = 0;
    for (const [value, bits] of written) {
      expect(r.read(bits)).toBe(value);
      total += bits;
    }
    expect(w.bitLength).toBe(total);
    expect(w.bytes().length).toBe(Math.ceil(total / 8));
  });

  it('writes full 32-bit values at every alignment and ignores bits above the width', () => {
    for (let lead = 0; lead < 32; lead++) {
      const w = new BitWriter();
      w.write(0, lead);
      w.write(0xdeadbeef, 32);
      w.write(-1, 3); // two's complement: 111
      w.write(0xf0, 4); // only the low nibble (0000)
      const r = new BitReader(w.bytes());
      expect(r.read(lead)).toBe(0);
      expect(r.read(32)).toBe(0xdeadbeef);
      expect(r.read(3)).toBe(7);
      expect(r.read(4)).toBe(0);
    }
  });

  it('aligns to bytes with zero bits, pads the last byte, and resets for reuse', () => {
    const w = new BitWriter(4);
    w.write(1, 1);
    w.alignToByte();
    expect(w.bitLength).toBe(8);
    w.alignToByte();
    expect(w.bitLength).toBe(8);
    w.write(0b101, 3);
    expect(Array.from(w.bytes())).toEqual([0x80, 0xa0]);
    w.reset();
    expect(w.bitLength).toBe(0);
    expect(w.bytes().length).toBe(0);
    for (let i = 0; i < 100; i++) w.write(0xabc, 12);
    const target = new Uint8Array(160);
    expect(w.copyTo(target, 10)).toBe(150);
    expect(Array.from(target.subarray(10, 13))).toEqual([0xab, 0xca, 0xbc]);
  });
});

describe('AAC noiseless coding', () => {
  it('bandCost is exactly the bits written, for every codebook and many random bands', () => {
    const random = prng(11);
    const w = new BitWriter();
    let fitted = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const width = 4 * (1 + Math.floor(random() * 16));
      const max = BAND_MAXIMA[Math.floor(random() * BAND_MAXIMA.length)];
      const bandStart = Int32Array.of(0, width);
      const q = randomSpectrum(random, bandStart, [max]);
      for (let cb = 0; cb <= 11; cb++) {
        const cost = bandCost(q, 0, width, cb);
        const cbs = Uint8Array.of(cb);
        w.reset();
        if (cost === Infinity) {
          expect(cb === 0 ? max > 0 : max > SPEC_LAYOUT[cb].lav || (cb === 11 && max > 8191)).toBe(true);
          if (cb !== 0) expect(() => writeSpectralData(w, q, bandStart, cbs, 1)).toThrow();
          continue;
        }
        writeSpectralData(w, q, bandStart, cbs, 1);
        expect(w.bitLength).toBe(cost);
        if (cb !== 0) {
          expect(Array.from(decodeSpectralData(new BitReader(w.bytes()), bandStart, cbs))).toEqual(Array.from(q));
          fitted++;
        }
      }
      if (max <= 15 && max > 0) expect(bandCost(q, 0, width, minimalCodebook(max))).toBeLessThan(Infinity);
    }
    expect(fitted).toBeGreaterThan(10000);
  });

  it('escapes: every magnitude 16..8191 costs its sequence, and 8192 does not fit', () => {
    const w = new BitWriter();
    const bandStart = Int32Array.of(0, 4);
    for (let v = 16; v <= 8191; v++) {
      const q = Int32Array.of(v, -v, 0, 1);
      const cost = bandCost(q, 0, 4, ESC_HCB);
      w.reset();
      writeSpectralData(w, q, bandStart, Uint8Array.of(ESC_HCB), 1);
      expect(w.bitLength).toBe(cost);
      expect(Array.from(decodeSpectralData(new BitReader(w.bytes()), bandStart, Uint8Array.of(ESC_HCB)))).toEqual([v, -v, 0, 1]);
    }
    expect(bandCost(Int32Array.of(8192, 0, 0, 0), 0, 4, ESC_HCB)).toBe(Infinity);
    expect(() => minimalCodebook(8192)).toThrow();
  });

  const layouts: [string, Layout][] = [
    ['long 44.1 kHz', longLayout(44100)],
    ['long 48 kHz, max_sfb 40', longLayout(48000, 40)],
    ['long 8 kHz', longLayout(8000)],
    ['long 96 kHz', longLayout(96000)],
    ['short 44.1 kHz, groups 4+3+1', shortLayout(44100, [4, 3, 1])],
    ['short 24 kHz, 8 groups, max_sfb 11', shortLayout(24000, [1, 1, 1, 1, 1, 1, 1, 1], 11)],
    ['short 48 kHz, one group of 8', shortLayout(48000, [8])],
    ['long, max_sfb 0', longLayout(44100, 0)],
  ];

  for (const [name, layout] of layouts) {
    it(`round trip of sections, scalefactors and spectra: ${name}`, () => {
      const random = prng(name.length * 97 + layout.maxSfb);
      const { numGroups, maxSfb, isShort, bandStart } = layout;
      const nBands = numGroups * maxSfb;
      for (let trial = 0; trial < 20; trial++) {
        const q = trial % 2 === 0 ? randomSpectrum(random, bandStart) : typicalSpectrum(random, bandStart);
        const cb = new Uint8Array(nBands);
        const chosenBits = chooseSections(q, bandStart, numGroups, maxSfb, isShort, { cb });
        const globalGain = 100 + Math.floor(random() * 50);
        const sf = randomScalefactors(random, cb, globalGain);

        const w = new BitWriter(64);
        w.write(globalGain, 8);
        writeSectionData(w, cb, numGroups, maxSfb, isShort);
        const sectionEnd = w.bitLength;
        writeScalefactors(w, sf, cb, nBands, globalGain);
        const scalefactorEnd = w.bitLength;
        writeSpectralData(w, q, bandStart, cb, nBands);
        // chooseSections' count is exactly what section + spectral data took
        expect(sectionEnd - 8 + (w.bitLength - scalefactorEnd)).toBe(chosenBits);
        expect(sectionDataBits(cb, numGroups, maxSfb, isShort)).toBe(sectionEnd - 8);
        expect(scalefactorBits(sf, cb, nBands, globalGain)).toBe(scalefactorEnd - sectionEnd);
        expect(spectralDataBits(q, bandStart, cb, nBands)).toBe(w.bitLength - scalefactorEnd);

        const r = new BitReader(w.bytes());
        expect(r.read(8)).toBe(globalGain);
        const decodedCb = decodeSectionData(r, numGroups, maxSfb, isShort);
        expect(Array.from(decodedCb)).toEqual(Array.from(cb));
        expect(Array.from(decodeScalefactors(r, decodedCb, globalGain))).toEqual(Array.from(sf).map((v, j) => (cb[j] === 0 ? 0 : v)));
        expect(Array.from(decodeSpectralData(r, bandStart, decodedCb))).toEqual(Array.from(q.subarray(0, bandStart[nBands])));
        expect(r.position).toBe(w.bitLength);
      }
    });
  }

  it('sections longer than the sect_len escape (31 long, 7 short) round-trip', () => {
    for (const layout of [longLayout(32000), shortLayout(44100, [8])]) {
      const { numGroups, maxSfb, isShort } = layout;
      const cb = new Uint8Array(maxSfb).fill(7);
      if (!isShort) cb.fill(3, 31, 31 + 7); // lengths 31, 7 and 13
      const w = new BitWriter();
      writeSectionData(w, cb, numGroups, maxSfb, isShort);
      expect(w.bitLength).toBe(sectionDataBits(cb, numGroups, maxSfb, isShort));
      expect(w.bitLength).toBe(isShort ? 4 + 3 * 3 : 3 * 4 + 5 * 2 + 5 + 5);
      expect(Array.from(decodeSectionData(new BitReader(w.bytes()), numGroups, maxSfb, isShort))).toEqual(Array.from(cb));
    }
  });

  it('chooseSections is never worse than each band with its own minimal codebook, and zero bands get ZERO_HCB when alone', () => {
    const random = prng(5);
    for (const [, layout] of layouts) {
      const { numGroups, maxSfb, isShort, bandStart } = layout;
      const nBands = numGroups * maxSfb;
      for (let trial = 0; trial < 30; trial++) {
        const q = trial % 3 === 0 ? randomSpectrum(random, bandStart) : typicalSpectrum(random, bandStart);
        const minimal = new Uint8Array(nBands);
        for (let j = 0; j < nBands; j++) {
          let max = 0;
          for (let i = bandStart[j]; i < bandStart[j + 1]; i++) max = Math.max(max, Math.abs(q[i]));
          minimal[j] = minimalCodebook(max);
        }
        const baseline = sectionDataBits(minimal, numGroups, maxSfb, isShort) + spectralDataBits(q, bandStart, minimal, nBands);
        const cb = new Uint8Array(nBands);
        const bits = chooseSections(q, bandStart, numGroups, maxSfb, isShort, { cb });
        expect(bits).toBeLessThanOrEqual(baseline);
        for (let j = 0; j < nBands; j++) expect(bandCost(q, bandStart[j], bandStart[j + 1], cb[j])).toBeLessThan(Infinity);
      }
    }
    // an all-zero frame is one ZERO_HCB section per group
    const layout = shortLayout(44100, [2, 2, 4]);
    const cb = new Uint8Array(3 * 14).fill(9);
    const bits = chooseSections(new Int32Array(1024), layout.bandStart, 3, 14, true, { cb });
    expect(Array.from(cb).every((b) => b === ZERO_HCB)).toBe(true);
    expect(bits).toBe(3 * (4 + 3 * 3));
  });

  it('chooseSections finds the optimum: brute force over every codebook assignment of 4 bands', () => {
    const random = prng(99);
    const layout = longLayout(44100, 4);
    const sixteen = Int32Array.of(0, 4, 8, 24, 40); // widths 4, 4, 16, 16
    for (const bandStart of [layout.bandStart, sixteen]) {
      for (let trial = 0; trial < 25; trial++) {
        const q = randomSpectrum(random, bandStart, [0, 0, 1, 1, 2, 3, 5, 9, 20]);
        const cb = new Uint8Array(4);
        const bits = chooseSections(q, bandStart, 1, 4, false, { cb });
        let optimum = Infinity;
        const trialCb = new Uint8Array(4);
        for (let code = 0; code < 12 ** 4; code++) {
          for (let j = 0, c = code; j < 4; j++, c = Math.floor(c / 12)) trialCb[j] = c % 12;
          let spectral = 0; // bandCost, unlike spectralDataBits, refuses nonzero values in a ZERO_HCB band
          for (let j = 0; j < 4; j++) spectral += bandCost(q, bandStart[j], bandStart[j + 1], trialCb[j]);
          if (spectral === Infinity) continue;
          optimum = Math.min(optimum, spectral + sectionDataBits(trialCb, 1, 4, false));
        }
        expect(bits).toBe(optimum);
      }
    }
  });

  it('chooseSections matches a plain O(n²) dynamic program on whole frames (sections past the sect_len escape included)', () => {
    const random = prng(123);
    /** Fewest section + spectral bits of one group, by trying every last section [i, j) and book. */
    function reference(q: Int32Array, bandStart: Int32Array, g: number, maxSfb: number, isShort: boolean): number {
      const [lengthBits, escape] = isShort ? [3, 7] : [5, 31];
      const best = [0];
      for (let j = 1; j <= maxSfb; j++) {
        best[j] = Infinity;
        for (let i = 0; i < j; i++) {
          for (let cb = 0; cb <= 11; cb++) {
            let spectral = 0;
            for (let b = i; b < j; b++) spectral += bandCost(q, bandStart[g * maxSfb + b], bandStart[g * maxSfb + b + 1], cb);
            best[j] = Math.min(best[j], best[i] + spectral + 4 + lengthBits * (Math.floor((j - i) / escape) + 1));
          }
        }
      }
      return best[maxSfb];
    }
    for (const [, layout] of layouts) {
      const { numGroups, maxSfb, isShort, bandStart } = layout;
      for (let trial = 0; trial < 4; trial++) {
        // mostly small values and zeros, so long cheap sections compete with short ones
        const q = trial % 2 === 0 ? randomSpectrum(random, bandStart, [0, 0, 0, 1, 1, 1, 2, 3]) : typicalSpectrum(random, bandStart);
        let expected = 0;
        for (let g = 0; g < numGroups; g++) expected += reference(q, bandStart, g, maxSfb, isShort);
        const cb = new Uint8Array(numGroups * maxSfb);
        expect(chooseSections(q, bandStart, numGroups, maxSfb, isShort, { cb })).toBe(expected);
      }
    }
  });

  it('scalefactors: differences are from global_gain then from the previous coded band; ±60 is the limit', () => {
    const cb = Uint8Array.of(0, 5, 0, 11, 1);
    const sf = Int32Array.of(999, 160, -5, 100, 101);
    const w = new BitWriter();
    writeScalefactors(w, sf, cb, 5, 100);
    // +60, −60, +1
    expect(w.bitLength).toBe(SCALEFACTOR_LENGTHS[120] + SCALEFACTOR_LENGTHS[0] + SCALEFACTOR_LENGTHS[61]);
    expect(scalefactorBits(sf, cb, 5, 100)).toBe(w.bitLength);
    expect(Array.from(decodeScalefactors(new BitReader(w.bytes()), cb, 100))).toEqual([0, 160, 0, 100, 101]);
    expect(() => scalefactorBits(Int32Array.of(161), Uint8Array.of(1), 1, 100)).toThrow(/61/);
    expect(() => writeScalefactors(w, Int32Array.of(100, 39), Uint8Array.of(1, 1), 2, 100)).toThrow(/-61/);
  });
});

/*
 * FFmpeg's AAC decoder as the judge. Each test frame is the smallest legal AAC-LC access unit around
 * the noiseless coder's output: an ADTS header (44.1 kHz, mono), one SCE whose ics_info says long or
 * eight short windows, the section, scalefactor and spectral data written here, no pulse/TNS/gain
 * control, ID_END. (Written for this test only; the encoder assembles its own frames.)
 */
interface JudgedFrame {
  q: Int32Array;
  sf: Int32Array;
  windowsPerGroup: number[];
  layout: Layout;
}

function judgedFrame(frame: JudgedFrame, cb: Uint8Array, gainShift: number): Uint8Array {
  const { numGroups, maxSfb, isShort, bandStart } = frame.layout;
  const nBands = numGroups * maxSfb;
  const sf = Int32Array.from(frame.sf, (v) => v + gainShift);
  const w = new BitWriter();
  w.write(0, 3); // ID_SCE
  w.write(0, 4); // element_instance_tag
  w.write(100 + gainShift, 8); // global_gain
  w.write(0, 1); // ics_reserved_bit
  w.write(isShort ? 2 : 0, 2); // EIGHT_SHORT_SEQUENCE or ONLY_LONG_SEQUENCE
  w.write(0, 1); // window_shape
  if (isShort) {
    w.write(maxSfb, 4);
    let grouping = 0; // bit per window 1..7: 1 = same group as the window before
    frame.windowsPerGroup.flatMap((size) => Array.from({ length: size }, (_, k) => (k === 0 ? 0 : 1))).slice(1).forEach((bit) => (grouping = (grouping << 1) | bit));
    w.write(grouping, 7);
  } else {
    w.write(maxSfb, 6);
    w.write(0, 1); // predictor_data_present
  }
  writeSectionData(w, cb, numGroups, maxSfb, isShort);
  writeScalefactors(w, sf, cb, nBands, 100 + gainShift);
  w.write(0, 3); // pulse_data_present, tns_data_present, gain_control_data_present
  writeSpectralData(w, frame.q, bandStart, cb, nBands);
  w.write(7, 3); // ID_END
  w.alignToByte();
  return adtsFrame(w.bytes(), 44100, 1);
}

function ffmpegDecode(frames: Uint8Array[]): Float32Array {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-f', 'aac', '-i', 'pipe:0', '-f', 'f32le', '-'], { input: Buffer.concat(frames), maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  expect(r.stderr.toString()).toBe('');
  return new Float32Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength));
}

describe.skipIf(!HAVE_FFMPEG)("FFmpeg's AAC decoder reads the noiseless coding (needs ffmpeg on PATH)", () => {
  const cases: [string, number[], Layout][] = [
    ['long windows', [1], longLayout(44100)],
    ['short windows in groups 3+1+4', [3, 1, 4], shortLayout(44100, [3, 1, 4])],
  ];
  for (const [name, windowsPerGroup, layout] of cases) {
    it(`${name}: the same spectra decode identically whatever the codebooks, and escapes decode to their magnitudes`, () => {
      const random = prng(name.length);
      const { numGroups, maxSfb, isShort, bandStart } = layout;
      const nBands = numGroups * maxSfb;
      const frames: JudgedFrame[] = [];
      for (let n = 0; n < 24; n++) {
        const q = randomSpectrum(random, bandStart, [0, 0, 1, 2, 3, 4, 7, 12, 15, 16, 40, 300, 1023]);
        // a scalefactor for every band, a gentle walk, so any band may be coded with a real book
        const sf = new Int32Array(nBands);
        for (let j = 0, s = 100; j < nBands; j++) sf[j] = s = Math.max(70, Math.min(130, s + Math.round((random() * 2 - 1) * 5)));
        frames.push({ q, sf, windowsPerGroup, layout });
      }
      const chosen = (f: JudgedFrame) => {
        const cb = new Uint8Array(nBands);
        chooseSections(f.q, bandStart, numGroups, maxSfb, isShort, { cb });
        return cb;
      };
      const everyBandEscape = () => new Uint8Array(nBands).fill(ESC_HCB);
      const minimal = (f: JudgedFrame) =>
        Uint8Array.from({ length: nBands }, (_, j) => minimalCodebook(f.q.subarray(bandStart[j], bandStart[j + 1]).reduce((m, v) => Math.max(m, Math.abs(v)), 0)));

      const pcm = ffmpegDecode(frames.map((f) => judgedFrame(f, chosen(f), 0)));
      expect(pcm.length).toBe(1024 * frames.length);
      expect(pcm.some((v) => v !== 0)).toBe(true);
      expect(ffmpegDecode(frames.map((f) => judgedFrame(f, everyBandEscape(), 0)))).toEqual(pcm);
      expect(ffmpegDecode(frames.map((f) => judgedFrame(f, minimal(f), 0)))).toEqual(pcm);

      // |8v|^(4/3) = 2^(16/4) |v|^(4/3): 8v at scalefactor s is v at s + 16, so the decoder must read
      // the escapes of 8v (up to 8184) as exactly eight times v.
      const times8 = frames.map((f) => ({ ...f, q: f.q.map((v) => 8 * v) }));
      expect(ffmpegDecode(times8.map((f) => judgedFrame(f, chosen(f), 0)))).toEqual(ffmpegDecode(frames.map((f) => judgedFrame(f, chosen(f), 16))));
    });
  }
});
