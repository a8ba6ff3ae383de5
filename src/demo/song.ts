import { prng } from '../dsp/random.js';

/**
 * A short, deterministic song in A minor at 120 BPM, synthesized as separate multitracks (the way
 * a producer would export them from a DAW): kick, snare and hats, bass, chords, a lead synth, a
 * sung lead line with two backing harmonies (formant synthesis), and an FX riser. No samples ship
 * with stemkit, so `stemkit demo` works offline from a fresh install.
 */
export interface DemoTrack {
  /** File name without extension, e.g. "kick". */
  name: string;
  /** Mono or stereo, planar. */
  audio: Float32Array[];
}

const BPM = 120;
const PROGRESSION = [57, 53, 48, 55]; // A, F, C, G roots (MIDI), one bar each
const MELODY = [69, 72, 76, 74, 72, 69, 67, 69, 65, 69, 72, 71, 72, 74, 76, 79];
const SUNG = [76, 76, 74, 72, 72, 74, 76, 77, 76, 74, 72, 71, 72, 72, 69, 69];
/** Vowel formants (Hz) for "ah", "oh", "ee": the voice moves between them per note. */
const VOWELS = [
  [800, 1150, 2900],
  [450, 800, 2830],
  [300, 2200, 3000],
];

const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

/** Two-pole resonator (a formant): cheap, stable, unity-ish gain at its centre. */
function resonate(input: Float32Array, freq: number, bandwidth: number, sampleRate: number, from: number, to: number, out: Float32Array, gain: number): void {
  const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
  const a1 = 2 * r * Math.cos((2 * Math.PI * freq) / sampleRate);
  const a2 = -r * r;
  const g = (1 - r) * gain;
  let y1 = 0;
  let y2 = 0;
  for (let i = from; i < to; i++) {
    const y = g * input[i]! + a1 * y1 + a2 * y2;
    y2 = y1;
    y1 = y;
    out[i] = out[i]! + y;
  }
}

