import { describe, expect, it } from 'vitest';
import { encodeInterleaved } from '../src/audio/pcm-encode.js';
import { createProcessor } from '../src/dsp/processors/index.js';
import {
  addScaled,
  allFinite,
  allocateBytes,
  allocateDoubles,
  addScaled2,
  addScaled4,
  allocateIndices,
  allocateSamples,
  arenaInUse,
  dot,
  inArena,
  monoStats,
  pickedMono,
  releaseSamples,
  residual,
  scale,
  stereoStats,
  unitySum,
} from '../src/dsp/simd.js';
import { prng } from './helpers/signals.js';

/** Float32 partial sums of 16 per lane: within 2⁻²⁰ of the sum of magnitudes (see assembly/stats.ts). */
const F32_PARTIALS = 2 ** -20;

function noise(n: number, seed: number, amplitude = 0.5): Float32Array {
  const rnd = prng(seed);
  return Float32Array.from({ length: n }, () => amplitude * (2 * rnd() - 1));
}

/** The same samples in the kernels' memory. */
function inKernelMemory(x: Float32Array): Float32Array {
  const y = allocateSamples(x.length);
  y.set(x);
  return y;
}

// Lengths around the SIMD width and the staging chunk (16384 frames), and a long one.
const LENGTHS = [0, 1, 3, 4, 5, 63, 64, 65, 1001, 16383, 16384, 16385, 40_000];

