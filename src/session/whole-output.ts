import type { Chain } from '../dsp/processors/index.js';
import { StemkitError } from '../errors.js';
import { clock } from '../format.js';

/**
 * A rendered file is delivered only when every sample of it is the music. Tracks are screened for
 * NaN/±Infinity when read, so non-finite output can only come from processing itself; the chains
 * then zero it and play on (see Chain), and here the render refuses to call such a file finished.
 */
export function refuseRecoveredOutput(chains: readonly { label: string; chain: Chain }[], sampleRate: number, file: string): void {
  for (const { label, chain } of chains) {
    if (chain.nonFiniteRecovered === 0) continue;
    throw new StemkitError(
      'E_NON_FINITE',
      `${label} produced ${chain.nonFiniteRecovered} NaN/Infinity samples (the first at ${clock(chain.firstNonFiniteFrame / sampleRate)} of its output); they were set to 0, so ${file} would not be the music`,
      { file, hint: 'lower the level going into that processing or change its settings; if its input is ordinary audio, this is a bug in stemkit: please report it' },
    );
  }
}

/** Refuses a written file whose writer met non-finite samples (stored as 0 in integer formats). */
export function refuseNonFiniteWrite(report: { nonFiniteSamples: number }, file: string): void {
  if (report.nonFiniteSamples === 0) return;
  throw new StemkitError('E_NON_FINITE', `${report.nonFiniteSamples} NaN/Infinity samples reached ${file}`, {
    file,
    hint: 'this is a bug in stemkit: please report it with the session',
  });
}
