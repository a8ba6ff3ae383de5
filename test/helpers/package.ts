import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWavWriter, type WavWriterOptions } from '../../src/audio/wav/write.js';
import type { BextFields } from '../../src/audio/wav/metadata.js';
import { prng } from './signals.js';

export const RATE = 48000;

/**
 * Music-like stereo material with known structure: a tone with vibrato plus enveloped noise bursts,
 * different per seed so stems are decorrelated, quantised to the 24-bit grid so sums are exact.
 */
export function material(seconds: number, seed: number, level = 0.25, rate = RATE): [Float32Array, Float32Array] {
  const frames = Math.round(seconds * rate);
  const random = prng(seed);
  const l = new Float32Array(frames);
  const r = new Float32Array(frames);
  const freq = 80 + 90 * seed;
  const burstEvery = Math.round(rate * (0.23 + 0.05 * (seed % 4)));
  const q = 2 ** 23;
  for (let i = 0; i < frames; i++) {
    const t = i / rate;
    const tone = Math.sin(2 * Math.PI * freq * t + 0.3 * Math.sin(2 * Math.PI * 5 * t)) * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.3 * t + seed));
    const burst = Math.exp(-((i % burstEvery) / rate) * 25) * (random() * 2 - 1);
    // Fade out over the last 1.5 s and end in 0.5 s of silence, as a delivered stem should.
    const fade = Math.max(0, Math.min(1, (seconds - 0.5 - t) / 1.5));
    const x = level * fade * (0.6 * tone + 0.5 * burst);
    l[i] = Math.round(x * q) / q;
    r[i] = Math.round((0.8 * x + 0.06 * level * fade * (random() * 2 - 1)) * q) / q;
  }
  return [l, r];
}

export function sum(parts: Float32Array[][]): Float32Array[] {
  const out = parts[0]!.map((c) => new Float32Array(c.length));
  for (const p of parts) p.forEach((c, ch) => c.forEach((v, i) => (out[ch]![i]! += v)));
  return out;
}

export async function writeWav(
  path: string,
  audio: Float32Array[],
  options: Partial<WavWriterOptions> & { bext?: BextFields } = {},
): Promise<void> {
  const sink = await createWavWriter(path, { sampleRate: RATE, channels: audio.length, format: 'pcm24', ...options });
  await sink.write(audio);
  await sink.commit();
}

export interface FixtureStem {
  name: string;
  audio: Float32Array[];
  options?: Partial<WavWriterOptions> & { bext?: BextFields };
}

/** Writes DIR/stems/NN_Name.wav for each stem and DIR/mix.wav (unless mix is null). */
export async function writePackage(dir: string, stems: FixtureStem[], mix: Float32Array[] | null, mixOptions: Partial<WavWriterOptions> & { bext?: BextFields } = {}): Promise<string> {
  mkdirSync(join(dir, 'stems'), { recursive: true });
  for (const [i, s] of stems.entries()) await writeWav(join(dir, 'stems', `${String(i + 1).padStart(2, '0')}_${s.name}.wav`), s.audio, s.options);
  if (mix) await writeWav(join(dir, 'mix.wav'), mix, mixOptions);
  return dir;
}

export function writeManifest(dir: string, manifest: object): void {
  writeFileSync(join(dir, 'stemkit.json'), JSON.stringify(manifest));
}