describe('SIMD kernels: the same answers as the obvious loops, in the arena and outside it', () => {
  it('monoStats and stereoStats: exact sums of PCM samples, products within the documented bound, exact peaks', () => {
    for (const n of LENGTHS) {
      // PCM-like samples (multiples of 2⁻²³): their float64 sums are exact in any order.
      const l = noise(n + 10, n + 1).map((v) => Math.round(v * 2 ** 23) / 2 ** 23);
      const r = noise(n + 10, n + 2, 0.3).map((v) => Math.round(v * 2 ** 23) / 2 ** 23);
      const from = 7;
      const to = from + n;
      let sl = 0, ql = 0, pl = 0, sr = 0, qr = 0, pr = 0, lr = 0, lrAbs = 0, side = 0;
      for (let i = from; i < to; i++) {
        sl += l[i]!;
        ql += l[i]! * l[i]!;
        pl = Math.max(pl, Math.abs(l[i]!));
        sr += r[i]!;
        qr += r[i]! * r[i]!;
        pr = Math.max(pr, Math.abs(r[i]!));
        lr += l[i]! * r[i]!;
        lrAbs += Math.abs(l[i]! * r[i]!);
        side += (l[i]! - r[i]!) ** 2;
      }
      for (const [a, b] of [[l, r], [inKernelMemory(l), inKernelMemory(r)]] as const) {
        const out = new Float64Array(8);
        stereoStats(a, b, from, to, out);
        expect(out[0]).toBe(sl);
        expect(out[3]).toBe(sr);
        expect(out[2]).toBe(pl);
        expect(out[5]).toBe(pr);
        expect(Math.abs(out[1]! - ql)).toBeLessThanOrEqual(F32_PARTIALS * ql);
        expect(Math.abs(out[4]! - qr)).toBeLessThanOrEqual(F32_PARTIALS * qr);
        expect(Math.abs(out[6]! - lr)).toBeLessThanOrEqual(F32_PARTIALS * lrAbs);
        expect(Math.abs(out[7]! - side)).toBeLessThanOrEqual(F32_PARTIALS * side);
        const mono = new Float64Array(5);
        monoStats(a, from, to, mono, 2);
        expect(mono[2]).toBe(sl);
        expect(Math.abs(mono[3]! - ql)).toBeLessThanOrEqual(F32_PARTIALS * ql);
        expect(mono[4]).toBe(pl);
      }
    }
  });

  it('a non-finite sample makes the sums non-finite, so the meter knows to look closer', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = noise(1000, 3);
      x[517] = bad;
      for (const a of [x, inKernelMemory(x)]) {
        const out = new Float64Array(3);
        monoStats(a, 0, 1000, out, 0);
        expect(Number.isFinite(out[1]!)).toBe(false);
      }
    }
  });

  it('mixing: y += c·x into one, two and four outputs, and scaling, in float32 arithmetic', () => {
    for (const n of LENGTHS) {
      const x = noise(n, 11);
      const ys = [0, 1, 2, 3].map((j) => noise(n, 20 + j));
      const c = [0.25, -0.7, 1.5, 0.01];
      const want = ys.map((y, j) => y.map((v, i) => Math.fround(v + Math.fround(Math.fround(c[j]!) * x[i]!))));
      for (const place of [(a: Float32Array) => a.slice(), inKernelMemory]) {
        const a = ys.map(place);
        addScaled(a[0]!, place(x), c[0]!, n);
        expect(a[0]).toEqual(want[0]);
        const b = ys.map(place);
        addScaled2(place(x), b[0]!, c[0]!, b[1]!, c[1]!, n);
        expect([b[0], b[1]]).toEqual([want[0], want[1]]);
        const d = ys.map(place);
        addScaled4(place(x), d[0]!, c[0]!, d[1]!, c[1]!, d[2]!, c[2]!, d[3]!, c[3]!, n);
        expect(d).toEqual(want);
        const s = place(x);
        scale(s, s, c[2]!, n);
        expect(s).toEqual(x.map((v) => Math.fround(Math.fround(c[2]!) * v)));
      }
    }
  });

  it('unitySum: any number of inputs added in float64 in order and rounded once, in the arena or not', () => {
    const rnd = prng(7);
    for (const count of [0, 1, 2, 3, 4, 5, 8, 9, 13]) {
      for (const n of [1, 2, 3, 1023, 1024, 1025, 5000]) {
        const inputs = Array.from({ length: count }, () => Float32Array.from({ length: n }, () => rnd() * 2 - 1));
        const want = new Float32Array(n);
        for (let k = 0; k < n; k++) {
          let acc = 0;
          for (const x of inputs) acc += x[k]!;
          want[k] = acc;
        }
        const plain = new Float32Array(n).fill(9);
        unitySum(plain, inputs, n);
        expect(plain).toEqual(want);
        const arena = allocateSamples(n).fill(9);
        unitySum(arena, inputs.map(inKernelMemory), n);
        expect(arena).toEqual(want);
      }
    }
  });

  it('residual: mix − sum, and whether it exceeds the threshold after `from` (NaN never does)', () => {
    const n = 1001;
    const mix = noise(n, 5);
    const sum = mix.slice();
    sum[10] += 0.5; // before `from`: computed, not flagged
    for (const place of [(a: Float32Array) => a.slice(), inKernelMemory]) {
      const out = place(new Float32Array(n));
      expect(residual(out, place(mix), place(sum), 100, n, 0.01)).toBe(false);
      expect(out[10]).toBe(Math.fround(mix[10]! - sum[10]!));
      expect(out.filter((v) => v !== 0).length).toBe(1);
      const late = sum.slice();
      late[999] -= 0.02;
      expect(residual(out, place(mix), place(late), 100, n, 0.01)).toBe(true);
      const nan = sum.slice();
      nan[500] = NaN;
      expect(residual(out, place(mix), place(nan), 100, n, 0.01)).toBe(false);
    }
  });

  it('pickedMono and dot: the downmix of picked frames and their products', () => {
    const n = 5000;
    const channels = [noise(n, 1), noise(n, 2)];
    const count = 600;
    const picks = allocateIndices(count);
    for (let t = 0; t < count; t++) picks[t] = 8 * t + (t % 8);
    const want = Float32Array.from({ length: count }, (_, t) => channels[0]![picks[t]!]! + channels[1]![picks[t]!]!);
    for (const place of [(a: Float32Array) => a.slice(), inKernelMemory]) {
      const out = place(new Float32Array(count));
      pickedMono(out, channels.map(place), picks, count);
      expect(out).toEqual(want);
      let d = 0, mag = 0;
      for (let t = 3; t < 590; t++) {
        d += out[t]! * want[t]!;
        mag += Math.abs(out[t]! * want[t]!);
      }
      expect(Math.abs(dot(out, place(want), 3, 590) - d)).toBeLessThanOrEqual(F32_PARTIALS * mag);
    }
    releaseSamples(picks);
  });
});

