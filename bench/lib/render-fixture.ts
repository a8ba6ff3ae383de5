import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveFixtureOptions, reusableRecord, type FixtureOptions } from './fixture-record.js';
import { stringify } from 'yaml';
import type { SessionInput } from '../../src/session/schema.js';
import { chordOf, CYCLE, decayK, fadeFramesFor, fadeGain, firstBarOf, fsin, lastBarOf, mtof, Noise, saw, type Section, sectionOf, smoothK, stepFrames, STEPS, writeWavStreams } from './synth.js';

/**
 * A deterministic multitrack session for `stemkit render` benchmarks: 48 tracks (36 mono, 12
 * stereo), 48 kHz/24-bit, grouped into 8 stems, as DIR/NN Name.wav plus DIR/session.yaml next to
 * them.
 *
 * - Music-like material per instrument, a 120 BPM song in A minor (Am F C G) with a 64-second
 *   form (intro, verse, chorus, breakdown, chorus) repeated for as long as asked: kick, snare,
 *   hats, toms, ride, overheads and room; shaker, tambourine, clap, conga, a percussion loop;
 *   bass DI/amp, synth bass, sub; power-chord guitars, lead, slide, clean arpeggio, acoustic,
 *   an echoing ambient guitar (Karplus–Strong strings); piano, Rhodes (FM), organ, clav, pluck,
 *   bell; pad, strings, high strings, cello, brass; a formant-synthesised lead vocal, its double,
 *   four backing vocals, a harmony and a stereo stack; impacts, risers and an atmosphere.
 *   Parts rest where a real arrangement would (no vocals in the intro, toms in fills only), but
 *   no track is silent for long.
 * - Every track is scaled so it peaks at about −6 dBFS: the gains are measured on the first pass
 *   of the song form (at most 64 s) before writing, so the levels hold whatever the length.
 * - Streaming: one bar (2 s) at a time into reused buffers; a 16-minute session costs the same
 *   memory as a 4-minute one. No Math.sin per sample (polynomial sine, PolyBLEP saws, TPT
 *   state-variable filters, Karplus–Strong delay lines).
 * - Same options, same bytes (xorshift noise with fixed seeds, no Date, no Math.random).
 * - The session (renderSessionInput): per stem an EQ (2–3 bands) and a compressor on the bus,
 *   sends from every stem to one shared algorithmic reverb return, a true-peak limiter on the
 *   master.
 */

/** Bump when the synthesis or the file layout changes, so cached fixtures are regenerated. */
export const RENDER_FIXTURE_VERSION = 1;

/** Peak level every track is scaled to. */
const TRACK_PEAK_DBFS = -6;

/** `dir` is the folder for the tracks and session.yaml. */
export type RenderFixtureOptions = FixtureOptions;

export interface RenderFixtureTrack {
  /** File name inside the fixture folder. */
  file: string;
  name: string;
  stem: string;
  channels: 1 | 2;
  bytes: number;
  /** Sample peak as written, dBFS. */
  peakDbfs: number;
}

export interface RenderFixture {
  dir: string;
  session: string;
  tracks: RenderFixtureTrack[];
  /** Absolute paths of the track files, in session order. */
  files: string[];
  frames: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  totalBytes: number;
  version: number;
  generated: boolean;
  generateSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Soft clip: unity slope at 0, saturating at ±1. */
function soft(x: number): number {
  if (x > 3) return 1;
  if (x < -3) return -1;
  return (x * (27 + x * x)) / (27 + 9 * x * x);
}

/** tan(w) for 0 ≤ w ≤ ~0.5 (fc ≤ 7.6 kHz at 48 kHz), 5th-order series: for filters swept per sample. */
function tanSmall(w: number): number {
  const w2 = w * w;
  return w * (1 + w2 * (1 / 3 + w2 * (2 / 15)));
}

/** Per-sample multiplier for −60 dB in `seconds`. */
const t60K = (seconds: number, sr: number) => 10 ** (-3 / (seconds * sr));

/** Zavalishin's topology-preserving state-variable filter: stable at any cutoff below Nyquist. */
class Svf {
  private ic1 = 0;
  private ic2 = 0;
  private a1 = 1;
  private a2 = 0;
  private a3 = 0;
  private k = 1;
  /** Sets cutoff from g = tan(π·fc/fs) and Q. */
  setG(g: number, q: number): void {
    this.k = 1 / q;
    this.a1 = 1 / (1 + g * (g + this.k));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }
  set(fc: number, q: number, sr: number): void {
    this.setG(Math.tan((Math.PI * Math.min(fc, 0.45 * sr)) / sr), q);
  }
  /** Returns 0 low, 1 band, 2 high of one sample. */
  tick(x: number, mode: number): number {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    return mode === 0 ? v2 : mode === 1 ? v1 : x - this.k * v1 - v2;
  }
}

/** Deterministic hash in [0, 1) of two integers (for per-bar variations). */
function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

/** One note or hit: start frame within the bar, length in frames, pitches, velocity, variant flag. */
interface NoteEvent {
  at: number;
  len: number;
  midis: number[];
  vel: number;
  alt: boolean;
}
/** Events of a bar in steps: [step, length in steps, midis, velocity, alt?]. */
type StepEvent = [step: number, steps: number, midis: number[], vel: number, alt?: boolean];
type Pattern = (bar: number, sec: Section) => StepEvent[];

interface Timing {
  sr: number;
  step: number;
  bar: number;
}

/** One track: adds one bar of audio into out (1 or 2 zeroed Float64 arrays of `bar` frames). */
interface Part {
  readonly channels: 1 | 2;
  render(bar: number, out: Float64Array[]): void;
}

/**
 * Base for event-driven parts: events from the pattern (shifted by `delay` frames, so a note late
 * in one bar may start in the next), processed in segments between event starts.
 */
abstract class Sequenced implements Part {
  abstract readonly channels: 1 | 2;
  constructor(
    protected readonly t: Timing,
    private readonly pattern: Pattern,
    private readonly delay = 0,
  ) {}

