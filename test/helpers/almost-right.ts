import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/cli/demo.js';
import { createChain } from '../../src/dsp/processors/index.js';
import { readFile } from './io.js';

/**
 * Realistic material for the "almost right" cases: the demo song (drums, bass, music, vocals, FX
 * through bus compressors, EQ, saturation, delay and a shared plate) rendered once per test file,
 * then decoded whole (18 s, small) so a test can derive a broken export from it.
 */
export interface DemoAudio {
  dir: string;
  sampleRate: number;
  stems: { name: string; audio: Float32Array[] }[];
  mix: Float32Array[];
}

let cached: Promise<DemoAudio> | null = null;

export function demoAudio(): Promise<DemoAudio> {
  cached ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stemkit-demo-material-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const code = await runDemo(join(dir, 'demo'), { write: () => true }, { write: () => true });
    if (code !== 0) throw new Error(`demo render failed with exit ${code}`);
    const pkg = join(dir, 'demo', 'package');
    const files = readdirSync(join(pkg, 'stems')).sort();
    const stems = [];
    for (const f of files) stems.push({ name: f.replace(/^\d+_/, '').replace(/\.wav$/, ''), audio: await readFile(join(pkg, 'stems', f)) });
    return { dir: pkg, sampleRate: 48000, stems, mix: await readFile(join(pkg, 'mix.wav')) };
  })();
  return cached;
}

/** A fresh folder for one derived package. */
export function scratchDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `stemkit-${label}-`));
}

/** x delayed by n frames (n > 0 prepends silence; n < 0 drops the first −n frames), same channels. */
export function delayed(audio: Float32Array[], n: number, length = audio[0]!.length + n): Float32Array[] {
  return audio.map((c) => {
    const out = new Float32Array(Math.max(0, length));
    for (let i = 0; i < out.length; i++) {
      const j = i - n;
      if (j >= 0 && j < c.length) out[i] = c[j]!;
    }
    return out;
  });
}

export function scaled(audio: Float32Array[], gain: number): Float32Array[] {
  return audio.map((c) => c.map((v) => v * gain));
}

export function summed(parts: Float32Array[][]): Float32Array[] {
  const out = parts[0]!.map((c) => new Float32Array(c.length));
  for (const p of parts) p.forEach((c, ch) => c.forEach((v, i) => (out[ch]![i]! += v)));
  return out;
}

/** The demo mix through a master bus compressor and a lookahead limiter, latency removed. */
export function mastered(mix: Float32Array[]): Float32Array[] {
  const chain = createChain(
    [
      { type: 'gain', gain: 10 },
      { type: 'compressor', threshold: -14, ratio: 2.5, attack: 20, release: 200, makeup: 0 },
      { type: 'limiter', ceiling: -1, release: 50, lookahead: 5 },
    ],
    { sampleRate: 48000, channels: 2 },
  );
  const latency = chain.latency;
  const frames = mix[0]!.length;
  const out = mix.map(() => new Float32Array(frames + latency));
  for (let i = 0; i < frames + latency; i += 1024) {
    const count = Math.min(1024, frames + latency - i);
    const block = mix.map((c) => {
      const b = new Float32Array(count);
      b.set(c.subarray(i, Math.min(frames, i + count)));
      return b;
    });
    chain.process(block, count);
    block.forEach((b, ch) => out[ch]!.set(b, i));
  }
  for (const stage of chain.stages) stage.dispose?.();
  return out.map((c) => c.slice(latency, latency + frames));
}
