import { describe, expect, it } from 'vitest';
import { GainCurve, summarizeGainCurve } from '../src/dsp/gain-curve.js';
import { prng } from './helpers/signals.js';

const RATE = 48000;

/** Noise whose level steps through 0.5 s sections from −40 to −6 dBFS, and the frames it sits on. */
function steppedNoise(seconds: number): { x: Float32Array; frames: Int32Array } {
  const random = prng(7);
  const n = Math.round(seconds * RATE);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const section = Math.floor(i / (RATE / 2)) % 18;
    x[i] = 10 ** ((-40 + 2 * section) / 20) * (random() * 2 - 1);
  }
  return { x, frames: Int32Array.from({ length: n }, (_, i) => i) };
}

/** A static compressor on the window level: above −20 dBFS, 1 dB out per 3 dB in (gain computed per 50 ms window). */
function compressed(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  const w = RATE / 20;
  for (let s = 0; s < x.length; s += w) {
    let e = 0;
    for (let i = s; i < s + w; i++) e += x[i]! * x[i]!;
    const level = 10 * Math.log10(e / w);
    const gainDb = level > -20 ? -((level + 20) * 2) / 3 : 0;
    for (let i = s; i < s + w; i++) y[i] = x[i]! * 10 ** ((gainDb + 4) / 20);
  }
  return y;
}

describe('GainCurve', () => {
  it('reads a fader as no gain reduction and a compressor as its reduction at the loud end', () => {
    const { x, frames } = steppedNoise(18);
    const fader = new GainCurve(RATE);
    fader.push(x, x.map((v) => v * 0.5), frames, 0, x.length);
    const flat = summarizeGainCurve(fader.state())!;
    expect(flat.typicalGainDb).toBeCloseTo(-6.02, 1);
    expect(Math.abs(flat.gainReductionDb)).toBeLessThan(0.05);
    expect(flat.windowedRelativeDb).toBeLessThan(-100);

    const comp = new GainCurve(RATE);
    comp.push(x, compressed(x), frames, 0, x.length);
    const curve = summarizeGainCurve(comp.state())!;
    // Typical windows (uniform noise peaking at −26…−20 dBFS: RMS 4.8 dB lower) are below the threshold
    // and get the +4 dB make-up; the loudest 5 % (peaking at −6 dBFS: RMS −10.8 dBFS) lose
    // (−10.8 + 20)·2/3 = 6.1 dB more.
    expect(curve.typicalGainDb).toBeCloseTo(4, 1);
    expect(curve.gainReductionDb).toBeGreaterThan(5.6);
    expect(curve.gainReductionDb).toBeLessThan(6.6);
    expect(curve.windowedRelativeDb).toBeLessThan(-60);
    expect(curve.deepest!.frame / RATE).toBeGreaterThan(8.5);
  });

  it('merges time segments exactly (windows on a global grid)', () => {
    const { x, frames } = steppedNoise(6);
    const y = compressed(x);
    const whole = new GainCurve(RATE);
    whole.push(x, y, frames, 0, x.length);
    const cut = 2.4 * RATE;
    const a = new GainCurve(RATE);
    a.push(x.subarray(0, cut), y.subarray(0, cut), frames, 0, cut);
    const b = new GainCurve(RATE);
    b.push(x.subarray(cut), y.subarray(cut), frames, cut, x.length - cut);
    const merged = GainCurve.merge([a.state(), b.state()]);
    const expected = whole.state();
    expect(merged.windows).toEqual(expected.windows);
    expect(merged.lowest).toEqual(expected.lowest);
    for (const k of ['sumSum', 'mixSum', 'mixMix'] as const) merged[k].forEach((v, i) => expect(v).toBeCloseTo(expected[k][i]!, 9));
  });
});
