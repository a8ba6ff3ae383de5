import { describe, expect, it } from 'vitest';
import { LoudnessMeter } from '../src/dsp/loudness.js';
import { ShortTermLoudness } from '../src/dsp/live-loudness.js';
import { downmixMatrix, presetStrips, stemRoute, unityStrip } from '../src/web/mixer-math.js';

describe('the mixer page: routing, monitor downmix, presets', () => {
  it('routes stems into the bus with fader, balance, polarity, mute and solo folded in', () => {
    expect([...stemRoute(unityStrip(), false, 2, 2)]).toEqual([1, 0, 0, 1]);
    // A mono stem in a stereo package feeds both sides, as check sums it.
    expect([...stemRoute(unityStrip(), false, 1, 2)]).toEqual([1, 1]);
    const g = 10 ** (-6 / 20);
    expect([...stemRoute({ ...unityStrip(), gainDb: -6, invert: true }, false, 2, 2)].map((x) => +x.toFixed(6))).toEqual([-g, 0, 0, -g].map((x) => +x.toFixed(6)));
    // Balance: the far side goes down, the near side stays at unity.
    expect([...stemRoute({ ...unityStrip(), pan: -0.5 }, false, 2, 2)]).toEqual([1, 0, 0, 0.5]);
    expect([...stemRoute({ ...unityStrip(), mute: true }, false, 2, 2)]).toEqual([0, 0, 0, 0]);
    expect([...stemRoute(unityStrip(), true, 2, 2)]).toEqual([0, 0, 0, 0]);
    expect([...stemRoute({ ...unityStrip(), solo: true }, true, 2, 2)]).toEqual([1, 0, 0, 1]);
    // 5.1 stems go channel to channel (balance applies to stereo only).
    const surround = stemRoute({ ...unityStrip(), pan: 1 }, false, 6, 6);
    for (let c = 0; c < 6; c++) expect(surround[c * 6 + c]).toBe(1);
    expect(surround.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('downmixes the monitor to stereo: fronts to their side, centre and surrounds at −3 dB, no LFE', () => {
    const h = Math.SQRT1_2;
    const m = downmixMatrix(['L', 'R', 'C', 'LFE', 'Ls', 'Rs'], 6);
    expect([...m].map((x) => +x.toFixed(6))).toEqual([1, 0, 0, 1, h, h, 0, 0, h, 0, 0, h].map((x) => +x.toFixed(6)));
    expect([...downmixMatrix(['M'], 1)]).toEqual([1, 1]);
    expect([...downmixMatrix(['L', 'R'], 2)]).toEqual([1, 0, 0, 1]);
    // 7.1: side and rear surrounds each to their side.
    const m71 = downmixMatrix(['L', 'R', 'C', 'LFE', 'Lrs', 'Rrs', 'Lss', 'Rss'], 8);
    expect([m71[4 * 2], m71[4 * 2 + 1], m71[7 * 2], m71[7 * 2 + 1]].map((x) => +x!.toFixed(6))).toEqual([h, 0, 0, h].map((x) => +x.toFixed(6)));
  });

  it('derives instrumental, a cappella and TV mix from the stem names', () => {
    const stems = [{ name: 'Drums' }, { name: 'Bass' }, { name: 'Lead Vox' }, { name: 'BGV' }, { name: 'Keys' }];
    const muted = (preset: Parameters<typeof presetStrips>[0]) => presetStrips(preset, stems).map((s) => s.mute);
    expect(muted('full')).toEqual([false, false, false, false, false]);
    expect(muted('instrumental')).toEqual([false, false, true, true, false]);
    expect(muted('a-cappella')).toEqual([true, true, false, false, true]);
    expect(muted('tv')).toEqual([false, false, true, false, false]);
  });
});

describe("the worklet's short-term loudness meter", () => {
  it('reads what the file meter reads: −3.01 LUFS for a full-scale 997 Hz sine in one channel, the 3 s window of a level step', () => {
    const rate = 48000;
    const block = 128;
    const frames = 4 * rate;
    const left = new Float32Array(frames);
    for (let i = 0; i < frames; i++) left[i] = Math.sin((2 * Math.PI * 997 * i) / rate) * (i < 2 * rate ? 0.1 : 1);
    const right = new Float32Array(frames);
    const live = new ShortTermLoudness(rate, [1, 1], block);
    const file = new LoudnessMeter({ sampleRate: rate, channelWeights: [1, 1] });
    for (let at = 0; at < frames; at += block) {
      const part = [left.subarray(at, at + block), right.subarray(at, at + block)];
      live.push(part, block);
      file.push(part, block);
    }
    // The last 3 s: 1 s at −20 dB and 2 s at full scale; the file meter's loudest 3 s window is that one.
    const fullScale = 10 ** ((-3.01 + 0.691) / 10);
    const expected = -0.691 + 10 * Math.log10((1 * 0.01 * fullScale + 2 * fullScale) / 3);
    expect(live.lufs()).toBeCloseTo(LoudnessMeter.summarize(file.state()).shortTermMaxLufs!, 1);
    expect(live.lufs()).toBeCloseTo(expected, 1);
    // A steady full-scale sine after the window has filled: the BS.1770 reference, −3.01 LUFS.
    const steady = new ShortTermLoudness(rate, [1, 1], block);
    for (let at = 2 * rate; at + block <= frames; at += block) steady.push([left.subarray(at, at + block), right.subarray(at, at + block)], block);
    expect(steady.lufs()).toBeCloseTo(-3.01, 1);
    steady.reset();
    expect(steady.lufs()).toBe(-Infinity);
  });
});