  private eventsOf(bar: number): NoteEvent[] {
    const out: NoteEvent[] = [];
    for (const b of [bar - 1, bar]) {
      if (b < 0) continue;
      for (const [step, steps, midis, vel, alt] of this.pattern(b, sectionOf(b))) {
        const at = (b - bar) * this.t.bar + Math.round(step * this.t.step) + this.delay;
        if (at >= 0 && at < this.t.bar) out.push({ at, len: Math.max(1, Math.round(steps * this.t.step)), midis, vel, alt: Boolean(alt) });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  render(bar: number, out: Float64Array[]): void {
    this.beginBar(bar);
    let pos = 0;
    for (const e of this.eventsOf(bar)) {
      if (e.at > pos) this.run(out, pos, e.at);
      pos = e.at;
      this.trigger(e);
    }
    if (pos < this.t.bar) this.run(out, pos, this.t.bar);
  }

  protected beginBar(_bar: number): void {}
  protected abstract trigger(e: NoteEvent): void;
  /** Adds frames [a, b) of the bar. */
  protected abstract run(out: Float64Array[], a: number, b: number): void;
}

// ---------------------------------------------------------------------------------------------
// Drums and percussion: a pitch-swept sine plus filtered noise per hit

interface HitOptions {
  channels?: 1 | 2;
  tone?: { from: number; to: number; sweep: number; decay: number; amp: number };
  noise?: { mode: 0 | 1 | 2; freq: number; q: number; decay: number; altDecay?: number; amp: number };
  /** Stereo: how much the two noise channels differ (0 = same, 1 = independent). */
  width?: number;
}

class Hit extends Sequenced {
  readonly channels: 1 | 2;
  private toneAmp = 0;
  private freq = 0;
  private ph = 0;
  private noiseAmp = 0;
  private noiseK = 0;
  private readonly nl: Noise;
  private readonly nr: Noise;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private readonly sweepK: number;
  private readonly toneK: number;

  constructor(t: Timing, pattern: Pattern, private readonly o: HitOptions, seed: number) {
    super(t, pattern);
    this.channels = o.channels ?? 1;
    this.nl = new Noise(seed);
    this.nr = new Noise(seed * 7 + 3);
    if (o.noise) {
      this.fl.set(o.noise.freq, o.noise.q, t.sr);
      this.fr.set(o.noise.freq * 1.07, o.noise.q, t.sr);
    }
    this.sweepK = o.tone ? decayK(o.tone.sweep, t.sr) : 0;
    this.toneK = o.tone ? decayK(o.tone.decay, t.sr) : 0;
  }

  protected trigger(e: NoteEvent): void {
    if (this.o.tone) {
      this.toneAmp = e.vel * this.o.tone.amp;
      this.freq = this.o.tone.from;
    }
    if (this.o.noise) {
      this.noiseAmp = e.vel * this.o.noise.amp;
      this.noiseK = decayK(e.alt && this.o.noise.altDecay ? this.o.noise.altDecay : this.o.noise.decay, this.t.sr);
    }
  }

  protected run(out: Float64Array[], a: number, b: number): void {
    const L = out[0]!;
    const R = this.channels === 2 ? out[1]! : null;
    const inv = 1 / this.t.sr;
    if (this.o.tone && this.toneAmp > 1e-5) {
      const to = this.o.tone.to;
      let amp = this.toneAmp, f = this.freq, ph = this.ph;
      const sk = this.sweepK, dk = this.toneK;
      for (let i = a; i < b; i++) {
        f = to + (f - to) * sk;
        ph += f * inv;
        const v = fsin(ph) * amp;
        amp *= dk;
        L[i] += v;
        if (R) R[i] += v;
      }
      this.toneAmp = amp;
      this.freq = f;
      this.ph = ph - Math.floor(ph);
    }
    if (this.o.noise && this.noiseAmp > 1e-5) {
      const mode = this.o.noise.mode;
      let amp = this.noiseAmp;
      const k = this.noiseK;
      if (R) {
        const w = this.o.width ?? 1;
        for (let i = a; i < b; i++) {
          const x = this.nl.next();
          const y = x + w * (this.nr.next() - x);
          L[i] += this.fl.tick(x, mode) * amp;
          R[i] += this.fr.tick(y, mode) * amp;
          amp *= k;
        }
      } else {
        for (let i = a; i < b; i++) {
          L[i] += this.fl.tick(this.nl.next(), mode) * amp;
          amp *= k;
        }
      }
      this.noiseAmp = amp;
    }
  }
}

/** Several parts of the same channel count summed into one track (e.g. overheads: cymbals plus the kit). */
class Layers implements Part {
  constructor(
    readonly channels: 1 | 2,
    private readonly parts: Part[],
  ) {
    if (parts.some((p) => p.channels !== channels)) throw new Error('Layers: every layer needs the channel count of the layer');
  }
  render(bar: number, out: Float64Array[]): void {
    for (const p of this.parts) p.render(bar, out);
  }
}

const ev = (step: number, vel: number, alt = false): StepEvent => [step, 1, [], vel, alt];
const steps = (list: number[], vel: number, alt = false) => list.map((s) => ev(s, vel, alt));

const kickPattern: Pattern = (bar, sec) => {
  const b = bar % CYCLE;
  if (sec === 'verse') return steps([0, 7, 8, 10], 0.9).map((e, i) => (i === 0 ? ev(0, 1) : e));
  if (sec === 'chorus') return steps([0, 3, 6, 8, 11, 14], 0.9).map((e, i) => (i === 0 ? ev(0, 1) : e));
  if (sec === 'break') return b === 23 ? steps([0, 4, 8, 10, 12, 13, 14, 15], 0.85) : [ev(0, 0.8)];
  return b === 3 ? steps([12, 14], 0.8) : [ev(0, 0.6)];
};
const snarePattern: Pattern = (bar, sec) => {
  const e: StepEvent[] = [];
  if (sec === 'verse' || sec === 'chorus') e.push(ev(4, 1), ev(12, 1));
  if (sec === 'chorus') e.push(ev(7, 0.22), ev(15, 0.25));
  if (sec === 'verse') e.push(ev(10, 0.18));
  if (lastBarOf(bar) && sec !== 'break') for (let s = 13; s < 16; s++) e.push(ev(s, 0.5 + 0.15 * (s - 13)));
  return e;
};
const hatPattern: Pattern = (bar, sec) => {
  if (sec === 'break') return [];
  const e: StepEvent[] = [];
  for (let s = 0; s < STEPS; s += sec === 'chorus' ? 1 : 2) {
    const accent = s % 4 === 2 ? 0.8 : s % 2 === 0 ? 0.55 : 0.3;
    e.push(ev(s, accent, sec === 'chorus' && s === 14));
  }
  return e;
};
const tomPattern = (high: boolean): Pattern => (bar, sec) => {
  if (!lastBarOf(bar) || sec === 'intro') return sec === 'chorus' && bar % 4 === 3 ? [ev(high ? 9 : 11, 0.6)] : [];
  return (high ? [8, 9, 10] : [11, 12]).map((s) => ev(s, 0.85));
};
const ridePattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [0, 2, 4, 6, 8, 10, 12, 14].map((s) => ev(s, s % 4 === 0 ? 0.9 : 0.6)) : sec === 'break' ? [ev(0, 0.5), ev(8, 0.4)] : []);
const crashPattern: Pattern = (bar, sec) => (firstBarOf(bar) && sec !== 'intro' ? [ev(0, 1)] : []);
const kitPattern: Pattern = (bar, sec) => [...snarePattern(bar, sec), ...hatPattern(bar, sec).map((e) => [e[0], e[1], e[2], e[3] * 0.5] as StepEvent)];
const roomPattern: Pattern = (bar, sec) => [...kickPattern(bar, sec).map((e) => [e[0], 1, [], e[3] * 0.6] as StepEvent), ...snarePattern(bar, sec)];
const shakerPattern: Pattern = (_bar, sec) => (sec === 'verse' || sec === 'chorus' ? Array.from({ length: 16 }, (_, s) => ev(s, [0.7, 0.3, 0.45, 0.3][s % 4]!)) : []);
const tambPattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [2, 6, 10, 14].map((s) => ev(s, 0.8)) : sec === 'verse' ? [ev(4, 0.4), ev(12, 0.4)] : []);
const clapPattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [ev(4, 1), ev(12, 1)] : sec === 'break' ? [ev(12, 0.6)] : []);
const congaPattern: Pattern = (bar, sec) => (sec === 'intro' ? [] : [0, 3, 6, 10, 11, 14].filter((s) => hash01(bar, s) > 0.25).map((s) => ev(s, 0.5 + 0.5 * hash01(s, bar), s === 6 || s === 14)));
const loopPattern: Pattern = (bar, sec) => Array.from({ length: 16 }, (_, s) => s).filter((s) => hash01(bar * 3 + 1, s) < (sec === 'break' ? 0.3 : 0.6)).map((s) => ev(s, 0.4 + 0.6 * hash01(s, bar + 9)));
const impactPattern: Pattern = (bar, sec) => (firstBarOf(bar) && (sec === 'chorus' || sec === 'break') ? [ev(0, 1)] : []);

// ---------------------------------------------------------------------------------------------
// Monophonic lines: bass, slide guitar, cello, high strings, brass

interface MonoOptions {
  shape: 'saw' | 'square' | 'sine';
  cutoff: number;
  envAmount: number;
  envDecay: number;
  q: number;
  attack: number;
  release: number;
  glide: number;
  vibrato?: { rate: number; depth: number };
  drive?: number;
  /** Sine one octave below, mixed in. */
  sub?: number;
}

class Mono extends Sequenced {
  readonly channels = 1 as const;
  private ph = 0;
  private subPh = 0;
  private vibPh = 0;
  private freq = 110;
  private target = 110;
  private amp = 0;
  private level = 0;
  private left = 0;
  private env = 0;
  private readonly svf = new Svf();
  private readonly att: number;
  private readonly rel: number;
  private readonly glideK: number;
  private readonly envK: number;

  constructor(t: Timing, pattern: Pattern, private readonly o: MonoOptions, delay = 0) {
    super(t, pattern, delay);
    this.att = smoothK(o.attack, t.sr);
    this.rel = smoothK(o.release, t.sr);
    this.glideK = smoothK(o.glide, t.sr);
    this.envK = decayK(o.envDecay, t.sr);
  }

  protected trigger(e: NoteEvent): void {
    this.target = mtof(e.midis[0]!);
    if (this.level === 0 && this.amp < 1e-3) this.freq = this.target;
    this.level = e.vel;
    this.left = e.len;
    this.env = 1;
  }

