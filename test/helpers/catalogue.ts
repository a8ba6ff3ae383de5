import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RATE, sum, writePackage } from './package.js';
import { prng } from './signals.js';

/**
 * Stereo material a fraction of a second long that is different for every seed: a tone and noise,
 * on the 24-bit grid (sums are exact), faded out over its last 100 ms and ending in 50 ms of silence.
 */
function short(seconds: number, seed: number, level: number): [Float32Array, Float32Array] {
  const frames = Math.round(seconds * RATE);
  const random = prng(seed + 1);
  const freq = 60 + 37 * (seed % 50);
  const q = 2 ** 23;
  const out: [Float32Array, Float32Array] = [new Float32Array(frames), new Float32Array(frames)];
  for (let i = 0; i < frames; i++) {
    const fade = Math.max(0, Math.min(1, (frames - 0.05 * RATE - i) / (0.1 * RATE)));
    const x = level * fade * (0.7 * Math.sin((2 * Math.PI * freq * i) / RATE) + 0.3 * (random() * 2 - 1));
    out[0][i] = Math.round(x * q) / q;
    out[1][i] = Math.round(0.9 * x * q) / q;
  }
  return out;
}

/** What package i of a generated catalogue is: most pass, the rest carry one known defect each. */
export type CatalogueKind = 'good' | 'gain' | 'late' | 'no-mix' | 'garbage-mix' | 'bad-manifest';

/** Packages 0…n−1: every 10th group of kinds repeats; bad-manifest only when `hostile` (it cannot be checked at all). */
export function catalogueKind(i: number, hostile = false): CatalogueKind {
  const kinds: CatalogueKind[] = ['good', 'gain', 'good', 'late', 'good', 'no-mix', 'good', 'garbage-mix', 'good', hostile ? 'bad-manifest' : 'good'];
  return kinds[i % kinds.length]!;
}

/**
 * Writes `count` small stereo packages (2 stems + mix, `seconds` long, distinct content per package)
 * under root/label-<i % 3>/pkg-<i>; returns their folders in order.
 */
export async function writeCatalogue(root: string, count: number, options: { seconds?: number; hostile?: boolean; stems?: number } = {}): Promise<string[]> {
  const seconds = options.seconds ?? 0.5;
  const stemCount = options.stems ?? 2;
  const dirs: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = join(root, `label-${i % 3}`, `pkg-${String(i).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    const kind = catalogueKind(i, options.hostile);
    const stems: { name: string; audio: Float32Array[] }[] = Array.from({ length: stemCount }, (_, k) => ({ name: ['Drums', 'Bass', 'Keys', 'Vox'][k % 4]!, audio: short(seconds, i * 4 + k, 0.2 - 0.03 * k) }));
    const mix = sum(stems.map((s) => s.audio));
    if (kind === 'gain') stems[0]!.audio = stems[0]!.audio.map((c) => c.map((v) => Math.round(v * 0.8 * 2 ** 23) / 2 ** 23));
    if (kind === 'late') stems[1]!.audio = stems[1]!.audio.map((c) => Float32Array.from([...new Float32Array(48), ...c.subarray(0, c.length - 48)]));
    await writePackage(dir, stems, kind === 'no-mix' || kind === 'garbage-mix' ? null : mix);
    if (kind === 'garbage-mix') writeFileSync(join(dir, 'mix.wav'), Buffer.concat([Buffer.from('RIFF\xff\xff\xff\x7fWAVEfmt '), Buffer.alloc(40, 0xa5)]));
    if (kind === 'bad-manifest') writeFileSync(join(dir, 'stemkit.json'), '{"stems": [ garbage');
    dirs.push(dir);
  }
  return dirs;
}
