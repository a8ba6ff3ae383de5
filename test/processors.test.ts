import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { prng } from '../src/dsp/random.js';
import { TruePeakMeter } from '../src/dsp/true-peak.js';
import {
  Compressor,
  createChain,
  createProcessor,
  Delay,
  Limiter,
  parseProcessorSpec,
  ProcessorConfigError,
  ProcessorSpecError,
  Reverb,
  type Processor,
  type ProcessorContext,
  type ProcessorSpecInput,
} from '../src/dsp/processors/index.js';
import { panGains } from '../src/dsp/processors/pan.js';

const FS = 48000;
const STEREO: ProcessorContext = { sampleRate: FS, channels: 2 };
const MONO: ProcessorContext = { sampleRate: FS, channels: 1 };
const db = (x: number) => 20 * Math.log10(x);

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

/** Runs copies of `input` through `p` in blocks (a number, or a repeating list of sizes). */
function run(p: Processor, input: Float32Array[], block: number | number[] = 4096): Float32Array[] {
  const out = input.map((c) => Float32Array.from(c));
  const sizes = typeof block === 'number' ? [block] : block;
  const n = out[0]!.length;
  for (let off = 0, k = 0; off < n; k++) {
    const m = Math.min(sizes[k % sizes.length]!, n - off);
    p.process(
      out.map((c) => c.subarray(off, off + m)),
      m,
    );
    off += m;
  }
  return out;
}

function silence(channels: number, frames: number): Float32Array[] {
  return Array.from({ length: channels }, () => new Float32Array(frames));
}

function impulse(channels: number, frames: number, at = 0, value = 1): Float32Array[] {
  const x = silence(channels, frames);
  for (const c of x) c[at] = value;
  return x;
}

function sine(frames: number, freq: number, amplitude: number, phase = 0): Float32Array {
  const x = new Float32Array(frames);
  for (let i = 0; i < frames; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / FS + phase);
  return x;
}

/** |Σ x[n] e^{−jωn}| at `freq` Hz. */
function dftMagnitude(x: ArrayLike<number>, freq: number, sampleRate = FS): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  let re = 0, im = 0;
  for (let n = 0; n < x.length; n++) {
    re += x[n]! * Math.cos(w * n);
    im -= x[n]! * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}