  protected run(out: Float64Array[], a: number, b: number): void {
    const L = out[0]!;
    const o = this.o, sr = this.t.sr, inv = 1 / sr;
    const shape = o.shape === 'saw' ? 0 : o.shape === 'square' ? 1 : 2;
    const drive = o.drive ?? 0, sub = o.sub ?? 0;
    const vibDt = o.vibrato ? o.vibrato.rate * inv : 0, vibDepth = o.vibrato ? o.vibrato.depth * 0.0578 : 0;
    const piOverSr = Math.PI * inv;
    let { ph, subPh, vibPh, freq, amp, level, left, env } = this;
    for (let i = a; i < b; i++) {
      if (left > 0 && --left === 0) level = 0;
      amp += (level - amp) * (level > amp ? this.att : this.rel);
      if (amp < 1e-6 && level === 0) {
        amp = 0;
        continue;
      }
      freq += (this.target - freq) * this.glideK;
      vibPh += vibDt;
      const f = vibDepth ? freq * (1 + vibDepth * fsin(vibPh)) : freq;
      const dt = f * inv;
      ph += dt;
      if (ph >= 1) ph -= 1;
      let x: number;
      if (shape === 0) x = saw(ph, dt);
      else if (shape === 1) x = saw(ph, dt) - saw(ph + 0.5 >= 1 ? ph - 0.5 : ph + 0.5, dt);
      else x = fsin(ph);
      if (sub) {
        subPh += dt * 0.5;
        if (subPh >= 1) subPh -= 1;
        x += sub * fsin(subPh);
      }
      env *= this.envK;
      const fc = Math.min(7000, o.cutoff + o.envAmount * env);
      this.svf.setG(tanSmall(fc * piOverSr), o.q);
      let y = this.svf.tick(x, 0);
      if (drive) y = soft(y * drive) / soft(drive);
      L[i] += y * amp;
    }
    vibPh -= Math.floor(vibPh);
    Object.assign(this, { ph, subPh, vibPh, freq, amp, level, left, env });
  }
}

const bassPattern: Pattern = (bar, sec) => {
  const r = chordOf(bar).root;
  if (sec === 'intro') return bar % CYCLE >= 2 ? [[0, 15, [r], 0.8]] : [];
  if (sec === 'break') return [[0, 7, [r], 0.7], [8, 7, [r + 12], 0.6]];
  const verse: [number, number, number][] = [[0, 1.6, 0], [2, 1.6, 0], [4, 1.6, 0], [6, 1.6, 12], [8, 1.6, 0], [10, 1.6, 0], [12, 1.6, 7], [14, 1.6, 12]];
  const chorus: [number, number, number][] = [[0, 2.6, 0], [3, 2.6, 0], [6, 1.6, 12], [8, 2.6, 0], [11, 1.6, 7], [12, 1.6, 10], [14, 1.6, 12]];
  return (sec === 'verse' ? verse : chorus).map(([s, l, d]) => [s, l, [r + d], s % 4 === 0 ? 1 : 0.8]);
};
const synthBassPattern: Pattern = (bar, sec) => {
  const r = chordOf(bar).root + 12;
  if (sec === 'chorus') return [1, 3, 5, 7, 9, 11, 13, 15].map((s) => [s, 0.8, [s % 4 === 3 ? r + 12 : r], 0.9]);
  if (sec === 'verse' && bar % 2 === 1) return [[10, 0.8, [r], 0.7], [14, 0.8, [r + 7], 0.7]];
  return [];
};
const subPattern: Pattern = (bar, sec) => (sec === 'intro' ? [] : [[0, 15.5, [chordOf(bar).root - 12], 1]]);
/** Melodic lines over two bars, [step, length, midi]. */
const LEAD_VERSE: [number, number, number][] = [[0, 3, 64], [4, 2, 67], [6, 2, 69], [8, 4, 67], [12, 3, 64], [16, 2, 65], [18, 2, 64], [20, 4, 60], [24, 6, 62]];
const LEAD_CHORUS: [number, number, number][] = [[0, 4, 72], [4, 2, 71], [6, 2, 69], [8, 7, 72], [16, 4, 74], [20, 2, 72], [22, 2, 71], [24, 7, 69]];
const line = (notes: [number, number, number][], bar: number, transpose: number, vel: number): StepEvent[] =>
  notes.filter(([s]) => Math.floor(s / 16) === bar % 2).map(([s, l, m]) => [s % 16, l, [m + transpose], vel]);
const slidePattern: Pattern = (bar, sec) => (sec === 'verse' && (bar % CYCLE) >= 8 ? line(LEAD_VERSE, bar, -12, 0.8) : sec === 'break' ? line(LEAD_CHORUS, bar, -12, 0.7) : []);
const stringHiPattern: Pattern = (bar, sec) => (sec === 'chorus' ? [[0, 8, [chordOf(bar).tones[2] + 12], 0.8], [8, 8, [chordOf(bar).tones[1] + 12], 0.75]] : sec === 'break' ? [[0, 16, [chordOf(bar).tones[2] + 12], 0.6]] : []);
const celloPattern: Pattern = (bar, sec) => (sec === 'intro' ? [] : [[0, 8, [chordOf(bar).root + 12], 0.8], [8, 8, [chordOf(bar).root + (sec === 'chorus' ? 19 : 12)], 0.7]]);
const brassPattern: Pattern = (bar, sec) => (sec === 'chorus' ? [[0, 1.5, [chordOf(bar).tones[2]], 1], [3, 1.5, [chordOf(bar).tones[2]], 0.8], [10, 3, [chordOf(bar).tones[1] + 12], 0.9]] : []);

// ---------------------------------------------------------------------------------------------
// Plucked strings (Karplus–Strong): guitars

interface PluckOptions {
  channels: 1 | 2;
  /** Seconds to −60 dB while held. */
  decay: number;
  /** Excitation brightness 0 … 1 (one-pole low-pass on the noise burst). */
  bright: number;
  /** Seconds between strings of a strum. */
  strum: number;
  drive?: number;
  /** Stereo ping-pong echo, ms left/right, feedback, level. */
  echo?: { left: number; right: number; feedback: number; mix: number };
}

interface StringVoice {
  buf: Float64Array;
  len: number;
  idx: number;
  loss: number;
  left: number;
  /** Samples to wait before the string is plucked (strum). */
  wait: number;
  vel: number;
  /** Samples since the pluck and the running sum of |y| since the last check. */
  played: number;
  panL: number;
  panR: number;
  active: boolean;
}

class Pluck extends Sequenced {
  readonly channels: 1 | 2;
  private readonly voices: StringVoice[];
  private next = 0;
  private readonly noise: Noise;
  private readonly echoL: Float64Array | null;
  private readonly echoR: Float64Array | null;
  private echoPos = 0;

  constructor(t: Timing, pattern: Pattern, private readonly o: PluckOptions, seed: number) {
    super(t, pattern);
    this.channels = o.channels;
    this.noise = new Noise(seed);
    this.voices = Array.from({ length: 12 }, () => ({ buf: new Float64Array(2048), len: 2, idx: 0, loss: 0, left: 0, wait: 0, vel: 0, played: 0, panL: 1, panR: 1, active: false }));
    this.echoL = o.echo ? new Float64Array(Math.round((o.echo.left * t.sr) / 1000)) : null;
    this.echoR = o.echo ? new Float64Array(Math.round((o.echo.right * t.sr) / 1000)) : null;
  }

