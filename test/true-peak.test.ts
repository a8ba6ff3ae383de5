import { describe, expect, it } from 'vitest';
import { prng } from '../src/dsp/random.js';
import { PRE_ROLL_SECONDS } from '../src/dsp/segment.js';
import {
  BS1770_PHASE0,
  BS1770_PHASE1,
  sincPhase,
  smoothnessBound,
  TruePeakMeter,
  truePeakDb,
  truePeakOversampling,
  type TruePeakInterpolator,
  type TruePeakState,
} from '../src/dsp/true-peak.js';

/** EBU Tech 3341 true-peak signals: a sine at `fraction`·fs, peak `amplitude`, starting phase in degrees, 10 ms linear fades. */
function ebuTone(sampleRate: number, fraction: number, amplitude: number, phaseDeg: number, seconds = 1): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const fade = Math.round(0.01 * sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = env * amplitude * Math.sin(2 * Math.PI * fraction * i + (phaseDeg * Math.PI) / 180);
  }
  return out;
}

function run(meter: TruePeakMeter, planar: Float32Array[], block = 4096, from = 0, to = planar[0]!.length): void {
  for (let i = from; i < to; i += block) {
    const n = Math.min(block, to - i);
    meter.push(
      planar.map((c) => c.subarray(i, i + n)),
      n,
    );
  }
}

function measure(planar: Float32Array[], sampleRate = 48000, block = 4096, interpolator: TruePeakInterpolator = 'sinc'): TruePeakState {
  const meter = new TruePeakMeter({ sampleRate, channels: planar.length, interpolator });
  run(meter, planar, block);
  return meter.state();
}

/** Brute force: every phase of a polyphase FIR over the whole signal (zeros before frame 0), plus the sample peak. */
function reference(x: Float32Array, phases: number[][]): number {
  let peak = 0;
  for (let n = 0; n < x.length; n++) {
    peak = Math.max(peak, Math.abs(x[n]!));
    for (const taps of phases) {
      let y = 0;
      for (let j = 0; j < taps.length; j++) if (n - j >= 0) y += taps[j]! * x[n - j]!;
      peak = Math.max(peak, Math.abs(y));
    }
  }
  return peak;
}

const PHASES4 = [[...BS1770_PHASE0], [...BS1770_PHASE1], [...BS1770_PHASE1].reverse(), [...BS1770_PHASE0].reverse()];

/** The sinc's fractional phases, written out independently: Kaiser (β = 6) windowed sinc over ±12 samples. */
function kaiserSinc(phis: number[]): number[][] {
  const i0 = (x: number) => {
    let sum = 1;
    let term = 1;
    for (let k = 1; k < 40; k++) {
      term *= (x / 2 / k) ** 2;
      sum += term;
    }
    return sum;
  };
  return phis.map((phi) =>
    Array.from({ length: 24 }, (_, j) => {
      const t = phi - 12 + j;
      return (Math.sin(Math.PI * t) / (Math.PI * t)) * (i0(6 * Math.sqrt(1 - (t / 12) ** 2)) / i0(6));
    }),
  );
}

/** |H(f)| in dB of taps[j] multiplying x[n − j] at distance t_j = phi − 12 + j, relative to the ideal fractional delay. */
function phaseErrorDb(taps: ArrayLike<number>, phi: number, f: number): number {
  let re = 0;
  let im = 0;
  for (let j = 0; j < taps.length; j++) {
    const t = phi - 12 + j;
    re += taps[j]! * Math.cos(2 * Math.PI * f * t);
    im -= taps[j]! * Math.sin(2 * Math.PI * f * t);
  }
  return 20 * Math.log10(Math.hypot(re, im));
}

/** Noisy material with loud transients in odd places, so interpolated peaks beat sample peaks. */
function material(frames: number, seed: number): Float32Array {
  const rnd = prng(seed);
  const x = new Float32Array(frames);
  let lp = 0;
  for (let i = 0; i < frames; i++) {
    lp = 0.6 * lp + 0.4 * (rnd() * 2 - 1);
    const swell = 0.2 + 0.6 * Math.sin((Math.PI * i) / frames) ** 4;
    x[i] = swell * lp * 0.8;
  }
  // Pairs of equal loud samples: the waveform between them overshoots both (an inter-sample over).
  for (let i = 0; i + 1 < frames; i++) {
    if (rnd() < 0.0004) x[i] = x[i + 1] = rnd() < 0.5 ? -0.7 : 0.7;
  }
  return x;
}

