import { samplePeak } from './simd.js';

/** max(start, max |x| over the first `frames` frames of every channel). NaN is skipped. */
export function peakOf(planar: Float32Array[], frames: number, start = 0): number {
  let peak = start;
  for (const x of planar) peak = samplePeak(x, 0, frames, peak);
  return peak;
}