  protected trigger(e: NoteEvent): void {
    e.midis.forEach((m, k) => {
      const v = this.voices[this.next]!;
      this.next = (this.next + 1) % this.voices.length;
      const f = mtof(m);
      v.len = Math.max(2, Math.min(2047, Math.round(this.t.sr / f)));
      v.idx = 0;
      v.loss = 10 ** ((-3 * v.len) / (this.o.decay * this.t.sr));
      v.left = e.len;
      v.wait = Math.round(k * this.o.strum * this.t.sr);
      v.vel = e.vel;
      v.played = 0;
      const pan = this.o.channels === 2 ? (e.midis.length > 1 ? -0.7 + (1.4 * k) / (e.midis.length - 1) : 0) : 0;
      v.panL = Math.cos(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
      v.panR = Math.sin(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
      v.active = true;
      let lp = 0;
      const a = 0.1 + 0.9 * this.o.bright;
      for (let i = 0; i < v.len; i++) {
        lp += a * (this.noise.next() - lp);
        v.buf[i] = lp * v.vel;
      }
    });
  }

  protected run(out: Float64Array[], a: number, b: number): void {
    const L = out[0]!;
    const R = this.channels === 2 ? out[1]! : null;
    const muteLoss = (len: number) => 10 ** ((-3 * len) / (0.08 * this.t.sr));
    for (const v of this.voices) {
      if (!v.active) continue;
      const buf = v.buf, len = v.len;
      let idx = v.idx, loss = v.loss, left = v.left, wait = v.wait;
      const gl = v.panL, gr = v.panR;
      let energy = 0, played = 0;
      for (let i = a; i < b; i++) {
        if (wait > 0) {
          wait--;
          continue;
        }
        played++;
        if (left > 0 && --left === 0) loss = muteLoss(len);
        const j = idx + 1 === len ? 0 : idx + 1;
        const y = buf[idx]!;
        const w = loss * 0.5 * (y + buf[j]!);
        buf[idx] = w;
        idx = j;
        L[i] += y * gl;
        if (R) R[i] += y * gr;
        energy += y < 0 ? -y : y;
      }
      v.idx = idx;
      v.loss = loss;
      v.left = left;
      v.wait = wait;
      v.played += played;
      if (v.played > 4096 && played > 0 && energy < 1e-7 * played) v.active = false;
    }
    if (this.o.drive) {
      const d = this.o.drive, norm = 1 / soft(d);
      for (let i = a; i < b; i++) {
        L[i] = soft(L[i]! * d) * norm;
        if (R) R[i] = soft(R[i]! * d) * norm;
      }
    }
    if (this.o.echo && this.echoL && this.echoR && R) {
      const { feedback, mix } = this.o.echo;
      const el = this.echoL, er = this.echoR;
      let p = this.echoPos;
      for (let i = a; i < b; i++) {
        const pl = p % el.length, pr = p % er.length;
        const dl = el[pl]!, dr = er[pr]!;
        el[pl] = L[i]! + feedback * dr;
        er[pr] = R[i]! + feedback * dl;
        L[i] += mix * dl;
        R[i] += mix * dr;
        p++;
      }
      this.echoPos = p % (el.length * er.length);
    }
  }
}

const powerChord = (r: number) => [r + 12, r + 19, r + 24];
const rhythmPattern = (offset: number): Pattern => (bar, sec) => {
  const r = chordOf(bar).root + 12;
  if (sec === 'chorus') return [0, 2, 4, 6, 8, 10, 12, 14].map((s) => [s, 1.8, powerChord(r + offset), s % 4 === 0 ? 1 : 0.75]);
  if (sec === 'verse') return [0, 3, 6, 8, 11, 14].map((s) => [s, 0.6, powerChord(r + offset), 0.7]);
  return sec === 'break' && bar % 2 === 1 ? [[0, 16, powerChord(r + offset), 0.6]] : [];
};
const leadGtrPattern: Pattern = (bar, sec) => (sec === 'chorus' ? line(LEAD_CHORUS, bar, 0, 0.9) : lastBarOf(bar) && sec === 'verse' ? [[8, 2, [76], 0.8], [10, 2, [74], 0.8], [12, 4, [72], 0.8]] : []);
const arpPattern: Pattern = (bar, sec) => {
  if (sec === 'break' || sec === 'intro') {
    const tones = chordOf(bar).tones;
    return [0, 2, 4, 6, 8, 10, 12, 14].map((s, k) => [s, 3, [tones[k % 3]! + (k % 6 < 3 ? 12 : 0)], 0.7]);
  }
  return sec === 'verse' ? [0, 4, 8, 12].map((s, k) => [s, 3, [chordOf(bar).tones[k % 3]! + 12], 0.6]) : [];
};
const acousticPattern: Pattern = (bar, sec) => {
  const c = chordOf(bar);
  const strum = [c.root + 12, c.root + 19, ...c.tones, c.tones[0] + 12];
  if (sec === 'intro') return [[0, 8, strum, 0.8], [8, 8, strum, 0.6]];
  return [0, 3, 6, 8, 10, 12, 14].map((s) => [s, 2, s % 4 === 0 ? strum : strum.slice(2), s % 8 === 0 ? 0.9 : 0.55]);
};
const ambPattern: Pattern = (bar, sec) => (sec === 'chorus' || sec === 'break' ? [[0, 16, [chordOf(bar).tones[2] + 12], 0.7], [6, 10, [chordOf(bar).tones[0] + 24], 0.5]] : bar % 2 === 0 ? [[0, 16, [chordOf(bar).tones[1] + 12], 0.5]] : []);

// ---------------------------------------------------------------------------------------------
// Keys: additive or two-operator FM voices

interface PolyOptions {
  channels: 1 | 2;
  /** Additive partials: [frequency ratio, amplitude, seconds to −60 dB]. */
  partials?: [number, number, number][];
  /** Two-operator FM instead of partials. */
  fm?: { ratio: number; index: number; indexDecay: number; decay: number };
  attack: number;
  release: number;
  /** Stereo: pan spread by pitch (0 … 1). */
  spread?: number;
  /** Stereo autopan / mono tremolo. */
  tremolo?: { rate: number; depth: number };
}

interface PolyVoice {
  freq: number;
  phases: Float64Array;
  amps: Float64Array;
  mph: number;
  index: number;
  env: number;
  gate: number;
  left: number;
  panL: number;
  panR: number;
  active: boolean;
}

class Poly extends Sequenced {
  readonly channels: 1 | 2;
  private readonly voices: PolyVoice[];
  private next = 0;
  private readonly decays: Float64Array;
  private readonly att: number;
  private readonly rel: number;
  private readonly indexK: number;
  private readonly fmK: number;
  private lfo = 0;

  constructor(t: Timing, pattern: Pattern, private readonly o: PolyOptions) {
    super(t, pattern);
    this.channels = o.channels;
    const n = o.partials?.length ?? 1;
    this.voices = Array.from({ length: 16 }, () => ({ freq: 0, phases: new Float64Array(n), amps: new Float64Array(n), mph: 0, index: 0, env: 0, gate: 0, left: 0, panL: 1, panR: 1, active: false }));
    this.decays = Float64Array.from(o.partials ?? [[1, 1, o.fm?.decay ?? 1]], (p) => t60K(p[2], t.sr));
    this.att = smoothK(o.attack, t.sr);
    this.rel = smoothK(o.release, t.sr);
    this.indexK = o.fm ? decayK(o.fm.indexDecay, t.sr) : 1;
    this.fmK = o.fm ? t60K(o.fm.decay, t.sr) : 1;
  }

  protected trigger(e: NoteEvent): void {
    for (const m of e.midis) {
      const v = this.voices[this.next]!;
      this.next = (this.next + 1) % this.voices.length;
      v.freq = mtof(m);
      v.phases.fill(0);
      if (this.o.partials) this.o.partials.forEach((p, k) => (v.amps[k] = p[1] * e.vel));
      else v.amps[0] = e.vel;
      v.mph = 0;
      v.index = this.o.fm?.index ?? 0;
      v.gate = 1;
      v.left = e.len;
      const pan = this.o.channels === 2 ? Math.max(-1, Math.min(1, ((m - 62) / 14) * (this.o.spread ?? 0.6))) : 0;
      v.panL = Math.cos(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
      v.panR = Math.sin(((pan + 1) * Math.PI) / 4) * Math.SQRT2;
      v.active = true;
    }
  }

  protected run(out: Float64Array[], a: number, b: number): void {
    const L = out[0]!;
    const R = this.channels === 2 ? out[1]! : null;
    const inv = 1 / this.t.sr;
    const partials = this.o.partials;
    const fm = this.o.fm;
    for (const v of this.voices) {
      if (!v.active) continue;
      let env = v.env, gate = v.gate, left = v.left;
      const gl = v.panL, gr = v.panR;
      if (partials) {
        const n = partials.length;
        for (let i = a; i < b; i++) {
          if (left > 0 && --left === 0) gate = 0;
          env += (gate - env) * (gate > env ? this.att : this.rel);
          let s = 0;
          for (let k = 0; k < n; k++) {
            const p = v.phases[k]! + v.freq * partials[k]![0] * inv;
            v.phases[k] = p >= 1 ? p - 1 : p;
            s += fsin(p) * v.amps[k]!;
            v.amps[k] = v.amps[k]! * this.decays[k]!;
          }
          s *= env;
          L[i] += s * gl;
          if (R) R[i] += s * gr;
        }
      } else if (fm) {
        let ph = v.phases[0]!, mph = v.mph, index = v.index, amp = v.amps[0]!;
        const dt = v.freq * inv, mdt = dt * fm.ratio;
        for (let i = a; i < b; i++) {
          if (left > 0 && --left === 0) gate = 0;
          env += (gate - env) * (gate > env ? this.att : this.rel);
          ph += dt;
          if (ph >= 1) ph -= 1;
          mph += mdt;
          if (mph >= 1) mph -= 1;
          const s = fsin(ph + index * fsin(mph)) * amp * env;
          index *= this.indexK;
          amp *= this.fmK;
          L[i] += s * gl;
          if (R) R[i] += s * gr;
        }
        v.phases[0] = ph;
        v.mph = mph;
        v.index = index;
        v.amps[0] = amp;
      }
      v.env = env;
      v.gate = gate;
      v.left = left;
      if (gate === 0 && env < 1e-5) {
        v.active = false;
        v.env = 0;
      }
    }
    if (this.o.tremolo) {
      const dt = this.o.tremolo.rate * inv, depth = this.o.tremolo.depth;
      let lfo = this.lfo;
      for (let i = a; i < b; i++) {
        lfo += dt;
        const m = depth * fsin(lfo);
        L[i] *= 1 + m;
        if (R) R[i] *= 1 - m;
      }
      this.lfo = lfo - Math.floor(lfo);
    }
  }
}

const pianoPattern: Pattern = (bar, sec) => {
  const c = chordOf(bar);
  const chord = [c.root + 24, ...c.tones.map((m) => m + 12)];
  if (sec === 'break') return [[0, 14, chord, 0.7]];
  if (sec === 'intro') return [[0, 6, chord, 0.8], [6, 2, [c.tones[2] + 12], 0.5], [8, 7, chord, 0.6]];
  return [0, 6, 10, 12].map((s) => [s, sec === 'chorus' ? 2 : 3, s === 0 ? chord : chord.slice(1), s === 0 ? 0.9 : 0.6]);
};
const rhodesPattern: Pattern = (bar, sec) => (sec === 'verse' || sec === 'break' ? [[0, 7, [...chordOf(bar).tones], 0.8], [8, 6, [...chordOf(bar).tones], 0.6]] : sec === 'chorus' ? [[0, 15, [...chordOf(bar).tones], 0.5]] : []);
const organPattern: Pattern = (bar, sec) => (sec === 'chorus' || sec === 'intro' ? [[0, 16, [chordOf(bar).root + 24, ...chordOf(bar).tones], 0.7]] : []);
const clavPattern: Pattern = (bar, sec) => (sec === 'verse' || sec === 'chorus' ? [1, 3, 4, 7, 9, 11, 12, 15].filter((s) => hash01(bar, s + 40) < 0.8).map((s) => [s, 0.5, [chordOf(bar).tones[s % 3]! + 12], 0.8]) : []);
const pluckPattern: Pattern = (bar, sec) => (sec === 'chorus' || sec === 'break' ? Array.from({ length: 16 }, (_, s) => [s, 0.7, [chordOf(bar).tones[s % 3]! + (s % 8 < 4 ? 12 : 24)], s % 4 === 0 ? 0.9 : 0.6] as StepEvent) : []);
const bellPattern: Pattern = (bar, sec) => (sec === 'intro' || sec === 'break' ? [[0, 8, [chordOf(bar).tones[2] + 24], 0.8], [10, 6, [chordOf(bar).tones[0] + 24], 0.5]] : bar % 4 === 0 ? [[0, 8, [chordOf(bar).tones[2] + 24], 0.5]] : []);

// ---------------------------------------------------------------------------------------------
// Pads and strings: detuned saw chords through a low-pass

interface PadOptions {
  channels: 1 | 2;
  /** Cents of each saw per note (stereo: right gets the negated set). */
  detune: number[];
  cutoff: number;
  lfo: { rate: number; depth: number };
  q: number;
  attack: number;
  release: number;
  vibrato?: { rate: number; depth: number };
  sections: Section[];
  octave: number;
}

interface PadVoice {
  freq: number;
  phases: Float64Array;
  env: number;
  gate: number;
  active: boolean;
}

class Pad implements Part {
  readonly channels: 1 | 2;
  private readonly voices: PadVoice[];
  private next = 0;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private lfo = 0;
  private vib = 0;
  private readonly att: number;
  private readonly rel: number;
  private readonly mixL: Float64Array;
  private readonly mixR: Float64Array;

  constructor(private readonly t: Timing, private readonly o: PadOptions) {
    this.channels = o.channels;
    const saws = o.detune.length * o.channels;
    this.voices = Array.from({ length: 8 }, () => ({ freq: 0, phases: new Float64Array(saws), env: 0, gate: 0, active: false }));
    this.voices.forEach((v, i) => v.phases.forEach((_, k) => (v.phases[k] = hash01(i, k))));
    this.att = smoothK(o.attack, t.sr);
    this.rel = smoothK(o.release, t.sr);
    this.mixL = new Float64Array(t.bar);
    this.mixR = new Float64Array(t.bar);
  }

  render(bar: number, out: Float64Array[]): void {
    for (const v of this.voices) v.gate = 0;
    if (this.o.sections.includes(sectionOf(bar))) {
      for (const m of chordOf(bar).tones) {
        const v = this.voices[this.next]!;
        this.next = (this.next + 1) % this.voices.length;
        v.freq = mtof(m + 12 * this.o.octave);
        v.gate = 1;
        v.active = true;
      }
    }
    const inv = 1 / this.t.sr, n = this.t.bar, stereo = this.channels === 2;
    const mixL = this.mixL.fill(0, 0, n), mixR = this.mixR.fill(0, 0, n);
    const D = this.o.detune.length;
    const ratios = this.o.detune.map((c) => 2 ** (c / 1200));
    const vib = this.o.vibrato;
    for (const v of this.voices) {
      if (!v.active) continue;
      let env = v.env;
      const gate = v.gate;
      let vp = this.vib;
      for (let i = 0; i < n; i++) {
        env += (gate - env) * (gate > env ? this.att : this.rel);
        let f = v.freq;
        if (vib) {
          vp += vib.rate * inv;
          f *= 1 + vib.depth * 0.0578 * fsin(vp);
        }
        let l = 0, r = 0;
        for (let k = 0; k < D; k++) {
          const dt = f * ratios[k]! * inv;
          let p = v.phases[k]! + dt;
          if (p >= 1) p -= 1;
          v.phases[k] = p;
          l += saw(p, dt);
          if (stereo) {
            const dtr = f * inv * (2 - ratios[k]!);
            let q = v.phases[D + k]! + dtr;
            if (q >= 1) q -= 1;
            v.phases[D + k] = q;
            r += saw(q, dtr);
          }
        }
        mixL[i] += l * env;
        if (stereo) mixR[i] += r * env;
      }
      v.env = env;
      if (gate === 0 && env < 1e-5) {
        v.active = false;
        v.env = 0;
      }
    }
    if (vib) this.vib = (this.vib + (vib.rate * n) / this.t.sr) % 1;
    // Low-pass with a slow LFO on the cutoff, coefficients every 64 samples.
    const L = out[0]!, R = stereo ? out[1]! : null;
    for (let i0 = 0; i0 < n; i0 += 64) {
      this.lfo += (64 * this.o.lfo.rate) / this.t.sr;
      const fc = this.o.cutoff * (1 + this.o.lfo.depth * fsin(this.lfo));
      this.fl.set(fc, this.o.q, this.t.sr);
      this.fr.set(fc * 1.05, this.o.q, this.t.sr);
      const i1 = Math.min(n, i0 + 64);
      for (let i = i0; i < i1; i++) {
        L[i] += this.fl.tick(mixL[i]!, 0);
        if (R) R[i] += this.fr.tick(mixR[i]!, 0);
      }
    }
    this.lfo -= Math.floor(this.lfo);
  }
}

// ---------------------------------------------------------------------------------------------
// Voices: a glottal saw with vibrato through three formant resonators

const VOWELS: [number, number, number][] = [
  [800, 1150, 2900], // ah
  [450, 800, 2830], // oh
  [300, 2200, 3000], // ee
  [350, 600, 2700], // oo
  [550, 1770, 2490], // eh
];

interface VoiceOptions {
  /** Formant scale (bigger = smaller vocal tract). */
  formantScale: number;
  detuneCents: number;
  vibrato: { rate: number; depth: number };
  breath: number;
  /** Vowel per note: VOWELS index from the note's position; 'oo' for backing pads. */
  vowels: number[];
  attack: number;
  release: number;
}

class Voice extends Sequenced {
  readonly channels = 1 as const;
  private ph = 0;
  private vibPh = 0;
  private freq = 220;
  private target = 220;
  private amp = 0;
  private level = 0;
  private left = 0;
  private vibRamp = 0;
  private consonant = 0;
  private noteCount = 0;
  /** Per formant: y1, y2 (and an unused slot), then a1, a2, gain in `coef`. */
  private readonly res = new Float64Array(9);
  private readonly coef = new Float64Array(9);
  private readonly noise: Noise;
  private readonly hp = new Svf();
  private readonly att: number;
  private readonly rel: number;
  private readonly glideK: number;
  private readonly consK: number;

  constructor(t: Timing, pattern: Pattern, private readonly o: VoiceOptions, seed: number, delay = 0) {
    super(t, pattern, delay);
    this.noise = new Noise(seed);
    this.hp.set(4000, 0.7, t.sr);
    this.att = smoothK(o.attack, t.sr);
    this.rel = smoothK(o.release, t.sr);
    this.glideK = smoothK(0.04, t.sr);
    this.consK = decayK(0.015, t.sr);
    this.setVowel(0);
  }

  private setVowel(k: number): void {
    const sr = this.t.sr;
    const f = VOWELS[k % VOWELS.length]!;
    const bw = [80, 100, 140];
    const gains = [1, 0.6, 0.25];
    for (let j = 0; j < 3; j++) {
      const r = Math.exp((-Math.PI * bw[j]!) / sr);
      this.coef[3 * j] = 2 * r * Math.cos((2 * Math.PI * f[j]! * this.o.formantScale) / sr);
      this.coef[3 * j + 1] = -r * r;
      this.coef[3 * j + 2] = (1 - r) * gains[j]! * 4;
    }
  }

  protected trigger(e: NoteEvent): void {
    this.target = mtof(e.midis[0]!) * 2 ** (this.o.detuneCents / 1200);
    if (this.amp < 1e-3) {
      this.freq = this.target;
      this.vibRamp = 0;
    }
    this.level = e.vel;
    this.left = e.len;
    this.setVowel(this.o.vowels[this.noteCount++ % this.o.vowels.length]!);
    if (this.amp < 0.3) this.consonant = 0.35 * e.vel;
  }

  protected run(out: Float64Array[], a: number, b: number): void {
    const L = out[0]!;
    const sr = this.t.sr, inv = 1 / sr;
    const vibDt = this.o.vibrato.rate * inv, vibDepth = this.o.vibrato.depth * 0.0578;
    const rampK = smoothK(0.4, sr);
    const c = this.coef, s = this.res, breath = this.o.breath;
    let { ph, vibPh, freq, amp, level, left, vibRamp, consonant } = this;
    for (let i = a; i < b; i++) {
      if (left > 0 && --left === 0) level = 0;
      amp += (level - amp) * (level > amp ? this.att : this.rel);
      if (amp < 1e-6 && level === 0 && consonant < 1e-6) {
        amp = 0;
        continue;
      }
      freq += (this.target - freq) * this.glideK;
      vibRamp += (1 - vibRamp) * rampK;
      vibPh += vibDt;
      const f = freq * (1 + vibDepth * vibRamp * fsin(vibPh));
      const dt = f * inv;
      ph += dt;
      if (ph >= 1) ph -= 1;
      const n = this.noise.next();
      const src = (saw(ph, dt) + breath * n) * amp;
      let y = 0;
      for (let j = 0; j < 3; j++) {
        const o = 3 * j;
        const v = c[o + 2]! * src + c[o]! * s[o]! + c[o + 1]! * s[o + 1]!;
        s[o + 1] = s[o]!;
        s[o] = v;
        y += v;
      }
      y += this.hp.tick(n, 2) * consonant;
      consonant *= this.consK;
      L[i] += y;
    }
    vibPh -= Math.floor(vibPh);
    Object.assign(this, { ph, vibPh, freq, amp, level, left, vibRamp, consonant });
  }
}

/** Two mono parts as one stereo track, with a little of each side in the other. */
class Pair implements Part {
  readonly channels = 2 as const;
  constructor(
    private readonly l: Part,
    private readonly r: Part,
    private readonly bleed = 0.2,
  ) {}
  render(bar: number, out: Float64Array[]): void {
    const [L, R] = out as [Float64Array, Float64Array];
    this.l.render(bar, [L]);
    this.r.render(bar, [R]);
    const k = this.bleed;
    for (let i = 0; i < L.length; i++) {
      const l = L[i]!, r = R[i]!;
      L[i] = l + k * r;
      R[i] = r + k * l;
    }
  }
}

const leadPattern = (transpose: number, verseToo: boolean): Pattern => (bar, sec) =>
  sec === 'verse' && verseToo ? line(LEAD_VERSE, bar, transpose, 0.9) : sec === 'chorus' ? line(LEAD_CHORUS, bar, transpose, 1) : [];
/** Backing "oohs": chord tone `k` of the bar, held, in the chorus (and the end of the verse). */
const bgvPattern = (k: number, octave: number): Pattern => (bar, sec) =>
  sec === 'chorus' || (sec === 'verse' && (bar % CYCLE) >= 8) ? [[0, 7.5, [chordOf(bar).tones[k % 3]! + 12 * octave], 0.8], [8, 7.5, [chordOf(bar).tones[(k + 1) % 3]! + 12 * octave], 0.7]] : [];
const harmonyPattern: Pattern = (bar, sec) => (sec === 'chorus' ? line(LEAD_CHORUS, bar, -5, 0.85) : []);
const stackPattern = (k: number): Pattern => (bar, sec) => (sec === 'verse' || sec === 'break' ? [[8, 8, [chordOf(bar).tones[k]! + 12], 0.7]] : sec === 'chorus' ? [[0, 16, [chordOf(bar).tones[k]!], 0.6]] : []);

// ---------------------------------------------------------------------------------------------
// FX: risers and an atmosphere

class Riser implements Part {
  readonly channels = 2 as const;
  private readonly n: Noise;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private pan = 0;
  constructor(private readonly t: Timing, seed: number) {
    this.n = new Noise(seed);
  }
  render(bar: number, out: Float64Array[]): void {
    const b = bar % CYCLE;
    const riser = b === 2 || b === 3 || b === 10 || b === 11 || b === 22 || b === 23 || b === 30 || b === 31;
    if (!riser) return;
    const start = b % 2 === 0 ? 0 : 1;
    const [L, R] = out as [Float64Array, Float64Array];
    const n = this.t.bar, sr = this.t.sr;
    for (let i0 = 0; i0 < n; i0 += 32) {
      const p = (start * n + i0) / (2 * n);
      const fc = 300 * (1 + 19 * p * p);
      this.fl.setG(tanSmall((Math.PI * Math.min(fc, 7000)) / sr), 3);
      this.fr.setG(tanSmall((Math.PI * Math.min(fc * 1.1, 7000)) / sr), 3);
      const g = p * p;
      for (let i = i0; i < i0 + 32; i++) {
        this.pan += 0.6 / sr;
        const side = 0.5 * fsin(this.pan);
        L[i] += this.fl.tick(this.n.next(), 1) * g * (0.6 + side);
        R[i] += this.fr.tick(this.n.next(), 1) * g * (0.6 - side);
      }
    }
    this.pan -= Math.floor(this.pan);
  }
}

class Atmos implements Part {
  readonly channels = 2 as const;
  private readonly n: Noise;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private level = 0;
  private ph = 0;
  private lfo = 0;
  constructor(private readonly t: Timing, seed: number) {
    this.n = new Noise(seed);
    this.fl.set(700, 0.8, t.sr);
    this.fr.set(760, 0.8, t.sr);
  }
  render(bar: number, out: Float64Array[]): void {
    const [L, R] = out as [Float64Array, Float64Array];
    const sec = sectionOf(bar);
    const target = sec === 'break' || sec === 'intro' ? 1 : 0.35;
    const k = smoothK(1.5, this.t.sr), inv = 1 / this.t.sr;
    const f = mtof(chordOf(bar).root + 24);
    let { level, ph, lfo } = this;
    for (let i = 0; i < this.t.bar; i++) {
      level += (target - level) * k;
      lfo += 0.13 * inv;
      ph += f * inv;
      if (ph >= 1) ph -= 1;
      const swell = 0.7 + 0.3 * fsin(lfo);
      const drone = 0.25 * (fsin(ph) + 0.3 * fsin(2 * ph + 0.1));
      L[i] += (this.fl.tick(this.n.next(), 0) * swell + drone) * level;
      R[i] += (this.fr.tick(this.n.next(), 0) * (1.3 - swell) + drone) * level;
    }
    Object.assign(this, { level, ph, lfo: lfo - Math.floor(lfo) });
  }
}

// ---------------------------------------------------------------------------------------------
// The 48 tracks and their session

interface TrackDef {
  name: string;
  stem: string;
  /** Session fader, pan and send to the reverb (dB; absent = no send). */
  gain: number;
  pan?: number;
  send?: number;
  make: (t: Timing, seed: number) => Part;
}

const hit = (pattern: Pattern, o: HitOptions) => (t: Timing, seed: number) => new Hit(t, pattern, o, seed);

export const TRACKS: readonly TrackDef[] = [
  // Drums: 8 mono + 2 stereo
  { name: 'Kick In', stem: 'Drums', gain: -5, make: hit(kickPattern, { tone: { from: 170, to: 52, sweep: 0.03, decay: 0.2, amp: 1 }, noise: { mode: 1, freq: 3500, q: 0.7, decay: 0.006, amp: 1.2 } }) },
  { name: 'Kick Out', stem: 'Drums', gain: -8, make: hit(kickPattern, { tone: { from: 120, to: 46, sweep: 0.045, decay: 0.32, amp: 1 }, noise: { mode: 0, freq: 600, q: 0.7, decay: 0.01, amp: 0.5 } }) },
  { name: 'Snare Top', stem: 'Drums', gain: -6, pan: 0.05, send: -14, make: hit(snarePattern, { tone: { from: 200, to: 185, sweep: 0.02, decay: 0.07, amp: 0.6 }, noise: { mode: 1, freq: 2200, q: 0.6, decay: 0.13, amp: 1.4 } }) },
  { name: 'Snare Bottom', stem: 'Drums', gain: -15, pan: 0.05, make: hit(snarePattern, { noise: { mode: 2, freq: 4000, q: 0.7, decay: 0.18, amp: 1 } }) },
  { name: 'Hi-Hat', stem: 'Drums', gain: -14, pan: -0.35, make: hit(hatPattern, { noise: { mode: 2, freq: 7500, q: 0.9, decay: 0.035, altDecay: 0.3, amp: 1 } }) },
  { name: 'Tom 1', stem: 'Drums', gain: -10, pan: -0.25, send: -16, make: hit(tomPattern(true), { tone: { from: 180, to: 140, sweep: 0.08, decay: 0.35, amp: 1 }, noise: { mode: 1, freq: 900, q: 1, decay: 0.05, amp: 0.4 } }) },
  { name: 'Tom 2', stem: 'Drums', gain: -10, pan: 0.3, send: -16, make: hit(tomPattern(false), { tone: { from: 120, to: 90, sweep: 0.1, decay: 0.45, amp: 1 }, noise: { mode: 1, freq: 700, q: 1, decay: 0.05, amp: 0.4 } }) },
  { name: 'Ride', stem: 'Drums', gain: -17, pan: 0.4, make: hit(ridePattern, { tone: { from: 3300, to: 3300, sweep: 1, decay: 0.25, amp: 0.15 }, noise: { mode: 1, freq: 6000, q: 0.5, decay: 0.7, amp: 1 } }) },
  {
    name: 'Overheads',
    stem: 'Drums',
    gain: -11,
    send: -18,
    make: (t, seed) =>
      new Layers(2, [
        new Hit(t, kitPattern, { channels: 2, width: 0.6, noise: { mode: 2, freq: 3500, q: 0.7, decay: 0.09, amp: 0.8 } }, seed),
        new Hit(t, crashPattern, { channels: 2, width: 1, noise: { mode: 1, freq: 5200, q: 0.4, decay: 1.6, amp: 1 } }, seed + 11),
      ]),
  },
  { name: 'Room', stem: 'Drums', gain: -15, make: hit(roomPattern, { channels: 2, width: 0.8, tone: { from: 150, to: 60, sweep: 0.05, decay: 0.3, amp: 0.3 }, noise: { mode: 0, freq: 1800, q: 0.6, decay: 0.35, amp: 1 } }) },
  // Percussion: 4 mono + 1 stereo
  { name: 'Shaker', stem: 'Percussion', gain: -16, pan: 0.55, send: -16, make: hit(shakerPattern, { noise: { mode: 2, freq: 6500, q: 0.8, decay: 0.045, amp: 1 } }) },
  { name: 'Tambourine', stem: 'Percussion', gain: -17, pan: -0.5, send: -16, make: hit(tambPattern, { tone: { from: 5200, to: 5100, sweep: 0.1, decay: 0.06, amp: 0.3 }, noise: { mode: 1, freq: 8500, q: 1.5, decay: 0.1, amp: 1 } }) },
  { name: 'Clap', stem: 'Percussion', gain: -12, pan: 0.1, send: -12, make: hit(clapPattern, { noise: { mode: 1, freq: 1300, q: 0.9, decay: 0.11, amp: 1 } }) },
  { name: 'Conga', stem: 'Percussion', gain: -13, pan: -0.3, send: -18, make: hit(congaPattern, { tone: { from: 360, to: 320, sweep: 0.03, decay: 0.17, amp: 1 }, noise: { mode: 1, freq: 1500, q: 1, decay: 0.02, altDecay: 0.06, amp: 0.5 } }) },
  { name: 'Perc Loop', stem: 'Percussion', gain: -15, send: -18, make: hit(loopPattern, { channels: 2, width: 1, tone: { from: 900, to: 700, sweep: 0.02, decay: 0.04, amp: 0.5 }, noise: { mode: 1, freq: 2600, q: 2.5, decay: 0.05, amp: 1 } }) },
  // Bass: 4 mono
  { name: 'Bass DI', stem: 'Bass', gain: -8, make: (t) => new Mono(t, bassPattern, { shape: 'saw', cutoff: 1800, envAmount: 1500, envDecay: 0.12, q: 0.8, attack: 0.003, release: 0.02, glide: 0.006 }) },
  { name: 'Bass Amp', stem: 'Bass', gain: -10, send: -26, make: (t) => new Mono(t, bassPattern, { shape: 'saw', cutoff: 700, envAmount: 1800, envDecay: 0.1, q: 1.2, attack: 0.004, release: 0.03, glide: 0.006, drive: 3 }) },
  { name: 'Synth Bass', stem: 'Bass', gain: -13, make: (t) => new Mono(t, synthBassPattern, { shape: 'square', cutoff: 400, envAmount: 2500, envDecay: 0.08, q: 2, attack: 0.002, release: 0.02, glide: 0.002 }) },
  { name: 'Sub', stem: 'Bass', gain: -13, make: (t) => new Mono(t, subPattern, { shape: 'sine', cutoff: 200, envAmount: 0, envDecay: 1, q: 0.7, attack: 0.02, release: 0.1, glide: 0.05 }) },
  // Guitars: 5 mono + 2 stereo
  { name: 'Gtr Rhythm L', stem: 'Guitars', gain: -11, pan: -0.85, make: (t, seed) => new Pluck(t, rhythmPattern(0), { channels: 1, decay: 1.5, bright: 0.8, strum: 0.008, drive: 5 }, seed) },
  { name: 'Gtr Rhythm R', stem: 'Guitars', gain: -11, pan: 0.85, make: (t, seed) => new Pluck(t, rhythmPattern(12), { channels: 1, decay: 1.4, bright: 0.7, strum: 0.011, drive: 5 }, seed) },
  { name: 'Lead Gtr', stem: 'Guitars', gain: -10, pan: 0.15, send: -12, make: (t, seed) => new Pluck(t, leadGtrPattern, { channels: 1, decay: 3, bright: 0.9, strum: 0, drive: 8 }, seed) },
  { name: 'Clean Arp', stem: 'Guitars', gain: -13, pan: -0.45, send: -12, make: (t, seed) => new Pluck(t, arpPattern, { channels: 1, decay: 2.5, bright: 0.5, strum: 0 }, seed) },
  { name: 'Slide Gtr', stem: 'Guitars', gain: -14, pan: 0.45, send: -12, make: (t) => new Mono(t, slidePattern, { shape: 'saw', cutoff: 1800, envAmount: 800, envDecay: 0.3, q: 1.5, attack: 0.01, release: 0.15, glide: 0.08, vibrato: { rate: 5, depth: 0.25 }, drive: 4 }) },
  { name: 'Acoustic', stem: 'Guitars', gain: -12, send: -16, make: (t, seed) => new Pluck(t, acousticPattern, { channels: 2, decay: 2.2, bright: 0.6, strum: 0.012 }, seed) },
  { name: 'Gtr Amb', stem: 'Guitars', gain: -15, send: -8, make: (t, seed) => new Pluck(t, ambPattern, { channels: 2, decay: 4, bright: 0.4, strum: 0, echo: { left: 375, right: 500, feedback: 0.45, mix: 0.6 } }, seed) },
  // Keys: 4 mono + 2 stereo
  { name: 'Piano', stem: 'Keys', gain: -9, send: -14, make: (t) => new Poly(t, pianoPattern, { channels: 2, partials: [[1, 1, 2.5], [2.001, 0.5, 1.6], [3.003, 0.25, 1], [4.007, 0.12, 0.6]], attack: 0.002, release: 0.15, spread: 0.8 }) },
  { name: 'Rhodes', stem: 'Keys', gain: -12, send: -16, make: (t) => new Poly(t, rhodesPattern, { channels: 2, fm: { ratio: 1, index: 1.4, indexDecay: 0.4, decay: 3 }, attack: 0.003, release: 0.2, spread: 0.3, tremolo: { rate: 4.5, depth: 0.45 } }) },
  { name: 'Organ', stem: 'Keys', gain: -15, pan: -0.3, send: -18, make: (t) => new Poly(t, organPattern, { channels: 1, partials: [[0.5, 0.6, 60], [1, 1, 60], [2, 0.5, 60], [3, 0.3, 60], [4, 0.2, 60]], attack: 0.01, release: 0.05, tremolo: { rate: 6.5, depth: 0.15 } }) },
  { name: 'Clav', stem: 'Keys', gain: -14, pan: 0.35, make: (t) => new Poly(t, clavPattern, { channels: 1, partials: [[1, 1, 0.5], [2, 0.7, 0.35], [3, 0.6, 0.25], [4, 0.4, 0.2], [5, 0.3, 0.15], [6, 0.2, 0.1]], attack: 0.001, release: 0.03 }) },
  { name: 'Synth Pluck', stem: 'Keys', gain: -16, pan: -0.6, send: -10, make: (t) => new Poly(t, pluckPattern, { channels: 1, partials: [[1, 1, 0.4], [2, 0.5, 0.25], [3, 0.33, 0.15], [4, 0.25, 0.1]], attack: 0.001, release: 0.05 }) },
  { name: 'Bell', stem: 'Keys', gain: -17, pan: 0.6, send: -8, make: (t) => new Poly(t, bellPattern, { channels: 1, fm: { ratio: 3.5, index: 2, indexDecay: 1.2, decay: 4 }, attack: 0.001, release: 0.5 }) },
  // Strings: 3 mono + 2 stereo
  { name: 'Pad', stem: 'Strings', gain: -12, send: -10, make: (t) => new Pad(t, { channels: 2, detune: [-8, 5], cutoff: 1400, lfo: { rate: 0.08, depth: 0.4 }, q: 0.9, attack: 0.5, release: 0.8, sections: ['intro', 'verse', 'chorus', 'break'], octave: 0 }) },
  { name: 'Strings', stem: 'Strings', gain: -11, send: -12, make: (t) => new Pad(t, { channels: 2, detune: [-6, 7], cutoff: 3200, lfo: { rate: 0.2, depth: 0.15 }, q: 0.7, attack: 0.35, release: 0.5, vibrato: { rate: 5.5, depth: 0.12 }, sections: ['verse', 'chorus'], octave: 0 }) },
  { name: 'String Hi', stem: 'Strings', gain: -14, pan: 0.3, send: -12, make: (t) => new Mono(t, stringHiPattern, { shape: 'saw', cutoff: 3500, envAmount: 0, envDecay: 1, q: 0.7, attack: 0.25, release: 0.4, glide: 0.05, vibrato: { rate: 5.8, depth: 0.2 } }) },
  { name: 'Cello', stem: 'Strings', gain: -13, pan: -0.3, send: -14, make: (t) => new Mono(t, celloPattern, { shape: 'saw', cutoff: 1500, envAmount: 300, envDecay: 0.3, q: 0.7, attack: 0.12, release: 0.3, glide: 0.06, vibrato: { rate: 5.2, depth: 0.15 } }) },
  { name: 'Brass', stem: 'Strings', gain: -12, pan: 0.1, send: -14, make: (t) => new Mono(t, brassPattern, { shape: 'saw', cutoff: 600, envAmount: 2800, envDecay: 0.15, q: 1, attack: 0.02, release: 0.08, glide: 0.01, vibrato: { rate: 5, depth: 0.08 } }) },
  // Vocals: 7 mono + 1 stereo
  { name: 'Lead Vox', stem: 'Vocals', gain: -5, send: -9, make: (t, seed) => new Voice(t, leadPattern(0, true), { formantScale: 1.05, detuneCents: 0, vibrato: { rate: 5.5, depth: 0.35 }, breath: 0.15, vowels: [0, 2, 1, 4, 0, 3], attack: 0.03, release: 0.08 }, seed) },
  { name: 'Lead Double', stem: 'Vocals', gain: -12, pan: 0.15, send: -12, make: (t, seed) => new Voice(t, leadPattern(0, true), { formantScale: 1.08, detuneCents: 9, vibrato: { rate: 5.1, depth: 0.3 }, breath: 0.2, vowels: [0, 2, 1, 4, 0, 3], attack: 0.04, release: 0.08 }, seed, Math.round(0.018 * t.sr)) },
  { name: 'BGV 1', stem: 'Vocals', gain: -15, pan: -0.65, send: -10, make: (t, seed) => new Voice(t, bgvPattern(0, 0), { formantScale: 1.15, detuneCents: -4, vibrato: { rate: 5.3, depth: 0.2 }, breath: 0.25, vowels: [3, 1], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV 2', stem: 'Vocals', gain: -15, pan: 0.65, send: -10, make: (t, seed) => new Voice(t, bgvPattern(1, 0), { formantScale: 1.12, detuneCents: 5, vibrato: { rate: 5.6, depth: 0.2 }, breath: 0.25, vowels: [3, 1], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV 3', stem: 'Vocals', gain: -16, pan: -0.35, send: -10, make: (t, seed) => new Voice(t, bgvPattern(2, -1), { formantScale: 0.95, detuneCents: 3, vibrato: { rate: 5.0, depth: 0.18 }, breath: 0.2, vowels: [1, 3], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV 4', stem: 'Vocals', gain: -16, pan: 0.35, send: -10, make: (t, seed) => new Voice(t, bgvPattern(1, 1), { formantScale: 1.2, detuneCents: -6, vibrato: { rate: 5.9, depth: 0.2 }, breath: 0.3, vowels: [3, 0], attack: 0.12, release: 0.2 }, seed) },
  { name: 'Harmony', stem: 'Vocals', gain: -12, pan: -0.15, send: -10, make: (t, seed) => new Voice(t, harmonyPattern, { formantScale: 1.1, detuneCents: 0, vibrato: { rate: 5.4, depth: 0.3 }, breath: 0.18, vowels: [0, 2, 1, 4], attack: 0.04, release: 0.1 }, seed) },
  {
    name: 'Vox Stack',
    stem: 'Vocals',
    gain: -14,
    send: -10,
    make: (t, seed) =>
      new Pair(
        new Voice(t, stackPattern(0), { formantScale: 1.1, detuneCents: -7, vibrato: { rate: 5.2, depth: 0.2 }, breath: 0.3, vowels: [0, 4], attack: 0.15, release: 0.25 }, seed),
        new Voice(t, stackPattern(2), { formantScale: 1.0, detuneCents: 6, vibrato: { rate: 5.7, depth: 0.2 }, breath: 0.3, vowels: [4, 0], attack: 0.15, release: 0.25 }, seed + 1, Math.round(0.012 * t.sr)),
      ),
  },
  // FX: 1 mono + 2 stereo
  { name: 'Impacts', stem: 'FX', gain: -10, send: -6, make: hit(impactPattern, { tone: { from: 70, to: 36, sweep: 0.3, decay: 1.2, amp: 1 }, noise: { mode: 0, freq: 400, q: 0.7, decay: 0.8, amp: 1.2 } }) },
  { name: 'Riser', stem: 'FX', gain: -12, send: -6, make: (t, seed) => new Riser(t, seed) },
  { name: 'Atmos', stem: 'FX', gain: -17, send: -12, make: (t, seed) => new Atmos(t, seed) },
];

export const STEMS = [
  {
    name: 'Drums',
    role: 'drums',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 30, slope: 24 }, { type: 'peak', freq: 400, gain: -2, q: 1.2 }, { type: 'highshelf', freq: 10000, gain: 2 }] },
      { type: 'compressor', threshold: -16, ratio: 4, attack: 10, release: 120, makeup: 2 },
    ],
  },
  {
    name: 'Percussion',
    role: 'drums',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 150, slope: 12 }, { type: 'peak', freq: 3500, gain: 1.5, q: 0.8 }] },
      { type: 'compressor', threshold: -20, ratio: 3, attack: 5, release: 80 },
    ],
  },
  {
    name: 'Bass',
    role: 'bass',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 35, slope: 24 }, { type: 'lowshelf', freq: 90, gain: 2 }, { type: 'peak', freq: 700, gain: -2.5, q: 1.4 }] },
      { type: 'compressor', threshold: -20, ratio: 4, attack: 15, release: 150, makeup: 2, detection: 'rms' },
    ],
  },
  {
    name: 'Guitars',
    role: 'music',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 90, slope: 12 }, { type: 'peak', freq: 2500, gain: 1.5, q: 1 }, { type: 'lowpass', freq: 12000, slope: 12 }] },
      { type: 'compressor', threshold: -18, ratio: 3, attack: 20, release: 150 },
    ],
  },
  {
    name: 'Keys',
    role: 'music',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 60, slope: 12 }, { type: 'peak', freq: 450, gain: -1.5, q: 1 }, { type: 'highshelf', freq: 8000, gain: 1 }] },
      { type: 'compressor', threshold: -20, ratio: 2.5, attack: 15, release: 200 },
    ],
  },
  {
    name: 'Strings',
    role: 'music',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 120, slope: 12 }, { type: 'highshelf', freq: 9000, gain: 1.5 }] },
      { type: 'compressor', threshold: -22, ratio: 2, attack: 30, release: 250 },
    ],
  },
  {
    name: 'Vocals',
    role: 'vocals',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 100, slope: 24 }, { type: 'peak', freq: 3000, gain: 2, q: 0.8 }, { type: 'highshelf', freq: 12000, gain: 1.5 }] },
      { type: 'compressor', threshold: -22, ratio: 3.5, attack: 5, release: 80, makeup: 3, detection: 'rms' },
    ],
  },
  {
    name: 'FX',
    role: 'fx',
    processing: [
      { type: 'eq', bands: [{ type: 'highpass', freq: 200, slope: 12 }, { type: 'lowpass', freq: 14000, slope: 12 }] },
      { type: 'compressor', threshold: -24, ratio: 2, attack: 30, release: 300 },
    ],
  },
] as const;

