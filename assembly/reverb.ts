// The feedback delay network of src/dsp/processors/reverb.ts for its usual shape (8 lines, one or
// two channels): one pass per frame with everything in registers, the same operations in the same
// order as its scalar code, so the output is bit-identical to it.

/**
 * Runs `len` frames. lines: every line's float64 samples. index: 8 read/write positions into the
 * lines (i32, in samples), then channel 1's 8 tap positions. params (f64): line gains [0, 8), injection signs
 * [8, 16), damping states [16, 24) (updated), then damp, wet, dry, the onset codes o00, o01, o10,
 * o11, and the previous pre-delayed input (updated). x0/x1: the channels, processed in place
 * (x1 = 0: mono); xin: the pre-delayed mono input (f64).
 */
export function reverbFused(lines: usize, index: usize, params: usize, x0: usize, x1: usize, xin: usize, len: i32): void {
  const two = x1 !== 0;
  const r0 = lines + (<usize>load<i32>(index) << 3), r1 = lines + (<usize>load<i32>(index, 4) << 3);
  const r2 = lines + (<usize>load<i32>(index, 8) << 3), r3 = lines + (<usize>load<i32>(index, 12) << 3);
  const r4 = lines + (<usize>load<i32>(index, 16) << 3), r5 = lines + (<usize>load<i32>(index, 20) << 3);
  const r6 = lines + (<usize>load<i32>(index, 24) << 3), r7 = lines + (<usize>load<i32>(index, 28) << 3);
  const b0 = lines + (<usize>load<i32>(index, 32) << 3), b1 = lines + (<usize>load<i32>(index, 36) << 3);
  const b2 = lines + (<usize>load<i32>(index, 40) << 3), b3 = lines + (<usize>load<i32>(index, 44) << 3);
  const b4 = lines + (<usize>load<i32>(index, 48) << 3), b5 = lines + (<usize>load<i32>(index, 52) << 3);
  const b6 = lines + (<usize>load<i32>(index, 56) << 3), b7 = lines + (<usize>load<i32>(index, 60) << 3);
  const g0 = load<f64>(params), g1 = load<f64>(params, 8), g2 = load<f64>(params, 16), g3 = load<f64>(params, 24);
  const g4 = load<f64>(params, 32), g5 = load<f64>(params, 40), g6 = load<f64>(params, 48), g7 = load<f64>(params, 56);
  const k0 = load<f64>(params, 64), k1 = load<f64>(params, 72), k2 = load<f64>(params, 80), k3 = load<f64>(params, 88);
  const k4 = load<f64>(params, 96), k5 = load<f64>(params, 104), k6 = load<f64>(params, 112), k7 = load<f64>(params, 120);
  let s0 = load<f64>(params, 128), s1 = load<f64>(params, 136), s2 = load<f64>(params, 144), s3 = load<f64>(params, 152);
  let s4 = load<f64>(params, 160), s5 = load<f64>(params, 168), s6 = load<f64>(params, 176), s7 = load<f64>(params, 184);
  const damp = load<f64>(params, 192), wet = load<f64>(params, 200), dry = load<f64>(params, 208);
  const o00 = load<f64>(params, 216), o01 = load<f64>(params, 224), o10 = load<f64>(params, 232), o11 = load<f64>(params, 240);
  let prev = load<f64>(params, 248);
  const damped = damp > 0;
  const norm: f64 = 1 / Math.sqrt(8);
  for (let j = 0; j < len; j++) {
    const o = <usize>j << 3;
    const x = load<f64>(xin + o);
    const u0 = load<f64>(r0 + o), u1 = load<f64>(r1 + o), u2 = load<f64>(r2 + o), u3 = load<f64>(r3 + o);
    const u4 = load<f64>(r4 + o), u5 = load<f64>(r5 + o), u6 = load<f64>(r6 + o), u7 = load<f64>(r7 + o);
    let y0 = o00 * x;
    if (two) y0 += o01 * prev;
    y0 = y0 + u0 - u1 + u2 - u3 + u4 - u5 + u6 - u7;
    const p0 = x0 + (<usize>j << 2);
    store<f32>(p0, <f32>(dry * <f64>load<f32>(p0) + wet * y0));
    if (two) {
      let y1 = o10 * x + o11 * prev;
      y1 = y1 + load<f64>(b0 + o) + load<f64>(b1 + o) - load<f64>(b2 + o) - load<f64>(b3 + o) + load<f64>(b4 + o) + load<f64>(b5 + o) - load<f64>(b6 + o) - load<f64>(b7 + o);
      const p1 = x1 + (<usize>j << 2);
      store<f32>(p1, <f32>(dry * <f64>load<f32>(p1) + wet * y1));
    }
    prev = x;
    let f0: f64, f1: f64, f2: f64, f3: f64, f4: f64, f5: f64, f6: f64, f7: f64;
    if (damped) {
      s0 += damp * (u0 - s0); s1 += damp * (u1 - s1); s2 += damp * (u2 - s2); s3 += damp * (u3 - s3);
      s4 += damp * (u4 - s4); s5 += damp * (u5 - s5); s6 += damp * (u6 - s6); s7 += damp * (u7 - s7);
      f0 = g0 * s0; f1 = g1 * s1; f2 = g2 * s2; f3 = g3 * s3; f4 = g4 * s4; f5 = g5 * s5; f6 = g6 * s6; f7 = g7 * s7;
    } else {
      f0 = g0 * u0; f1 = g1 * u1; f2 = g2 * u2; f3 = g3 * u3; f4 = g4 * u4; f5 = g5 * u5; f6 = g6 * u6; f7 = g7 * u7;
    }
    const c0 = f0 + f1, c1 = f0 - f1, c2 = f2 + f3, c3 = f2 - f3, c4 = f4 + f5, c5 = f4 - f5, c6 = f6 + f7, c7 = f6 - f7;
    const d0 = c0 + c2, d2 = c0 - c2, d1 = c1 + c3, d3 = c1 - c3, d4 = c4 + c6, d6 = c4 - c6, d5 = c5 + c7, d7 = c5 - c7;
    store<f64>(r0 + o, (d0 + d4) * norm + k0 * x);
    store<f64>(r1 + o, (d1 + d5) * norm + k1 * x);
    store<f64>(r2 + o, (d2 + d6) * norm + k2 * x);
    store<f64>(r3 + o, (d3 + d7) * norm + k3 * x);
    store<f64>(r4 + o, (d0 - d4) * norm + k4 * x);
    store<f64>(r5 + o, (d1 - d5) * norm + k5 * x);
    store<f64>(r6 + o, (d2 - d6) * norm + k6 * x);
    store<f64>(r7 + o, (d3 - d7) * norm + k7 * x);
  }
  if (damped) {
    store<f64>(params, s0, 128); store<f64>(params, s1, 136); store<f64>(params, s2, 144); store<f64>(params, s3, 152);
    store<f64>(params, s4, 160); store<f64>(params, s5, 168); store<f64>(params, s6, 176); store<f64>(params, s7, 184);
  }
  store<f64>(params, prev, 248);
}
