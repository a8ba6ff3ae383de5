import { describe, expect, it } from 'vitest';
import { decodeInterleaved, detectRightJustified, type SampleLayout } from '../src/audio/pcm.js';
import { prng } from '../src/dsp/random.js';

/*
 * Every decoder path of decodeInterleaved, checked against values computed here independently:
 * samples are drawn as exact integers (BigInt), encoded to bytes by hand, and the expected
 * Float32 is the correctly rounded value / 2^(bits-1). Each case runs over mono, stereo and
 * 6 channels, at every byte alignment of the source view (0..3, so the aligned typed-array fast
 * paths and the byte-wise fallbacks both run) and with a non-zero output offset, and checks
 * that samples outside the written range are left alone.
 */

const CHANNELS = [1, 2, 6];
const ALIGNMENTS = [0, 1, 2, 3];
const FRAMES = 37; // odd, not a multiple of 4 (catches unrolled loops that overrun or stop short)
const OUT_OFFSET = 5;
const SENTINEL = 12345.5;

const rng = prng;

/** A uniformly random signed integer of `bits` bits, as BigInt. */
function randomSigned(next: () => number, bits: number): bigint {
  let u = 0n;
  for (let got = 0; got < bits; got += 16) u = (u << 16n) | BigInt(Math.floor(next() * 65536));
  u &= (1n << BigInt(bits)) - 1n;
  return u >= 1n << BigInt(bits - 1) ? u - (1n << BigInt(bits)) : u;
}

/** Values every integer case includes: both extremes, zero, ±1 LSB, half scale. */
function edgeValues(bits: number): bigint[] {
  const half = 1n << BigInt(bits - 1);
  return [-half, half - 1n, 0n, 1n, -1n, half / 2n, -half / 2n];
}

/** Two's-complement bytes of `value` in a `bytes`-wide field. */
function intBytes(value: bigint, bytes: number, bigEndian: boolean): number[] {
  const u = BigInt.asUintN(bytes * 8, value);
  const le = Array.from({ length: bytes }, (_, k) => Number((u >> BigInt(8 * k)) & 0xffn));
  return bigEndian ? le.reverse() : le;
}

interface Case {
  layout: SampleLayout;
  /** Encoded bytes of one sample number n (frame-major, channel-minor order). */
  encode: (n: number) => number[];
  /** The Float32 the decoder must produce for sample n. */
  expected: (n: number) => number;
}

/** Runs one case over all channel counts and source alignments. */
function runCase(c: Case): void {
  for (const channels of CHANNELS) {
    const total = FRAMES * channels;
    const payload = Array.from({ length: total }, (_, n) => c.encode(n)).flat();
    expect(payload.length).toBe(total * c.layout.bytes);
    for (const align of ALIGNMENTS) {
      const backing = new Uint8Array(align + payload.length + 16).fill(0xa5);
      backing.set(payload, align);
      const src = backing.subarray(align, align + payload.length);
      const out = Array.from({ length: channels }, () => new Float32Array(OUT_OFFSET + FRAMES + 3).fill(SENTINEL));
      decodeInterleaved(src, FRAMES, channels, c.layout, out, OUT_OFFSET);
      for (let ch = 0; ch < channels; ch++) {
        const want = Array.from({ length: FRAMES }, (_, i) => c.expected(i * channels + ch));
        const got = Array.from(out[ch]!.subarray(OUT_OFFSET, OUT_OFFSET + FRAMES));
        const where = `${JSON.stringify(c.layout)} ${channels}ch align ${align} ch ${ch}`;
        expect(got, where).toEqual(want);
        expect(Array.from(out[ch]!.subarray(0, OUT_OFFSET)), `${where}: wrote before outOffset`).toEqual(Array(OUT_OFFSET).fill(SENTINEL));
        expect(Array.from(out[ch]!.subarray(OUT_OFFSET + FRAMES)), `${where}: wrote past frames`).toEqual([SENTINEL, SENTINEL, SENTINEL]);
      }
    }
  }
}

/**
 * Integer case: `bits` significant bits left-justified in `bytes` (the WAVE/AIFF rule), so the
 * pad bits are zero and full scale is ±1 at the valid depth. Values: edges, then random.
 */
