/** Test material for loudness meters: sine sections, pink-ish noise, music-like stereo. */
import { prng } from '../../src/dsp/random.js';

/** A sine whose peak level (dBFS) changes per section; phase runs on continuously across sections. */
export function sineSections(sampleRate: number, sections: [seconds: number, dbfs: number][], freq = 1000): Float32Array {
  const total = sections.reduce((n, [s]) => n + Math.round(s * sampleRate), 0);
  const out = new Float32Array(total);
  let i = 0;
  for (const [seconds, dbfs] of sections) {
    const amp = 10 ** (dbfs / 20);
    const end = i + Math.round(seconds * sampleRate);
    for (; i < end; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  }
  return out;
}

/** Paul Kellet's economy pink filter on white noise from `rnd` (uniform in [0, 1)): one sample per call. */
export function pinkNoise(rnd: () => number): () => number {
  let b0 = 0, b1 = 0, b2 = 0;
  return () => {
    const white = rnd() * 2 - 1;
    b0 = 0.99765 * b0 + white * 0.099046;
    b1 = 0.963 * b1 + white * 0.2965164;
    b2 = 0.57 * b2 + white * 1.0526913;
    return b0 + b1 + b2 + white * 0.1848;
  };
}

/**
 * Music-like stereo material: pink-ish noise bursts with envelopes, tone clusters with level steps
 * every 2.7 s, a quiet passage and a stretch of digital silence, so gating, LRA and maxima all have
 * work to do; with `hits`, that many snare-like transients on top (sharp attacks for true peak).
 */
export function musicLike(sampleRate: number, seconds: number, seed: number, hits = 0): Float32Array[] {
  const n = Math.round(seconds * sampleRate);
  const rnd = prng(seed);
  const pinkish = pinkNoise(rnd);
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  const section = Math.round(2.7 * sampleRate);
  let level = 0.3;
  let tone = 220;
  for (let i = 0; i < n; i++) {
    if (i % section === 0) {
      level = 10 ** ((-30 + 26 * rnd()) / 20);
      tone = 110 * 2 ** (Math.floor(rnd() * 36) / 12);
    }
    const t = i / sampleRate;
    const pink = pinkish() * 0.2;
    const burst = 0.5 + 0.5 * Math.sin(2 * Math.PI * 0.7 * t) ** 2;
    const tones = Math.sin(2 * Math.PI * tone * t) + 0.5 * Math.sin(2 * Math.PI * tone * 1.5 * t + 1) + 0.25 * Math.sin(2 * Math.PI * tone * 4.01 * t);
    const quiet = t > seconds * 0.45 && t < seconds * 0.52 ? 0.03 : 1;
    const silent = t > seconds * 0.8 && t < seconds * 0.83 ? 0 : 1;
    const g = level * quiet * silent;
    left[i] = g * (0.6 * pink * burst + 0.35 * tones);
    right[i] = g * (0.5 * pink * (1.2 - burst) + 0.32 * tones);
  }
  // Snare-like hits: a sharp attack of low-passed noise over a 180 Hz body, decaying in ~30 ms.
  for (let k = 0; k < hits; k++) {
    const at = Math.floor(rnd() * (n - sampleRate));
    let lp = 0;
    for (let j = 0; j < 0.2 * sampleRate; j++) {
      lp = 0.55 * lp + 0.45 * (rnd() * 2 - 1);
      const env = Math.exp(-j / (0.03 * sampleRate));
      const hit = env * (0.6 * lp + 0.3 * Math.sin((2 * Math.PI * 180 * j) / sampleRate));
      left[at + j] = left[at + j]! + hit;
      right[at + j] = right[at + j]! + 0.7 * hit;
    }
  }
  return [left, right];
}
