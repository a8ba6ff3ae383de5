/** Level conversions, in one place. Reported levels are rounded to 0.01 dB and silence is null, never -Infinity. */

/** dB → linear gain; −Infinity (a fader at −inf) gives exactly 0. */
export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** Rounds to `digits` decimals (0.01 dB by default: finer than any meter's accuracy). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Linear amplitude → dB for reports, null for silence or non-finite input. */
export function toDb(linear: number): number | null {
  return linear > 0 && Number.isFinite(linear) ? round(20 * Math.log10(linear)) : null;
}

/** Energy ratio → dB for reports, null for zero. */
export function energyDb(ratio: number): number | null {
  return ratio > 0 && Number.isFinite(ratio) ? round(10 * Math.log10(ratio)) : null;
}
