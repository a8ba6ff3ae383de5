import { createWavWriter } from '../audio/wav/write.js';
import { lockstep } from '../engine/lockstep.js';
import { openPlaced } from '../engine/placed-source.js';
import type { AudioSource } from '../audio/types.js';
import { StemkitError } from '../errors.js';
import { residual, unitySum } from '../dsp/simd.js';
import type { CheckReport } from './types.js';

/** The bext description that marks a file as a residual stemkit wrote (so a re-run may replace it). */
export const RESIDUAL_MARK = 'stemkit residual: mix - sum of stems';

/** A file on the package timeline: where its first frame sits, in frames at the residual's rate. */
export interface TimelineFile {
  path: string;
  startFrames: number;
}

/** The files as the report's null test placed them (BWF start; the mix at 0), stems first, then the mix. */
export function residualInputs(report: CheckReport): { files: TimelineFile[]; sampleRate: number; channels: number } {
  const mix = report.mix;
  const stems = report.stems.filter((s) => s.format);
  if (!mix?.format || stems.length === 0 || !report.null) {
    throw new StemkitError('E_USAGE', `no residual to write for ${report.package.dir}: ${report.nullSkipped ?? 'the null test did not run'}`, {
      hint: 'the residual needs a readable mix and stems with the same channel count',
    });
  }
  return {
    files: [...stems.map((f) => ({ path: f.path, startFrames: f.startOffsetSamples ?? 0 })), { path: mix.path, startFrames: 0 }],
    sampleRate: mix.format.sampleRate,
    channels: mix.format.channels,
  };
}

/**
 * Writes mix − Σ stems (`files`: stems, then the mix last) as 32-bit float WAV, every file placed at
 * its start on the package timeline and resampled to `sampleRate` as the null test hears it, so a
 * person can listen to what does not null. Streams in constant memory; the file appears under its
 * name only when complete.
 */
export async function writeResidual(files: TimelineFile[], out: string, options: { sampleRate: number; channels: number }): Promise<{ frames: number; sampleRate: number }> {
  const rate = options.sampleRate;
  const channels = options.channels;
  const sources: AudioSource[] = [];
  try {
    for (const f of files) sources.push(await openPlaced(f.path, { startFrame: f.startFrames, sampleRate: rate }));
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
