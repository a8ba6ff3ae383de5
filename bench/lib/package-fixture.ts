import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveFixtureOptions, reusableRecord, type FixtureOptions } from './fixture-record.js';
import { chordOf, CYCLE, decayK, fadeFramesFor, fadeGain, firstBarOf, fsin, lastBarOf, mtof, Noise, saw, sectionOf, smoothK, stepFrames, STEPS, writeWavStreams } from './synth.js';

/**
 * A deterministic, music-like stem package for benchmarks: eight stereo stems (drums, bass,
 * pads, keys, guitar, lead, vocal-like formant voice, FX) plus their mix, 48 kHz/24-bit, laid out
 * as DIR/stems/01_Drums.wav … DIR/stems/08_FX.wav and DIR/mix.wav.
 *
 * - A 120 BPM song in A minor (Am F C G) with a 64-second form (intro, verse, chorus, breakdown,
 *   chorus) repeated for as long as asked, so loudness, LRA and peaks vary like real material.
 * - Each stem is quantised to the 24-bit grid first, and the mix is the exact integer sum of the
 *   quantised stems: the null test (mix − Σ stems) is exactly zero.
 * - Streaming: one bar (2 s) at a time into reused buffers, so a 60-minute package costs the same
 *   memory as a 4-minute one. Oscillators are phase accumulators with a polynomial sine, PolyBLEP
 *   saws, Chamberlin state-variable filters and Karplus–Strong strings: no Math.sin per sample.
 * - Levels: stems peak between about −17 and −12 dBFS (drums loudest, −11.8), chosen so the unity
 *   sum peaks near −3.6 dBFS as stemkit's headroom rule wants; the mix measures about −18 LUFS.
 *   The last 4 s fade out so no stem ends mid-note.
 * - Same options, same bytes (xorshift noise with fixed seeds, no Date, no Math.random).
 */

/** Bump when the synthesis changes, so cached packages are regenerated. */
export const PACKAGE_FIXTURE_VERSION = 2;
export const STEM_NAMES = ['Drums', 'Bass', 'Pads', 'Keys', 'Guitar', 'Lead', 'Vocal', 'FX'] as const;

/** `dir` is the package folder. */
export type PackageFixtureOptions = FixtureOptions;

export interface PackageFixture {
  dir: string;
  /** Stem paths in order (stems/01_Drums.wav …). */
  stems: string[];
  mix: string;
  /** Stems then the mix: every file of the package. */
  files: string[];
  frames: number;
  seconds: number;
  sampleRate: number;
  channels: 2;
  bitDepth: 24;
  seed: number;
  /** Sum of the file sizes in bytes. */
  totalBytes: number;
  version: number;
  /** Per file: sample peak in dBFS (max over both channels), as generated. */
  peakDbfs: Record<string, number>;
  /** Whether this call generated the files (false: an identical package was already there). */
  generated: boolean;
  /** Seconds spent generating (0 when reused). */
  generateSeconds: number;
}

const FULL = 8388608; // 2^23: the 24-bit grid the WAV writer rounds to
const INV_FULL = 1 / FULL;
/**
 * One gain for every stem, so the unity sum peaks near −3.5 dBFS (stemkit's headroom advice for
 * the sum is −6 to −3 dBFS); the stems then peak between about −17 and −12 dBFS.
 */
const MASTER_TRIM = 10 ** (-2.2 / 20);

