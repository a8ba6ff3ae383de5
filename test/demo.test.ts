import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { runDemo } from '../src/cli/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stemkit demo', () => {
  it('writes four non-silent 48 kHz/24-bit stems whose unity sum is the mix, to the sample', async () => {
    let text = '';
    expect(await runDemo(dir, { write: (t: string) => (text += t) })).toBe(0);
    expect(text).toMatch(/4 stems and their mix/);
    const names = readdirSync(join(dir, 'stems')).sort();
    expect(names).toEqual(['01_Drums.wav', '02_Bass.wav', '03_Keys.wav', '04_Lead.wav']);
    const stems = await Promise.all(names.map((n) => openAudio(join(dir, 'stems', n))));
    const mix = await openAudio(join(dir, 'mix.wav'));
    const frames = mix.format.frames;
    for (const s of [...stems, mix]) expect(s.format).toMatchObject({ sampleRate: 48000, bitDepth: 24, channels: 2, frames });
    const m = await mix.read(0, frames);
    const parts = await Promise.all(stems.map((s) => s.read(0, frames)));
    let residual = 0;
    const stemPeaks = parts.map(() => 0);
    for (let ch = 0; ch < 2; ch++) {
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        parts.forEach((p, k) => {
          sum += p[ch]![i]!;
          stemPeaks[k] = Math.max(stemPeaks[k]!, Math.abs(p[ch]![i]!));
        });
        residual = Math.max(residual, Math.abs(m[ch]![i]! - sum));
      }
    }
    expect(residual).toBe(0);
    // Every stem carries real material (above −40 dBFS peak).
    for (const peak of stemPeaks) expect(peak).toBeGreaterThan(0.01);
    await Promise.all([...stems, mix].map((s) => s.close()));
  }, 60_000);
});
