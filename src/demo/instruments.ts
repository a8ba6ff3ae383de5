import { hash01, Noise } from '../dsp/random.js';

/**
 * How the demo song (song.ts) sounds: its instruments, as synthesis that knows nothing of the
 * arrangement. Each instrument is a Part that adds one bar of audio per call into Float64 buffers
 * and keeps its state between bars (notes ring on across bar lines); what it plays comes from the
 * song as callbacks. Deterministic (seeded noise, no clock) and cheap: phase accumulators with a
 * polynomial sine, PolyBLEP saws, TPT state-variable filters and Karplus–Strong delay lines, no
 * Math.sin per sample.
 */

// ---------------------------------------------------------------------------------------------
// Oscillators, envelopes, filters

/** sin(2π·p) for p in cycles (any real), polynomial approximation (error < 0.1 %). */
export function fsin(p: number): number {
  let x = p - Math.floor(p + 0.5); // [-0.5, 0.5)
  x *= 2; // [-1, 1): sin(πx)
  const y = 4 * x * (1 - Math.abs(x));
  return y + 0.225 * (y * Math.abs(y) - y);
}

/** Band-limited (PolyBLEP) sawtooth, phase in [0, 1), dt = frequency / sampleRate. */
export function saw(phase: number, dt: number): number {
  let v = 2 * phase - 1;
  if (phase < dt) {
    const t = phase / dt;
    v -= t + t - t * t - 1;
  } else if (phase > 1 - dt) {
    const t = (phase - 1) / dt;
    v -= t * t + t + t + 1;
  }
  return v;
}

export const mtof = (midi: number) => 440 * 2 ** ((midi - 69) / 12);
/** Per-sample multiplier that decays by 1/e in `seconds`. */
const decayK = (seconds: number, sr: number) => Math.exp(-1 / (seconds * sr));
/** One-pole smoothing coefficient reaching 63 % in `seconds`. */
const smoothK = (seconds: number, sr: number) => 1 - Math.exp(-1 / (seconds * sr));

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

