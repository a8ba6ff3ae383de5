import { millis } from '../format.js';
import type { AudioFormat } from '../audio/types.js';
import type { Placement } from '../engine/placed-source.js';

/**
 * How the files of a package line up before the null test, as a DAW would place them on import:
 * by their BWF TimeReference (a stem exported from where its region starts carries the position
 * it belongs at), and at the package's rate. Pure arithmetic on header facts.
 */
export interface TimedFile {
  format: AudioFormat;
  /** BWF TimeReference: samples since midnight at the file's own rate; null without a bext chunk. */
  timeReference: number | null;
}

export interface FilePlacement extends Placement {
  /** Frames the file lasts at the package rate. */
  frames: number;
  /** Whether the BWF TimeReference placed it (false: no reference, or the reference was not usable). */
  byTimeReference: boolean;
  /** Set when the file has a TimeReference that was not used, and why. */
  ignoredReason: string | null;
}

/** Frames of `format` at `rate` (the resampler gives exactly this many). */
export function framesAt(format: AudioFormat, rate: number): number {
  return format.sampleRate === rate ? format.frames : Math.round((format.frames * rate) / format.sampleRate);
}

/**
 * Places every file (stems, then the mix last when `hasMix`) on the package timeline at `rate`.
 * The origin is the mix's TimeReference, else the earliest stem's. A file whose reference would put
 * it entirely outside the package's span is left at 0 (a TimeReference from another session, or a
 * zeroed one, is not a reason to move audio by hours).
 */
export function placeFiles(files: TimedFile[], hasMix: boolean, rate: number): FilePlacement[] {
  const seconds = (f: TimedFile) => (f.timeReference === null ? null : f.timeReference / f.format.sampleRate);
  const mix = hasMix ? files.at(-1) : undefined;
  const stemStarts = files.slice(0, hasMix ? -1 : undefined).map(seconds).filter((s): s is number => s !== null);
  const origin = (mix && seconds(mix)) ?? (stemStarts.length ? Math.min(...stemStarts) : null);
  const span = mix ? framesAt(mix.format, rate) : Math.max(0, ...files.map((f) => framesAt(f.format, rate)));
  return files.map((f) => {
    const frames = framesAt(f.format, rate);
    const own = seconds(f);
    const placement = { sampleRate: rate, frames, startFrame: 0, byTimeReference: false, ignoredReason: null as string | null };
    if (own === null || origin === null || f === mix) return placement;
    const start = Math.round((own - origin) * rate);
    if (start >= span || start + frames <= 0) {
      return { ...placement, ignoredReason: `its BWF start lies ${Math.abs(own - origin).toFixed(3)} s from the ${mix ? "mix's" : "package's"}, outside the package` };
    }
    return { ...placement, startFrame: start, byTimeReference: true };
  });
}

/**
 * A stem's whole timing repair, one edit: `head` frames in at the start (negative: out), then
 * `tail` at the end (negative: trimmed). Its BWF start minus its measured lag puts its first sample
 * on the mix's timeline; the end is then fitted to the span. A stem late by N and N samples longer
 * needs one edit, not a shift plus a trim (which would lose 2N samples).
 */
export interface TimingRepair {
  head: number;
  tail: number;
}

/** The repair for a stem starting `startFrame` into the span (BWF), late by `lag`, `frames` long at the package rate. */
export function timingRepairOf(startFrame: number, lag: number, frames: number, spanFrames: number): TimingRepair {
  const head = startFrame - lag;
  return { head, tail: spanFrames - (head + frames) };
}

/** The repair's steps in words ("pad 384000 samples at the start", "trim 12 samples from the end"); with `rate`, the head also in ms. */
export function timingSteps(r: TimingRepair, rate?: number): string[] {
  const ms = (n: number) => (rate ? ` (${millis(Math.abs(n) / rate)})` : '');
  return [
    r.head > 0 ? `pad ${r.head} samples${ms(r.head)}${rate ? ' of silence' : ''} at the start` : r.head < 0 ? `remove the first ${-r.head} samples${ms(r.head)}` : '',
    r.tail > 0 ? `pad ${r.tail} samples at the end` : r.tail < 0 ? `trim ${-r.tail} samples from the end` : '',
  ].filter(Boolean);
}
