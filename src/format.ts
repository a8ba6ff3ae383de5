/**
 * How stemkit writes numbers, times and formats for people, in every message, report and table:
 * one formatter per concept, so the same value reads the same everywhere.
 */

/** Seconds as m:ss.mmm, or with `digits` decimals (0: m:ss); "—" when not a finite number. */
export function clock(seconds: number, digits = 3): string {
  if (!Number.isFinite(seconds)) return '—';
  const sign = seconds < 0 ? '−' : '';
  const unit = 10 ** digits;
  const ticks = Math.round(Math.abs(seconds) * unit);
  const m = Math.floor(ticks / (60 * unit));
  const rest = ticks - m * 60 * unit;
  const fraction = digits > 0 ? `.${String(rest % unit).padStart(digits, '0')}` : '';
  return `${sign}${m}:${String(Math.floor(rest / unit)).padStart(2, '0')}${fraction}`;
}

/** Seconds as milliseconds, "12.5 ms" (`digits` decimals). */
export function millis(seconds: number, digits = 1): string {
  return `${(seconds * 1000).toFixed(digits)} ms`;
}

/** An elapsed time in milliseconds: "850 ms", "1.25 s", "12.5 s" ("—" when not a finite number). */
export function elapsed(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

/** A measurement (a level in dB, LUFS, LU, samples) to `digits` decimals: "—" for null or not finite, never "-0.0". */
export function decimal(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const s = x.toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

/** As decimal(), with "+" before a positive value that does not round to zero. */
export function signed(x: number | null | undefined, digits = 1): string {
  const s = decimal(x, digits);
  return x !== null && x !== undefined && Number.isFinite(x) && x > 0 && s !== decimal(0, digits) ? `+${s}` : s;
}

/** A level in a sentence: "+1.5 dBFS", "-12.0 dB" (one decimal, signed); "silence" for null. */
export function decibels(db: number | null, unit = 'dB'): string {
  return db === null ? 'silence' : `${signed(db)} ${unit}`;
}

/** How samples are stored: "24-bit", "32-bit float", "A-law", "µ-law". */
export function sampleFormatLabel(format: { encoding: string; bitDepth: number }): string {
  switch (format.encoding) {
    case 'float':
      return `${format.bitDepth}-bit float`;
    case 'pcm':
      return `${format.bitDepth}-bit`;
    case 'alaw':
      return 'A-law';
    case 'mulaw':
      return 'µ-law';
    default:
      return format.encoding;
  }
}

/** A file's format: "48 kHz · 24-bit · 2 ch", or short for tables, "48k/24/2ch" ("32f" for float). */
export function formatLabel(format: { encoding: string; bitDepth: number; sampleRate: number; channels: number }, style: 'long' | 'short' = 'long'): string {
  if (style === 'long') return `${Number((format.sampleRate / 1000).toFixed(3))} kHz · ${sampleFormatLabel(format)} · ${format.channels} ch`;
  const depth = format.encoding === 'float' ? `${format.bitDepth}f` : format.encoding === 'pcm' ? `${format.bitDepth}` : format.encoding;
  return `${format.sampleRate / 1000}k/${depth}/${format.channels}ch`;
}