/** Constant-power pan gains for −1 … +1, scaled to unity at the centre. */
function panGains(pan: number): [left: number, right: number] {
  const angle = ((pan + 1) * Math.PI) / 4;
  return [Math.cos(angle) * Math.SQRT2, Math.sin(angle) * Math.SQRT2];
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

// ---------------------------------------------------------------------------------------------
// Parts and sequencing

/** One note or hit: start frame within the bar, length in frames, pitches, velocity, variant flag. */
interface NoteEvent {
  at: number;
  len: number;
  midis: number[];
  vel: number;
  alt: boolean;
}
/** Events of a bar in steps: [step, length in steps, midis, velocity, alt?]. */
export type StepEvent = [step: number, steps: number, midis: number[], vel: number, alt?: boolean];
/** What a sequenced part plays in a bar (nothing before bar 0 or after the song). */
export type Events = (bar: number) => StepEvent[];

/** Sample rate, and frames per sixteenth note and per bar. */
export interface Timing {
  sr: number;
  step: number;
  bar: number;
}

/** One track: adds one bar of audio into out (1 or 2 zeroed Float64 arrays of `bar` frames). */
export interface Part {
  readonly channels: 1 | 2;
  render(bar: number, out: Float64Array[]): void;
}

/**
 * Base for event-driven parts: events from the song (shifted by `delay` frames, so a note late
 * in one bar may start in the next), processed in segments between event starts.
 */
abstract class Sequenced implements Part {
  abstract readonly channels: 1 | 2;
  constructor(
    protected readonly t: Timing,
    private readonly events: Events,
    private readonly delay = 0,
  ) {}

  private eventsOf(bar: number): NoteEvent[] {
    const out: NoteEvent[] = [];
    for (const b of [bar - 1, bar]) {
      if (b < 0) continue;
      for (const [step, steps, midis, vel, alt] of this.events(b)) {
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

export interface HitOptions {
  channels?: 1 | 2;
  tone?: { from: number; to: number; sweep: number; decay: number; amp: number };
  noise?: { mode: 0 | 1 | 2; freq: number; q: number; decay: number; altDecay?: number; amp: number };
  /** Stereo: how much the two noise channels differ (0 = same, 1 = independent). */
  width?: number;
}

export class Hit extends Sequenced {
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

  constructor(t: Timing, events: Events, private readonly o: HitOptions, seed: number) {
    super(t, events);
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
export class Layers implements Part {
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

// ---------------------------------------------------------------------------------------------
// Monophonic lines: bass, slide guitar, cello, high strings, brass

export interface MonoOptions {
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

export class Mono extends Sequenced {
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

  constructor(t: Timing, events: Events, private readonly o: MonoOptions, delay = 0) {
    super(t, events, delay);
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

// ---------------------------------------------------------------------------------------------
// Plucked strings (Karplus–Strong): guitars

export interface PluckOptions {
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

export class Pluck extends Sequenced {
  readonly channels: 1 | 2;
  private readonly voices: StringVoice[];
  private next = 0;
  private readonly noise: Noise;
  private readonly echoL: Float64Array | null;
  private readonly echoR: Float64Array | null;
  private echoPos = 0;

  constructor(t: Timing, events: Events, private readonly o: PluckOptions, seed: number) {
    super(t, events);
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
      [v.panL, v.panR] = panGains(pan);
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

// ---------------------------------------------------------------------------------------------
// Keys: additive or two-operator FM voices

export interface PolyOptions {
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

export class Poly extends Sequenced {
  readonly channels: 1 | 2;
  private readonly voices: PolyVoice[];
  private next = 0;
  private readonly decays: Float64Array;
  private readonly att: number;
  private readonly rel: number;
  private readonly indexK: number;
  private readonly fmK: number;
  private lfo = 0;

  constructor(t: Timing, events: Events, private readonly o: PolyOptions) {
    super(t, events);
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
      [v.panL, v.panR] = panGains(pan);
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

// ---------------------------------------------------------------------------------------------
// Pads and strings: detuned saw chords through a low-pass

export interface PadOptions {
  channels: 1 | 2;
  /** Cents of each saw per note (stereo: right gets the negated set). */
  detune: number[];
  cutoff: number;
  lfo: { rate: number; depth: number };
  q: number;
  attack: number;
  release: number;
  vibrato?: { rate: number; depth: number };
  /** The notes (MIDI) held through a bar; none: the pad is released. */
  chord: (bar: number) => readonly number[];
}

interface PadVoice {
  freq: number;
  phases: Float64Array;
  env: number;
  gate: number;
  active: boolean;
}

export class Pad implements Part {
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
    for (const m of this.o.chord(bar)) {
      const v = this.voices[this.next]!;
      this.next = (this.next + 1) % this.voices.length;
      v.freq = mtof(m);
      v.gate = 1;
      v.active = true;
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

export interface VoiceOptions {
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

export class Voice extends Sequenced {
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
  /** The consonant's band: noise high-passed at 4 kHz, low-passed at 10 kHz (a voice has little air above). */
  private readonly hp = new Svf();
  private readonly lp = new Svf();
  private readonly att: number;
  private readonly rel: number;
  private readonly glideK: number;
  private readonly consK: number;

  constructor(t: Timing, events: Events, private readonly o: VoiceOptions, seed: number, delay = 0) {
    super(t, events, delay);
    this.noise = new Noise(seed);
    this.hp.set(4000, 0.7, t.sr);
    this.lp.set(10000, 0.7, t.sr);
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
      y += this.lp.tick(this.hp.tick(n, 2), 0) * consonant;
      consonant *= this.consK;
      L[i] += y;
    }
    vibPh -= Math.floor(vibPh);
    Object.assign(this, { ph, vibPh, freq, amp, level, left, vibRamp, consonant });
  }
}

/** Two mono parts as one stereo track, with a little of each side in the other. */
export class Pair implements Part {
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

// ---------------------------------------------------------------------------------------------
// FX: risers and an atmosphere

export class Riser implements Part {
  readonly channels = 2 as const;
  private readonly n: Noise;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private pan = 0;
  /** `rise(bar)`: [bar of the rise, bars it lasts], or null outside a rise. */
  constructor(private readonly t: Timing, private readonly rise: (bar: number) => [at: number, of: number] | null, seed: number) {
    this.n = new Noise(seed);
  }
  render(bar: number, out: Float64Array[]): void {
    const r = this.rise(bar);
    if (!r) return;
    const [L, R] = out as [Float64Array, Float64Array];
    const n = this.t.bar, sr = this.t.sr;
    for (let i0 = 0; i0 < n; i0 += 32) {
      const p = (r[0] * n + i0) / (r[1] * n);
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

export class Atmos implements Part {
  readonly channels = 2 as const;
  private readonly n: Noise;
  private readonly fl = new Svf();
  private readonly fr = new Svf();
  private level = 0;
  private ph = 0;
  private lfo = 0;
  /** `mood(bar)`: the level the atmosphere swells to and the drone's note (MIDI) in that bar. */
  constructor(private readonly t: Timing, private readonly mood: (bar: number) => [level: number, midi: number], seed: number) {
    this.n = new Noise(seed);
    this.fl.set(700, 0.8, t.sr);
    this.fr.set(760, 0.8, t.sr);
  }
  render(bar: number, out: Float64Array[]): void {
    const [L, R] = out as [Float64Array, Float64Array];
    const [target, midi] = this.mood(bar);
    const k = smoothK(1.5, this.t.sr), inv = 1 / this.t.sr;
    const f = mtof(midi);
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

