/** out[i] = x[i] · gain for i < frames (rounded to float32). */
export function scaleInto(out: Float32Array, x: Float64Array | Float32Array, gain: number, frames: number): void {
  for (let i = 0; i < frames; i++) out[i] = x[i]! * gain;
}