/** The shared return and the master, as in the session. */
export const REVERB = { type: 'reverb', decay: 2, predelay: 20 } as const;
export const LIMITER = { type: 'limiter', ceiling: -1, lookahead: 5, release: 50 } as const;

const trackFile = (i: number) => `${String(i + 1).padStart(2, '0')} ${TRACKS[i]!.name}.wav`;

/** The session: tracks (files relative to the session) routed to the 8 stems, one reverb return, a master limiter. */
export function renderSessionInput(title = 'stemkit render benchmark'): SessionInput {
  return {
    name: title,
    sampleRate: 48000,
    bitDepth: 24,
    tail: 'auto',
    stems: STEMS.map((stem) => ({
      name: stem.name,
      role: stem.role,
      processing: structuredClone(stem.processing) as unknown as NonNullable<SessionInput['stems'][number]['processing']>,
      tracks: TRACKS.flatMap((t, i) =>
        t.stem === stem.name
          ? [{ file: trackFile(i), name: t.name, gain: t.gain, ...(t.pan ? { pan: t.pan } : {}), ...(t.send !== undefined ? { sends: [{ to: 'Verb', gain: t.send }] } : {}) }]
          : [],
      ),
    })),
    returns: [{ name: 'Verb', processing: [{ ...REVERB }] }],
    master: { gain: 0, processing: [{ ...LIMITER }] },
  };
}