function peak(x: ArrayLike<number>, from = 0, to = x.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

/** Index of the first differing sample across channels, or −1 (bitwise: Object.is). */
function firstDifference(a: Float32Array[], b: Float32Array[]): number {
  for (let c = 0; c < a.length; c++) {
    for (let i = 0; i < a[c]!.length; i++) if (!Object.is(a[c]![i], b[c]![i])) return i;
  }
  return -1;
}

function truePeakDbtp(planar: Float32Array[], interpolator: 'sinc' | 'bs1770'): number {
  const meter = new TruePeakMeter({ sampleRate: FS, channels: planar.length, interpolator });
  meter.push(planar, planar[0]!.length);
  return db(Math.max(...meter.state().truePeak));
}

/** Loud, music-like stereo material: pink-ish noise, a kick, tones near fs/4 and 11 kHz whose inter-sample peaks exceed their samples. */
function music(seconds: number, seed: number, gainDb: number): Float32Array[] {
  const r = prng(seed);
  const n = Math.round(seconds * FS);
  const out = [new Float32Array(n), new Float32Array(n)];
  const g = 10 ** (gainDb / 20);
  let b0 = 0, b1 = 0, b2 = 0, kick = 0;
  for (let i = 0; i < n; i++) {
    const w = r() * 2 - 1;
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    const pink = (b0 + b1 + b2 + w * 0.1848) * 0.25;
    if (i % 12000 === 0) kick = 1;
    kick *= 0.9997;
    const k = kick * Math.sin((2 * Math.PI * 60 * i) / FS) * 0.8;
    const isp = Math.sin((Math.PI / 2) * i + Math.PI / 4) * (0.5 + 0.5 * Math.sin((2 * Math.PI * 0.7 * i) / FS));
    const hf = 0.3 * Math.sin((2 * Math.PI * 11025 * i) / FS + 0.3) * (r() < 0.001 ? 3 : 1);
    out[0]![i] = g * (pink + k + isp + hf);
    out[1]![i] = g * (0.8 * pink + k + 0.2 * (r() * 2 - 1) - isp);
  }
  return out;
}

/** Stereo test material for the generic contract tests: noise bursts at several levels, a tone, an impulse, silence. */
function material(frames: number, seed = 1, channels = 2): Float32Array[] {
  const r = prng(seed);
  const out = silence(channels, frames);
  for (let i = 0; i < frames; i++) {
    const seg = Math.floor((i / frames) * 6);
    const level = [0.05, 0.9, 0, 0.3, 1.6, 0][seg]!;
    out[0]![i] = level * (r() * 2 - 1) + (seg === 3 ? 0.5 * Math.sin(i * 0.3) : 0);
    for (let c = 1; c < channels; c++) out[c]![i] = level * (r() * 2 - 1) * (0.7 + 0.05 * c);
  }
  out[0]![Math.floor(frames * 0.4)] = 1;
  return out;
}

const IR_STEREO = [0, 1].map((c) => {
  const r = prng(40 + c);
  return Float32Array.from({ length: 900 }, (_, i) => (r() * 2 - 1) * Math.exp(-i / 200));
});

/** One of every processor (several variants where behaviour differs), for the contract tests. */
const CONTRACT: { name: string; spec: ProcessorSpecInput; ctx?: ProcessorContext }[] = [
  { name: 'gain', spec: { type: 'gain', gain: -4.5 } },
  { name: 'pan', spec: { type: 'pan', pan: -0.3 } },
  { name: 'polarity', spec: { type: 'polarity', channels: [1] } },
  {
    name: 'eq',
    spec: {
      type: 'eq',
      bands: [
        { type: 'highpass', freq: 30, slope: 48 },
        { type: 'lowshelf', freq: 120, gain: 3 },
        { type: 'peak', freq: 900, gain: -4, q: 2 },
        { type: 'notch', freq: 3000, q: 8 },
        { type: 'bandpass', freq: 2000, q: 0.3 },
        { type: 'highshelf', freq: 9000, gain: 2.5, q: 0.9 },
        { type: 'lowpass', freq: 18000, slope: 24 },
      ],
    },
  },
  { name: 'compressor peak linked', spec: { type: 'compressor', threshold: -18, ratio: 4, attack: 3, release: 80, makeup: 2 } },
  { name: 'compressor rms unlinked', spec: { type: 'compressor', threshold: -24, ratio: 8, knee: 0, attack: 0, release: 30, detection: 'rms', link: false } },
  { name: 'limiter', spec: { type: 'limiter', ceiling: -1, lookahead: 2, release: 20 } },
  { name: 'saturate tanh', spec: { type: 'saturate', drive: 12, mix: 0.7 } },
  { name: 'saturate soft', spec: { type: 'saturate', drive: 18, shape: 'soft' } },
  { name: 'delay', spec: { type: 'delay', time: 37.3, feedback: 0.6, mix: 0.4 } },
  { name: 'reverb', spec: { type: 'reverb', decay: 0.8, predelay: 3, mix: 0.5, size: 0.2, damping: 5000 } },
  { name: 'reverb 6 channels', spec: { type: 'reverb', decay: 0.5, size: 0 }, ctx: { sampleRate: FS, channels: 6 } },
  { name: 'compressor 3 channels', spec: { type: 'compressor', threshold: -30, ratio: 3, detection: 'rms' }, ctx: { sampleRate: FS, channels: 3 } },
  { name: 'convolution', spec: { type: 'reverb', impulse: 'room.wav', predelay: 0.5, mix: 0.8 }, ctx: { ...STEREO, impulse: IR_STEREO } },
];

// ── schema ──────────────────────────────────────────────────────────────────────────────────────

describe('processor specs', () => {
  it('applies documented defaults', () => {
    expect(parseProcessorSpec({ type: 'compressor', threshold: -20, ratio: 3 })).toEqual({
      type: 'compressor', threshold: -20, ratio: 3, knee: 6, attack: 10, release: 100, makeup: 0, detection: 'peak', link: true,
    });
    expect(parseProcessorSpec({ type: 'limiter' })).toEqual({ type: 'limiter', ceiling: -1, lookahead: 5, release: 50 });
    expect(parseProcessorSpec({ type: 'reverb' })).toEqual({ type: 'reverb', predelay: 0, mix: 1 });
    expect(parseProcessorSpec({ type: 'delay', time: 250 })).toEqual({ type: 'delay', time: 250, feedback: 0.3, mix: 1, damping: 8000 });
    expect(parseProcessorSpec({ type: 'eq', bands: [{ type: 'highpass', freq: 80 }, { type: 'lowshelf', freq: 100, gain: 2 }] })).toEqual({
      type: 'eq',
      bands: [
        { type: 'highpass', freq: 80, slope: 12 },
        { type: 'lowshelf', freq: 100, gain: 2, q: 0.707 },
      ],
    });
    expect(parseProcessorSpec({ type: 'saturate' })).toEqual({ type: 'saturate', drive: 6, mix: 1, shape: 'tanh' });
  });

  const bad: [unknown, (string | number)[]][] = [
    [{ type: 'gain', gain: 60 }, ['gain']],
    [{ type: 'gain' }, ['gain']],
    [{ type: 'pan', pan: 1.5 }, ['pan']],
    [{ type: 'polarity', channels: [0, 0] }, ['channels']],
    [{ type: 'polarity', channels: [-1] }, ['channels', 0]],
    [{ type: 'eq', bands: [{ type: 'peak', freq: 1000, gain: 3 }] }, ['bands', 0, 'q']],
    [{ type: 'eq', bands: [{ type: 'highpass', freq: 100, slope: 18 }] }, ['bands', 0, 'slope']],
    [{ type: 'eq', bands: [{ type: 'lowshelf', freq: -5, gain: 3 }] }, ['bands', 0, 'freq']],
    [{ type: 'eq', bands: [{ type: 'tilt', freq: 500 }] }, ['bands', 0, 'type']],
    [{ type: 'compressor', threshold: -20, ratio: 0.5 }, ['ratio']],
    [{ type: 'compressor', threshold: -20, ratio: 4, attack: -1 }, ['attack']],
    [{ type: 'compressor', threshold: -20, ratio: 4, detection: 'avg' }, ['detection']],
    [{ type: 'limiter', ceiling: 0.5 }, ['ceiling']],
    [{ type: 'limiter', lookahead: 100 }, ['lookahead']],
    [{ type: 'saturate', mix: 1.2 }, ['mix']],
    [{ type: 'saturate', shape: 'hard' }, ['shape']],
    [{ type: 'delay', time: 0 }, ['time']],
    [{ type: 'delay', time: 100, feedback: 0.99 }, ['feedback']],
    [{ type: 'reverb', decay: 0 }, ['decay']],
    [{ type: 'reverb', impulse: 'hall.wav', size: 0.5 }, ['size']],
    [{ type: 'reverb', decay: 2, colour: 'warm' }, []],
    [{ type: 'chorus' }, ['type']],
  ];
  it.each(bad)('rejects %j with a message naming the field', (spec, path) => {
    let error: unknown;
    try {
      parseProcessorSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProcessorSpecError);
    const issues = (error as ProcessorSpecError).issues;
    expect(issues.map((i) => i.path)).toContainEqual(path);
    const field = path.filter((k) => typeof k === 'string').at(-1);
    if (field) expect((error as Error).message).toMatch(new RegExp(`\\b${field}\\b`));
    else expect((error as Error).message).toMatch(/colour/);
  });

  it('rejects what only the sample rate or channel count can tell, naming the field', () => {
    const config = (spec: ProcessorSpecInput, ctx: ProcessorContext = STEREO) => {
      try {
        createProcessor(spec, ctx);
      } catch (e) {
        expect(e).toBeInstanceOf(ProcessorConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ProcessorConfigError');
    };
    expect(config({ type: 'eq', bands: [{ type: 'peak', freq: 100, gain: 1, q: 1 }, { type: 'lowpass', freq: 24000 }] })).toBe(
      'bands[1].freq: 24000 Hz is not below Nyquist (24000 Hz at 48000 Hz)',
    );
    expect(config({ type: 'eq', bands: [{ type: 'highshelf', freq: 30000, gain: 1 }] }, { sampleRate: 44100, channels: 2 })).toMatch(/^bands\[0\]\.freq: .*22050 Hz/);
    expect(config({ type: 'delay', time: 100, damping: 30000 })).toMatch(/^damping: /);
    expect(config({ type: 'reverb', damping: 25000 })).toMatch(/^damping: /);
    expect(config({ type: 'delay', time: 0.001 })).toMatch(/^time: .*less than one sample/);
    expect(config({ type: 'polarity', channels: [0, 2] })).toMatch(/^channels\[1\]: channel 2 does not exist/);
    expect(config({ type: 'limiter', lookahead: 1 }, { sampleRate: 8000, channels: 1 })).toMatch(/^lookahead: /);
    expect(config({ type: 'reverb', impulse: 'hall.wav' })).toMatch(/^impulse: .*hall\.wav/);
  });

  it('takes impulse responses by path from a library, falling back to ctx.impulse', () => {
    const a = [Float32Array.of(1, 0.5)], b = [Float32Array.of(0, 0, -1)];
    const chain = createChain(
      [
        { type: 'reverb', impulse: 'a.wav', predelay: 10 },
        { type: 'reverb', impulse: 'b.wav', predelay: 10 },
      ],
      MONO,
      new Map([['a.wav', a], ['b.wav', b]]),
    );
    const y = run(chain, impulse(1, 2000, 0, 1))[0]!;
    const nz = [...y.keys()].filter((i) => Math.abs(y[i]!) > 1e-9);
    expect(nz).toEqual([962, 963]); // 2 × 480 pre-delay, then a ∗ b = [0, 0, −1, −0.5]
    expect(y[962]).toBeCloseTo(-1, 6);
    expect(y[963]).toBeCloseTo(-0.5, 6);
  });

  it('puts the stage index at the head of a chain error\'s path, and builds the message from the path', () => {
    const failure = (specs: ProcessorSpecInput[]) => {
      try {
        createChain(specs, STEREO);
      } catch (e) {
        return e;
      }
      throw new Error('expected the chain to fail');
    };
    const config = failure([{ type: 'gain', gain: 0 }, { type: 'eq', bands: [{ type: 'notch', freq: 40000, q: 2 }] }]) as ProcessorConfigError;
    expect(config).toBeInstanceOf(ProcessorConfigError);
    expect(config.path).toEqual([1, 'bands', 0, 'freq']);
    expect(config.reason).toBe('40000 Hz is not below Nyquist (24000 Hz at 48000 Hz)');
    expect(config.message).toBe(`[1].bands[0].freq: ${config.reason}`);
    expect(config.at(['stems', 0, 'processing']).message).toBe(`stems[0].processing[1].bands[0].freq: ${config.reason}`);

    const spec = failure([{ type: 'gain', gain: 0 }, { type: 'compressor', threshold: -10, ratio: 200, knee: -1 }]) as ProcessorSpecError;
    expect(spec).toBeInstanceOf(ProcessorSpecError);
    expect(spec.path).toEqual([1]);
    expect(spec.type).toBe('compressor');
    expect(spec.issues.map((i) => i.path)).toEqual([['ratio'], ['knee']]);
    expect(spec.message.split('\n')).toEqual([expect.stringMatching(/^\[1\]\.ratio: ratio must be/), expect.stringMatching(/^\[1\]\.knee: knee must be/)]);
    expect(spec.at(['master', 'processing']).message).toMatch(/^master\.processing\[1\]\.ratio: ratio must be/);
  });
});

// ── the processor contract, for every processor ──────────────────────────────────────────────────

describe.each(CONTRACT)('$name: processor contract', ({ spec, ctx = STEREO }) => {
  const input = material(Math.round(0.25 * FS), 1, ctx.channels);

  it('gives bit-identical output for blocks of 1, 7, 128, 4096 and irregular sizes', () => {
    const reference = run(createProcessor(spec, ctx), input, 4096);
    for (const block of [1, 7, 128, [1, 300, 17, 2048, 5, 64]]) {
      expect(firstDifference(run(createProcessor(spec, ctx), input, block), reference)).toBe(-1);
    }
    // It really processes: not the identity (except pan/polarity/gain trivially differ too).
    expect(firstDifference(reference, input)).not.toBe(-1);
  });

  it('reset() restores the initial state', () => {
    const fresh = run(createProcessor(spec, ctx), input, 1000);
    const p = createProcessor(spec, ctx);
    run(p, material(Math.round(0.2 * FS), 99, ctx.channels), 333);
    p.reset();
    expect(firstDifference(run(p, input, 1000), fresh)).toBe(-1);
  });

  it('is silent (< −90 dBFS) once the input has been silent for the declared tail', () => {
    const p = createProcessor(spec, ctx);
    const burst = Math.round(0.2 * FS);
    const total = burst + p.tail + 2000;
    const r = prng(5);
    const x = silence(ctx.channels, total);
    for (let i = 0; i < burst; i++) for (const c of x) c[i] = r() < 0.5 ? -1 : 1; // 0 dBFS
    const y = run(p, x, 4096);
    for (const c of y) expect(peak(c, burst + p.tail)).toBeLessThan(10 ** (-90 / 20));
  });
});

describe('latency = measured impulse delay', () => {
  const cases: { spec: ProcessorSpecInput; ctx?: ProcessorContext; latency: number }[] = [
    { spec: { type: 'gain', gain: -6 }, latency: 0 },
    { spec: { type: 'eq', bands: [{ type: 'peak', freq: 1000, gain: 6, q: 1 }] }, latency: 0 },
    { spec: { type: 'compressor', threshold: -20, ratio: 4 }, latency: 0 },
    { spec: { type: 'limiter', lookahead: 5 }, latency: 240 },
    { spec: { type: 'limiter', lookahead: 3 }, ctx: { sampleRate: 44100, channels: 2 }, latency: 132 },
    { spec: { type: 'saturate', drive: -24 }, latency: 53 },
    { spec: { type: 'reverb', impulse: 'x.wav' }, ctx: { ...STEREO, impulse: IR_STEREO }, latency: 64 },
    { spec: { type: 'reverb', impulse: 'x.wav', predelay: 1 }, ctx: { ...STEREO, impulse: IR_STEREO }, latency: 16 },
    { spec: { type: 'reverb', impulse: 'x.wav', predelay: 10 }, ctx: { ...STEREO, impulse: IR_STEREO }, latency: 0 },
  ];
  it.each(cases)('$spec.type $spec → $latency', ({ spec, ctx = STEREO, latency }) => {
    const p = createProcessor(spec, ctx);
    expect(p.latency).toBe(latency);
    const at = 1000;
    const y = run(p, impulse(ctx.channels, 6000, at, 0.01));
    // Linear-phase parts: the response is centred on the latency (its peak); minimum-phase and
    // lookahead parts start there (first non-zero sample). Convolution with predelay P starts at P + latency.
    const h = y[0]!;
    let argmax = 0;
    for (let i = 0; i < h.length; i++) if (Math.abs(h[i]!) > Math.abs(h[argmax]!)) argmax = i;
    // FFT convolution leaves round-off (~1e-18) where the exact answer is 0: count from 1e-9 (−180 dBFS).
    const first = h.findIndex((v) => Math.abs(v) > 1e-9);
    if (spec.type === 'saturate') {
      expect(argmax - at).toBe(latency);
      for (let k = 1; k < 40; k++) expect(h[argmax - k]).toBeCloseTo(h[argmax + k]!, 9); // symmetric: linear phase
    } else if (spec.type === 'reverb') {
      const predelay = Math.round(((spec.predelay ?? 0) * FS) / 1000);
      expect(first - at).toBe(latency + predelay);
      expect(h[first]).toBeCloseTo(0.01 * IR_STEREO[0]![0]!, 9);
    } else {
      expect(first - at).toBe(latency);
      expect(argmax - at).toBe(latency);
    }
  });

  it('a chain reports the sums and equals its stages in series', () => {
    const specs: ProcessorSpecInput[] = [
      { type: 'eq', bands: [{ type: 'highpass', freq: 40 }] },
      { type: 'saturate', drive: 3, mix: 0.5 },
      { type: 'limiter', lookahead: 2 },
      { type: 'delay', time: 20, feedback: 0.2, mix: 0.3 },
    ];
    const chain = createChain(specs, STEREO);
    const stages = specs.map((s) => createProcessor(s, STEREO));
    expect(chain.latency).toBe(stages.reduce((a, p) => a + p.latency, 0));
    expect(chain.latency).toBe(53 + 96);
    expect(chain.tail).toBe(stages.reduce((a, p) => a + p.tail, 0));
    const x = material(20000);
    let expected = x;
    for (const p of stages) expected = run(p, expected, 512);
    expect(firstDifference(run(chain, x, 512), expected)).toBe(-1);
  });
});

// ── EQ ──────────────────────────────────────────────────────────────────────────────────────────

/** The RBJ cookbook's analog prototypes, evaluated at s = j·tan(πf/fs)/tan(πf0/fs) (the bilinear map the cookbook pre-warps). */
function rbjAnalog(band: { type: string; freq: number; gain?: number; q?: number }, f: number): number {
  const W = Math.tan((Math.PI * f) / FS) / Math.tan((Math.PI * band.freq) / FS);
  const A = 10 ** ((band.gain ?? 0) / 40);
  const q = band.q ?? 0.707;
  // Polynomials in s = jW: a·s² + b·s + c → (c − aW²) + j·bW.
  const mag = (a: number, b: number, c: number) => Math.hypot(c - a * W * W, b * W);
  switch (band.type) {
    case 'peak':
      return mag(1, A / q, 1) / mag(1, 1 / (A * q), 1);
    case 'lowshelf':
      return (A * mag(1, Math.sqrt(A) / q, A)) / mag(A, Math.sqrt(A) / q, 1);
    case 'highshelf':
      return (A * mag(A, Math.sqrt(A) / q, 1)) / mag(1, Math.sqrt(A) / q, A);
    case 'notch':
      return mag(1, 0, 1) / mag(1, 1 / q, 1);
    case 'bandpass':
      return mag(0, 1 / q, 0) / mag(1, 1 / q, 1);
    default:
      throw new Error(band.type);
  }
}

/** Butterworth of order N, bilinear with pre-warping at the cutoff: |H|² = 1 / (1 + W^(±2N)). */
function butterworth(type: 'highpass' | 'lowpass', freq: number, slope: number, f: number): number {
  const W = Math.tan((Math.PI * f) / FS) / Math.tan((Math.PI * freq) / FS);
  const N = slope / 6;
  return 1 / Math.sqrt(1 + (type === 'lowpass' ? W : 1 / W) ** (2 * N));
}

function eqResponse(bands: ProcessorSpecInput & { type: 'eq' }): Float32Array {
  return run(createProcessor(bands, MONO), impulse(1, 1 << 16))[0]!;
}

describe('eq', () => {
  it('filters channels in pairs exactly as it filters each channel alone', () => {
    const spec: ProcessorSpecInput = { type: 'eq', bands: [{ type: 'highpass', freq: 40, slope: 24 }, { type: 'peak', freq: 700, gain: 4, q: 2 }, { type: 'highshelf', freq: 9000, gain: -3 }] };
    const x = material(20000, 6, 3);
    const together = run(createProcessor(spec, { sampleRate: FS, channels: 3 }), x, [100, 1, 3000]);
    for (let ch = 0; ch < 3; ch++) {
      const alone = run(createProcessor(spec, MONO), [x[ch]!], 4096);
      expect([ch, firstDifference([together[ch]!], alone)]).toEqual([ch, -1]);
    }
  });

  const FREQS = [31, 100, 250, 700, 1000, 2500, 2900, 6000, 11000, 18000];
  const bands = [
    { type: 'peak', freq: 1000, gain: 6, q: 1.4 },
    { type: 'peak', freq: 200, gain: -9, q: 0.7 },
    { type: 'lowshelf', freq: 150, gain: 4 },
    { type: 'lowshelf', freq: 400, gain: -6, q: 1.2 },
    { type: 'highshelf', freq: 6000, gain: -5, q: 1 },
    { type: 'highshelf', freq: 3000, gain: 8 },
    { type: 'notch', freq: 3000, q: 5 },
    { type: 'bandpass', freq: 500, q: 2 },
  ] as const;
  it.each(bands)('$type $freq Hz matches the analytic RBJ response within 0.01 dB', (band) => {
    const h = eqResponse({ type: 'eq', bands: [band] });
    let checked = 0;
    for (const f of FREQS) {
      const expected = db(rbjAnalog(band, f));
      if (expected < -80) continue;
      expect(Math.abs(db(dftMagnitude(h, f)) - expected)).toBeLessThan(0.01);
      checked++;
    }
    expect(checked).toBeGreaterThan(6);
    // And it is not flat: the band does something.
    expect(Math.max(...FREQS.map((f) => Math.abs(db(dftMagnitude(h, f)))))).toBeGreaterThan(3);
  });

  it.each([12, 24, 48] as const)('%i dB/oct high-pass and low-pass are Butterworth: −3 dB at the cutoff, within 0.01 dB everywhere', (slope) => {
    for (const type of ['highpass', 'lowpass'] as const) {
      const freq = type === 'highpass' ? 1000 : 4000;
      const h = eqResponse({ type: 'eq', bands: [{ type, freq, slope }] });
      expect(Math.abs(db(dftMagnitude(h, freq)) + 3.0103)).toBeLessThan(0.01);
      for (const f of FREQS) {
        const expected = db(butterworth(type, freq, slope, f));
        if (expected < -80) continue;
        expect(Math.abs(db(dftMagnitude(h, f)) - expected)).toBeLessThan(0.01);
      }
    }
  });

  it.each([12, 24, 48] as const)('%i dB/oct high-pass falls that much per octave well below the cutoff', (slope) => {
    // Measured with steady sines (the stop band reaches −144 dB, below what a Float32 impulse response resolves).
    const p = createProcessor({ type: 'eq', bands: [{ type: 'highpass', freq: 2000, slope }] }, MONO);
    const level = (f: number) => {
      const y = run(p, [sine(FS, f, 1)])[0]!;
      p.reset();
      const window = y.subarray(FS - 23040); // 0.48 s: whole cycles of 62.5, 125, 250 and 500 Hz
      return db((2 * dftMagnitude(window, f)) / window.length);
    };
    const l500 = level(500), l250 = level(250), l125 = level(125);
    // Order N = slope/6 falls 20·N·log10(2) = 6.02·N dB per octave (the "12/24/48" are nominal).
    const perOctave = (slope / 6) * 20 * Math.log10(2);
    expect(Math.abs(l500 - l250 - perOctave)).toBeLessThan(0.05);
    expect(Math.abs(l250 - l125 - perOctave)).toBeLessThan(0.05);
    expect(Math.abs(l250 - db(butterworth('highpass', 2000, slope, 250)))).toBeLessThan(0.05);
  });

  it('cascades bands in order (response = product of band responses)', () => {
    const a = { type: 'peak', freq: 800, gain: 5, q: 2 } as const;
    const b = { type: 'highshelf', freq: 5000, gain: -4 } as const;
    const h = eqResponse({ type: 'eq', bands: [a, b] });
    for (const f of [100, 800, 2000, 10000]) expect(Math.abs(db(dftMagnitude(h, f)) - db(rbjAnalog(a, f) * rbjAnalog(b, f)))).toBeLessThan(0.01);
  });

  it('an empty band list is the identity', () => {
    const x = material(4000);
    expect(firstDifference(run(createProcessor({ type: 'eq', bands: [] }, STEREO), x), x)).toBe(-1);
  });
});

// ── compressor ──────────────────────────────────────────────────────────────────────────────────

/** The documented soft-knee static curve: gain reduction in dB for input level x (dB). */
function staticGainReduction(x: number, T: number, R: number, W: number): number {
  if (2 * (x - T) < -W) return 0;
  if (2 * Math.abs(x - T) <= W) return (1 - 1 / R) * (x - T + W / 2) ** 2 / (2 * W);
  return (1 - 1 / R) * (x - T);
}

describe('compressor', () => {
  const T = -20, R = 4, W = 6;
  const seconds = 1.5;
  const n = Math.round(seconds * FS);
  /** The settled last half second. */
  const settled = [FS, n] as const;

  it.each([-30, -24, -21, -18, -16, -10, 0, 6])('peak detection: steady sine at %i dBFS peak follows the static curve within 0.2 dB', (level) => {
    const c = createProcessor({ type: 'compressor', threshold: T, ratio: R, knee: W, attack: 1, release: 200 }, MONO);
    const x = sine(n, 997, 10 ** (level / 20));
    const y = run(c, [x])[0]!;
    const out = db(peak(y, ...settled));
    expect(Math.abs(out - (level - staticGainReduction(level, T, R, W)))).toBeLessThan(0.2);
  });

  it.each([-30, -22, -19, -12, 0])('rms detection: steady sine at %i dBFS RMS follows the static curve within 0.2 dB', (level) => {
    const c = createProcessor({ type: 'compressor', threshold: T, ratio: R, knee: W, attack: 5, release: 300, detection: 'rms', makeup: 3 }, MONO);
    const x = sine(n, 997, Math.SQRT2 * 10 ** (level / 20));
    const y = run(c, [x])[0]!;
    const out = db(rms(y, ...settled));
    expect(Math.abs(out - (level - staticGainReduction(level, T, R, W) + 3))).toBeLessThan(0.2);
  });

  it('hard knee at a high ratio limits a loud sine to threshold + overshoot/ratio', () => {
    const c = createProcessor({ type: 'compressor', threshold: -12, ratio: 20, knee: 0, attack: 0.5, release: 150 }, MONO);
    const y = run(c, [sine(n, 440, 1)])[0]!;
    expect(Math.abs(db(peak(y, ...settled)) - (-12 + 12 / 20))).toBeLessThan(0.2);
  });

  it('attack and release are 10–90 % times of the gain change (±20 %)', () => {
    const attack = 20, release = 200;
    const c = new Compressor(
      { type: 'compressor', threshold: -20, ratio: 10, knee: 0, attack, release, makeup: 0, detection: 'peak', link: true },
      MONO,
    );
    const up = Math.round(0.5 * FS), down = Math.round(1.5 * FS), total = Math.round(3 * FS);
    const x = new Float32Array(total);
    for (let i = 0; i < total; i++) x[i] = (i >= up && i < down ? 1 : 0.01) * Math.sin((2 * Math.PI * 1000 * i) / FS);
    const gr = new Float64Array(total);
    const buf = [x];
    for (let i = 0; i < total; i++) {
      c.process([buf[0]!.subarray(i, i + 1)], 1);
      gr[i] = c.gainReduction();
    }
    const full = 0.9 * 20; // 20 dB over the threshold at ratio 10
    expect(Math.abs(gr[down - 1]! - full)).toBeLessThan(0.2);
    const crossing = (from: number, test: (v: number) => boolean) => {
      for (let i = from; i < total; i++) if (test(gr[i]!)) return i;
      return -1;
    };
    const attackMs = ((crossing(up, (v) => v >= 0.9 * full) - crossing(up, (v) => v >= 0.1 * full)) / FS) * 1000;
    const releaseMs = ((crossing(down, (v) => v <= 0.1 * full) - crossing(down, (v) => v <= 0.9 * full)) / FS) * 1000;
    expect(attackMs).toBeGreaterThan(attack * 0.8);
    expect(attackMs).toBeLessThan(attack * 1.2);
    expect(releaseMs).toBeGreaterThan(release * 0.8);
    expect(releaseMs).toBeLessThan(release * 1.2);
    expect(gr[total - 1]).toBeLessThan(1e-5); // recovered
  });

  it('peak detection from Float32 bits (one or two channels) agrees with Math.log (three channels) to 1e-5 dB (Float32 output rounding is 5e-7 dB)', () => {
    const spec = { type: 'compressor', threshold: -24, ratio: 6, knee: 4, attack: 0.5, release: 40, makeup: 3 } as const;
    const x = material(48000, 3, 2);
    const two = run(createProcessor(spec, STEREO), x);
    // A silent third channel never leads the linked detector, which then takes Math.log.
    const three = run(createProcessor(spec, { sampleRate: FS, channels: 3 }), [...x, new Float32Array(48000)]);
    let worst = 0;
    for (let ch = 0; ch < 2; ch++) {
      for (let i = 0; i < 48000; i++) {
        if (Math.abs(x[ch]![i]!) < 1e-3) continue;
        worst = Math.max(worst, Math.abs(20 * Math.log10(two[ch]![i]! / three[ch]![i]!)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    // It really compresses.
    expect(db(peak(two[0]!))).toBeLessThan(db(peak(x[0]!)) - 3);
  });

  it('linked: one gain for both channels; unlinked: a quiet channel is untouched', () => {
    const spec = { type: 'compressor', threshold: -20, ratio: 4, knee: 0, attack: 1, release: 100 } as const;
    const loud = sine(n, 1000, 1);
    const quiet = sine(n, 1000, 0.01, 1);
    const linked = run(createProcessor({ ...spec, link: true }, STEREO), [loud, quiet]);
    const unlinked = run(createProcessor({ ...spec, link: false }, STEREO), [loud, quiet]);
    // Linked: the quiet channel gets exactly the loud channel's gain (15 dB of reduction).
    for (let i = FS; i < n; i += 7) {
      if (Math.abs(loud[i]!) < 0.1 || Math.abs(quiet[i]!) < 0.002) continue;
      expect(linked[1]![i]! / quiet[i]!).toBeCloseTo(linked[0]![i]! / loud[i]!, 5);
    }
    expect(db(peak(linked[1]!, FS, n))).toBeCloseTo(-40 - 15, 0);
    // Unlinked: the quiet channel is below threshold: bit-identical; the loud one is compressed as when linked.
    expect(firstDifference([unlinked[1]!], [quiet])).toBe(-1);
    expect(firstDifference([unlinked[0]!], [linked[0]!])).toBe(-1);
  });
});

// ── limiter ─────────────────────────────────────────────────────────────────────────────────────

describe('limiter', () => {
  it('keeps loud music-like material with inter-sample peaks at or below the ceiling in true peak (both BS.1770 interpolators)', () => {
    for (const [ceiling, seed, gainDb] of [[-1, 1, 6], [-1, 2, 14], [-2.5, 3, 10], [-0.1, 4, 3]] as const) {
      const x = music(4, seed, gainDb);
      const inputTp = truePeakDbtp(x, 'sinc');
      // The material really has inter-sample peaks and is far over the ceiling.
      expect(inputTp - db(Math.max(peak(x[0]!), peak(x[1]!)))).toBeGreaterThan(0.3);
      expect(inputTp).toBeGreaterThan(ceiling + 6);
      const y = run(createProcessor({ type: 'limiter', ceiling }, STEREO), x, 4096);
      for (const interpolator of ['sinc', 'bs1770'] as const) {
        const tp = truePeakDbtp(y, interpolator);
        expect(tp).toBeLessThanOrEqual(ceiling + 0.05); // the brief's tolerance …
        expect(tp).toBeLessThanOrEqual(ceiling); // … and the design target: never above
        expect(tp).toBeGreaterThan(ceiling - 0.3); // not over-limited
      }
    }
  });

  it('holds the ceiling on adversarial material (spikes, stepped tones near fs/4 and fs/2) with a short lookahead and fast release', () => {
    const r = prng(8);
    const frames = 2 * FS;
    const x = silence(2, frames);
    let a = 1;
    for (let i = 0; i < frames; i++) {
      if (r() < 0.02) a = 10 ** (r() * 1.5);
      x[0]![i] = a * Math.sin(Math.PI * 0.9 * i + 0.5);
      x[1]![i] = (r() * 2 - 1) * (r() < 0.01 ? 30 : 3);
    }
    for (const lookahead of [1, 2]) {
      const y = run(createProcessor({ type: 'limiter', ceiling: -1, lookahead, release: 1 }, STEREO), x, 777);
      expect(truePeakDbtp(y, 'sinc')).toBeLessThanOrEqual(-1);
      expect(truePeakDbtp(y, 'bs1770')).toBeLessThanOrEqual(-1);
    }
  });

  it('leaves quiet material untouched: output = input delayed by the lookahead, exactly', () => {
    const x = music(2, 5, -22);
    expect(truePeakDbtp(x, 'bs1770')).toBeLessThan(-3);
    const lim = createProcessor({ type: 'limiter', ceiling: -1, lookahead: 5 }, STEREO) as Limiter;
    const y = run(lim, x, 1000);
    const D = lim.latency;
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < D; i++) expect(y[c]![i]).toBe(0);
      for (let i = D; i < x[c]!.length; i++) if (y[c]![i] !== x[c]![i - D]) expect.fail(`channel ${c} frame ${i}: gain ≠ 1`);
    }
    expect(lim.currentGain).toBe(1);
  });

  it('an impulse comes out exactly `lookahead` samples later and unchanged', () => {
    for (const [lookahead, D] of [[5, 240], [1.5, 72], [12.5, 600]] as const) {
      const lim = createProcessor({ type: 'limiter', lookahead }, STEREO);
      expect(lim.latency).toBe(D);
      const y = run(lim, impulse(2, 2000, 300, 0.5))[0]!;
      expect(y[300 + D]).toBe(0.5);
      expect(peak(y, 0, 300 + D)).toBe(0);
      expect(peak(y, 301 + D)).toBe(0);
    }
  });

  it('recovers after a loud burst', () => {
    const x = [new Float32Array(FS)];
    for (let i = 0; i < 4800; i++) x[0]![i] = 4 * Math.sin(i * 0.05);
    for (let i = 4800; i < FS; i++) x[0]![i] = 0.1 * Math.sin(i * 0.05);
    const lim = createProcessor({ type: 'limiter', ceiling: -1, release: 50 }, MONO) as Limiter;
    const y = run(lim, x)[0]!;
    expect(db(peak(y, 0, 4800))).toBeLessThan(-1);
    expect(lim.currentGain).toBeGreaterThan(0.999); // 0.9 s after the burst, 50 ms release
    expect(peak(y, FS - 4800)).toBeCloseTo(0.1, 3);
  });
});

// ── saturate ────────────────────────────────────────────────────────────────────────────────────

/** Spectrum (magnitude per bin) of the last 2^15 samples: 15 kHz at 48 kHz repeats every 16 samples, so bins are exact. */
function spectrum(x: Float32Array): Float64Array {
  const N = 1 << 15;
  const fft = new FFT(N);
  const out = new Float64Array(2 * N);
  fft.realTransform(out, Float64Array.from(x.subarray(x.length - N)));
  const mag = new Float64Array(N / 2 + 1);
  for (let k = 0; k <= N / 2; k++) mag[k] = Math.hypot(out[2 * k]!, out[2 * k + 1]!);
  return mag;
}

/** Strongest component in 20 Hz … 20 kHz other than `freq`, relative to `freq`, dB. */
function worstSpur(x: Float32Array, freq: number): { db: number; hz: number } {
  const mag = spectrum(x);
  const binHz = FS / (1 << 15);
  const k0 = Math.round(freq / binHz);
  let worst = 0, at = 0;
  for (let k = Math.ceil(20 / binHz); k <= 20000 / binHz; k++) {
    if (Math.abs(k - k0) <= 1) continue;
    if (mag[k]! > worst) {
      worst = mag[k]!;
      at = k * binHz;
    }
  }
  return { db: db(worst / mag[k0]!), hz: at };
}

describe('saturate', () => {
  const frames = FS;
  const tone = sine(frames, 15000, 0.5);

  it('a hard-driven 15 kHz sine: alias products ≥ 60 dB below the fundamental (the naive tanh fails)', () => {
    for (const shape of ['tanh', 'soft'] as const) {
      const y = run(createProcessor({ type: 'saturate', drive: 18, shape }, MONO), [tone])[0]!;
      // Driven hard: the fundamental comes out ≥ 9 dB below the linear 0.5·7.94 = 3.97.
      const fundamental = (2 * spectrum(y)[Math.round(15000 / (FS / (1 << 15)))]!) / (1 << 15);
      expect(fundamental).toBeLessThan(1.4);
      expect(fundamental).toBeGreaterThan(0.8);
      const spur = worstSpur(y, 15000);
      expect(spur.db).toBeLessThan(-60);
    }
    // Without oversampling the 3rd harmonic (45 kHz) folds to 3 kHz, the 5th (75 kHz) to 21 kHz, the 7th (105 kHz) to 9 kHz.
    const drive = 10 ** (18 / 20);
    const naive = tone.map((v) => Math.tanh(drive * v));
    const spur = worstSpur(naive, 15000);
    expect(spur.db).toBeGreaterThan(-30);
    expect([3000, 9000]).toContain(Math.round(spur.hz));
  });

  it('mix 0 is the input delayed by the latency, exactly', () => {
    const p = createProcessor({ type: 'saturate', drive: 20, mix: 0 }, STEREO);
    const x = material(8000);
    const y = run(p, x, 100);
    for (let c = 0; c < 2; c++) for (let i = p.latency; i < 8000; i++) if (y[c]![i] !== x[c]![i - p.latency]) expect.fail(`frame ${i}`);
  });

  it('small signals pass unchanged (unity small-signal gain, flat pass band, aligned to the latency)', () => {
    const p = createProcessor({ type: 'saturate', drive: 0 }, MONO);
    const x = sine(8000, 1000, 0.001);
    const y = run(p, [x])[0]!;
    for (let i = 200; i < 8000; i++) expect(Math.abs(y[i]! - x[i - p.latency]!)).toBeLessThan(1e-7);
  });
});

// ── delay ───────────────────────────────────────────────────────────────────────────────────────

describe('delay', () => {
  it('an impulse gives echoes at k·time of amplitude mix·feedback^(k−1)', () => {
    for (const [time, feedback, mix] of [[10, 0.5, 1], [12.5, 0.8, 0.35], [3, 0, 0.5]] as const) {
      const p = createProcessor({ type: 'delay', time, feedback, mix, damping: null }, STEREO) as Delay;
      const D = Math.round((time * FS) / 1000);
      expect(p.length).toBe(D);
      const y = run(p, impulse(2, 12 * D, 0, 1))[1]!;
      expect(y[0]).toBeCloseTo(1 - mix, 7);
      for (let i = 1; i < 12 * D; i++) {
        const k = i / D;
        const expected = Number.isInteger(k) ? mix * feedback ** (k - 1) : 0;
        expect(Math.abs(y[i]! - expected)).toBeLessThan(1e-7);
      }
    }
  });

  it('damping low-passes every repeat once more', () => {
    const p = createProcessor({ type: 'delay', time: 10, feedback: 0.9, mix: 1, damping: 2000 }, MONO);
    const D = 480;
    const y = run(p, impulse(1, 6 * D))[0]!;
    expect(y[D]).toBe(1); // the first echo is not in the loop yet
    const echoEnergy = (k: number) => y.subarray(k * D - 5, (k + 1) * D - 5).reduce((a, v) => a + v * v, 0);
    expect(echoEnergy(2)).toBeLessThan(0.9 ** 2 * 0.5);
    expect(echoEnergy(3)).toBeLessThan(echoEnergy(2));
  });

  it('the tail covers the worst case: a sustained DC input built up by 0.95 feedback', () => {
    const p = createProcessor({ type: 'delay', time: 5, feedback: 0.95, mix: 1, damping: 500 }, MONO);
    const burst = FS;
    const x = [new Float32Array(burst + p.tail + 100)];
    x[0]!.fill(1, 0, burst);
    const y = run(p, x)[0]!;
    expect(peak(y, 0, burst)).toBeGreaterThan(10); // it did build up
    expect(peak(y, burst + p.tail)).toBeLessThan(10 ** (-90 / 20));
  });
});

// ── reverb ──────────────────────────────────────────────────────────────────────────────────────

/** RT60 from the Schroeder backward integral, least-squares line between −5 and −35 dB. */
function schroederRt60(h: Float32Array[]): number {
  const n = h[0]!.length;
  const edc = new Float64Array(n);
  let acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    for (const c of h) acc += c[i]! * c[i]!;
    edc[i] = acc;
  }
  let sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (let i = 0; i < n; i++) {
    const level = 10 * Math.log10(edc[i]! / edc[0]!);
    if (level > -5 || level < -35) continue;
    const t = i / FS;
    sx += t; sy += level; sxx += t * t; sxy += t * level; m++;
  }
  const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  return -60 / slope;
}

describe('reverb (feedback delay network)', () => {
  it.each([
    [0.6, 0.2],
    [1.5, 0.5],
    [3, 1],
  ])('decay %f s (size %f): the impulse response decays at RT60 within ±20 %', (decay, size) => {
    const h = run(createProcessor({ type: 'reverb', decay, size }, STEREO), impulse(2, Math.round(decay * 1.3 * FS)));
    const rt = schroederRt60(h);
    expect(rt).toBeGreaterThan(decay * 0.8);
    expect(rt).toBeLessThan(decay * 1.2);
  });

  it('damping keeps RT60 at low frequencies and shortens it at high frequencies', () => {
    const decay = 1.5;
    const h = run(createProcessor({ type: 'reverb', decay, damping: 3000 }, STEREO), impulse(2, 2 * FS));
    const band = (spec: ProcessorSpecInput) => run(createProcessor(spec, STEREO), h);
    const low = band({ type: 'eq', bands: [{ type: 'lowpass', freq: 300, slope: 48 }] });
    const high = band({ type: 'eq', bands: [{ type: 'highpass', freq: 8000, slope: 48 }] });
    const rtLow = schroederRt60(low);
    expect(rtLow).toBeGreaterThan(decay * 0.8);
    expect(rtLow).toBeLessThan(decay * 1.2);
    expect(schroederRt60(high)).toBeLessThan(decay * 0.5);
  });

  it('pre-delay is exact to the sample on every output channel', () => {
    for (const [predelay, channels] of [[25, 2], [0, 2], [7.3, 6]] as const) {
      const ctx = { sampleRate: FS, channels };
      const p = createProcessor({ type: 'reverb', decay: 1, predelay }, ctx) as Reverb;
      const P = Math.round((predelay * FS) / 1000);
      expect(p.predelay).toBe(P);
      const y = run(p, impulse(channels, P + 4000, 0, 1));
      for (const c of y) expect(c.findIndex((v) => v !== 0)).toBe(P);
    }
  });

  it('outputs are decorrelated and of equal level, with ≈ unit impulse-response energy', () => {
    for (const channels of [2, 4]) {
      const h = run(createProcessor({ type: 'reverb', decay: 2 }, { sampleRate: FS, channels }), impulse(channels, 3 * FS));
      const energy = h.map((c) => c.reduce((a, v) => a + v * v, 0));
      for (const e of energy) expect(Math.abs(10 * Math.log10(e))).toBeLessThan(3);
      for (let a = 0; a < channels; a++) {
        for (let b = a + 1; b < channels; b++) {
          let cross = 0;
          for (let i = 0; i < h[a]!.length; i++) cross += h[a]![i]! * h[b]![i]!;
          expect(Math.abs(cross / Math.sqrt(energy[a]! * energy[b]!))).toBeLessThan(0.1);
        }
      }
    }
  });

  it('the fused 8-line path (≤ 2 channels) is bit-identical to the generic stage-by-stage path', () => {
    for (const [channels, spec] of [
      [2, { type: 'reverb', decay: 1, predelay: 2, mix: 0.6, damping: 4000 }],
      [1, { type: 'reverb', decay: 0.4, size: 0 }],
    ] as const) {
      const ctx = { sampleRate: FS, channels };
      const fused = createProcessor(spec, ctx);
      const generic = createProcessor(spec, ctx);
      expect((fused as unknown as { fast: boolean }).fast).toBe(true);
      (generic as unknown as { fast: boolean }).fast = false;
      const x = material(20000, 4, channels);
      expect(firstDifference(run(fused, x, [100, 1, 513]), run(generic, x, [100, 1, 513]))).toBe(-1);
    }
  });

  it('zeroes its state after long silence and then passes silence through untouched, whatever the block sizes', () => {
    const spec = { type: 'reverb', decay: 0.05, predelay: 2, mix: 0.7 } as const;
    const burst = material(2000, 5);
    const gap = 40000; // longer than the 400 dB settling time (≈ 16 000 frames at RT60 50 ms)
    const x = silence(2, 2000 + gap + 6000);
    for (let ch = 0; ch < 2; ch++) {
      x[ch]!.set(burst[ch]!, 0);
      x[ch]!.set(burst[ch]!, 2000 + gap);
    }
    // L = −R sums to a silent mono input: the dry part still passes (scaled), the network stays idle.
    x[0]![30000] = 0.5;
    x[1]![30000] = -0.5;
    const y = run(createProcessor(spec, STEREO), x);
    for (const block of [1, 7, [1, 300, 17, 2048, 5, 64]]) expect(firstDifference(run(createProcessor(spec, STEREO), x, block), y)).toBe(-1);
    // Before the second burst: exactly the dry part of the input (zero but for the L/R pair).
    for (let ch = 0; ch < 2; ch++) {
      const quiet = y[ch]!.subarray(25000, 2000 + gap);
      expect(Array.from(quiet.filter((v) => v !== 0))).toEqual([ch === 0 ? Math.fround(0.3 * 0.5) : Math.fround(-0.3 * 0.5)]);
    }
    // The second burst rings exactly as from a fresh reverb.
    const fresh = run(createProcessor(spec, STEREO), [0, 1].map((ch) => x[ch]!.slice(2000 + gap)));
    expect(firstDifference(y.map((c) => c.slice(2000 + gap)), fresh)).toBe(-1);
  });

  it('a 0 dBFS noise burst is below −90 dBFS after the declared tail', () => {
    const p = createProcessor({ type: 'reverb', decay: 1.2, predelay: 20, size: 0.8 }, STEREO);
    const burst = FS;
    const r = prng(3);
    const x = silence(2, burst + p.tail + 1000);
    for (let i = 0; i < burst; i++) x[0]![i] = x[1]![i] = r() * 2 - 1;
    const y = run(p, x);
    expect(peak(y[0]!, burst, burst + 4800)).toBeGreaterThan(0.05);
    for (const c of y) expect(peak(c, burst + p.tail)).toBeLessThan(10 ** (-90 / 20));
  });
});

// ── convolution ─────────────────────────────────────────────────────────────────────────────────

function directConvolution(x: Float32Array, h: Float32Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let n = 0; n < x.length; n++) {
    let s = 0;
    for (let k = 0; k < h.length && k <= n; k++) s += h[k]! * x[n - k]!;
    y[n] = s;
  }
  return y;
}

describe('convolution reverb', () => {
  const r = prng(21);
  const frames = 12000;
  const x = [0, 1].map(() => Float32Array.from({ length: frames }, () => r() * 2 - 1));

  it.each([1, 7, 128, 4096])('equals direct convolution to 1e-5 (blocks of %i)', (block) => {
    for (const ir of [[IR_STEREO[0]!.subarray(0, 300)], IR_STEREO, [Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 0.37) * Math.exp(-i / 1500))]]) {
      const p = createProcessor({ type: 'reverb', impulse: 'ir.wav' }, { ...STEREO, impulse: ir });
      const y = run(p, x, block);
      for (let c = 0; c < 2; c++) {
        const expected = directConvolution(x[c]!, ir[c % ir.length]!);
        let err = 0;
        for (let n = 0; n + p.latency < frames; n++) err = Math.max(err, Math.abs(y[c]![n + p.latency]! - expected[n]!));
        expect(err).toBeLessThan(1e-5);
        for (let n = 0; n < p.latency; n++) expect(y[c]![n]).toBe(0);
      }
    }
  });

  it('applies the pre-delay (absorbing the block latency) and the mix', () => {
    const ir = [IR_STEREO[0]!.subarray(0, 300)];
    const p = createProcessor({ type: 'reverb', impulse: 'ir.wav', predelay: 10, mix: 0.25 }, { ...STEREO, impulse: ir });
    expect(p.latency).toBe(0); // 480 samples of pre-delay ≥ the 64-sample block
    const y = run(p, x, 100);
    const wet = directConvolution(x[0]!, ir[0]!);
    for (let n = 0; n < frames; n++) {
      const expected = 0.75 * x[0]![n]! + 0.25 * (n >= 480 ? wet[n - 480]! : 0);
      if (Math.abs(y[0]![n]! - expected) > 1e-5) expect.fail(`frame ${n}: ${y[0]![n]} ≠ ${expected}`);
    }
  });
});

// ── gain, pan, polarity ─────────────────────────────────────────────────────────────────────────

describe('gain, pan, polarity', () => {
  it('gain scales by 10^(dB/20)', () => {
    const y = run(createProcessor({ type: 'gain', gain: -6 }, MONO), [Float32Array.of(1, -0.5)])[0]!;
    expect(y[0]).toBeCloseTo(10 ** (-6 / 20), 7);
    expect(y[1]).toBeCloseTo(-0.5 * 10 ** (-6 / 20), 7);
  });

  it('pan is constant power, unity at the centre, and a no-op on mono', () => {
    for (const p of [-1, -0.5, 0, 0.3, 1]) {
      const [l, r] = panGains(p);
      expect(l * l + r * r).toBeCloseTo(2, 12);
    }
    expect(panGains(0)).toEqual([1, 1]);
    expect(panGains(-1)).toEqual([Math.SQRT2, 0]);
    const x = material(1000);
    expect(firstDifference(run(createProcessor({ type: 'pan' }, STEREO), x), x)).toBe(-1);
    expect(firstDifference(run(createProcessor({ type: 'pan', pan: 1 }, MONO), [x[0]!]), [x[0]!])).toBe(-1);
    const right = run(createProcessor({ type: 'pan', pan: 1 }, STEREO), x);
    expect(peak(right[0]!)).toBe(0);
  });

  it('polarity inverts all channels by default, or the listed ones', () => {
    const x = material(1000);
    const all = run(createProcessor({ type: 'polarity' }, STEREO), x);
    const one = run(createProcessor({ type: 'polarity', channels: [1] }, STEREO), x);
    for (let i = 0; i < 1000; i++) {
      expect(all[0]![i]).toBe(-x[0]![i]!);
      expect(all[1]![i]).toBe(-x[1]![i]!);
      expect(one[0]![i]).toBe(x[0]![i]);
      expect(one[1]![i]).toBe(-x[1]![i]!);
    }
  });
});