function intCase(bits: number, bytes: number, bigEndian: boolean, seed: number): Case {
  const next = rng(seed);
  const edges = edgeValues(bits);
  const maxSamples = FRAMES * Math.max(...CHANNELS);
  const values = Array.from({ length: maxSamples }, (_, n) => (n < edges.length ? edges[n]! : randomSigned(next, bits)));
  const pad = BigInt(bytes * 8 - bits);
  return {
    layout: { kind: 'int', bytes, bigEndian },
    encode: (n) => intBytes(values[n]! << pad, bytes, bigEndian),
    // Number(bigint) rounds to nearest double; dividing by 2^k is exact; fround then rounds once
    // more, which is innocuous from 53 to 24 bits: the result is the correctly rounded Float32.
    expected: (n) => Math.fround(Number(values[n]!) / 2 ** (bits - 1)),
  };
}

describe('decodeInterleaved: linear integers', () => {
  for (const bigEndian of [false, true]) {
    const order = bigEndian ? 'BE' : 'LE';
    it(`int16 ${order}`, () => runCase(intCase(16, 2, bigEndian, 16)));
    it(`int24 ${order}`, () => runCase(intCase(24, 3, bigEndian, 24)));
    it(`int32 ${order}`, () => runCase(intCase(32, 4, bigEndian, 32)));
    it(`signed 8-bit ${order} (AIFF)`, () => runCase(intCase(8, 1, bigEndian, 8)));
  }

  it('int24 LE: every byte pattern of the top byte decodes with the right sign', () => {
    const values = Array.from({ length: 256 }, (_, top) => BigInt.asIntN(24, (BigInt(top) << 16n) | 0x00a55an));
    const src = new Uint8Array(values.flatMap((v) => intBytes(v, 3, false)));
    for (const channels of [1, 2, 4]) {
      const frames = 256 / channels;
      const out = Array.from({ length: channels }, () => new Float32Array(frames));
      decodeInterleaved(src, frames, channels, { kind: 'int', bytes: 3, bigEndian: false }, out);
      for (let n = 0; n < 256; n++) {
        expect(out[n % channels]![Math.floor(n / channels)]).toBe(Math.fround(Number(values[n]!) / 8388608));
      }
    }
  });

  it('int16 LE aligned fast path: full range of 16-bit words', () => {
    const words = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) words[i] = i - 32768;
    const src = new Uint8Array(words.buffer);
    const out = [new Float32Array(32768), new Float32Array(32768)];
    decodeInterleaved(src, 32768, 2, { kind: 'int', bytes: 2, bigEndian: false }, out);
    for (let i = 0; i < 32768; i++) {
      expect(out[0]![i]).toBe((2 * i - 32768) / 32768);
      expect(out[1]![i]).toBe((2 * i + 1 - 32768) / 32768);
    }
  });

  for (let bits = 5; bits <= 64; bits++) {
    const bytes = Math.ceil(bits / 8);
    for (const bigEndian of [false, true]) {
      it(`${bits}-bit in ${bytes} byte(s) ${bigEndian ? 'BE' : 'LE'}, left-justified`, () => runCase(intCase(bits, bytes, bigEndian, bits * 2 + (bigEndian ? 1 : 0))));
    }
  }

  it('8-bit unsigned (WAV): (byte - 128) / 128 for every byte', () => {
    runCase({
      layout: { kind: 'uint', bytes: 1, bigEndian: false },
      encode: (n) => [(n * 37 + 11) & 0xff],
      expected: (n) => (((n * 37 + 11) & 0xff) - 128) / 128,
    });
    const all = new Uint8Array(256).map((_, i) => i);
    const out = [new Float32Array(256)];
    decodeInterleaved(all, 256, 1, { kind: 'uint', bytes: 1, bigEndian: false }, out);
    expect(out[0]![0]).toBe(-1);
    expect(out[0]![128]).toBe(0);
    expect(out[0]![255]).toBe(127 / 128);
  });

  it('frames = 0 writes nothing', () => {
    const out = [new Float32Array(4).fill(SENTINEL), new Float32Array(4).fill(SENTINEL)];
    for (const bytes of [1, 2, 3, 4, 5, 8]) {
      decodeInterleaved(new Uint8Array(0), 0, 2, { kind: 'int', bytes, bigEndian: false }, out);
    }
    expect(Array.from(out[0]!)).toEqual(Array(4).fill(SENTINEL));
  });
});

