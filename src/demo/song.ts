import { dbToGain } from '../dsp/decibels.js';
import { hash01 } from '../dsp/random.js';
import { panMatrix } from '../session/stem-graph.js';
import type { SessionInput } from '../session/schema.js';
import { Atmos, Hit, Layers, Mono, Pad, Pair, Pluck, Poly, Riser, Voice, type Events, type HitOptions, type Part, type StepEvent, type Timing } from './instruments.js';

/**
 * The one song stemkit synthesizes, for `stemkit demo`, the benchmarks and the tests: 120 BPM in A
 * minor (Am F C G, a bar each), played by up to 48 tracks (instruments.ts) that group into 8, 5 or
 * 4 stems. No samples ship with stemkit, so it works offline from a fresh install.
 *
 * - Form: from 32 bars (64 s) on, intro 4, verse 8, chorus 8, breakdown 4, chorus 8, repeated for
 *   as long as asked; a shorter song is an intro, a verse and a chorus (8 bars: 1, 3 and 4).
 * - Length in seconds (events run to the end; the last 4 s fade out) or in bars (then `tail`
 *   seconds ring out after the last bar, fading).
 * - Levels: every track is scaled to peak at `peakDbfs` over the first pass of the form (at most
 *   64 s), so the levels hold at any length; its fader, pan and reverb send are part of the song.
 * - Streaming: a bar (2 s) at a time into reused buffers, so an hour costs the memory of a minute.
 * - Same options, same samples (seeded noise, no clock); a track sounds the same in any selection.
 */

export const BPM = 120;
/** Sixteenth notes per bar. */
const STEPS = 16;
/** Bars in one pass of the full form (64 s). */
const CYCLE = 32;

export type Section = 'intro' | 'verse' | 'chorus' | 'break';

/** Where a bar sits in the form: its section, its bar in it, the section's length and what follows (null: the end). */
export interface BarInfo {
  section: Section;
  index: number;
  length: number;
  next: Section | null;
}

/** The form of a song of `bars` bars: each bar's place in it, null outside the song. */
export function formOf(bars: number): (bar: number) => BarInfo | null {
  const chorus = Math.ceil(bars / 2);
  const intro = bars >= 6 ? Math.max(1, Math.floor(bars / 8)) : 0;
  const plan: [Section, number][] =
    bars >= CYCLE
      ? [['intro', 4], ['verse', 8], ['chorus', 8], ['break', 4], ['chorus', 8]]
      : ([['intro', intro], ['verse', bars - chorus - intro], ['chorus', chorus]] as [Section, number][]).filter(([, n]) => n > 0);
  const period = plan.reduce((n, [, length]) => n + length, 0);
  return (bar) => {
    if (!(bar >= 0 && bar < bars)) return null;
    let b = bar % period;
    for (let i = 0; ; i++) {
      const [section, length] = plan[i]!;
      if (b < length) return { section, index: b, length, next: bar - b + length >= bars ? null : plan[(i + 1) % plan.length]![0] };
      b -= length;
    }
  };
}

/** Am F C G, one bar each: root (bass octave) and triad (middle octave). */
const CHORDS = [
  { root: 33, tones: [57, 60, 64] },
  { root: 29, tones: [57, 60, 65] },
  { root: 36, tones: [55, 60, 64] },
  { root: 31, tones: [55, 59, 62] },
] as const;
const chordOf = (bar: number) => CHORDS[((bar % 4) + 4) % 4]!;

// ---------------------------------------------------------------------------------------------
// What each track plays: events of a bar in sixteenth-note steps

type Pattern = (bar: number, sec: Section, at: BarInfo) => StepEvent[];
const ev = (step: number, vel: number, alt = false): StepEvent => [step, 1, [], vel, alt];
const steps = (list: number[], vel: number, alt = false) => list.map((s) => ev(s, vel, alt));