/** Multiplies the frames of this block that fall in the final fade by the fade curve. */
function applyFade(l: Float64Array, r: Float64Array, blockStart: number, n: number, frames: number, fadeFrames: number): void {
  const fadeStart = frames - fadeFrames;
  for (let i = Math.max(0, fadeStart - blockStart); i < n; i++) {
    const g = fadeGain(blockStart + i, frames, fadeFrames);
    l[i] *= g;
    r[i] *= g;
  }
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Chamberlin SVF frequency coefficient. */
const svfF = (hz: number, sr: number) => 2 * Math.sin((Math.PI * Math.min(hz, sr / 7)) / sr);

const PENTATONIC = [57, 60, 62, 64, 67, 69, 72, 74, 76];

interface Timing {
  sr: number;
  step: number;
}

/** One stem: adds one bar (16 steps of `step` frames) of stereo audio into L and R. */
interface Instrument {
  readonly gain: number;
  render(bar: number, L: Float64Array, R: Float64Array): void;
}

// ---------------------------------------------------------------------------------------------
// Instruments

class Drums implements Instrument {
  readonly gain = 0.1934;
  private readonly n: Noise;
  private kickAmp = 0;
  private kickClick = 0;
  private kickPhase = 0;
  private kickFreq = 0;
  private snAmp = 0;
  private snTone = 0;
  private snPhase = 0;
  private snLp = 0;
  private hatAmp = 0;
  private hatDecay = 0;
  private hatLp = 0;
  private crashAmp = 0;
  private crashLpL = 0;
  private crashLpR = 0;
  private readonly k: Record<string, number>;

  constructor(
    private readonly t: Timing,
    seed: number,
  ) {
    this.n = new Noise(seed);
    const sr = t.sr;
    this.k = {
      kickDecay: decayK(0.22, sr),
      kickSweep: decayK(0.035, sr),
      click: decayK(0.0015, sr),
      snDecay: decayK(0.12, sr),
      snToneDecay: decayK(0.05, sr),
      hatClosed: decayK(0.03, sr),
      hatOpen: decayK(0.2, sr),
      crash: decayK(1.6, sr),
    };
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const k = this.k;
    const sec = sectionOf(bar);
    const b = bar % CYCLE;
    const fill = lastBarOf(bar) && sec !== 'break';
    const kicks = sec === 'verse' ? [0, 7, 8, 10] : sec === 'chorus' ? [0, 3, 6, 8, 11, 14] : sec === 'break' ? (b === 23 ? [0, 4, 8, 10, 12, 13, 14, 15] : [0]) : b === 3 ? [12, 14] : [];
    const snares = sec === 'verse' || sec === 'chorus' ? [4, 12] : [];
    for (let s = 0; s < STEPS; s++) {
      // --- triggers at the start of this step
      if (kicks.includes(s)) {
        this.kickAmp = s === 0 ? 1 : 0.85;
        this.kickClick = 0.35;
        this.kickFreq = 170;
      }
      let snVel = snares.includes(s) ? 1 : 0;
      if (sec === 'chorus' && (s === 7 || s === 15)) snVel = 0.25;
      if (fill && s >= 12) snVel = 0.45 + 0.18 * (s - 12);
      if (snVel > 0) {
        this.snAmp = snVel;
        this.snTone = snVel * 0.8;
        this.snPhase = 0;
      }
      let hatVel = 0;
      let open = false;
      if (sec === 'intro' || sec === 'verse') hatVel = s % 2 === 0 ? (s % 4 === 2 ? 0.55 : 0.35) : 0;
      else if (sec === 'chorus') {
        hatVel = s % 2 === 0 ? 0.6 : 0.3;
        open = s === 14;
      }
      if (hatVel > 0) {
        this.hatAmp = hatVel;
        this.hatDecay = open ? k.hatOpen! : k.hatClosed!;
      }
      if (s === 0 && firstBarOf(bar) && sec === 'chorus') this.crashAmp = 0.55;

      const a = s * step;
      const e = a + step;
      // --- kick: sine sweeping 170 → 48 Hz, plus a short click
      if (this.kickAmp > 1e-5) {
        let amp = this.kickAmp;
        let click = this.kickClick;
        let freq = this.kickFreq;
        let ph = this.kickPhase;
        const dec = k.kickDecay!;
        const sweep = k.kickSweep!;
        const cdec = k.click!;
        const inv = 1 / sr;
        for (let i = a; i < e; i++) {
          freq = 48 + (freq - 48) * sweep;
          ph += freq * inv;
          const v = fsin(ph) * amp + this.n.next() * click;
          amp *= dec;
          click *= cdec;
          L[i] += v;
          R[i] += v;
        }
        this.kickAmp = amp;
        this.kickClick = click;
        this.kickFreq = freq;
        this.kickPhase = ph - Math.floor(ph);
      }
      // --- snare: high-passed noise and a 190 Hz body
      if (this.snAmp > 1e-5) {
        let amp = this.snAmp;
        let tone = this.snTone;
        let ph = this.snPhase;
        let lp = this.snLp;
        const dt = 190 / sr;
        const dec = k.snDecay!;
        const tdec = k.snToneDecay!;
        for (let i = a; i < e; i++) {
          const x = this.n.next();
          lp += (x - lp) * 0.25;
          ph += dt;
          const v = (x - lp) * amp * 0.7 + fsin(ph) * tone * 0.5;
          amp *= dec;
          tone *= tdec;
          L[i] += v * 0.92;
          R[i] += v;
        }
        this.snAmp = amp;
        this.snTone = tone;
        this.snPhase = ph - Math.floor(ph);
        this.snLp = lp;
      }
      // --- hats: brighter noise, a little right
      if (this.hatAmp > 1e-5) {
        let amp = this.hatAmp;
        let lp = this.hatLp;
        const dec = this.hatDecay;
        for (let i = a; i < e; i++) {
          const x = this.n.next();
          lp += (x - lp) * 0.6;
          const v = (x - lp) * amp * 0.5;
          amp *= dec;
          L[i] += v * 0.7;
          R[i] += v;
        }
        this.hatAmp = amp;
        this.hatLp = lp;
      }
      // --- crash: decorrelated noise per side, wide
      if (this.crashAmp > 1e-5) {
        let amp = this.crashAmp;
        let lpL = this.crashLpL;
        let lpR = this.crashLpR;
        const dec = k.crash!;
        for (let i = a; i < e; i++) {
          const xl = this.n.next();
          const xr = this.n.next();
          lpL += (xl - lpL) * 0.5;
          lpR += (xr - lpR) * 0.5;
          L[i] += (xl - lpL) * amp * 0.45;
          R[i] += (xr - lpR) * amp * 0.45;
          amp *= dec;
        }
        this.crashAmp = amp;
        this.crashLpL = lpL;
        this.crashLpR = lpR;
      }
    }
  }
}

class Bass implements Instrument {
  readonly gain = 0.2848;
  private phase = 0;
  private freq = 55;
  private target = 55;
  private amp = 0;
  private env = 0;
  private gate = 0;
  private low = 0;
  private band = 0;
  private readonly glide: number;
  private readonly att: number;
  private readonly rel: number;
  private readonly envDecay: number;
  private readonly f0: number;
  private readonly f1: number;

  constructor(private readonly t: Timing) {
    const sr = t.sr;
    this.glide = smoothK(0.006, sr);
    this.att = smoothK(0.003, sr);
    this.rel = decayK(0.02, sr);
    this.envDecay = decayK(0.12, sr);
    this.f0 = (2 * Math.PI * 180) / sr;
    this.f1 = (2 * Math.PI * 1400) / sr;
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const sec = sectionOf(bar);
    const root = chordOf(bar).root;
    // [step, length in steps, semitones above the root]
    const notes: Array<[number, number, number]> =
      sec === 'verse'
        ? [[0, 1.6, 0], [2, 1.6, 0], [4, 1.6, 0], [6, 1.6, 12], [8, 1.6, 0], [10, 1.6, 0], [12, 1.6, 7], [14, 1.6, 12]]
        : sec === 'chorus'
          ? [[0, 2.5, 0], [3, 2.5, 0], [6, 1.5, 12], [8, 1.5, 0], [10, 0.8, 0], [11, 2.5, 7], [14, 1.5, 12]]
          : sec === 'break'
            ? [[0, 15, 0]]
            : [];
    for (let s = 0; s < STEPS; s++) {
      const note = notes.find((n) => n[0] === s);
      if (note) {
        this.target = mtof(root + note[2]);
        this.gate = Math.round(note[1] * step);
        this.env = 1;
      }
      if (this.gate === 0 && this.amp < 1e-5) continue;
      const e = (s + 1) * step;
      let { phase, freq, amp, env, gate, low, band } = this;
      const target = this.target;
      for (let i = s * step; i < e; i++) {
        freq += (target - freq) * this.glide;
        const dt = freq / sr;
        phase += dt;
        if (phase >= 1) phase -= 1;
        const x = saw(phase, dt) * 0.5 + fsin(phase) * 0.8;
        const f = this.f0 + this.f1 * env;
        env *= this.envDecay;
        low += f * band;
        const high = x - low - 0.9 * band;
        band += f * high;
        if (gate > 0) {
          amp += (1 - amp) * this.att;
          gate--;
        } else amp *= this.rel;
        const v = low * amp;
        L[i] += v;
        R[i] += v;
      }
      Object.assign(this, { phase, freq, amp, env, gate, low, band });
    }
  }
}

class Pads implements Instrument {
  readonly gain = 0.0433;
  private readonly phase = new Float64Array(6);
  private readonly freq = new Float64Array(6);
  private state = { lowL: 0, bandL: 0, lowR: 0, bandR: 0, level: 0 };
  private readonly glide: number;
  private readonly levelK: number;

  constructor(private readonly t: Timing) {
    this.glide = smoothK(0.06, t.sr);
    this.levelK = smoothK(0.8, t.sr);
    const first = chordOf(0).tones;
    for (let v = 0; v < 6; v++) {
      this.freq[v] = mtof(first[v % 3]!) * (v < 3 ? 1.004 : 0.996);
      this.phase[v] = v * 0.37;
    }
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const sec = sectionOf(bar);
    const levelTarget = sec === 'intro' ? 0.9 : sec === 'verse' ? 0.55 : sec === 'chorus' ? 0.75 : 1;
    const chord = chordOf(bar).tones;
    const target = new Float64Array(6);
    for (let v = 0; v < 6; v++) target[v] = mtof(chord[v % 3]!) * (v < 3 ? 1.004 : 0.996);
    const st = this.state;
    for (let s = 0; s < STEPS; s++) {
      // Filter sweep: a slow LFO (0.07 Hz) on the cutoff, updated every step.
      const time = (bar * STEPS + s) * step / sr;
      const f = svfF(900 + 600 * Math.sin(2 * Math.PI * 0.07 * time), sr);
      const e = (s + 1) * step;
      let { lowL, bandL, lowR, bandR, level } = st;
      for (let i = s * step; i < e; i++) {
        let xl = 0;
        let xr = 0;
        for (let v = 0; v < 6; v++) {
          const fr = (this.freq[v]! += (target[v]! - this.freq[v]!) * this.glide);
          const dt = fr / sr;
          let ph = this.phase[v]! + dt;
          if (ph >= 1) ph -= 1;
          this.phase[v] = ph;
          if (v < 3) xl += saw(ph, dt);
          else xr += saw(ph, dt);
        }
        level += (levelTarget - level) * this.levelK;
        lowL += f * bandL;
        bandL += f * (xl - lowL - 0.7 * bandL);
        lowR += f * bandR;
        bandR += f * (xr - lowR - 0.7 * bandR);
        L[i] += lowL * level;
        R[i] += lowR * level;
      }
      Object.assign(st, { lowL, bandL, lowR, bandR, level });
    }
  }
}

/** Two-operator FM electric piano, chord stabs, panned left. */
class Keys implements Instrument {
  readonly gain = 0.0523;
  private readonly pc = new Float64Array(6);
  private readonly pm = new Float64Array(6);
  private readonly dc = new Float64Array(6);
  private readonly amp = new Float64Array(6);
  private readonly idx = new Float64Array(6);
  private readonly att = new Float64Array(6);
  private next = 0;
  private readonly ampDecay: number;
  private readonly idxDecay: number;
  private readonly attK: number;

  constructor(private readonly t: Timing) {
    this.ampDecay = decayK(0.45, t.sr);
    this.idxDecay = decayK(0.12, t.sr);
    this.attK = decayK(0.002, t.sr);
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const sec = sectionOf(bar);
    const hits = sec === 'verse' ? [2, 6, 10, 14] : sec === 'chorus' ? [0, 3, 6, 10, 12] : sec === 'intro' ? [0, 10] : [0];
    const chord = chordOf(bar).tones;
    for (let s = 0; s < STEPS; s++) {
      if (hits.includes(s)) {
        const vel = s % 4 === 0 ? 1 : 0.75;
        for (let n = 0; n < 3; n++) {
          const v = (this.next + n) % 6;
          this.dc[v] = mtof(chord[n]! + 12) / sr;
          this.pc[v] = 0;
          this.pm[v] = 0;
          this.amp[v] = vel;
          this.idx[v] = 0.9 * vel;
          this.att[v] = 1;
        }
        this.next = (this.next + 3) % 6;
      }
      const a = s * step;
      const e = a + step;
      for (let v = 0; v < 6; v++) {
        let amp = this.amp[v]!;
        if (amp < 1e-5) continue;
        let idx = this.idx[v]!;
        let att = this.att[v]!;
        let pc = this.pc[v]!;
        let pm = this.pm[v]!;
        const dc = this.dc[v]!;
        const dm = dc * 2;
        for (let i = a; i < e; i++) {
          pc += dc;
          pm += dm;
          const y = fsin(pc + idx * fsin(pm)) * amp * (1 - att);
          amp *= this.ampDecay;
          idx *= this.idxDecay;
          att *= this.attK;
          L[i] += y;
          R[i] += y * 0.55;
        }
        this.amp[v] = amp;
        this.idx[v] = idx;
        this.att[v] = att;
        this.pc[v] = pc - Math.floor(pc);
        this.pm[v] = pm - Math.floor(pm);
      }
    }
  }
}

/** Karplus–Strong plucked strings, eighth-note arpeggios, panned right. */
class Guitar implements Instrument {
  readonly gain = 0.1674;
  private readonly voices: Array<{ buf: Float64Array; len: number; pos: number; decay: number; level: number }>;
  private next = 0;
  private readonly n: Noise;

  constructor(
    private readonly t: Timing,
    seed: number,
  ) {
    this.n = new Noise(seed);
    const maxLen = Math.ceil(t.sr / mtof(40)) + 2;
    this.voices = Array.from({ length: 4 }, () => ({ buf: new Float64Array(maxLen), len: 2, pos: 0, decay: 0.996, level: 0 }));
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const sec = sectionOf(bar);
    if (sec !== 'verse' && sec !== 'chorus' && this.voices.every((v) => v.level < 1e-4)) return;
    const tones = chordOf(bar).arpeggio;
    const order = [0, 2, 1, 3, 2, 1, 3, 2];
    for (let s = 0; s < STEPS; s++) {
      if ((sec === 'verse' || sec === 'chorus') && s % 2 === 0) {
        const v = this.voices[this.next]!;
        this.next = (this.next + 1) % this.voices.length;
        const freq = mtof(tones[order[s / 2]!]! - 12);
        v.len = Math.max(2, Math.round(sr / freq));
        v.pos = 0;
        v.decay = 0.9985;
        v.level = 1;
        const vel = s % 4 === 0 ? 0.9 : 0.65;
        let lp = 0;
        for (let i = 0; i < v.len; i++) {
          lp += (this.n.next() - lp) * 0.5;
          v.buf[i] = lp * vel;
        }
      }
      const a = s * step;
      const e = a + step;
      for (const v of this.voices) {
        if (v.level < 1e-4) continue;
        const { buf, len, decay } = v;
        let pos = v.pos;
        let peak = 0;
        for (let i = a; i < e; i++) {
          const y = buf[pos]!;
          const nxt = pos + 1 === len ? 0 : pos + 1;
          buf[pos] = (y + buf[nxt]!) * 0.5 * decay;
          pos = nxt;
          L[i] += y * 0.55;
          R[i] += y;
          const m = y < 0 ? -y : y;
          if (m > peak) peak = m;
        }
        v.pos = pos;
        v.level = peak;
      }
    }
  }
}

/** Saw lead with vibrato and a ping-pong delay, chorus only. */
class Lead implements Instrument {
  readonly gain = 0.0590;
  private readonly melody: Array<Array<[number, number, number]>>;
  private phase1 = 0;
  private phase2 = 0.5;
  private freq = 440;
  private target = 440;
  private amp = 0;
  private gate = 0;
  private held = 0;
  private vib = 0;
  private low = 0;
  private band = 0;
  private readonly dl: Float64Array;
  private readonly dr: Float64Array;
  private w = 0;
  private readonly k: { glide: number; att: number; rel: number; f: number; vib: number };

  constructor(
    private readonly t: Timing,
    seed: number,
  ) {
    const n = new Noise(seed);
    // Eight bars of melody ([step, length in steps, MIDI note]), repeated.
    this.melody = [];
    let degree = 4;
    for (let b = 0; b < 8; b++) {
      const phrase: Array<[number, number, number]> = [];
      for (let s = 0; s < STEPS; ) {
        const len = [1, 2, 2, 3, 4][Math.floor(n.unit() * 5)]!;
        if (n.unit() < 0.18) {
          s += len;
          continue;
        }
        degree = Math.max(0, Math.min(PENTATONIC.length - 1, degree + Math.round(n.next() * 2.4)));
        phrase.push([s, Math.min(len, STEPS - s), PENTATONIC[degree]! + 12]);
        s += len;
      }
      this.melody.push(phrase);
    }
    this.dl = new Float64Array(3 * t.step);
    this.dr = new Float64Array(3 * t.step);
    this.k = { glide: smoothK(0.025, t.sr), att: smoothK(0.008, t.sr), rel: decayK(0.06, t.sr), f: svfF(2600, t.sr), vib: 5.5 / t.sr };
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const k = this.k;
    // Call and response: the lead answers the vocal in the odd bars of a chorus.
    const active = sectionOf(bar) === 'chorus' && bar % 2 === 1;
    const phrase = active ? this.melody[bar % 8]! : [];
    const dl = this.dl;
    const dr = this.dr;
    const dlen = dl.length;
    for (let s = 0; s < STEPS; s++) {
      const note = phrase.find((p) => p[0] === s);
      if (note) {
        this.target = mtof(note[2]);
        this.gate = Math.round(note[1] * step * 0.9);
        this.held = 0;
      }
      const e = (s + 1) * step;
      let { phase1, phase2, freq, amp, gate, held, vib, low, band, w } = this;
      const target = this.target;
      for (let i = s * step; i < e; i++) {
        let dry = 0;
        if (gate > 0 || amp > 1e-5) {
          freq += (target - freq) * k.glide;
          vib += k.vib;
          const depth = held > 0.15 * sr ? 0.007 : 0;
          const f = freq * (1 + depth * fsin(vib));
          const dt1 = (f * 1.003) / sr;
          const dt2 = (f * 0.997) / sr;
          phase1 += dt1;
          if (phase1 >= 1) phase1 -= 1;
          phase2 += dt2;
          if (phase2 >= 1) phase2 -= 1;
          const x = saw(phase1, dt1) + saw(phase2, dt2);
          low += k.f * band;
          band += k.f * (x - low - 0.6 * band);
          if (gate > 0) {
            amp += (1 - amp) * k.att;
            gate--;
            held++;
          } else amp *= k.rel;
          dry = low * amp;
        }
        // Ping-pong delay (dotted eighth), always running so its tail rings out.
        const yl = dl[w]!;
        const yr = dr[w]!;
        dl[w] = dry + yr * 0.45;
        dr[w] = yl;
        if (++w === dlen) w = 0;
        L[i] += dry * 0.9 + yl * 0.35;
        R[i] += dry * 0.9 + yr * 0.35;
      }
      vib -= Math.floor(vib);
      Object.assign(this, { phase1, phase2, freq, amp, gate, held, vib, low, band, w });
    }
  }
}

/** A sung-vowel voice: saw glottal source through three formant band-passes, phrased syllables. */
class Vocal implements Instrument {
  readonly gain = 0.3443;
  private static readonly VOWELS: Array<[number, number, number]> = [
    [730, 1090, 2440], // a
    [530, 1840, 2480], // e
    [270, 2290, 3010], // i
    [570, 840, 2410], // o
    [300, 870, 2240], // u
  ];
  private readonly n: Noise;
  private readonly plan: Array<Array<[number, number, number, number]>>;
  private phase = 0;
  private freq = 220;
  private target = 220;
  private vib = 0;
  private amp = 0;
  private gate = 0;
  private cons = 0;
  private consLp = 0;
  private readonly fc = new Float64Array(3);
  private readonly ft = new Float64Array(3);
  private readonly low = new Float64Array(3);
  private readonly band = new Float64Array(3);
  private readonly k: { glide: number; att: number; rel: number; form: number; cons: number; vib: number };

  constructor(
    private readonly t: Timing,
    seed: number,
  ) {
    this.n = new Noise(seed);
    const plan = new Noise(seed ^ 0x5bd1e995);
    // Eight bars of syllables ([step, length, chord-tone index, vowel]).
    this.plan = [];
    for (let b = 0; b < 8; b++) {
      const steps = b % 2 === 0 ? [0, 2, 4, 6, 8, 10, 12] : [0, 2, 4, 8];
      this.plan.push(
        steps.map((s, i) => {
          const len = i === steps.length - 1 ? (b % 2 === 0 ? 4 : 6) : steps[i + 1]! - s;
          return [s, len, Math.floor(plan.unit() * 4), Math.floor(plan.unit() * 5)];
        }),
      );
    }
    const sr = t.sr;
    for (let j = 0; j < 3; j++) this.fc[j] = this.ft[j] = svfF(Vocal.VOWELS[0]![j]!, sr);
    this.k = { glide: smoothK(0.03, sr), att: smoothK(0.02, sr), rel: decayK(0.05, sr), form: smoothK(0.02, sr), cons: decayK(0.012, sr), vib: 5 / sr };
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const k = this.k;
    const sec = sectionOf(bar);
    const syllables = sec === 'intro' || (sec === 'chorus' && bar % 2 === 1) ? [] : this.plan[bar % 8]!;
    const tones = chordOf(bar).arpeggio;
    const q = [0.09, 0.07, 0.05];
    const g = [1, 0.55, 0.3];
    for (let s = 0; s < STEPS; s++) {
      const syl = syllables.find((x) => x[0] === s);
      if (syl) {
        this.target = mtof(tones[syl[2]]! + (sec === 'chorus' ? 5 : 0));
        this.gate = Math.round(syl[1] * step * 0.85);
        const vowel = Vocal.VOWELS[syl[3]]!;
        for (let j = 0; j < 3; j++) this.ft[j] = svfF(vowel[j]!, sr);
        this.cons = syl[3] % 2 === 0 ? 0.5 : 0.2;
      }
      if (this.gate === 0 && this.amp < 1e-5) continue;
      const e = (s + 1) * step;
      let { phase, freq, vib, amp, gate, cons, consLp } = this;
      const target = this.target;
      let f0 = this.fc[0]!;
      let f1 = this.fc[1]!;
      let f2 = this.fc[2]!;
      const t0 = this.ft[0]!;
      const t1 = this.ft[1]!;
      const t2 = this.ft[2]!;
      let l0 = this.low[0]!;
      let l1 = this.low[1]!;
      let l2 = this.low[2]!;
      let b0 = this.band[0]!;
      let b1 = this.band[1]!;
      let b2 = this.band[2]!;
      for (let i = s * step; i < e; i++) {
        freq += (target - freq) * k.glide;
        vib += k.vib;
        const dt = (freq * (1 + 0.01 * fsin(vib))) / sr;
        phase += dt;
        if (phase >= 1) phase -= 1;
        const noise = this.n.next();
        const x = saw(phase, dt) + 0.12 * noise;
        f0 += (t0 - f0) * k.form;
        f1 += (t1 - f1) * k.form;
        f2 += (t2 - f2) * k.form;
        l0 += f0 * b0;
        b0 += f0 * (x - l0 - q[0]! * b0);
        l1 += f1 * b1;
        b1 += f1 * (x - l1 - q[1]! * b1);
        l2 += f2 * b2;
        b2 += f2 * (x - l2 - q[2]! * b2);
        if (gate > 0) {
          amp += (1 - amp) * k.att;
          gate--;
        } else amp *= k.rel;
        consLp += (noise - consLp) * 0.3;
        const v = (b0 * q[0]! * g[0]! + b1 * q[1]! * g[1]! + b2 * q[2]! * g[2]!) * amp + (noise - consLp) * cons;
        cons *= k.cons;
        L[i] += v;
        R[i] += v;
      }
      vib -= Math.floor(vib);
      Object.assign(this, { phase, freq, vib, amp, gate, cons, consLp });
      this.fc.set([f0, f1, f2]);
      this.low.set([l0, l1, l2]);
      this.band.set([b0, b1, b2]);
    }
  }
}

/** Risers into each chorus, impacts with a sub boom, short noise zaps, breakdown wind. */
class Fx implements Instrument {
  readonly gain = 0.1643;
  private readonly n: Noise;
  private s = { low: 0, band: 0, pan: 0, imp: 0, impLpL: 0, impLpR: 0, impF: 0, boom: 0, boomPh: 0, zap: 0, zapLow: 0, zapBand: 0, zapSide: 1, wind: 0, windLp: 0 };
  private readonly k: { imp: number; impF: number; boom: number; zap: number; windLfo: number };

  constructor(
    private readonly t: Timing,
    seed: number,
  ) {
    this.n = new Noise(seed);
    const sr = t.sr;
    this.k = { imp: decayK(0.9, sr), impF: decayK(0.5, sr), boom: decayK(0.6, sr), zap: decayK(0.05, sr), windLfo: 0.15 / sr };
  }

  render(bar: number, L: Float64Array, R: Float64Array): void {
    const { sr, step } = this.t;
    const k = this.k;
    const st = this.s;
    const b = bar % CYCLE;
    const sec = sectionOf(bar);
    const riser = b === 10 || b === 11 || b === 22 || b === 23;
    const riserStart = b === 10 || b === 11 ? 10 : 22;
    const barFrames = STEPS * step;
    for (let s = 0; s < STEPS; s++) {
      if (s === 0 && (b === 12 || b === 24)) {
        st.imp = 0.5;
        st.impF = 0.9;
        st.boom = 0.9;
        st.boomPh = 0;
      }
      if (sec === 'verse' && b % 4 === 3 && s === 14) {
        st.zap = 0.7;
        st.zapSide = -st.zapSide;
      }
      const a = s * step;
      const e = a + step;
      if (riser) {
        // Band-passed noise sweeping 300 Hz → 6 kHz over two bars, getting louder, auto-panned.
        let { low, band, pan } = st;
        const base = (b - riserStart) * barFrames;
        for (let i = a; i < e; i++) {
          const p = (base + i) / (2 * barFrames);
          const f = Math.min(0.75, (2 * Math.PI * 300 * (1 + 19 * p * p)) / sr);
          const x = this.n.next();
          low += f * band;
          band += f * (x - low - 0.5 * band);
          pan += 0.5 / sr;
          const v = band * p * p * 0.9;
          const side = fsin(pan) * 0.5;
          L[i] += v * (0.5 + side);
          R[i] += v * (0.5 - side);
        }
        Object.assign(st, { low, band, pan: pan - Math.floor(pan) });
      }
      if (st.imp > 1e-5 || st.boom > 1e-5) {
        let { imp, impLpL, impLpR, impF, boom, boomPh } = st;
        const dt = 45 / sr;
        for (let i = a; i < e; i++) {
          const xl = this.n.next();
          const xr = this.n.next();
          const f = 0.05 + impF;
          impLpL += (xl - impLpL) * f;
          impLpR += (xr - impLpR) * f;
          boomPh += dt;
          const sub = fsin(boomPh) * boom;
          L[i] += impLpL * imp + sub;
          R[i] += impLpR * imp + sub;
          imp *= k.imp;
          impF *= k.impF;
          boom *= k.boom;
        }
        Object.assign(st, { imp, impLpL, impLpR, impF, boom, boomPh: boomPh - Math.floor(boomPh) });
      }
      if (st.zap > 1e-5) {
        let { zap, zapLow, zapBand } = st;
        const f = svfF(2200, sr);
        const gl = st.zapSide < 0 ? 1 : 0.25;
        const gr = st.zapSide < 0 ? 0.25 : 1;
        for (let i = a; i < e; i++) {
          const x = this.n.next();
          zapLow += f * zapBand;
          zapBand += f * (x - zapLow - 0.15 * zapBand);
          const v = zapBand * zap * 0.35;
          L[i] += v * gl;
          R[i] += v * gr;
          zap *= k.zap;
        }
        Object.assign(st, { zap, zapLow, zapBand });
      }
      if (sec === 'break' || st.wind > 1e-4) {
        // Low-passed noise "wind" with a slow swell during the breakdown, fading after it.
        let { wind, windLp } = st;
        const target = sec === 'break' ? 0.5 : 0;
        const fade = smoothK(0.5, sr);
        for (let i = a; i < e; i++) {
          wind += (target - wind) * fade;
          const x = this.n.next();
          windLp += (x - windLp) * 0.02;
          const v = windLp * wind * (0.8 + 0.2 * fsin((bar * barFrames + i) * k.windLfo)) * 2.5;
          L[i] += v;
          R[i] -= v * 0.6;
        }
        Object.assign(st, { wind, windLp });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Package writer

function createInstruments(sr: number, seed: number): Instrument[] {
  const timing: Timing = { sr, step: stepFrames(sr) };
  return [
    new Drums(timing, seed + 1),
    new Bass(timing),
    new Pads(timing),
    new Keys(timing),
    new Guitar(timing, seed + 5),
    new Lead(timing, seed + 6),
    new Vocal(timing, seed + 7),
    new Fx(timing, seed + 8),
  ];
}

/**
 * Synthesis levels without writing anything (for tuning the instrument gains): per stem and for
 * the unquantised sum, sample peak and RMS in dBFS over `seconds`.
 */
export function measureFixtureLevels(seconds: number, sr = 48000, seed = 20250601): Array<{ name: string; peakDbfs: number; rmsDbfs: number; renderMs: number }> {
  const instruments = createInstruments(sr, seed);
  const barFrames = STEPS * stepFrames(sr);
  const l = new Float64Array(barFrames);
  const r = new Float64Array(barFrames);
  const mix = [new Float64Array(barFrames), new Float64Array(barFrames)];
  const peak = new Float64Array(instruments.length + 1);
  const sum = new Float64Array(instruments.length + 1);
  const ms = new Float64Array(instruments.length + 1);
  const frames = Math.round(seconds * sr);
  const fadeFrames = fadeFramesFor(frames, sr);
  for (let bar = 0, done = 0; done < frames; bar++, done += barFrames) {
    const n = Math.min(barFrames, frames - done);
    mix[0]!.fill(0);
    mix[1]!.fill(0);
    instruments.forEach((inst, k) => {
      l.fill(0);
      r.fill(0);
      const t0 = performance.now();
      inst.render(bar, l, r);
      applyFade(l, r, done, n, frames, fadeFrames);
      ms[k] += performance.now() - t0;
      for (let i = 0; i < n; i++) {
        const a = l[i]! * inst.gain * MASTER_TRIM;
        const b = r[i]! * inst.gain * MASTER_TRIM;
        mix[0]![i] += a;
        mix[1]![i] += b;
        peak[k] = Math.max(peak[k]!, Math.abs(a), Math.abs(b));
        sum[k] += a * a + b * b;
      }
    });
    for (let i = 0; i < n; i++) {
      const a = mix[0]![i]!;
      const b = mix[1]![i]!;
      peak[instruments.length] = Math.max(peak[instruments.length]!, Math.abs(a), Math.abs(b));
      sum[instruments.length] += a * a + b * b;
    }
  }
  const db = (x: number) => Math.round(2000 * Math.log10(x)) / 100;
  return [...STEM_NAMES, 'Mix (sum)'].map((name, k) => ({ name, peakDbfs: db(peak[k]!), rmsDbfs: db(Math.sqrt(sum[k]! / (2 * frames))), renderMs: Math.round(ms[k]!) }));
}

interface FixtureRecord {
  version: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  frames: number;
  files: Array<{ path: string; bytes: number; peakDbfs: number }>;
}

const RECORD = 'fixture.json';
const DEFAULT_SEED = 20250601;

function stemFileName(i: number): string {
  return `${String(i + 1).padStart(2, '0')}_${STEM_NAMES[i]}.wav`;
}

function packagePaths(dir: string): { stems: string[]; mix: string; record: string } {
  return { stems: STEM_NAMES.map((_, i) => join(dir, 'stems', stemFileName(i))), mix: join(dir, 'mix.wav'), record: join(dir, RECORD) };
}

const dbfs = (peak: number) => (peak > 0 ? Math.round(2000 * Math.log10(peak)) / 100 : -Infinity);

/**
 * Returns the package at `options.dir`, generating it unless an identical one (same version,
 * length, rate and seed, files of the recorded sizes) is already there.
 */
export async function ensurePackageFixture(options: PackageFixtureOptions): Promise<PackageFixture> {
  const { seconds, sampleRate, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  const record = await reusableRecord<FixtureRecord>(options.dir, RECORD, { version: PACKAGE_FIXTURE_VERSION, seconds, sampleRate, seed }, (r) => r.files, STEM_NAMES.length + 1);
  return record ? describe(options.dir, record, false, 0) : writePackageFixture(options);
}

function describe(dir: string, record: FixtureRecord, generated: boolean, generateSeconds: number): PackageFixture {
  const paths = packagePaths(dir);
  return {
    dir,
    stems: paths.stems,
    mix: paths.mix,
    files: [...paths.stems, paths.mix],
    frames: record.frames,
    seconds: record.seconds,
    sampleRate: record.sampleRate,
    channels: 2,
    bitDepth: 24,
    seed: record.seed,
    totalBytes: record.files.reduce((n, f) => n + f.bytes, 0),
    version: record.version,
    peakDbfs: Object.fromEntries(record.files.map((f) => [f.path, f.peakDbfs])),
    generated,
    generateSeconds,
  };
}

/** The audio files of a fixture package in `dir` (stems, then the mix), whether or not they exist. */
export function packageFiles(dir: string): string[] {
  const paths = packagePaths(dir);
  return [...paths.stems, paths.mix];
}

/** Removes the files a fixture writes (and nothing else) from `dir`, then the folders if empty. */
export async function removePackageFixture(dir: string): Promise<void> {
  const paths = packagePaths(dir);
  await rm(paths.record, { force: true });
  for (const file of [...paths.stems, paths.mix]) await rm(file, { force: true });
  for (const d of [join(dir, 'stems'), dir]) await rmdir(d).catch(() => undefined);
}

/**
 * Rounds `src · gain` to integers (the 24-bit grid), stores them as exact Float32 values q / 2^23
 * in `dst`, adds the integers to `mix`; returns the largest |q| (≥ 2^23 means it would clip;
 * the upper bound is 2^23 − 1 for positive values, so a caller treats > 2^23 − 1 as clipping).
 */
function quantise(src: Float64Array, dst: Float32Array, mix: Float64Array, n: number, gain: number): number {
  let peak = 0;
  for (let i = 0; i < n; i++) {
    // floor(x + 0.5), not Math.round: the same grid, and about 2× faster in V8 here.
    const q = Math.floor(src[i]! * gain + 0.5);
    dst[i] = q * INV_FULL;
    mix[i] += q;
    const m = q < 0 ? -q - 1 : q; // −2^23 is representable, +2^23 is not
    if (m > peak) peak = m;
  }
  return peak;
}

/** Integer mix → Float32 (exact while |q| ≤ 2^24); returns the largest |q| as in quantise(). */
function toFloat(mix: Float64Array, dst: Float32Array, n: number): number {
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const q = mix[i]!;
    dst[i] = q * INV_FULL;
    const m = q < 0 ? -q - 1 : q;
    if (m > peak) peak = m;
  }
  return peak;
}

/** Generates the package unconditionally (overwriting the fixture's files). */
export async function writePackageFixture(options: PackageFixtureOptions): Promise<PackageFixture> {
  const t0 = process.hrtime.bigint();
  const { seconds, sampleRate: sr, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  const dir = options.dir;
  const paths = packagePaths(dir);
  await rm(paths.record, { force: true });
  await mkdir(join(dir, 'stems'), { recursive: true });

  const barFrames = STEPS * stepFrames(sr);
  const frames = Math.round(seconds * sr);
  const fadeFrames = fadeFramesFor(frames, sr);
  const instruments = createInstruments(sr, seed);
  const nStems = instruments.length;
  const l = new Float64Array(barFrames);
  const r = new Float64Array(barFrames);
  const out = instruments.map(() => [new Float32Array(barFrames), new Float32Array(barFrames)]);
  const mixInt = [new Float64Array(barFrames), new Float64Array(barFrames)];
  const mixOut = [new Float32Array(barFrames), new Float32Array(barFrames)];
  const peaks = new Float64Array(nStems + 1);

  await writeWavStreams(
    [...paths.stems, paths.mix].map((path) => ({ path, channels: 2 })),
    { sampleRate: sr, frames, blockFrames: barFrames, onProgress: options.onProgress },
    (bar, done, n) => {
      mixInt[0]!.fill(0);
      mixInt[1]!.fill(0);
      for (let k = 0; k < nStems; k++) {
        const inst = instruments[k]!;
        l.fill(0);
        r.fill(0);
        inst.render(bar, l, r);
        applyFade(l, r, done, n, frames, fadeFrames);
        const gain = inst.gain * MASTER_TRIM * FULL;
        const peak = Math.max(quantise(l, out[k]![0]!, mixInt[0]!, n, gain), quantise(r, out[k]![1]!, mixInt[1]!, n, gain));
        if (peak > FULL - 1) throw new Error(`stem ${STEM_NAMES[k]} clips at bar ${bar}: synthesis levels are off`);
        peaks[k] = Math.max(peaks[k]!, peak);
      }
      const mixPeak = Math.max(toFloat(mixInt[0]!, mixOut[0]!, n), toFloat(mixInt[1]!, mixOut[1]!, n));
      if (mixPeak > FULL - 1) throw new Error(`mix clips at bar ${bar}: synthesis levels are off`);
      peaks[nStems] = Math.max(peaks[nStems]!, mixPeak);
      return [...out, mixOut];
    },
  );

  const rel = [...STEM_NAMES.map((_, i) => join('stems', stemFileName(i))), 'mix.wav'];
  const record: FixtureRecord = {
    version: PACKAGE_FIXTURE_VERSION,
    seconds,
    sampleRate: sr,
    seed,
    frames,
    files: await Promise.all(rel.map(async (path, i) => ({ path, bytes: (await stat(join(dir, path))).size, peakDbfs: dbfs(peaks[i]! * INV_FULL) }))),
  };
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
  return describe(dir, record, true, Number(process.hrtime.bigint() - t0) / 1e9);
}