describe('decodeInterleaved: right-justified integers', () => {
  // validBits in the LOW bits of the container; the top bits are sign- or zero-extension.
  const shapes: Array<[validBits: number, bytes: number]> = [
    [24, 4],
    [20, 3],
    [20, 4],
    [12, 2],
    [18, 3],
    [48, 8],
  ];
  for (const [validBits, bytes] of shapes) {
    for (const bigEndian of [false, true]) {
      for (const extension of ['sign', 'zero'] as const) {
        it(`${validBits}-in-${bytes * 8} ${bigEndian ? 'BE' : 'LE'}, ${extension}-extended`, () => {
          const next = rng(validBits * 100 + bytes * 10 + (bigEndian ? 1 : 0));
          const edges = edgeValues(validBits);
          const values = Array.from({ length: FRAMES * 6 }, (_, n) => (n < edges.length ? edges[n]! : randomSigned(next, validBits)));
          const stored = (v: bigint) => (extension === 'sign' ? v : BigInt.asUintN(validBits, v));
          runCase({
            layout: { kind: 'int', bytes, bigEndian, rightJustifiedBits: validBits },
            encode: (n) => intBytes(stored(values[n]!), bytes, bigEndian),
            expected: (n) => Math.fround(Number(values[n]!) / 2 ** (validBits - 1)),
          });
        });
      }
    }
  }
});

describe('decodeInterleaved: IEEE float', () => {
  const specials = [0, -0, 1, -1, 0.5, -0.25, 1.5, -2, 1e-40, -1e-45, 3.4e38, Infinity, -Infinity, NaN, 1 / 3, Math.PI];
  for (const bytes of [4, 8] as const) {
    for (const bigEndian of [false, true]) {
      it(`float${bytes * 8} ${bigEndian ? 'BE' : 'LE'}`, () => {
        const next = rng(bytes * 7 + (bigEndian ? 1 : 0));
        // Float64 adds values outside Float32's range: they become Infinity and -0.
        const edges = bytes === 8 ? [...specials, 1e300, -1e-300, 1 + 2 ** -30] : specials;
        const values = Array.from({ length: FRAMES * 6 }, (_, n) =>
          n < edges.length ? edges[n]! : (next() * 2 - 1) * 2 ** Math.floor(next() * 12 - 6),
        );
        runCase({
          layout: { kind: 'float', bytes, bigEndian },
          encode: (n) => {
            const b = new Uint8Array(bytes);
            const dv = new DataView(b.buffer);
            if (bytes === 4) dv.setFloat32(0, values[n]!, !bigEndian);
            else dv.setFloat64(0, values[n]!, !bigEndian);
            return Array.from(b);
          },
          expected: (n) => Math.fround(values[n]!),
        });
      });
    }
  }

  it('float32 keeps -0 and NaN, float64 rounds to nearest Float32', () => {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setFloat64(0, 1 + 2 ** -24 + 2 ** -40, true); // just above a tie: rounds up
    dv.setFloat64(8, 1 + 2 ** -24, true); // exact tie: rounds to even (1)
    dv.setFloat64(16, -0, true);
    const out = [new Float32Array(3)];
    decodeInterleaved(b, 3, 1, { kind: 'float', bytes: 8, bigEndian: false }, out);
    expect(out[0]![0]).toBe(1 + 2 ** -23);
    expect(out[0]![1]).toBe(1);
    expect(Object.is(out[0]![2], -0)).toBe(true);
  });
});