const kickPattern: Pattern = (_bar, sec, at) => {
  const last = at.index === at.length - 1;
  if (sec === 'verse') return steps([0, 7, 8, 10], 0.9).map((e, i) => (i === 0 ? ev(0, 1) : e));
  if (sec === 'chorus') return steps([0, 3, 6, 8, 11, 14], 0.9).map((e, i) => (i === 0 ? ev(0, 1) : e));
  if (sec === 'break') return last ? steps([0, 4, 8, 10, 12, 13, 14, 15], 0.85) : [ev(0, 0.8)];
  return last ? steps([12, 14], 0.8) : [ev(0, 0.6)];
};
const snarePattern: Pattern = (_bar, sec, at) => {
  const e: StepEvent[] = [];
  if (sec === 'verse' || sec === 'chorus') e.push(ev(4, 1), ev(12, 1));
  if (sec === 'chorus') e.push(ev(7, 0.22), ev(15, 0.25));
  if (sec === 'verse') e.push(ev(10, 0.18));
  if (at.index === at.length - 1 && sec !== 'break') for (let s = 13; s < 16; s++) e.push(ev(s, 0.5 + 0.15 * (s - 13)));
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
const tomPattern = (high: boolean): Pattern => (bar, sec, at) => {
  if (at.index !== at.length - 1 || sec === 'intro') return sec === 'chorus' && bar % 4 === 3 ? [ev(high ? 9 : 11, 0.6)] : [];
  return (high ? [8, 9, 10] : [11, 12]).map((s) => ev(s, 0.85));
};
const ridePattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [0, 2, 4, 6, 8, 10, 12, 14].map((s) => ev(s, s % 4 === 0 ? 0.9 : 0.6)) : sec === 'break' ? [ev(0, 0.5), ev(8, 0.4)] : []);
const crashPattern: Pattern = (_bar, sec, at) => (at.index === 0 && sec !== 'intro' ? [ev(0, 1)] : []);
const kitPattern: Pattern = (bar, sec, at) => [...snarePattern(bar, sec, at), ...hatPattern(bar, sec, at).map((e) => [e[0], e[1], e[2], e[3] * 0.5] as StepEvent)];
const roomPattern: Pattern = (bar, sec, at) => [...kickPattern(bar, sec, at).map((e) => [e[0], 1, [], e[3] * 0.6] as StepEvent), ...snarePattern(bar, sec, at)];
const shakerPattern: Pattern = (_bar, sec) => (sec === 'verse' || sec === 'chorus' ? Array.from({ length: 16 }, (_, s) => ev(s, [0.7, 0.3, 0.45, 0.3][s % 4]!)) : []);
const tambPattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [2, 6, 10, 14].map((s) => ev(s, 0.8)) : sec === 'verse' ? [ev(4, 0.4), ev(12, 0.4)] : []);
const clapPattern: Pattern = (_bar, sec) => (sec === 'chorus' ? [ev(4, 1), ev(12, 1)] : sec === 'break' ? [ev(12, 0.6)] : []);
const congaPattern: Pattern = (bar, sec) => (sec === 'intro' ? [] : [0, 3, 6, 10, 11, 14].filter((s) => hash01(bar, s) > 0.25).map((s) => ev(s, 0.5 + 0.5 * hash01(s, bar), s === 6 || s === 14)));
const loopPattern: Pattern = (bar, sec) => Array.from({ length: 16 }, (_, s) => s).filter((s) => hash01(bar * 3 + 1, s) < (sec === 'break' ? 0.3 : 0.6)).map((s) => ev(s, 0.4 + 0.6 * hash01(s, bar + 9)));
const impactPattern: Pattern = (_bar, sec, at) => (at.index === 0 && (sec === 'chorus' || sec === 'break') ? [ev(0, 1)] : []);
const bassPattern: Pattern = (bar, sec, at) => {
  const r = chordOf(bar).root;
  if (sec === 'intro') return at.index >= at.length / 2 ? [[0, 15, [r], 0.8]] : [];
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
const slidePattern: Pattern = (bar, sec, at) => (sec === 'verse' && at.index >= at.length / 2 ? line(LEAD_VERSE, bar, -12, 0.8) : sec === 'break' ? line(LEAD_CHORUS, bar, -12, 0.7) : []);
const stringHiPattern: Pattern = (bar, sec) => (sec === 'chorus' ? [[0, 8, [chordOf(bar).tones[2] + 12], 0.8], [8, 8, [chordOf(bar).tones[1] + 12], 0.75]] : sec === 'break' ? [[0, 16, [chordOf(bar).tones[2] + 12], 0.6]] : []);
const celloPattern: Pattern = (bar, sec) => (sec === 'intro' ? [] : [[0, 8, [chordOf(bar).root + 12], 0.8], [8, 8, [chordOf(bar).root + (sec === 'chorus' ? 19 : 12)], 0.7]]);
const brassPattern: Pattern = (bar, sec) => (sec === 'chorus' ? [[0, 1.5, [chordOf(bar).tones[2]], 1], [3, 1.5, [chordOf(bar).tones[2]], 0.8], [10, 3, [chordOf(bar).tones[1] + 12], 0.9]] : []);
const powerChord = (r: number) => [r + 12, r + 19, r + 24];
const rhythmPattern = (offset: number): Pattern => (bar, sec) => {
  const r = chordOf(bar).root + 12;
  if (sec === 'chorus') return [0, 2, 4, 6, 8, 10, 12, 14].map((s) => [s, 1.8, powerChord(r + offset), s % 4 === 0 ? 1 : 0.75]);
  if (sec === 'verse') return [0, 3, 6, 8, 11, 14].map((s) => [s, 0.6, powerChord(r + offset), 0.7]);
  return sec === 'break' && bar % 2 === 1 ? [[0, 16, powerChord(r + offset), 0.6]] : [];
};
const leadGtrPattern: Pattern = (bar, sec, at) => (sec === 'chorus' ? line(LEAD_CHORUS, bar, 0, 0.9) : at.index === at.length - 1 && sec === 'verse' ? [[8, 2, [76], 0.8], [10, 2, [74], 0.8], [12, 4, [72], 0.8]] : []);
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
const bellPattern: Pattern = (bar, sec) => (sec === 'intro' || sec === 'break' ? [[0, 8, [chordOf(bar).tones[2] + 24], 0.8], [10, 6, [chordOf(bar).tones[0] + 24], 0.5]] : bar % 4 === 0 ? [[0, 8, [chordOf(bar).tones[2] + 24], 0.5]] : []);
const leadPattern = (transpose: number, verseToo: boolean): Pattern => (bar, sec) =>
  sec === 'verse' && verseToo ? line(LEAD_VERSE, bar, transpose, 0.9) : sec === 'chorus' ? line(LEAD_CHORUS, bar, transpose, 1) : [];
/** Backing "oohs": chord tone `k` of the bar, held, in the chorus (and the end of the verse). */
const bgvPattern = (k: number, octave: number): Pattern => (bar, sec, at) =>
  sec === 'chorus' || (sec === 'verse' && at.index >= at.length / 2) ? [[0, 7.5, [chordOf(bar).tones[k % 3]! + 12 * octave], 0.8], [8, 7.5, [chordOf(bar).tones[(k + 1) % 3]! + 12 * octave], 0.7]] : [];
const harmonyPattern: Pattern = (bar, sec) => (sec === 'chorus' ? line(LEAD_CHORUS, bar, -5, 0.85) : []);
const stackPattern = (k: number): Pattern => (bar, sec) => (sec === 'verse' || sec === 'break' ? [[8, 8, [chordOf(bar).tones[k]! + 12], 0.7]] : sec === 'chorus' ? [[0, 16, [chordOf(bar).tones[k]!], 0.6]] : []);

/** The synth lead: the chorus hook an octave up in the intro and the breakdown, an answer at the end of every other chorus bar. */
const leadSynthPattern: Pattern = (bar, sec) =>
  sec === 'intro' || sec === 'break' ? line(LEAD_CHORUS, bar, 12, 0.8) : sec === 'chorus' && bar % 2 === 1 ? [[12, 1, [76], 0.7], [13, 1, [74], 0.7], [14, 2, [72], 0.8]] : [];

// ---------------------------------------------------------------------------------------------
// The 48 tracks: instrument, stem (of 8) and place in the mix

/** What a track's instrument is built from: the timing, and the song's events and harmony as callbacks. */
interface Context {
  t: Timing;
  play: (pattern: Pattern) => Events;
  /** A pad's chord, held through the bars of these sections. */
  chords: (sections: Section[]) => (bar: number) => readonly number[];
  /** A riser's two bars before each section but the breakdown (one before a one-bar section). */
  rise: (bar: number) => [at: number, of: number] | null;
  /** The atmosphere: full in the intro and the breakdown, low elsewhere, gone after the end. */
  mood: (bar: number) => [level: number, midi: number];
}

interface TrackDef {
  name: string;
  stem: StemName;
  /** Fader, pan and send to the reverb (dB; absent = no send). */
  gain: number;
  pan?: number;
  send?: number;
  make: (c: Context, seed: number) => Part;
}

const hit = (pattern: Pattern, o: HitOptions) => (c: Context, seed: number) => new Hit(c.t, c.play(pattern), o, seed);

const TRACKS: readonly TrackDef[] = [
  // Drums: 8 mono + 2 stereo
  { name: 'Kick', stem: 'Drums', gain: -5, make: hit(kickPattern, { tone: { from: 170, to: 52, sweep: 0.03, decay: 0.2, amp: 1 }, noise: { mode: 1, freq: 3500, q: 0.7, decay: 0.006, amp: 1.2 } }) },
  { name: 'Kick Out', stem: 'Drums', gain: -8, make: hit(kickPattern, { tone: { from: 120, to: 46, sweep: 0.045, decay: 0.32, amp: 1 }, noise: { mode: 0, freq: 600, q: 0.7, decay: 0.01, amp: 0.5 } }) },
  { name: 'Snare', stem: 'Drums', gain: -6, pan: 0.05, send: -14, make: hit(snarePattern, { tone: { from: 200, to: 185, sweep: 0.02, decay: 0.07, amp: 0.6 }, noise: { mode: 1, freq: 2200, q: 0.6, decay: 0.13, amp: 1.4 } }) },
  { name: 'Snare Bottom', stem: 'Drums', gain: -15, pan: 0.05, make: hit(snarePattern, { noise: { mode: 2, freq: 4000, q: 0.7, decay: 0.18, amp: 1 } }) },
  { name: 'Hats', stem: 'Drums', gain: -14, pan: -0.35, make: hit(hatPattern, { noise: { mode: 2, freq: 7500, q: 0.9, decay: 0.035, altDecay: 0.3, amp: 1 } }) },
  { name: 'Tom 1', stem: 'Drums', gain: -10, pan: -0.25, send: -16, make: hit(tomPattern(true), { tone: { from: 180, to: 140, sweep: 0.08, decay: 0.35, amp: 1 }, noise: { mode: 1, freq: 900, q: 1, decay: 0.05, amp: 0.4 } }) },
  { name: 'Tom 2', stem: 'Drums', gain: -10, pan: 0.3, send: -16, make: hit(tomPattern(false), { tone: { from: 120, to: 90, sweep: 0.1, decay: 0.45, amp: 1 }, noise: { mode: 1, freq: 700, q: 1, decay: 0.05, amp: 0.4 } }) },
  { name: 'Ride', stem: 'Drums', gain: -17, pan: 0.4, make: hit(ridePattern, { tone: { from: 3300, to: 3300, sweep: 1, decay: 0.25, amp: 0.15 }, noise: { mode: 1, freq: 6000, q: 0.5, decay: 0.7, amp: 1 } }) },
  {
    name: 'Overheads',
    stem: 'Drums',
    gain: -11,
    send: -18,
    make: (c, seed) =>
      new Layers(2, [
        new Hit(c.t, c.play(kitPattern), { channels: 2, width: 0.6, noise: { mode: 2, freq: 3500, q: 0.7, decay: 0.09, amp: 0.8 } }, seed),
        new Hit(c.t, c.play(crashPattern), { channels: 2, width: 1, noise: { mode: 1, freq: 5200, q: 0.4, decay: 1.6, amp: 1 } }, seed + 11),
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
  { name: 'Bass', stem: 'Bass', gain: -8, make: (c) => new Mono(c.t, c.play(bassPattern), { shape: 'saw', cutoff: 1800, envAmount: 1500, envDecay: 0.12, q: 0.8, attack: 0.003, release: 0.02, glide: 0.006 }) },
  { name: 'Bass Amp', stem: 'Bass', gain: -10, send: -26, make: (c) => new Mono(c.t, c.play(bassPattern), { shape: 'saw', cutoff: 700, envAmount: 1800, envDecay: 0.1, q: 1.2, attack: 0.004, release: 0.03, glide: 0.006, drive: 3 }) },
  { name: 'Synth Bass', stem: 'Bass', gain: -13, make: (c) => new Mono(c.t, c.play(synthBassPattern), { shape: 'square', cutoff: 400, envAmount: 2500, envDecay: 0.08, q: 2, attack: 0.002, release: 0.02, glide: 0.002 }) },
  { name: 'Sub', stem: 'Bass', gain: -13, make: (c) => new Mono(c.t, c.play(subPattern), { shape: 'sine', cutoff: 200, envAmount: 0, envDecay: 1, q: 0.7, attack: 0.02, release: 0.1, glide: 0.05 }) },
  // Guitars: 5 mono + 2 stereo
  { name: 'Gtr Rhythm L', stem: 'Guitars', gain: -11, pan: -0.85, make: (c, seed) => new Pluck(c.t, c.play(rhythmPattern(0)), { channels: 1, decay: 1.5, bright: 0.8, strum: 0.008, drive: 5 }, seed) },
  { name: 'Gtr Rhythm R', stem: 'Guitars', gain: -11, pan: 0.85, make: (c, seed) => new Pluck(c.t, c.play(rhythmPattern(12)), { channels: 1, decay: 1.4, bright: 0.7, strum: 0.011, drive: 5 }, seed) },
  { name: 'Lead Gtr', stem: 'Guitars', gain: -10, pan: 0.15, send: -12, make: (c, seed) => new Pluck(c.t, c.play(leadGtrPattern), { channels: 1, decay: 3, bright: 0.9, strum: 0, drive: 8 }, seed) },
  { name: 'Clean Arp', stem: 'Guitars', gain: -13, pan: -0.45, send: -12, make: (c, seed) => new Pluck(c.t, c.play(arpPattern), { channels: 1, decay: 2.5, bright: 0.5, strum: 0 }, seed) },
  { name: 'Slide Gtr', stem: 'Guitars', gain: -14, pan: 0.45, send: -12, make: (c) => new Mono(c.t, c.play(slidePattern), { shape: 'saw', cutoff: 1800, envAmount: 800, envDecay: 0.3, q: 1.5, attack: 0.01, release: 0.15, glide: 0.08, vibrato: { rate: 5, depth: 0.25 }, drive: 4 }) },
  { name: 'Acoustic', stem: 'Guitars', gain: -12, send: -16, make: (c, seed) => new Pluck(c.t, c.play(acousticPattern), { channels: 2, decay: 2.2, bright: 0.6, strum: 0.012 }, seed) },
  { name: 'Gtr Amb', stem: 'Guitars', gain: -15, send: -8, make: (c, seed) => new Pluck(c.t, c.play(ambPattern), { channels: 2, decay: 4, bright: 0.4, strum: 0, echo: { left: 375, right: 500, feedback: 0.45, mix: 0.6 } }, seed) },
  // Keys: 4 mono + 2 stereo
  { name: 'Piano', stem: 'Keys', gain: -9, send: -14, make: (c) => new Poly(c.t, c.play(pianoPattern), { channels: 2, partials: [[1, 1, 2.5], [2.001, 0.5, 1.6], [3.003, 0.25, 1], [4.007, 0.12, 0.6]], attack: 0.002, release: 0.15, spread: 0.8 }) },
  { name: 'Rhodes', stem: 'Keys', gain: -12, send: -16, make: (c) => new Poly(c.t, c.play(rhodesPattern), { channels: 2, fm: { ratio: 1, index: 1.4, indexDecay: 0.4, decay: 3 }, attack: 0.003, release: 0.2, spread: 0.3, tremolo: { rate: 4.5, depth: 0.45 } }) },
  { name: 'Organ', stem: 'Keys', gain: -15, pan: -0.3, send: -18, make: (c) => new Poly(c.t, c.play(organPattern), { channels: 1, partials: [[0.5, 0.6, 60], [1, 1, 60], [2, 0.5, 60], [3, 0.3, 60], [4, 0.2, 60]], attack: 0.01, release: 0.05, tremolo: { rate: 6.5, depth: 0.15 } }) },
  { name: 'Clav', stem: 'Keys', gain: -14, pan: 0.35, make: (c) => new Poly(c.t, c.play(clavPattern), { channels: 1, partials: [[1, 1, 0.5], [2, 0.7, 0.35], [3, 0.6, 0.25], [4, 0.4, 0.2], [5, 0.3, 0.15], [6, 0.2, 0.1]], attack: 0.001, release: 0.03 }) },
  { name: 'Lead Synth', stem: 'Keys', gain: -16, pan: -0.6, send: -10, make: (c) => new Mono(c.t, c.play(leadSynthPattern), { shape: 'saw', cutoff: 2400, envAmount: 1800, envDecay: 0.2, q: 1, attack: 0.005, release: 0.08, glide: 0.03, vibrato: { rate: 5.5, depth: 0.15 } }) },
  { name: 'Bell', stem: 'Keys', gain: -17, pan: 0.6, send: -8, make: (c) => new Poly(c.t, c.play(bellPattern), { channels: 1, fm: { ratio: 3.5, index: 2, indexDecay: 1.2, decay: 4 }, attack: 0.001, release: 0.5 }) },
  // Strings: 3 mono + 2 stereo
  { name: 'Chords', stem: 'Strings', gain: -12, send: -10, make: (c) => new Pad(c.t, { channels: 2, detune: [-8, 5], cutoff: 1400, lfo: { rate: 0.08, depth: 0.4 }, q: 0.9, attack: 0.5, release: 0.8, chord: c.chords(['intro', 'verse', 'chorus', 'break']) }) },
  { name: 'Strings', stem: 'Strings', gain: -11, send: -12, make: (c) => new Pad(c.t, { channels: 2, detune: [-6, 7], cutoff: 3200, lfo: { rate: 0.2, depth: 0.15 }, q: 0.7, attack: 0.35, release: 0.5, vibrato: { rate: 5.5, depth: 0.12 }, chord: c.chords(['verse', 'chorus']) }) },
  { name: 'String Hi', stem: 'Strings', gain: -14, pan: 0.3, send: -12, make: (c) => new Mono(c.t, c.play(stringHiPattern), { shape: 'saw', cutoff: 3500, envAmount: 0, envDecay: 1, q: 0.7, attack: 0.25, release: 0.4, glide: 0.05, vibrato: { rate: 5.8, depth: 0.2 } }) },
  { name: 'Cello', stem: 'Strings', gain: -13, pan: -0.3, send: -14, make: (c) => new Mono(c.t, c.play(celloPattern), { shape: 'saw', cutoff: 1500, envAmount: 300, envDecay: 0.3, q: 0.7, attack: 0.12, release: 0.3, glide: 0.06, vibrato: { rate: 5.2, depth: 0.15 } }) },
  { name: 'Brass', stem: 'Strings', gain: -12, pan: 0.1, send: -14, make: (c) => new Mono(c.t, c.play(brassPattern), { shape: 'saw', cutoff: 600, envAmount: 2800, envDecay: 0.15, q: 1, attack: 0.02, release: 0.08, glide: 0.01, vibrato: { rate: 5, depth: 0.08 } }) },
  // Vocals: 7 mono + 1 stereo
  { name: 'Lead Vox', stem: 'Vocals', gain: -5, send: -9, make: (c, seed) => new Voice(c.t, c.play(leadPattern(0, true)), { formantScale: 1.05, detuneCents: 0, vibrato: { rate: 5.5, depth: 0.35 }, breath: 0.15, vowels: [0, 2, 1, 4, 0, 3], attack: 0.03, release: 0.08 }, seed) },
  { name: 'Lead Double', stem: 'Vocals', gain: -12, pan: 0.15, send: -12, make: (c, seed) => new Voice(c.t, c.play(leadPattern(0, true)), { formantScale: 1.08, detuneCents: 9, vibrato: { rate: 5.1, depth: 0.3 }, breath: 0.2, vowels: [0, 2, 1, 4, 0, 3], attack: 0.04, release: 0.08 }, seed, Math.round(0.018 * c.t.sr)) },
  { name: 'BGV 1', stem: 'Vocals', gain: -15, pan: -0.65, send: -10, make: (c, seed) => new Voice(c.t, c.play(bgvPattern(0, 0)), { formantScale: 1.15, detuneCents: -4, vibrato: { rate: 5.3, depth: 0.2 }, breath: 0.25, vowels: [3, 1], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV 2', stem: 'Vocals', gain: -15, pan: 0.65, send: -10, make: (c, seed) => new Voice(c.t, c.play(bgvPattern(1, 0)), { formantScale: 1.12, detuneCents: 5, vibrato: { rate: 5.6, depth: 0.2 }, breath: 0.25, vowels: [3, 1], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV Low', stem: 'Vocals', gain: -16, pan: -0.35, send: -10, make: (c, seed) => new Voice(c.t, c.play(bgvPattern(2, -1)), { formantScale: 0.95, detuneCents: 3, vibrato: { rate: 5.0, depth: 0.18 }, breath: 0.2, vowels: [1, 3], attack: 0.12, release: 0.2 }, seed) },
  { name: 'BGV High', stem: 'Vocals', gain: -16, pan: 0.35, send: -10, make: (c, seed) => new Voice(c.t, c.play(bgvPattern(1, 1)), { formantScale: 1.2, detuneCents: -6, vibrato: { rate: 5.9, depth: 0.2 }, breath: 0.3, vowels: [3, 0], attack: 0.12, release: 0.2 }, seed) },
  { name: 'Harmony', stem: 'Vocals', gain: -12, pan: -0.15, send: -10, make: (c, seed) => new Voice(c.t, c.play(harmonyPattern), { formantScale: 1.1, detuneCents: 0, vibrato: { rate: 5.4, depth: 0.3 }, breath: 0.18, vowels: [0, 2, 1, 4], attack: 0.04, release: 0.1 }, seed) },
  {
    name: 'Vox Stack',
    stem: 'Vocals',
    gain: -14,
    send: -10,
    make: (c, seed) =>
      new Pair(
        new Voice(c.t, c.play(stackPattern(0)), { formantScale: 1.1, detuneCents: -7, vibrato: { rate: 5.2, depth: 0.2 }, breath: 0.3, vowels: [0, 4], attack: 0.15, release: 0.25 }, seed),
        new Voice(c.t, c.play(stackPattern(2)), { formantScale: 1.0, detuneCents: 6, vibrato: { rate: 5.7, depth: 0.2 }, breath: 0.3, vowels: [4, 0], attack: 0.15, release: 0.25 }, seed + 1, Math.round(0.012 * c.t.sr)),
      ),
  },
  // FX: 1 mono + 2 stereo
  { name: 'Impacts', stem: 'FX', gain: -10, send: -6, make: hit(impactPattern, { tone: { from: 70, to: 36, sweep: 0.3, decay: 1.2, amp: 1 }, noise: { mode: 0, freq: 400, q: 0.7, decay: 0.8, amp: 1.2 } }) },
  { name: 'FX Sweep', stem: 'FX', gain: -12, send: -6, make: (c, seed) => new Riser(c.t, c.rise, seed) },
  { name: 'Atmos', stem: 'FX', gain: -17, send: -12, make: (c, seed) => new Atmos(c.t, c.mood, seed) },
];

/** The tracks in order of importance: `tracks: n` takes the first n (these 16, then the rest in order). */
const IMPORTANCE = ['Kick', 'Snare', 'Hats', 'Bass', 'Chords', 'Lead Synth', 'Lead Vox', 'BGV Low', 'BGV High', 'FX Sweep', 'Overheads', 'Shaker', 'Conga', 'Gtr Rhythm L', 'Clean Arp', 'Rhodes'];

// ---------------------------------------------------------------------------------------------
// Stems

type StemName = 'Drums' | 'Percussion' | 'Bass' | 'Guitars' | 'Keys' | 'Strings' | 'Vocals' | 'FX';
type StemRole = 'drums' | 'bass' | 'music' | 'vocals' | 'fx';

/** How the tracks' 8 stems group into fewer: name, role, and which of the 8 each takes. */
const STEM_LAYOUTS: Record<SongStemCount, Array<{ name: string; role: StemRole; of: StemName[] }>> = {
  8: [
    { name: 'Drums', role: 'drums', of: ['Drums'] },
    { name: 'Percussion', role: 'drums', of: ['Percussion'] },
    { name: 'Bass', role: 'bass', of: ['Bass'] },
    { name: 'Guitars', role: 'music', of: ['Guitars'] },
    { name: 'Keys', role: 'music', of: ['Keys'] },
    { name: 'Strings', role: 'music', of: ['Strings'] },
    { name: 'Vocals', role: 'vocals', of: ['Vocals'] },
    { name: 'FX', role: 'fx', of: ['FX'] },
  ],
  5: [
    { name: 'Drums', role: 'drums', of: ['Drums', 'Percussion'] },
    { name: 'Bass', role: 'bass', of: ['Bass'] },
    { name: 'Music', role: 'music', of: ['Guitars', 'Keys', 'Strings'] },
    { name: 'Vocals', role: 'vocals', of: ['Vocals'] },
    { name: 'FX', role: 'fx', of: ['FX'] },
  ],
  4: [
    { name: 'Drums', role: 'drums', of: ['Drums', 'Percussion'] },
    { name: 'Bass', role: 'bass', of: ['Bass'] },
    { name: 'Music', role: 'music', of: ['Guitars', 'Keys', 'Strings', 'FX'] },
    { name: 'Vocals', role: 'vocals', of: ['Vocals'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// The song

export type SongStemCount = 8 | 5 | 4;

export interface SongOptions {
  /** Default 48000; the tempo is the same at any rate. */
  sampleRate?: number;
  /** Length in seconds (default 240 unless `bars`); the last 4 s (at most a quarter) fade out. */
  seconds?: number;
  /** Length in bars of 2 s, then `tail` seconds that ring out and fade. */
  bars?: number;
  /** With `bars`: seconds after the last bar (default 1). */
  tail?: number;
  /** The n most important tracks (default all 48). */
  tracks?: number;
  /** 8 (default), 5 (Drums, Bass, Music, Vocals, FX) or 4 (Drums, Bass, Music, Vocals). */
  stems?: SongStemCount;
  seed?: number;
  /** Each track's sample peak over the first pass of the form, dBFS (default −6). */
  peakDbfs?: number;
}

export interface SongTrack {
  name: string;
  /** Index into `Song.stems`. */
  stem: number;
  channels: 1 | 2;
  /** Fader and send to the reverb (dB; null: no send), pan −1 … +1. */
  gain: number;
  pan: number;
  send: number | null;
}

export interface Song {
  sampleRate: number;
  seed: number;
  frames: number;
  bars: number;
  /** Frames per bar: every block a player returns has this many but the last. */
  barFrames: number;
  tracks: SongTrack[];
  stems: Array<{ name: string; role: StemRole }>;
  /** A performance from the start. */
  play(): SongPlayer;
}

/** The song: its form, tracks and stems (the first play() renders the first pass of the form once, to level the tracks). */
export function createSong(options: SongOptions = {}): Song {
  const sr = options.sampleRate ?? 48000;
  const step = Math.round((sr * 60) / BPM / 4);
  const t: Timing = { sr, step, bar: step * STEPS };
  const seed = options.seed ?? 20250611;
  const tail = options.bars !== undefined ? Math.round((options.tail ?? 1) * sr) : 0;
  const frames = options.bars !== undefined ? options.bars * t.bar + tail : Math.round((options.seconds ?? 240) * sr);
  if (!(frames > 0) || !Number.isInteger(options.bars ?? 0)) throw new Error(`a song needs a positive length (seconds ${options.seconds}, bars ${options.bars})`);
  const bars = options.bars ?? Math.ceil(frames / t.bar);
  const fadeFrames = options.bars !== undefined ? tail : Math.min(Math.round(4 * sr), Math.floor(frames / 4));

  const count = Math.max(1, Math.min(TRACKS.length, options.tracks ?? TRACKS.length));
  const order = [...IMPORTANCE.map((name) => TRACKS.findIndex((d) => d.name === name)), ...TRACKS.keys()];
  const picked = new Set([...new Set(order)].slice(0, count));
  const defs = [...TRACKS.keys()].filter((i) => picked.has(i));
  const layout = STEM_LAYOUTS[options.stems ?? 8].filter((s) => defs.some((i) => s.of.includes(TRACKS[i]!.stem)));

  const form = formOf(bars);
  const context: Context = {
    t,
    play: (pattern) => (bar) => {
      const at = form(bar);
      return at ? pattern(bar, at.section, at) : [];
    },
    chords: (sections) => (bar) => {
      const at = form(bar);
      return at && sections.includes(at.section) ? chordOf(bar).tones : [];
    },
    rise: (bar) => {
      const at = form(bar);
      if (!at || at.next === null || at.next === 'break') return null;
      const of = Math.min(2, at.length);
      const k = at.index - (at.length - of);
      return k >= 0 ? [k, of] : null;
    },
    mood: (bar) => {
      const at = form(bar);
      return [!at ? 0 : at.section === 'break' || at.section === 'intro' ? 1 : 0.35, chordOf(bar).root + 24];
    },
  };
  // A track's seed follows its place among the 48, so it sounds the same in any selection.
  const parts = () => defs.map((i) => TRACKS[i]!.make(context, seed + 101 * (i + 1)));

  // Levels: each track's peak over the first pass of the form (a silent track keeps unit gain),
  // measured when the song is first played.
  let levels: number[] | null = null;
  const level = (): number[] => {
    const target = 10 ** ((options.peakDbfs ?? -6) / 20);
    const peaks = new Float64Array(defs.length);
    const scratch = [new Float64Array(t.bar), new Float64Array(t.bar)];
    const calibration = parts();
    for (let bar = 0; bar < Math.min(CYCLE, bars); bar++) {
      calibration.forEach((part, k) => {
        scratch[0]!.fill(0);
        scratch[1]!.fill(0);
        part.render(bar, scratch.slice(0, part.channels));
        for (let ch = 0; ch < part.channels; ch++) for (const v of scratch[ch]!) peaks[k] = Math.max(peaks[k]!, Math.abs(v));
      });
    }
    return [...peaks].map((p) => (p > 1e-4 ? target / p : 1));
  };
  const channels = parts().map((p) => p.channels);

  return {
    sampleRate: sr,
    seed,
    frames,
    bars,
    barFrames: t.bar,
    tracks: defs.map((i, k) => {
      const d = TRACKS[i]!;
      return { name: d.name, stem: layout.findIndex((s) => s.of.includes(d.stem)), channels: channels[k]!, gain: d.gain, pan: d.pan ?? 0, send: d.send ?? null };
    }),
    stems: layout.map(({ name, role }) => ({ name, role })),
    play() {
      levels ??= level();
      return new SongPlayer(this, parts(), levels, fadeFrames);
    },
  };
}

/** A performance of the song, a bar per call; the returned arrays are reused by the next call. */
export class SongPlayer {
  private bar = 0;
  /** Frames returned so far. */
  done = 0;
  private readonly scratch: Float64Array[];
  private readonly trackOut: Float32Array[][];
  private readonly stemOut: Float64Array[][];

  constructor(
    readonly song: Song,
    private readonly parts: Part[],
    private readonly levels: number[],
    private readonly fadeFrames: number,
  ) {
    const n = song.barFrames;
    this.scratch = [new Float64Array(n), new Float64Array(n)];
    this.trackOut = parts.map((p) => Array.from({ length: p.channels }, () => new Float32Array(n)));
    this.stemOut = song.stems.map(() => [new Float64Array(n), new Float64Array(n)]);
  }

  /** Renders track `k`'s next bar into the scratch buffers, levelled and faded; returns its channels. */
  private render(k: number, n: number): Float64Array[] {
    const part = this.parts[k]!;
    const out = this.scratch.slice(0, part.channels);
    for (const x of out) x.fill(0);
    part.render(this.bar, out);
    const g = this.levels[k]!;
    const fadeStart = this.song.frames - this.fadeFrames;
    for (const x of out) {
      for (let i = 0; i < n; i++) {
        const at = this.done + i;
        // A cubic from 1 to 0 over the fade: the song ends, tails decay.
        const f = at < fadeStart ? 1 : ((this.song.frames - at) / this.fadeFrames) ** 3;
        x[i] = x[i]! * g * f;
      }
    }
    return out;
  }

  private advance<T>(fill: (n: number) => T): { frames: number; audio: T } | null {
    const n = Math.min(this.song.barFrames, this.song.frames - this.done);
    if (n <= 0) return null;
    const audio = fill(n);
    this.bar++;
    this.done += n;
    return { frames: n, audio };
  }

  /** The next bar of every track (planar Float32, `frames` of them valid), or null after the end. */
  tracks(): { frames: number; audio: Float32Array[][] } | null {
    return this.advance((n) =>
      this.trackOut.map((out, k) => {
        this.render(k, n).forEach((x, ch) => {
          const dst = out[ch]!;
          for (let i = 0; i < n; i++) dst[i] = x[i]!;
        });
        return out;
      }),
    );
  }

  /**
   * The next bar of every stem: its tracks through their faders and pans (the session's pan law),
   * summed in stereo Float64; no sends, no processing. Null after the end.
   */
  stems(): { frames: number; audio: Float64Array[][] } | null {
    return this.advance((n) => {
      for (const [l, r] of this.stemOut) {
        l!.fill(0);
        r!.fill(0);
      }
      this.song.tracks.forEach((track, k) => {
        const x = this.render(k, n);
        const [l, r] = this.stemOut[track.stem]! as [Float64Array, Float64Array];
        const g = dbToGain(track.gain);
        const [toL, toR] = panMatrix(x.length, 2, track.pan) as [number[], number[]];
        for (let ch = 0; ch < x.length; ch++) {
          const src = x[ch]!;
          const gl = g * toL[ch]!;
          const gr = g * toR[ch]!;
          for (let i = 0; i < n; i++) {
            l[i] += src[i]! * gl;
            r[i] += src[i]! * gr;
          }
        }
      });
      return this.stemOut;
    });
  }
}

/** The whole song as planar Float32 per track (for short songs: the demo, tests). */
export function renderTracks(song: Song): Float32Array[][] {
  const out = song.tracks.map((t) => Array.from({ length: t.channels }, () => new Float32Array(song.frames)));
  const player = song.play();
  for (let at = 0, bar = player.tracks(); bar; at += bar.frames, bar = player.tracks()) {
    bar.audio.forEach((channels, k) => channels.forEach((x, ch) => out[k]![ch]!.set(x.subarray(0, bar!.frames), at)));
  }
  return out;
}

type ProcessorInput = NonNullable<SessionInput['stems'][number]['processing']>;

/**
 * A session that mixes the song: its tracks (files named by `file`) on its stems with their
 * faders and pans, sends to one return `reverb`, and the given processing per stem and on the master.
 */
export function songSession(
  song: Song,
  options: { name: string; file: (track: SongTrack, index: number) => string; stemProcessing?: (stem: string) => ProcessorInput; reverb: { name: string; processing: ProcessorInput }; master?: ProcessorInput },
): SessionInput {
  return {
    name: options.name,
    sampleRate: song.sampleRate,
    bitDepth: 24,
    tail: 'auto',
    stems: song.stems.map((stem, s) => ({
      name: stem.name,
      role: stem.role,
      processing: options.stemProcessing?.(stem.name) ?? [],
      tracks: song.tracks.flatMap((t, i) =>
        t.stem === s ? [{ file: options.file(t, i), name: t.name, gain: t.gain, ...(t.pan ? { pan: t.pan } : {}), ...(t.send !== null ? { sends: [{ to: options.reverb.name, gain: t.send }] } : {}) }] : [],
      ),
    })),
    returns: [{ name: options.reverb.name, processing: options.reverb.processing }],
    master: { gain: 0, processing: options.master ?? [] },
  };
}
