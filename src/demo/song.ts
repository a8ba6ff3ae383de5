import { prng } from '../dsp/random.js';

/**
 * A short, deterministic song synthesized as stems (drums, bass, keys, lead) in A minor at 120 BPM:
 * the built-in example that `stemkit demo` turns into a package. Plain additive and subtractive
 * synthesis, no samples, so the repository ships no audio files.
 */
export interface DemoStem {
  name: string;
  role: 'drums' | 'bass' | 'music' | 'vocals';
  /** Stereo, planar. */
  audio: [Float32Array, Float32Array];
}

const BPM = 120;
const PROGRESSION = [57, 53, 48, 55]; // A, F, C, G (MIDI roots), one bar each
const MELODY = [69, 72, 76, 74, 72, 69, 67, 69, 65, 69, 72, 71, 72, 74, 76, 79];

const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

function panned(mono: Float32Array, pan: number): [Float32Array, Float32Array] {
  // Constant-power pan, pan in [-1, 1].
  const angle = ((pan + 1) * Math.PI) / 4;
  const l = new Float32Array(mono.length);
  const r = new Float32Array(mono.length);
  const gl = Math.cos(angle);
  const gr = Math.sin(angle);
  for (let i = 0; i < mono.length; i++) {
    l[i] = mono[i]! * gl;
    r[i] = mono[i]! * gr;
  }
  return [l, r];
}

export function synthesizeDemoSong(sampleRate: number, bars = 4): DemoStem[] {
  const beat = (60 / BPM) * sampleRate;
  const frames = Math.round(beat * 4 * bars + sampleRate); // one second of release after the last bar
  const random = prng(2024);

  const kick = new Float32Array(frames);
  const snare = new Float32Array(frames);
  const hats = new Float32Array(frames);
  for (let b = 0; b < bars * 4; b++) {
    const at = Math.round(b * beat);
    // Kick: a sine falling from 120 to 45 Hz with a fast decay.
    let phase = 0;
    for (let i = 0; i < 0.35 * sampleRate && at + i < frames; i++) {
      const t = i / sampleRate;
      phase += (2 * Math.PI * (45 + 75 * Math.exp(-t * 30))) / sampleRate;
      kick[at + i]! += 0.9 * Math.sin(phase) * Math.exp(-t * 9);
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
      for (let i = 0; i < 0.06 * sampleRate && start + i < frames; i++) {
        const noise = random() * 2 - 1;
        hats[start + i]! += 0.25 * (noise - previous) * Math.exp(-(i / sampleRate) * 60);
        previous = noise;
      }
    }
  }
  const [kl, kr] = panned(kick, 0);
  const [sl, sr] = panned(snare, 0.1);
  const [hl, hr] = panned(hats, -0.35);
  const drums: [Float32Array, Float32Array] = [kl, kr];
  for (let i = 0; i < frames; i++) {
    drums[0][i]! += sl[i]! + hl[i]!;
    drums[1][i]! += sr[i]! + hr[i]!;
  }

  const bass = new Float32Array(frames);
  const keys = new Float32Array(frames);
  for (let bar = 0; bar < bars; bar++) {
    const root = PROGRESSION[bar % PROGRESSION.length]!;
    const barStart = Math.round(bar * 4 * beat);
    // Bass: eighth notes on the root, a band-limited saw (8 harmonics) with a plucked envelope.
    for (let n = 0; n < 8; n++) {
      const start = Math.round(barStart + (n * beat) / 2);
      const f = hz(root - 24);
      for (let i = 0; i < beat / 2 && start + i < frames; i++) {
        const t = i / sampleRate;
        let v = 0;
        for (let k = 1; k <= 8; k++) v += Math.sin(2 * Math.PI * f * k * t) / k;
        bass[start + i]! += 0.28 * v * Math.exp(-t * 5);
      }
    }
    // Keys: a minor or major triad per bar with a slow attack and a long release.
    const third = root === 57 ? 3 : 4;
    const chord = [root, root + third, root + 7].map(hz);
    for (let i = 0; i < 4 * beat + 0.5 * sampleRate && barStart + i < frames; i++) {
      const t = i / sampleRate;
      const envelope = Math.min(1, t / 0.15) * (i < 4 * beat ? 1 : Math.exp(-(i - 4 * beat) / sampleRate / 0.15));
      let v = 0;
      for (const f of chord) v += Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t);
      keys[barStart + i]! += 0.07 * envelope * v;
    }
  }

  const lead = new Float32Array(frames);
  for (let n = 0; n < MELODY.length && n < bars * 4; n++) {
    const start = Math.round(n * beat);
    const f = hz(MELODY[n]!);
    for (let i = 0; i < beat * 0.95 && start + i < frames; i++) {
      const t = i / sampleRate;
      const vibrato = 1 + 0.004 * Math.sin(2 * Math.PI * 5.5 * t);
      // A soft square-ish tone (odd harmonics), attack 10 ms, gentle decay.
      const x = 2 * Math.PI * f * vibrato * t;
      const v = Math.sin(x) + Math.sin(3 * x) / 5 + Math.sin(5 * x) / 12;
      lead[start + i]! += 0.16 * v * Math.min(1, t / 0.01) * Math.exp(-t * 1.5);
    }
  }

  return [
    { name: 'Drums', role: 'drums', audio: drums },
    { name: 'Bass', role: 'bass', audio: panned(bass, 0) },
    { name: 'Keys', role: 'music', audio: panned(keys, 0.25) },
    { name: 'Lead', role: 'vocals', audio: panned(lead, -0.15) },
  ];
}