describe('decodeInterleaved: G.711', () => {
  // Reconstruction levels as ITU-T G.711 tabulates them, in 16-bit linear units: A-law segment
  // 0 is (2m+1)·8, segment s ≥ 1 is (2m+33)·2^(s+2); µ-law is (2m+33)·2^(e+2) − 132.
  const alaw = (byte: number) => {
    const a = byte ^ 0x55;
    const s = (a >> 4) & 7;
    const m = a & 15;
    const magnitude = s === 0 ? (2 * m + 1) * 8 : (2 * m + 33) * 2 ** (s + 2);
    return (a & 0x80 ? magnitude : -magnitude) / 32768;
  };
  const mulaw = (byte: number) => {
    const u = ~byte & 0xff;
    const e = (u >> 4) & 7;
    const m = u & 15;
    const magnitude = (2 * m + 33) * 2 ** (e + 2) - 132;
    return (u & 0x80 ? -magnitude : magnitude) / 32768;
  };

  it('A-law: known values', () => {
    const known: Array<[number, number]> = [
      [0xd5, 8],
      [0x55, -8],
      [0xd4, 24],
      [0xaa, 32256],
      [0x2a, -32256],
      [0x80, 5504],
      [0x00, -5504],
      [0xc5, 264],
      [0xff, 848],
    ];
    const out = [new Float32Array(known.length)];
    decodeInterleaved(new Uint8Array(known.map(([b]) => b)), known.length, 1, { kind: 'alaw', bytes: 1, bigEndian: true }, out);
    expect(Array.from(out[0]!, (x) => x * 32768)).toEqual(known.map(([, v]) => v));
  });

  it('µ-law: known values', () => {
    const known: Array<[number, number]> = [
      [0xff, 0],
      [0xfe, 8],
      [0x7e, -8],
      [0x80, 32124],
      [0x00, -32124],
      [0xef, 132],
      [0xf0, 120],
      [0x9f, 8316],
    ];
    const out = [new Float32Array(known.length + 1)];
    decodeInterleaved(new Uint8Array([...known.map(([b]) => b), 0x7f]), known.length + 1, 1, { kind: 'mulaw', bytes: 1, bigEndian: true }, out);
    expect(Array.from(out[0]!.subarray(0, known.length), (x) => x * 32768)).toEqual(known.map(([, v]) => v));
    expect(Math.abs(out[0]![known.length]!)).toBe(0); // 0x7F: "negative zero"
  });

  for (const kind of ['alaw', 'mulaw'] as const) {
    it(`${kind}: all 256 codes, every layout`, () => {
      const reference = kind === 'alaw' ? alaw : mulaw;
      runCase({
        layout: { kind, bytes: 1, bigEndian: false },
        encode: (n) => [(n * 101 + 7) & 0xff],
        expected: (n) => reference((n * 101 + 7) & 0xff),
      });
      const all = new Uint8Array(256).map((_, i) => i);
      const out = [new Float32Array(256)];
      decodeInterleaved(all, 256, 1, { kind, bytes: 1, bigEndian: false }, out);
      expect(Array.from(out[0]!, (x) => x + 0)).toEqual(Array.from(all, (b) => reference(b) + 0));
    });
  }
});

describe('detectRightJustified', () => {
  const bytesOf = (values: bigint[], bytes: number, bigEndian: boolean) => new Uint8Array(values.flatMap((v) => intBytes(v, bytes, bigEndian)));
  it('left-justified 24-in-32 data is not right-justified', () => {
    const src = bytesOf([0x123456n << 8n, -5n << 8n, 0n], 4, false);
    expect(detectRightJustified(src, 4, false, 24)).toBe(false);
  });
  it('sign-extended low-bit 24-in-32 data is right-justified (LE and BE)', () => {
    for (const bigEndian of [false, true]) {
      const src = bytesOf([0x123456n, -5n, 0x7fffffn, -0x800000n], 4, bigEndian);
      expect(detectRightJustified(src, 4, bigEndian, 24)).toBe(true);
    }
  });
  it('data fitting neither rule is read left-justified', () => {
    const src = bytesOf([0x12345678n, 0x01n], 4, false);
    expect(detectRightJustified(src, 4, false, 24)).toBe(false);
  });
  it('no pad bits: never right-justified', () => {
    expect(detectRightJustified(bytesOf([1n, 3n], 3, false), 3, false, 24)).toBe(false);
  });
});
