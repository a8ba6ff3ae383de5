/**
 * How stemkit writes times for people, in every message, report and table: one formatter, so the
 * same instant reads the same everywhere.
 */

/** Seconds as m:ss.mmm (rounded to the millisecond; "—" when not a finite number). */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const sign = seconds < 0 ? '−' : '';
  const ms = Math.round(Math.abs(seconds) * 1000);
  const m = Math.floor(ms / 60000);
  const rest = ms - m * 60000;
  return `${sign}${m}:${String(Math.floor(rest / 1000)).padStart(2, '0')}.${String(rest % 1000).padStart(3, '0')}`;
}