// ---------------------------------------------------------------------------------------------
// Writer

interface FixtureRecord {
  version: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  frames: number;
  tracks: RenderFixtureTrack[];
}

const RECORD = 'render-fixture.json';
const SESSION = 'session.yaml';
const DEFAULT_SEED = 20250611;

function timingFor(sr: number): Timing {
  const step = stepFrames(sr);
  return { sr, step, bar: step * STEPS };
}

function createParts(sr: number, seed: number): Part[] {
  const t = timingFor(sr);
  return TRACKS.map((def, i) => def.make(t, seed + 101 * (i + 1)));
}

/** Per track, the linear gain that brings its peak over the first pass of the form (≤ 64 s) to TRACK_PEAK_DBFS. */
function calibrate(sr: number, seed: number, frames: number): number[] {
  const t = timingFor(sr);
  const parts = createParts(sr, seed);
  const bars = Math.min(CYCLE, Math.ceil(frames / t.bar));
  const buf = [new Float64Array(t.bar), new Float64Array(t.bar)];
  const target = 10 ** (TRACK_PEAK_DBFS / 20);
  return parts.map((part, k) => {
    let peak = 0;
    for (let bar = 0; bar < bars; bar++) {
      buf[0]!.fill(0);
      buf[1]!.fill(0);
      part.render(bar, buf.slice(0, part.channels));
      for (let ch = 0; ch < part.channels; ch++) {
        const x = buf[ch]!;
        for (let i = 0; i < t.bar; i++) {
          const v = Math.abs(x[i]!);
          if (v > peak) peak = v;
        }
      }
    }
    if (!(peak > 1e-4)) throw new Error(`render fixture: track ${TRACKS[k]!.name} is silent in its first ${bars} bars`);
    return target / peak;
  });
}

