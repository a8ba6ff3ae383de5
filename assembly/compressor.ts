// The compressor of src/dsp/processors/compressor.ts on one channel or a linked pair: detection,
// gain computer, log-domain smoothing and gain in one pass per frame. Same operations in the same
// order; its logarithm and exponential come from the host (Math.log, Math.exp), so the output is
// bit-identical to the scalar code.

@external("env", "log")
declare function hostLog(x: f64): f64;
@external("env", "exp")
declare function hostExp(x: f64): f64;

const LN2: f64 = 0.6931471805599453;
const NEPER_PER_DB: f64 = 2.302585092994046 / 20;
const GRID: i32 = 1024;
const GR_FLOOR: f64 = 1e-9;

/** ln of a positive normal float32 from its bits: the table lnTable[i] = ln(1 + i/4096), interpolated. */
@inline function lnBits(bits: i32, lnTable: usize): f64 {
  const index = (bits >>> 11) & 0xfff;
  const a = load<f64>(lnTable + (<usize>index << 3));
  return <f64>((bits >>> 23) - 127) * LN2 + a + <f64>(bits & 0x7ff) * (1.0 / 2048) * (load<f64>(lnTable + (<usize>(index + 1) << 3)) - a);
}

/**
 * Compresses x[0, n) of channel a (and b, linked, when b ≠ 0) in place. p (f64): threshold,
 * half knee, 1/(2·knee), slope, knee start, dB scale, attack coef, release coef, make-up, RMS coef,
 * then the state y1, yL, lin, ms of a, ms of b (updated). phase: the i32 grid phase (updated).
 */
export function compress(a: usize, b: usize, n: i32, rms: i32, p: usize, phase: usize, startBits: i32, lnTable: usize): void {
  const T = load<f64>(p), halfW = load<f64>(p, 8), inv2W = load<f64>(p, 16), slope = load<f64>(p, 24);
  const start = load<f64>(p, 32), scale = load<f64>(p, 40);
  const aA = load<f64>(p, 48), bA = 1 - aA, aR = load<f64>(p, 56), bR = 1 - aR;
  const makeup = load<f64>(p, 64), aS = load<f64>(p, 72), bS = 1 - aS;
  let y1 = load<f64>(p, 80), yL = load<f64>(p, 88), lin = load<f64>(p, 96);
  let msA = load<f64>(p, 104), msB = load<f64>(p, 112);
  const pair = b !== 0;
  let ph = load<i32>(phase);
  for (let i = 0; i < n; i++) {
    const pa = a + (<usize>i << 2), pb = b + (<usize>i << 2);
    let gr: f64 = 0;
    if (rms) {
      const va = <f64>load<f32>(pa);
      msA = aS * msA + bS * va * va;
      let d = msA;
      if (pair) {
        const vb = <f64>load<f32>(pb);
        msB = aS * msB + bS * vb * vb;
        if (msB > d) d = msB;
      }
      if (d > start) {
        const over = scale * hostLog(d) - T;
        if (over >= halfW) gr = slope * over;
        else {
          const t = over + halfW;
          gr = slope * t * t * inv2W;
        }
        if (gr > 400) gr = 400;
      }
    } else {
      let bits = load<i32>(pa) & 0x7fffffff;
      if (pair) {
        const other = load<i32>(pb) & 0x7fffffff;
        if (other > bits) bits = other;
      }
      if (bits > startBits) {
        const over = scale * lnBits(bits, lnTable) - T;
        if (over >= halfW) gr = slope * over;
        else {
          const t = over + halfW;
          gr = slope * t * t * inv2W;
        }
        if (gr > 400) gr = 400;
      }
    }
    const rel = aR * y1 + bR * gr;
    y1 = gr > rel ? gr : rel;
    if (y1 < GR_FLOOR) y1 = 0;
    const prev = yL;
    yL = aA * yL + bA * y1;
    if (yL < GR_FLOOR) yL = 0;
    if (++ph === GRID) {
      ph = 0;
      lin = hostExp(-yL * NEPER_PER_DB);
    } else if (yL === 0) lin = 1;
    else {
      const e = (prev - yL) * NEPER_PER_DB;
      if (e < 1e-3 && e > -1e-3) lin *= 1 + e * (1 + e * (0.5 + e * (1.0 / 6)));
      else lin = hostExp(-yL * NEPER_PER_DB);
    }
    const g = makeup * lin;
    store<f32>(pa, <f32>(<f64>load<f32>(pa) * g));
    if (pair) store<f32>(pb, <f32>(<f64>load<f32>(pb) * g));
  }
  store<f64>(p, y1, 80);
  store<f64>(p, yL, 88);
  store<f64>(p, lin, 96);
  store<f64>(p, msA, 104);
  store<f64>(p, msB, 112);
  store<i32>(phase, ph);
}