export function synthesizeDemoTracks(sampleRate: number, bars = 8): DemoTrack[] {
  const beat = (60 / BPM) * sampleRate;
  const frames = Math.round(beat * 4 * bars + 0.5 * sampleRate);
  const random = prng(2024);
  const track = () => new Float32Array(frames);

  const kick = track();
  const snare = track();
  const hats = track();
  for (let b = 0; b < bars * 4; b++) {
    const at = Math.round(b * beat);
    let phase = 0;
    for (let i = 0; i < 0.35 * sampleRate && at + i < frames; i++) {
      const t = i / sampleRate;
      phase += (2 * Math.PI * (45 + 75 * Math.exp(-t * 30))) / sampleRate;
      kick[at + i]! += 0.8 * Math.sin(phase) * Math.exp(-t * 9);
    }
    if (b % 2 === 1) {
      for (let i = 0; i < 0.25 * sampleRate && at + i < frames; i++) {
        const t = i / sampleRate;
        snare[at + i]! += (0.35 * (random() * 2 - 1) + 0.3 * Math.sin(2 * Math.PI * 185 * t)) * Math.exp(-t * 18);
      }
    }
    for (let h = 0; h < 2; h++) {
      const start = Math.round(at + (h * beat) / 2);
      let previous = 0;
      const accent = h === 0 ? 0.3 : 0.2;
      for (let i = 0; i < 0.06 * sampleRate && start + i < frames; i++) {
        const noise = random() * 2 - 1;
        hats[start + i]! += accent * (noise - previous) * Math.exp(-(i / sampleRate) * 60);
        previous = noise;
      }
    }
  }

  const bass = track();
  const chordsL = track();
  const chordsR = track();
  for (let bar = 0; bar < bars; bar++) {
    const root = PROGRESSION[bar % PROGRESSION.length]!;
    const barStart = Math.round(bar * 4 * beat);
    for (let n = 0; n < 8; n++) {
      const start = Math.round(barStart + (n * beat) / 2);
      const f = hz(root - 24);
      for (let i = 0; i < beat / 2 && start + i < frames; i++) {
        const t = i / sampleRate;
        let v = 0;
        for (let k = 1; k <= 8; k++) v += Math.sin(2 * Math.PI * f * k * t) / k;
        bass[start + i]! += 0.3 * v * Math.exp(-t * 5);
      }
    }
    const third = root === 57 ? 3 : 4;
    const chord = [root, root + third, root + 7].map(hz);
    for (let i = 0; i < 4 * beat + 0.5 * sampleRate && barStart + i < frames; i++) {
      const t = i / sampleRate;
      const envelope = Math.min(1, t / 0.15) * (i < 4 * beat ? 1 : Math.exp(-(i - 4 * beat) / sampleRate / 0.15));
      let l = 0;
      let r = 0;
      // Slightly detuned voices per side make a wide, chorused pad.
      for (const f of chord) {
        l += Math.sin(2 * Math.PI * f * 0.998 * t) + 0.3 * Math.sin(4 * Math.PI * f * t);
        r += Math.sin(2 * Math.PI * f * 1.002 * t) + 0.3 * Math.sin(4 * Math.PI * f * t);
      }
      chordsL[barStart + i]! += 0.06 * envelope * l;
      chordsR[barStart + i]! += 0.06 * envelope * r;
    }
  }

  const lead = track();
  for (let n = 0; n < MELODY.length * 2 && n < bars * 4; n++) {
    if (Math.floor(n / 16) % 2 === 1) continue; // the synth answers the voice: it plays bars 1–4, rests 5–8
    const start = Math.round(n * beat);
    const f = hz(MELODY[n % MELODY.length]!);
    for (let i = 0; i < beat * 0.95 && start + i < frames; i++) {
      const t = i / sampleRate;
      const x = 2 * Math.PI * f * (1 + 0.004 * Math.sin(2 * Math.PI * 5.5 * t)) * t;
      lead[start + i]! += 0.15 * (Math.sin(x) + Math.sin(3 * x) / 5 + Math.sin(5 * x) / 12) * Math.min(1, t / 0.01) * Math.exp(-t * 1.5);
    }
  }

  // Voices: a glottal pulse train (with vibrato and breath) through three vowel formants.
  const sing = (transpose: number, level: number, seed: number): Float32Array => {
    const out = track();
    const breath = prng(seed);
    const pulses = track();
    const entry = bars * 2; // the voice enters halfway, at beat bars·4/2, one note per beat
    for (let n = 0; n < SUNG.length * 2 && n < entry; n++) {
      const start = Math.round((entry + n) * beat);
      const end = Math.min(frames, Math.round(start + beat * 0.92));
      const f0 = hz(SUNG[n % SUNG.length]! + transpose);
      let phase = 0;
      for (let i = start; i < end; i++) {
        const t = (i - start) / sampleRate;
        phase += (f0 * (1 + 0.006 * Math.sin(2 * Math.PI * 5 * t))) / sampleRate;
        if (phase >= 1) phase -= 1;
        const envelope = Math.min(1, t / 0.04) * Math.min(1, (end - i) / (0.05 * sampleRate));
        pulses[i] = envelope * ((phase < 0.4 ? Math.sin((Math.PI * phase) / 0.4) : 0) + 0.05 * (breath() * 2 - 1));
      }
      // The pulses are one-sided: remove their mean so the voice carries no DC.
      let mean = 0;
      for (let i = start; i < end; i++) mean += pulses[i]!;
      mean /= Math.max(1, end - start);
      for (let i = start; i < end; i++) pulses[i] = pulses[i]! - mean * Math.min(1, (i - start) / (0.04 * sampleRate), (end - i) / (0.05 * sampleRate));
      const vowel = VOWELS[n % VOWELS.length]!;
      vowel.forEach((formant, k) => resonate(pulses, formant, 80 + 40 * k, sampleRate, start, end, out, level / (k + 1)));
    }
    return out;
  };
  const voice = sing(0, 0.9, 7);
  const harmonyLow = sing(-3, 0.45, 8);
  const harmonyHigh = sing(4, 0.35, 9);

  // FX: a noise riser whose band sweeps up over the last two bars before the voice enters, panned across.
  const sweepL = track();
  const sweepR = track();
  const riseStart = Math.round((bars / 2 - 2) * 4 * beat);
  const riseEnd = Math.round((bars / 2) * 4 * beat);
  let low = 0;
  let band = 0;
  for (let i = riseStart; i < riseEnd; i++) {
    const p = (i - riseStart) / (riseEnd - riseStart);
    const cutoff = 200 * 2 ** (p * 6);
    const a = 1 - Math.exp((-2 * Math.PI * cutoff) / sampleRate);
    const noise = random() * 2 - 1;
    low += a * (noise - low);
    band += a * (low - band);
    const v = 0.5 * p * p * (low - band);
    sweepL[i] = v * Math.cos((p * Math.PI) / 2);
    sweepR[i] = v * Math.sin((p * Math.PI) / 2);
  }

  return [
    { name: 'kick', audio: [kick] },
    { name: 'snare', audio: [snare] },
    { name: 'hats', audio: [hats] },
    { name: 'bass', audio: [bass] },
    { name: 'chords', audio: [chordsL, chordsR] },
    { name: 'lead synth', audio: [lead] },
    { name: 'lead vox', audio: [voice] },
    { name: 'bgv low', audio: [harmonyLow] },
    { name: 'bgv high', audio: [harmonyHigh] },
    { name: 'fx sweep', audio: [sweepL, sweepR] },
  ];
}
