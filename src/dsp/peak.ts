/**
 * max(start, max |x| over the first `frames` frames of every channel). NaN is skipped.
 *
 * A leaf function on purpose, like the other hot loops here: V8 compiles a long loop on the fly
 * (on-stack replacement) and re-enters that code on later calls; code after the loop that the
 * compiler has not seen run yet then deoptimizes it on every call. With nothing after the loop but
 * `return`, there is nothing to deoptimize on.
 */
export function peakOf(planar: Float32Array[], frames: number, start = 0): number {
  let peak = start;
  for (let ch = 0; ch < planar.length; ch++) peak = channelPeak(planar[ch]!, frames, peak);
  return peak;
}

function channelPeak(x: Float32Array, frames: number, start: number): number {
  let peak = start;
  for (let i = 0; i < frames; i++) {
    const a = Math.abs(x[i]!);
    peak = a > peak ? a : peak;
  }
  return peak;
}
