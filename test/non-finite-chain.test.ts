import { describe, expect, it } from 'vitest';
import { createChain, type ProcessorSpecInput } from '../src/dsp/processors/index.js';
import { prng } from '../src/dsp/random.js';
import { StemkitError } from '../src/errors.js';
import { refuseRecoveredOutput } from '../src/session/whole-output.js';

const FS = 48000;
const BLOCK = 512;

/** 3 s of stereo noise bursts (a bar of "music" that keeps going), seeded. */
function material(): Float32Array[] {
  const rnd = prng(7);
  const out = [new Float32Array(3 * FS), new Float32Array(3 * FS)];
  for (let i = 0; i < out[0]!.length; i++) {
    const env = 0.3 * (0.5 + 0.5 * Math.sin((2 * Math.PI * i) / FS));
    out[0]![i] = env * (rnd() * 2 - 1);
    out[1]![i] = env * (rnd() * 2 - 1);
  }
  return out;
}

function render(specs: ProcessorSpecInput[], input: Float32Array[]) {
  const chain = createChain(specs, { sampleRate: FS, channels: 2 });
  const out = input.map((c) => Float32Array.from(c));
  for (let at = 0; at < out[0]!.length; at += BLOCK) {
    const n = Math.min(BLOCK, out[0]!.length - at);
    chain.process(out.map((c) => c.subarray(at, at + n)), n);
  }
  chain.dispose();
  return { out, chain };
}

const rms = (x: Float32Array, from: number, to: number) => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
};

const chains: [string, ProcessorSpecInput[]][] = [
  ['reverb', [{ type: 'reverb', mix: 0.3, decay: 1.5 }]],
  ['delay', [{ type: 'delay', time: 250, feedback: 0.5, mix: 0.4 }]],
  ['compressor', [{ type: 'compressor', threshold: -20, ratio: 4, attack: 5, release: 100 }]],
  ['eq', [{ type: 'eq', bands: [{ type: 'peak', freq: 1000, gain: 6, q: 1 }, { type: 'highpass', freq: 40 }] }]],
  ['limiter', [{ type: 'limiter', ceiling: -1, release: 50, lookahead: 5 }]],
];

describe('one NaN or Infinity sample never turns a chain into silence', () => {
  for (const [name, specs] of chains) {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`${name}: ${bad} at 1 s`, () => {
        const clean = render(specs, material()).out;
        const poisoned = material();
        poisoned[1]![FS] = bad;
        const { out, chain } = render(specs, poisoned);
        // Every sample stays finite, the damage is counted, and its place is known.
        for (const c of out) expect(c.every(Number.isFinite)).toBe(true);
        expect(chain.nonFiniteRecovered).toBeGreaterThan(0);
        expect(chain.firstNonFiniteFrame).toBeGreaterThanOrEqual(FS - BLOCK);
        expect(chain.firstNonFiniteFrame).toBeLessThanOrEqual(FS + 0.5 * FS);
        // Half a second to two seconds later the chain is playing the music again, at its level.
        for (let ch = 0; ch < 2; ch++) {
          const want = rms(clean[ch]!, 2 * FS, 3 * FS);
          const got = rms(out[ch]!, 2 * FS, 3 * FS);
          expect(want).toBeGreaterThan(0.01);
          expect(Math.abs(20 * Math.log10(got / want))).toBeLessThan(1);
        }
      });
    }
  }

  it('a chain fed only finite audio never touches it (bit-identical to the stages run by hand)', () => {
    const specs = chains.flatMap(([, s]) => s);
    const { out, chain } = render(specs, material());
    expect(chain.nonFiniteRecovered).toBe(0);
    expect(chain.firstNonFiniteFrame).toBe(-1);
    const byHand = createChain(specs, { sampleRate: FS, channels: 2 });
    const ref = material();
    for (let at = 0; at < ref[0]!.length; at += BLOCK) {
      const n = Math.min(BLOCK, ref[0]!.length - at);
      for (const stage of byHand.stages) stage.process(ref.map((c) => c.subarray(at, at + n)), n);
    }
    byHand.dispose();
    expect(out).toEqual(ref);
  });

  it('render refuses to finish a file whose processing had to zero samples', () => {
    const poisoned = material();
    poisoned[0]![FS + 100] = Number.NaN;
    const { chain } = render(chains[0]![1], poisoned);
    let error: unknown;
    try {
      refuseRecoveredOutput([{ label: 'stem "Vox" bus processing', chain }], FS, 'stems/01_Vox.wav');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StemkitError);
    expect((error as StemkitError).code).toBe('E_NON_FINITE');
    expect((error as StemkitError).file).toBe('stems/01_Vox.wav');
    expect((error as StemkitError).message).toMatch(/^stem "Vox" bus processing produced \d+ NaN\/Infinity samples \(the first at 0:01\.0\d\d of its output\)/);
  });
});

describe('processors on any Float32Array', () => {
  it('give bit-identical output on plain arrays (staged through the kernels) and on arena buffers', async () => {
    const { allocateSamples, releaseSamples, inArena } = await import('../src/dsp/simd.js');
    const specs = chains.flatMap(([, s]) => s);
    const input = material();
    const onPlain = render(specs, input).out;
    expect(inArena(onPlain[0]!)).toBe(false);
    const chain = createChain(specs, { sampleRate: FS, channels: 2 });
    const block = [allocateSamples(BLOCK), allocateSamples(BLOCK)];
    expect(block.every(inArena)).toBe(true);
    const onArena = input.map((c) => new Float32Array(c.length));
    for (let at = 0; at < input[0]!.length; at += BLOCK) {
      const n = Math.min(BLOCK, input[0]!.length - at);
      block.forEach((b, ch) => b.set(input[ch]!.subarray(at, at + n)));
      chain.process(block, n);
      block.forEach((b, ch) => onArena[ch]!.set(b.subarray(0, n), at));
    }
    chain.dispose();
    block.forEach(releaseSamples);
    expect(onPlain).toEqual(onArena);
  });
});
