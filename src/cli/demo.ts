import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createWavWriter } from '../audio/wav/write.js';
import { synthesizeDemoSong } from '../demo/song.js';
import { sampleStatsParallel } from '../engine/parallel.js';
import { WorkerPool } from '../engine/pool.js';
import { runInfo } from './info.js';
import { colours, table, type Writer } from './terminal.js';

const SAMPLE_RATE = 48000;
const FULL_SCALE_24 = 2 ** 23;

async function writeStereo(path: string, audio: Float32Array[]): Promise<void> {
  const sink = await createWavWriter(path, { sampleRate: SAMPLE_RATE, channels: 2, format: 'pcm24', bext: { description: 'stemkit demo', originator: 'stemkit' } });
  await sink.write(audio);
  const report = await sink.commit();
  if (report.clippedSamples > 0) throw new Error(`demo material clipped ${report.clippedSamples} samples in ${path}`);
}

/**
 * `stemkit demo [DIR]`: synthesizes a short song as four stems plus their unity-gain mix, writes
 * them as a 48 kHz/24-bit package, and shows what stemkit reads back from it.
 */
export async function runDemo(dirArgument: string | undefined, out: Writer): Promise<number> {
  const dir = resolve(dirArgument ?? 'stemkit-demo');
  const c = colours(out);
  await mkdir(join(dir, 'stems'), { recursive: true });
  const stems = synthesizeDemoSong(SAMPLE_RATE);
  const frames = stems[0]!.audio[0].length;
  // One gain for every stem, so the unity sum peaks at −6 dBFS (the seed's headroom advice).
  let sumPeak = 0;
  for (let ch = 0; ch < 2; ch++) {
    for (let i = 0; i < frames; i++) {
      let v = 0;
      for (const stem of stems) v += stem.audio[ch]![i]!;
      sumPeak = Math.max(sumPeak, Math.abs(v));
    }
  }
  const gain = 0.5 / sumPeak;
  // Quantise stems to the 24-bit grid first, so the mix is their exact sum and nulls to zero.
  const mix = [new Float32Array(frames), new Float32Array(frames)];
  for (const stem of stems) {
    for (let ch = 0; ch < 2; ch++) {
      const x = stem.audio[ch]!;
      const m = mix[ch]!;
      for (let i = 0; i < frames; i++) {
        x[i] = Math.round(x[i]! * gain * FULL_SCALE_24) / FULL_SCALE_24;
        m[i] = m[i]! + x[i]!;
      }
    }
  }
  const paths: string[] = [];
  for (const [i, stem] of stems.entries()) {
    const path = join(dir, 'stems', `${String(i + 1).padStart(2, '0')}_${stem.name}.wav`);
    await writeStereo(path, stem.audio);
    paths.push(path);
  }
  const mixPath = join(dir, 'mix.wav');
  await writeStereo(mixPath, mix);
  paths.push(mixPath);

  out.write(`${c.bold('stemkit demo')}: ${stems.length} stems and their mix written to ${dir}\n\n`);
  const infoLines: string[] = [];
  await runInfo(paths, {}, { write: (t: string) => infoLines.push(t), isTTY: out.isTTY });
  out.write(infoLines[0] ?? '');

  const pool = new WorkerPool();
  try {
    const stats = await sampleStatsParallel(paths, pool);
    const db = (x: number) => (x > 0 ? (20 * Math.log10(x)).toFixed(1) : '-inf');
    const rows = [['file', 'peak dBFS', 'RMS dBFS'].map(c.bold)];
    stats.forEach((s, i) => {
      const peak = Math.max(...s.peak);
      const rms = Math.sqrt(s.sumSquares.reduce((a, b) => a + b, 0) / (s.frames * s.peak.length));
      rows.push([paths[i]!.slice(dir.length + 1), db(peak), db(rms)]);
    });
    out.write(`\n${table(rows, [1, 2])}\n`);
  } finally {
    await pool.close();
  }
  out.write(`\nNext: ${c.cyan(`npx stemkit info ${join(dirArgument ?? 'stemkit-demo', 'mix.wav')} --json`)}\n`);
  return 0;
}
