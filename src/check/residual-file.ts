import { createWavWriter } from '../audio/wav/write.js';
import { lockstep } from '../engine/lockstep.js';
import { openPlaced } from '../engine/placed-source.js';
import type { AudioSource } from '../audio/types.js';
import { StemkitError } from '../errors.js';
import { residual, unitySum } from '../dsp/simd.js';
import type { CheckReport } from './types.js';

/** The bext description that marks a file as a residual stemkit wrote (so a re-run may replace it). */
export const RESIDUAL_MARK = 'stemkit residual: mix - sum of stems';

/**
 * Writes mix − Σ stems as 32-bit float WAV, with every file placed as the null test placed it (BWF
 * start, resampled to the mix's rate), so a person can listen to what does not null. Streams in
 * constant memory; the file appears under its name only when complete.
 */
export async function writeResidual(report: CheckReport, out: string): Promise<{ frames: number; sampleRate: number }> {
  const mix = report.mix;
  const stems = report.stems.filter((s) => s.format);
  if (!mix?.format || stems.length === 0 || !report.null) {
    throw new StemkitError('E_USAGE', `no residual to write for ${report.package.dir}: ${report.nullSkipped ?? 'the null test did not run'}`, {
      hint: 'the residual needs a readable mix and stems with the same channel count',
    });
  }
  const rate = mix.format.sampleRate;
  const sources: AudioSource[] = [];
  try {
    for (const f of [...stems, mix]) sources.push(await openPlaced(f.path, { startFrame: f === mix ? 0 : (f.startOffsetSamples ?? 0), sampleRate: rate }));
    const channels = mix.format.channels;
    const frames = Math.max(...sources.map((s) => s.format.frames));
    const sink = await createWavWriter(out, { sampleRate: rate, channels, format: 'float32', bext: { description: RESIDUAL_MARK, originator: 'stemkit' } });
    try {
      const sum = new Float32Array(32768);
      const block = Array.from({ length: channels }, () => new Float32Array(32768));
      for await (const b of lockstep(sources, { end: frames })) {
        const mixData = b.data.at(-1)!;
        const res = block.map((x) => x.subarray(0, b.frames));
        // The same kernels and order as the check pass: the file holds the residual that was judged.
        for (let ch = 0; ch < channels; ch++) {
          unitySum(sum, b.data.slice(0, -1).map((planar) => planar[ch]!), b.frames);
          residual(res[ch]!, mixData[ch]!, sum, 0, b.frames, Infinity);
        }
        await sink.write(res);
      }
      await sink.commit();
    } catch (err) {
      await sink.abort();
      throw err;
    }
    return { frames, sampleRate: rate };
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}
