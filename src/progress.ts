import { StemkitError } from './errors.js';

/** The stages long operations report: check's measuring pass, render's stems and mix, fix's writing. */
export type ProgressPhase = 'measure' | 'stems' | 'mix' | 'write';

/** What check, render, measure and fix report now and then: one shape for every long operation. */
export interface ProgressReport {
  /** The stage of the operation that `fraction` counts within. */
  phase: ProgressPhase;
  /** 0 … 1 within the phase. */
  fraction: number;
  /** The file concerned, when there is one (measure: the file being measured). */
  file?: string;
}

/** Receives ProgressReports; called often enough for a smooth bar, never per block. */
export type OnProgress = (progress: ProgressReport) => void;

/** Throws E_ABORTED when `signal` has fired: long operations call it between their steps. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(what);
}

export function abortedError(what: string): StemkitError {
  return new StemkitError('E_ABORTED', `${what} was cancelled`, { hint: 'nothing to fix: the caller aborted it' });
}

/** Rejects with E_ABORTED as soon as `signal` fires (never, without one); for racing work that cannot stop itself. */
export function whenAborted(signal: AbortSignal | undefined, what: string): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(abortedError(what));
    signal.addEventListener('abort', () => reject(abortedError(what)), { once: true });
  });
}
