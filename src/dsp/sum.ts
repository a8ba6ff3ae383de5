/**
 * out[k] = Σ inputs[i][k] for k < n, added in float64 and rounded to float32 once. Inputs are
 * taken four at a time (one pass over the output per four inputs instead of one per input), and
 * the additions happen in input order, so the result equals a float64 running sum.
 */
export function sumInto(out: Float32Array, inputs: Float32Array[], n: number, scratch: Float64Array): void {
  const count = inputs.length;
  if (count === 0) {
    out.fill(0, 0, n);
    return;
  }
  // Up to four inputs go straight to the output; more accumulate in float64 first.
  addFour(count <= 4 ? out : scratch, inputs, 0, n, true);
  for (let i = 4; i < count; i += 4) {
    if (i + 4 >= count) addFourFrom(out, scratch, inputs, i, n);
    else addFour(scratch, inputs, i, n, false);
  }
}

/** acc[k] (= or +=) inputs[i] + … + inputs[i + 3] (fewer at the end). */
function addFour(acc: Float64Array | Float32Array, inputs: Float32Array[], i: number, n: number, init: boolean): void {
  const a = inputs[i]!;
  const b = inputs[i + 1];
  const c = inputs[i + 2];
  const d = inputs[i + 3];
  if (init) {
    if (d) for (let k = 0; k < n; k++) acc[k] = a[k]! + b![k]! + c![k]! + d[k]!;
    else if (c) for (let k = 0; k < n; k++) acc[k] = a[k]! + b![k]! + c[k]!;
    else if (b) for (let k = 0; k < n; k++) acc[k] = a[k]! + b[k]!;
    else for (let k = 0; k < n; k++) acc[k] = a[k]!;
  } else {
    if (d) for (let k = 0; k < n; k++) acc[k] = acc[k]! + a[k]! + b![k]! + c![k]! + d[k]!;
    else if (c) for (let k = 0; k < n; k++) acc[k] = acc[k]! + a[k]! + b![k]! + c[k]!;
    else if (b) for (let k = 0; k < n; k++) acc[k] = acc[k]! + a[k]! + b[k]!;
    else for (let k = 0; k < n; k++) acc[k] = acc[k]! + a[k]!;
  }
}

/** out[k] = partial[k] + inputs[i] + … (up to four), rounded to float32 once. */
function addFourFrom(out: Float32Array, partial: Float64Array, inputs: Float32Array[], i: number, n: number): void {
  const a = inputs[i]!;
  const b = inputs[i + 1];
  const c = inputs[i + 2];
  const d = inputs[i + 3];
  if (d) for (let k = 0; k < n; k++) out[k] = partial[k]! + a[k]! + b![k]! + c![k]! + d[k]!;
  else if (c) for (let k = 0; k < n; k++) out[k] = partial[k]! + a[k]! + b![k]! + c[k]!;
  else if (b) for (let k = 0; k < n; k++) out[k] = partial[k]! + a[k]! + b[k]!;
  else for (let k = 0; k < n; k++) out[k] = partial[k]! + a[k]!;
}

/** out[i] = x[i] · gain for i < frames (rounded to float32). */
export function scaleInto(out: Float32Array, x: Float64Array | Float32Array, gain: number, frames: number): void {
  for (let i = 0; i < frames; i++) out[i] = x[i]! * gain;
}