describe('EBU Tech 3341 true-peak cases (48 kHz)', () => {
  const cases: [string, number, number, number, number][] = [
    ['15: fs/4, 0.50 FS, 0°', 1 / 4, 0.5, 0, -6],
    ['16: fs/4, 0.50 FS, 45°', 1 / 4, 0.5, 45, -6],
    ['17: fs/6, 0.50 FS, 60°', 1 / 6, 0.5, 60, -6],
    ['18: fs/8, 0.50 FS, 67.5°', 1 / 8, 0.5, 67.5, -6],
    ['19: fs/4, 1.41 FS, 45°', 1 / 4, 1.41, 45, 3],
  ];
  for (const interpolator of ['sinc', 'bs1770'] as const) {
    for (const [name, fraction, amplitude, phase, expected] of cases) {
      it(`case ${name} → ${expected} dBTP (+0.2/−0.4), ${interpolator} interpolator`, () => {
        const x = ebuTone(48000, fraction, amplitude, phase);
        const db = truePeakDb(measure([x, x], 48000, 4096, interpolator).truePeak[0]!)!;
        expect(db).toBeLessThanOrEqual(expected + 0.2);
        expect(db).toBeGreaterThanOrEqual(expected - 0.4);
      });
    }
  }

  it('case 16 really needs interpolation: its sample peak is 3 dB low', () => {
    const x = ebuTone(48000, 1 / 4, 0.5, 45);
    let sp = 0;
    for (const v of x) sp = Math.max(sp, Math.abs(v));
    expect(20 * Math.log10(sp)).toBeLessThan(-8.9);
  });
});

