import { openAudio } from '../audio/open.js';
import { Resampler } from '../dsp/resampler.js';

/** Impulse responses by the name used in the session, already at the session rate. */
export type Impulses = Map<string, Float32Array[]>;

/** Longest impulse response accepted: convolution reverbs beyond this are not reverbs. */
const MAX_IMPULSE_SECONDS = 20;

/** Loads every impulse response the session uses, resampled to the session rate (IRs are seconds long, so they are held in memory). */
export async function loadImpulses(paths: Map<string, string>, sampleRate: number): Promise<Impulses> {
  const impulses: Impulses = new Map();
  for (const [name, path] of paths) {
    const source = await openAudio(path);
    try {
      const frames = Math.min(source.format.frames, Math.round(MAX_IMPULSE_SECONDS * source.format.sampleRate));
      let planar = await source.read(0, frames);
      if (source.format.sampleRate !== sampleRate) {
        const resampler = await Resampler.create(planar.length, source.format.sampleRate, sampleRate);
        const want = Math.round(frames * (sampleRate / source.format.sampleRate));
        const parts = [resampler.process(planar, frames)];
        while (parts.reduce((n, p) => n + p[0]!.length, 0) < want) {
          parts.push(resampler.process(planar.map(() => new Float32Array(4096)), 4096));
        }
        resampler.destroy();
        planar = planar.map((_, ch) => {
          const out = new Float32Array(want);
          let at = 0;
          for (const p of parts) {
            out.set(p[ch]!.subarray(0, Math.max(0, Math.min(p[ch]!.length, want - at))), at);
            at += p[ch]!.length;
          }
          return out;
        });
      }
      impulses.set(name, planar);
    } finally {
      await source.close();
    }
  }
  return impulses;
}