async function writeSession(dir: string): Promise<string> {
  const path = join(dir, SESSION);
  await writeFile(path, `# stemkit render benchmark (bench/lib/render-fixture.ts): 48 tracks → 8 stems + mix\n${stringify(renderSessionInput())}`);
  return path;
}

function describe(dir: string, record: FixtureRecord, generated: boolean, generateSeconds: number): RenderFixture {
  return {
    dir,
    session: join(dir, SESSION),
    tracks: record.tracks,
    files: record.tracks.map((t) => join(dir, t.file)),
    frames: record.frames,
    seconds: record.seconds,
    sampleRate: record.sampleRate,
    seed: record.seed,
    totalBytes: record.tracks.reduce((n, t) => n + t.bytes, 0),
    version: record.version,
    generated,
    generateSeconds,
  };
}

/** Returns the fixture at `options.dir`, generating it unless an identical one is already there. */
export async function ensureRenderFixture(options: RenderFixtureOptions): Promise<RenderFixture> {
  const { seconds, sampleRate, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  const record = await reusableRecord<FixtureRecord>(
    options.dir,
    RECORD,
    { version: RENDER_FIXTURE_VERSION, seconds, sampleRate, seed },
    (r) => r.tracks.map((t) => ({ path: t.file, bytes: t.bytes })),
    TRACKS.length,
  );
  if (!record) return writeRenderFixture(options);
  await writeSession(options.dir);
  return describe(options.dir, record, false, 0);
}

/** Removes the fixture's own files from `dir`, then the folder if empty. */
export async function removeRenderFixture(dir: string): Promise<void> {
  await rm(join(dir, RECORD), { force: true });
  await rm(join(dir, SESSION), { force: true });
  for (let i = 0; i < TRACKS.length; i++) await rm(join(dir, trackFile(i)), { force: true });
  await rmdir(dir).catch(() => undefined);
}

/** Every file a fixture in `dir` consists of (whether or not it exists). */
export function renderFixtureFiles(dir: string): string[] {
  return [join(dir, RECORD), join(dir, SESSION), ...TRACKS.map((_, i) => join(dir, trackFile(i)))];
}

/** Generates the fixture unconditionally (overwriting its files). */
export async function writeRenderFixture(options: RenderFixtureOptions): Promise<RenderFixture> {
  const t0 = process.hrtime.bigint();
  const { seconds, sampleRate: sr, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  const dir = options.dir;
  await mkdir(dir, { recursive: true });
  await rm(join(dir, RECORD), { force: true });

  const t = timingFor(sr);
  const frames = Math.round(seconds * sr);
  const fadeFrames = fadeFramesFor(frames, sr);
  const gains = calibrate(sr, seed, frames);
  const parts = createParts(sr, seed);
  const scratch = [new Float64Array(t.bar), new Float64Array(t.bar)];
  const out = parts.map((p) => Array.from({ length: p.channels }, () => new Float32Array(t.bar)));
  const peaks = new Float64Array(parts.length);
  await writeWavStreams(
    parts.map((p, i) => ({ path: join(dir, trackFile(i)), channels: p.channels })),
    { sampleRate: sr, frames, blockFrames: t.bar, onProgress: options.onProgress },
    (bar, done, n) => {
      const fadeStart = frames - fadeFrames;
      for (let k = 0; k < parts.length; k++) {
        const part = parts[k]!;
        const bufs = scratch.slice(0, part.channels);
        for (const b of bufs) b.fill(0);
        part.render(bar, bufs);
        const g = gains[k]!;
        let peak = peaks[k]!;
        for (let ch = 0; ch < part.channels; ch++) {
          const src = bufs[ch]!, dst = out[k]![ch]!;
          for (let i = 0; i < n; i++) {
            const at = done + i;
            let v = src[i]! * g;
            if (at >= fadeStart) v *= fadeGain(at, frames, fadeFrames);
            dst[i] = v;
            const m = v < 0 ? -v : v;
            if (m > peak) peak = m;
          }
        }
        peaks[k] = peak;
      }
      return out;
    },
  );
  const record: FixtureRecord = {
    version: RENDER_FIXTURE_VERSION,
    seconds,
    sampleRate: sr,
    seed,
    frames,
    tracks: await Promise.all(
      TRACKS.map(async (def, i) => ({
        file: trackFile(i),
        name: def.name,
        stem: def.stem,
        channels: parts[i]!.channels,
        bytes: (await stat(join(dir, trackFile(i)))).size,
        peakDbfs: Math.round(2000 * Math.log10(peaks[i]!)) / 100,
      })),
    ),
  };
  await writeSession(dir);
  await writeFile(join(dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
  return describe(dir, record, true, Number(process.hrtime.bigint() - t0) / 1e9);
}
