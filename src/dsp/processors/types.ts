/**
 * The processor contract shared by every insert, effect return and master-chain stage of
 * `stemkit render`. Processors are pure DSP (no Node APIs, no I/O: they run in browsers too).
 *
 * Timing contract (the renderer relies on both numbers):
 * - `latency` is exact: an impulse at input frame n produces the processor's (linear-phase or
 *   lookahead-delayed) response centred on frame n + latency. The renderer removes it.
 * - `tail` is conservative and counted in the processor's own output timeline, latency included:
 *   once the input has been silent for `tail` frames, the output stays below −90 dBFS for any input
 *   that peaked at 0 dBFS. A chain's latency and tail are the sums of its stages'.
 *
 * `process()` works in place on planar Float32 channels, keeps its state (Float64) across calls, and
 * gives bit-identical output whatever the block sizes the caller uses. It never allocates.
 */
export interface Processor {
  /** Samples of delay added (exact, integer). */
  readonly latency: number;
  /** Samples after input silence until output < −90 dBFS relative to a 0 dBFS input (conservative, includes latency). */
  readonly tail: number;
  /** Processes `frames` frames of `planar` (one array per channel, at least ctx.channels arrays) in place. */
  process(planar: Float32Array[], frames: number): void;
  /** Restores the state right after construction (silence in the delay lines, unity gains). */
  reset(): void;
  /** Gives back state held in the SIMD kernels' memory (processors that have some); no use afterwards. */
  dispose?(): void;
}

/** What a processor is built for: the signal's sample rate and channel count. */
export interface ProcessorContext {
  /** Hz. */
  sampleRate: number;
  /** Channels each process() call carries. */
  channels: number;
  /** Impulse response for a convolution reverb (one array per IR channel), already at sampleRate. */
  impulse?: Float32Array[];
}

/** Level (dBFS) below which a tail counts as finished. */
export const TAIL_FLOOR_DB = -90;
/** TAIL_FLOOR_DB as a linear amplitude. */
export const TAIL_FLOOR = 10 ** (TAIL_FLOOR_DB / 20);

/** Where a field is: keys and array indices, e.g. ['bands', 1, 'freq']. */
export type FieldPath = (string | number)[];

/**
 * A spec that validates as data but cannot be realised at this sample rate or channel count (e.g. a
 * filter frequency at or above Nyquist). `path` locates the field (inside the spec, or from wherever
 * `at` placed the spec), `reason` says what is wrong with it, and the message is built from both:
 * "bands[1].freq: 30000 Hz is not below Nyquist (24000 Hz at 48000 Hz)".
 */
export class ProcessorConfigError extends RangeError {
  /** Always "ProcessorConfigError". */
  override readonly name = 'ProcessorConfigError';
  /** Where the field is: inside the spec, after whatever `at` put before it. */
  readonly path: FieldPath;
  /** What is wrong with the field, without its path. */
  readonly reason: string;

  constructor(path: FieldPath, reason: string) {
    super(`${formatPath(path)}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }

  /** The same error for the spec found at `where` (a chain's stage index, a session's field path). */
  at(where: readonly (string | number)[]): ProcessorConfigError {
    return new ProcessorConfigError([...where, ...this.path], this.reason);
  }
}

/** ['bands', 1, 'freq'] → "bands[1].freq". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(spec)' : out;
}

/** Throws a RangeError unless the sample rate is positive and finite and the channel count a positive integer. */
export function checkContext(ctx: ProcessorContext): void {
  if (!(ctx.sampleRate > 0) || !Number.isFinite(ctx.sampleRate)) throw new RangeError(`sampleRate must be a positive number, got ${ctx.sampleRate}`);
  if (!Number.isInteger(ctx.channels) || ctx.channels < 1) throw new RangeError(`channels must be a positive integer, got ${ctx.channels}`);
}

/** Throws a RangeError unless `planar` has at least `channels` arrays of at least `frames` samples each. */
export function checkPlanar(planar: Float32Array[], channels: number, frames: number): void {
  if (planar.length < channels) throw new RangeError(`expected ${channels} channels, got ${planar.length}`);
  for (let ch = 0; ch < channels; ch++) {
    if (planar[ch]!.length < frames) throw new RangeError(`channel ${ch} holds ${planar[ch]!.length} frames, fewer than ${frames}`);
  }
}

/** Frequencies must lie strictly between 0 and Nyquist at creation time. */
export function checkBelowNyquist(path: (string | number)[], freq: number, sampleRate: number): void {
  const nyquist = sampleRate / 2;
  if (!(freq < nyquist)) throw new ProcessorConfigError(path, `${freq} Hz is not below Nyquist (${nyquist} Hz at ${sampleRate} Hz)`);
}

/** Milliseconds → whole samples (nearest). */
export function msToSamples(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

/** One-pole coefficient whose step response goes from 10 % to 90 % in `ms` milliseconds (0 for an instant response). */
export function tenNinetyCoefficient(ms: number, sampleRate: number): number {
  const samples = (ms * sampleRate) / 1000;
  return samples > 0 ? Math.exp(-Math.log(9) / samples) : 0;
}

export { dbToGain } from '../decibels.js';