describe('SIMD encoder', () => {
  it('writes the bytes, counts and read-back sums of the JavaScript encoder: 16/24-bit, mono/stereo, clipping, NaN, odd lengths', () => {
    for (const format of ['pcm16', 'pcm24'] as const) {
      const bytes = format === 'pcm16' ? 2 : 3;
      for (const channels of [1, 2]) {
        for (const n of [0, 1, 3, 4, 7, 1000, 4099]) {
          const planar = Array.from({ length: channels }, (_, c) => {
            const x = noise(n, 50 + c + n, 1.2); // some samples beyond full scale
            if (n > 10) {
              x[3] = NaN;
              x[5] = Infinity;
              x[7] = -Infinity;
              x[8] = 0.5 / 2 ** (8 * bytes - 1); // exactly half a step: rounds up
              x[9] = -0.5 / 2 ** (8 * bytes - 1);
            }
            return x;
          });
          const offset = 5;
          const encode = (place: (x: Float32Array) => Float32Array, out: Uint8Array, sums: Float64Array[]) => {
            const stats = { clippedSamples: 0, nonFiniteSamples: 0 };
            encodeInterleaved(planar.map(place), n, format, out, stats, null, { planar: sums, offset });
            return stats;
          };
          const jsOut = new Uint8Array(n * channels * bytes);
          const jsSums = planar.map(() => new Float64Array(n + offset).fill(0.25));
          const jsStats = encode((x) => x.slice(), jsOut, jsSums);
          const simdOut = allocateBytes(n * channels * bytes);
          const simdSums = planar.map(() => allocateDoubles(n + offset).fill(0.25));
          const simdStats = encode(inKernelMemory, simdOut, simdSums);
          expect(simdStats).toEqual(jsStats);
          expect(simdOut).toEqual(jsOut);
          simdSums.forEach((x, c) => expect(x).toEqual(jsSums[c]));
          if (n > 10) expect(jsStats.nonFiniteSamples).toBe(3 * channels); // NaN, +Inf, −Inf
          if (n > 100) expect(jsStats.clippedSamples).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('SIMD biquad cascades', () => {
  it('an EQ on a stereo bus in the kernels gives the JavaScript path\'s output to the bit, 1 to 6 sections', () => {
    const bands = [
      { type: 'highpass', freq: 30, slope: 48 }, // 4 sections
      { type: 'peak', freq: 400, gain: -2, q: 1.2 },
      { type: 'highshelf', freq: 10000, gain: 2 },
    ] as const;
    for (const used of [[2], [1], [1, 2], [0], [0, 1], [0, 1, 2]]) {
      const spec = { type: 'eq', bands: used.map((b) => bands[b]!) } as const;
      const ctx = { sampleRate: 48000, channels: 2 };
      const inKernels = createProcessor(spec, ctx);
      const inScript = createProcessor(spec, ctx);
      const input = [noise(10_000, 80, 0.5), noise(10_000, 81, 0.5)];
      let at = 0;
      for (const block of [1, 1000, 1024, 5000, 2975]) {
        const a = input.map((x) => inKernelMemory(x.subarray(at, at + block)));
        const b = input.map((x) => x.slice(at, at + block));
        inKernels.process(a, block);
        inScript.process(b, block);
        a.forEach((x, c) => expect(x).toEqual(b[c]));
        expect(a[0]!.some((v, i) => v !== input[0]![at + i])).toBe(true);
        at += block;
      }
    }
  });
});

describe('SIMD compressor', () => {
  it('gives the JavaScript path\'s output to the bit: peak and RMS detection, mono, linked and unlinked stereo, soft and hard knee', () => {
    const specs = [
      { type: 'compressor', threshold: -18, ratio: 4, attack: 10, release: 120, makeup: 2 },
      { type: 'compressor', threshold: -30, ratio: 8, attack: 1, release: 50, knee: 6, detection: 'rms' },
      { type: 'compressor', threshold: -24, ratio: 3, attack: 5, release: 200, link: false },
    ] as const;
    for (const spec of specs) {
      for (const channels of [1, 2]) {
        const ctx = { sampleRate: 48000, channels };
        const inKernels = createProcessor(spec, ctx);
        const inScript = createProcessor(spec, ctx);
        // Loud bursts over a quiet bed, so the gain moves both ways; one non-finite sample.
        const input = Array.from({ length: channels }, (_, c) => noise(40_000, 90 + c, 0.05).map((v, i) => (i % 9000 < 3000 ? 12 * v : v)));
        input[0]![25_000] = Infinity;
        let at = 0;
        let compressed = false;
        for (const block of [1, 1023, 1024, 4096, 30_000, 3856]) {
          const a = input.map((x) => inKernelMemory(x.subarray(at, at + block)));
          const b = input.map((x) => x.slice(at, at + block));
          inKernels.process(a, block);
          inScript.process(b, block);
          a.forEach((x, c) => expect(x).toEqual(b[c]));
          compressed ||= a[0]!.some((v, i) => Math.abs(v) < Math.abs(input[0]![at + i]!) * 0.9);
          at += block;
        }
        expect(compressed).toBe(true);
      }
    }
  });
});

describe('SIMD reverb', () => {
  it('the fused network in the kernels gives the JavaScript path\'s output to the bit (mono/stereo, damped or not, any block size)', () => {
    for (const channels of [1, 2]) {
      for (const spec of [
        { type: 'reverb', decay: 1.5, predelay: 12, mix: 0.4 },
        { type: 'reverb', decay: 0.8, predelay: 0, mix: 1, damping: 6000, size: 0.3 },
      ] as const) {
        const ctx = { sampleRate: 48000, channels };
        const inKernels = createProcessor(spec, ctx);
        const inScript = createProcessor(spec, ctx);
        const input = Array.from({ length: channels }, (_, c) => noise(30_000, 70 + c, 0.3).map((v, i) => (i > 20_000 ? 0 : v)));
        let at = 0;
        for (const block of [1, 255, 256, 4096, 300, 25_000]) {
          const n = Math.min(block, 30_000 - at);
          if (n <= 0) break;
          const a = input.map((x) => inKernelMemory(x.subarray(at, at + n)));
          const b = input.map((x) => x.slice(at, at + n));
          inKernels.process(a, n);
          inScript.process(b, n);
          a.forEach((x, c) => expect(x).toEqual(b[c]));
          expect(a[0]!.some((v, i) => v !== input[0]![at + i])).toBe(true);
          at += n;
        }
        inKernels.dispose?.();
      }
    }
  });
});

describe('SIMD arena', () => {
  it('hands out zeroed buffers, reuses released ones, and falls back to ordinary arrays when full', () => {
    const before = arenaInUse();
    const a = allocateSamples(1000);
    expect(inArena(a)).toBe(true);
    a.fill(3);
    releaseSamples(a);
    const b = allocateSamples(1000);
    expect(b.byteOffset).toBe(a.byteOffset); // reused…
    expect(b.every((v) => v === 0)).toBe(true); // …and zeroed
    releaseSamples(b);
    expect(arenaInUse()).toBe(before);

    // Fill the arena (its pages are not touched, so this costs no memory), then one more.
    const held: Float32Array[] = [];
    for (let x = allocateSamples(4 << 20); inArena(x); x = allocateSamples(4 << 20)) held.push(x);
    const outside = allocateSamples(4 << 20);
    expect(inArena(outside)).toBe(false);
    expect(outside.length).toBe(4 << 20);
    // Kernels still work on it (through staging).
    outside.fill(0.5, 0, 20000);
    const out = new Float64Array(3);
    monoStats(outside, 0, 20000, out, 0);
    expect(out[0]).toBe(10000);
    expect(out[2]).toBe(0.5);
    for (const x of held) releaseSamples(x);
    expect(arenaInUse()).toBe(before);
    // Released space serves other sizes again.
    const c = allocateSamples(12345);
    expect(inArena(c)).toBe(true);
    releaseSamples(c);
  });

  it('lowers its high-water mark through free blocks just below it, so a larger buffer fits where small ones were', () => {
    const before = arenaInUse();
    const [a, b, c] = [allocateSamples(100), allocateSamples(200), allocateSamples(300)];
    releaseSamples(b); // in the middle: a free block
    releaseSamples(c); // at the top: the mark drops past b as well
    const big = allocateSamples(1337); // a size no other test frees
    expect(big.byteOffset).toBe(b.byteOffset);
    expect(arenaInUse() - before).toBe(Math.ceil(400 / 16) * 16 + Math.ceil(4 * 1337 / 16) * 16);
    releaseSamples(big);
    releaseSamples(a);
    expect(arenaInUse()).toBe(before);
  });
});

describe('allFinite', () => {
  it('finds one NaN or ±Infinity at any position (SIMD lanes and tail), in or outside the arena', () => {
    const n = 1029;
    for (const make of [(k: number) => new Float32Array(k), (k: number) => allocateSamples(k)]) {
      const x = make(n);
      for (let i = 0; i < n; i++) x[i] = Math.sin(i) * 3e38; // huge but finite
      expect(allFinite(x, 0, n)).toBe(true);
      for (const at of [0, 1, 2, 3, 4, 511, 1024, 1027, 1028]) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const keep = x[at]!;
          x[at] = bad;
          expect(allFinite(x, 0, n)).toBe(false);
          // Outside [from, to) it does not count.
          expect(allFinite(x, at + 1, n)).toBe(true);
          x[at] = keep;
        }
      }
      if (inArena(x)) releaseSamples(x);
    }
  });
});