describe('TruePeakMeter', () => {
  it('uses ×4 below 96 kHz, ×2 below 192 kHz, none above', () => {
    expect([44100, 48000, 88200, 96000, 176400, 192000, 384000].map(truePeakOversampling)).toEqual([4, 4, 4, 2, 2, 1, 1]);
    expect(new TruePeakMeter({ sampleRate: 48000, channels: 1, interpolator: 'bs1770' }).historyLength).toBe(11);
    const sinc = new TruePeakMeter({ sampleRate: 48000, channels: 1 });
    expect(sinc.interpolator).toBe('sinc');
    expect(sinc.historyLength).toBe(23);
    expect(new TruePeakMeter({ sampleRate: 192000, channels: 1 }).historyLength).toBe(0);
  });

  it('has a sinc interpolator flat within 0.015 dB to 0.42·fs (the BS.1770 table ripples ±0.2 dB)', () => {
    const ours = kaiserSinc([0.25, 0.5, 0.75]);
    for (const [k, phi] of [0.25, 0.5, 0.75].entries()) {
      const taps = sincPhase(phi);
      taps.forEach((c, j) => expect(c).toBeCloseTo(ours[k]![j]!, 14));
      let worst = 0;
      let worstHigh = 0;
      for (let f = 0; f <= 0.45 + 1e-9; f += 0.0025) {
        const e = Math.abs(phaseErrorDb(taps, phi, f));
        if (f <= 0.42 + 1e-9) worst = Math.max(worst, e);
        worstHigh = Math.max(worstHigh, e);
      }
      expect(worst).toBeLessThan(0.015);
      expect(worstHigh).toBeLessThan(1.1);
    }
  });

  it('bounds every interpolated value by its two nearest samples and the curvature around them (the skip bound)', () => {
    for (const phases of [kaiserSinc([0.25, 0.5, 0.75]), PHASES4]) {
      const { linearGain, curvatureGain } = smoothnessBound(phases);
      const n = phases[0]!.length;
      const c = n / 2 - 1;
      // The sinc's bound is tight: ≈ linear interpolation plus 0.42 × the largest second difference.
      if (n === 24) {
        expect(linearGain).toBeCloseTo(1, 3);
        expect(curvatureGain).toBeGreaterThan(0.4);
        expect(curvatureGain).toBeLessThan(0.43);
      }
      const rnd = prng(5);
      for (let trial = 0; trial < 2000; trial++) {
        // Random windows from smooth to wild, and the worst case for the bound: signs matching the taps.
        const smooth = trial % 3 === 0;
        const u = Array.from({ length: n }, (_, j) => (smooth ? Math.sin(0.05 * j + trial) : rnd() * 2 - 1));
        if (trial % 7 === 0) for (let j = 0; j < n; j++) u[j] = Math.sign(phases[trial % phases.length]![j]!);
        let curvature = 0;
        for (let m = 1; m <= n - 2; m++) curvature = Math.max(curvature, Math.abs(u[m - 1]! - 2 * u[m]! + u[m + 1]!));
        const bound = linearGain * Math.max(Math.abs(u[c]!), Math.abs(u[c + 1]!)) + curvatureGain * curvature;
        for (const taps of phases) {
          const y = taps.reduce((acc, h, j) => acc + h * u[j]!, 0);
          expect(Math.abs(y)).toBeLessThanOrEqual(bound * (1 + 1e-12));
        }
      }
    }
  });

  it('is exact where the skip bound does the most and the least: steady low tones, full-scale square waves, alternating samples', () => {
    const fs = 48000;
    const signals: Float32Array[] = [];
    const tone = new Float32Array(fs);
    for (let i = 0; i < fs; i++) tone[i] = 0.5 * Math.sin((2 * Math.PI * 55 * i) / fs) + 0.01 * Math.sin((2 * Math.PI * 9000 * i) / fs);
    signals.push(tone);
    const square = new Float32Array(fs);
    for (let i = 0; i < fs; i++) square[i] = Math.floor(i / 37) % 2 ? 0.9 : -0.9;
    signals.push(square);
    const alternating = new Float32Array(fs);
    for (let i = 0; i < fs; i++) alternating[i] = (i % 2 ? 0.3 : -0.3) * Math.min(1, i / 20000);
    signals.push(alternating);
    // A quiet steady tone with one inter-sample over late in the file.
    const late = Float32Array.from(tone, (v) => v * 0.2);
    late[40000] = late[40001] = 0.6;
    signals.push(late);
    for (const interpolator of ['sinc', 'bs1770'] as const) {
      const phases = interpolator === 'sinc' ? kaiserSinc([0.25, 0.5, 0.75]) : PHASES4;
      for (const x of signals) {
        for (const block of [1, 33, 4096]) expect(Math.abs(measure([x], fs, block, interpolator).truePeak[0]! - reference(x, phases))).toBeLessThan(1e-12);
      }
    }
  });

  for (const interpolator of ['sinc', 'bs1770'] as const) {
    it(`matches a brute-force polyphase FIR at 48 kHz, ${interpolator} (skip optimisation is exact)`, () => {
      const phases = interpolator === 'sinc' ? kaiserSinc([0.25, 0.5, 0.75]) : PHASES4;
      for (const seed of [1, 2, 3]) {
        const x = material(48000 * 3, seed);
        const got = measure([x], 48000, 4096, interpolator).truePeak[0]!;
        const want = reference(x, phases);
        expect(Math.abs(got - want)).toBeLessThan(1e-12);
        let sp = 0;
        for (const v of x) sp = Math.max(sp, Math.abs(v));
        expect(got).toBeGreaterThan(sp); // the material has inter-sample overs
      }
    });
  }

  it('matches a brute-force ×2 interpolator at 96 kHz and the sample peak at 192 kHz', () => {
    const x = material(96000 * 2, 9);
    for (const interpolator of ['sinc', 'bs1770'] as const) {
      expect(Math.abs(measure([x], 96000, 4096, interpolator).truePeak[0]! - reference(x, kaiserSinc([0.5])))).toBeLessThan(1e-12);
    }
    let sp = 0;
    for (const v of x) sp = Math.max(sp, Math.abs(v));
    expect(measure([x], 192000).truePeak[0]).toBe(sp);
  });

  it('reads sines across the band to within the oversampling grid error (sinc), or the EBU tolerance (bs1770)', () => {
    for (const fs of [44100, 48000, 96000]) {
      const L = truePeakOversampling(fs);
      for (const f of [100, 997, 3000, 5000, 10000, 15000, 17000, 19000, 20000]) {
        // The worst case of sampling a sine L times per input sample: the peak falls midway between two points.
        const grid = 20 * Math.log10(Math.cos((Math.PI * f) / (L * fs)));
        for (let phase = 0; phase < 90; phase += 7) {
          const x = ebuTone(fs, f / fs, 0.5, phase, 0.2);
          const error = truePeakDb(measure([x], fs).truePeak[0]!)! - 20 * Math.log10(0.5);
          expect(error).toBeLessThanOrEqual(0.02);
          expect(error).toBeGreaterThanOrEqual(grid - 0.02);
          if (fs < 96000) {
            // The standard's 48-tap filter ripples about ±0.2 dB: it over-reads up to 0.17 dB.
            const std = truePeakDb(measure([x], fs, 4096, 'bs1770').truePeak[0]!)! - 20 * Math.log10(0.5);
            expect(std).toBeLessThanOrEqual(0.2);
            expect(std).toBeGreaterThanOrEqual(-0.4);
          }
        }
      }
    }
  });

  it('gives bit-identical results for block sizes 1, 7 and 4096', () => {
    const planar = [material(48000, 4), material(48000, 5)];
    for (const interpolator of ['sinc', 'bs1770'] as const) {
      const ref = measure(planar, 48000, 4096, interpolator);
      for (const block of [1, 7, 1023, 1025]) expect(measure(planar, 48000, block, interpolator)).toEqual(ref);
    }
    const hi = [material(96000, 6)];
    const refHi = measure(hi, 96000, 4096);
    for (const block of [1, 7]) expect(measure(hi, 96000, block)).toEqual(refHi);
  });

  it('counts only from countFrom, and segment meters merge to the identical whole-file peak', () => {
    const fs = 48000;
    const x = material(fs * 20, 7);
    // A spike before countFrom primes history but is not counted.
    const spiky = Float32Array.from(x);
    spiky[100] = 0.99;
    const late = new TruePeakMeter({ sampleRate: fs, channels: 1, countFrom: 1000 });
    run(late, [spiky]);
    const lateClean = new TruePeakMeter({ sampleRate: fs, channels: 1, countFrom: 1000 });
    run(lateClean, [x]);
    expect(late.state()).toEqual(lateClean.state());
    expect(measure([spiky]).truePeak[0]!).toBeGreaterThanOrEqual(0.99);
    for (const [rate, interpolator] of [[44100, 'sinc'], [48000, 'sinc'], [48000, 'bs1770'], [96000, 'sinc'], [192000, 'sinc']] as const) {
      const whole = measure([x], rate, 4096, interpolator).truePeak;
      const n = x.length;
      const bounds = [0, 123457, 200003, Math.floor(n / 2) + 1, n];
      const preRoll = Math.round(PRE_ROLL_SECONDS * rate);
      const parts: TruePeakState[] = [];
      for (let s = 0; s < bounds.length - 1; s++) {
        const countFrom = bounds[s]!;
        const startFrame = Math.max(0, countFrom - preRoll);
        const meter = new TruePeakMeter({ sampleRate: rate, channels: 1, startFrame, countFrom, interpolator });
        run(meter, [x], 999, startFrame, bounds[s + 1]!);
        parts.push(meter.state());
      }
      expect(TruePeakMeter.merge(parts).truePeak).toEqual(whole);
    }
    // Even a pre-roll of just the interpolator's history (23 samples for the sinc) is enough.
    const cuts = [0, 50000, 50012, x.length];
    const parts = cuts.slice(0, -1).map((from, s) => {
      const startFrame = Math.max(0, from - 23);
      const meter = new TruePeakMeter({ sampleRate: fs, channels: 1, startFrame, countFrom: from });
      run(meter, [x], 4096, startFrame, cuts[s + 1]!);
      return meter.state();
    });
    expect(TruePeakMeter.merge(parts)).toEqual(measure([x], fs));
  });

  it('reports 0 (null dBTP) for silence and takes ±Infinity at face value', () => {
    const silence = new Float32Array(10000);
    expect(measure([silence, silence]).truePeak).toEqual([0, 0]);
    expect(truePeakDb(0)).toBeNull();
    const ok = material(48000, 8);
    // The loudest inter-sample peak sits in the same 1024-frame chunk as the NaN, away from it.
    for (let i = 19600; i < 19610; i++) ok[i] = i % 2 ? 0.95 : -0.95;
    ok[19610] = 0.95;
    const bad = Float32Array.from(ok);
    bad[20000] = NaN;
    for (const interpolator of ['sinc', 'bs1770'] as const) {
      const want = measure([ok], 48000, 4096, interpolator).truePeak[0]!;
      expect(want).toBeGreaterThan(1);
      // A NaN sample neither poisons the meter nor hides the rest of its chunk.
      expect(measure([bad], 48000, 4096, interpolator).truePeak[0]).toBe(want);
      expect(measure([bad], 48000, 1, interpolator).truePeak[0]).toBe(want);
    }
    const inf = Float32Array.from(ok);
    inf[30000] = -Infinity;
    expect(measure([inf]).truePeak[0]).toBe(Infinity);
  });

  it('rejects bad options and mismatched merges', () => {
    expect(() => new TruePeakMeter({ sampleRate: 48000, channels: 0 })).toThrow(RangeError);
    expect(() => new TruePeakMeter({ sampleRate: 48000, channels: 1, startFrame: 5, countFrom: 4 })).toThrow(RangeError);
    expect(() => TruePeakMeter.merge([{ truePeak: [1] }, { truePeak: [1, 2] }])).toThrow(RangeError);
    expect(() => new TruePeakMeter({ sampleRate: 48000, channels: 1, interpolator: 'linear' as TruePeakInterpolator })).toThrow(RangeError);
  });
});
