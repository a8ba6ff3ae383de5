import type { WorkerPool } from '../engine/pool.js';
import { toDb } from '../dsp/decibels.js';
import { dbToGain } from '../dsp/decibels.js';
import type { Placement } from '../engine/placed-source.js';
import { solve } from './diagnose.js';
import type { AlternateFile, AlternateKind } from './discover.js';
import { measurePass } from './run-pass.js';

/**
 * Alternate versions (an instrumental, an a cappella, a TV mix) beside the stems: which stems each
 * one is the sum of, and whether it nulls against exactly that sum. They are never part of the
 * stem sum: an instrumental summed with the stems doubles everything but the vocal.
 */
export interface AlternateReport {
  file: string;
  name: string;
  kind: AlternateKind;
  foundBy: 'name' | 'content';
  /** The stems it is the sum of (least squares over the stems' cross products, gains near 1). */
  stems: string[];
  /** Whether alternate − Σ those stems stays under the profile's null threshold; null when not verified. */
  nulls: boolean | null;
  residualPeakDbfs: number | null;
  /** Why it could not be verified, when it could not. */
  unverified: string | null;
}

/** A stem is part of an alternate when its least-squares gain there is above this. */
const IN_SUBSET = 0.5;
/** A subset sum "is" a stem when it leaves at most this share of the stem's energy (−40 dB)… */
const SUBSET_FIT = 1e-4;
/** …with every gain within this of 0 or 1 (a sum at unity, not a remix). */
const UNITY_TOLERANCE = 0.05;

/**
 * Stems that are the unity sum of two or more of the other stems (found by their content): a
 * submix or an alternate version exported into the stems folder. From the pass's Gram matrix.
 */
export function subsetSums(gram: number[][]): { index: number; subset: number[] }[] {
  const n = gram.length;
  if (n < 3 || n > 64) return [];
  const found: { index: number; subset: number[] }[] = [];
  for (let k = 0; k < n; k++) {
    const self = gram[k]![k]!;
    if (!(self > 0)) continue;
    const others = [...Array(n).keys()].filter((j) => j !== k && !found.some((f) => f.index === j));
    const matrix = others.map((i) => others.map((j) => gram[i]![j]!));
    const rhs = others.map((i) => gram[i]![k]!);
    const c = solve(matrix, rhs);
    const explained = c.reduce((a, ci, t) => a + ci * rhs[t]!, 0);
    const left = (self - explained) / self;
    const ones = c.filter((ci) => Math.abs(ci - 1) <= UNITY_TOLERANCE).length;
    const unity = c.every((ci) => Math.abs(ci) <= UNITY_TOLERANCE || Math.abs(ci - 1) <= UNITY_TOLERANCE);
    if (left <= SUBSET_FIT && unity && ones >= 2) found.push({ index: k, subset: others.filter((_, t) => c[t]! > IN_SUBSET) });
  }
  return found;
}

/**
 * Verifies one alternate: a pass with the alternate in the mix's place finds which stems it sums
 * (least squares), a second pass measures alternate − Σ those stems to the sample.
 */
export async function verifyAlternate(
  alternate: AlternateFile,
  stems: { name: string; path: string; placement: Placement | null }[],
  alternatePlacement: Placement | null,
  options: { thresholdDbfs: number; sampleRate: number; totalFrames: number; pool: WorkerPool | null },
): Promise<AlternateReport> {
  const base = { file: alternate.path, name: alternate.name, kind: alternate.kind, foundBy: alternate.foundBy };
  const pass = (members: typeof stems) =>
    measurePass(
      {
        paths: [...members.map((s) => s.path), alternate.path],
        placements: [...members.map((s) => s.placement), alternatePlacement],
        hasMix: true,
        summable: true,
        totalFrames: options.totalFrames,
        residualThreshold: dbToGain(options.thresholdDbfs),
        columns: 1,
      },
      options.sampleRate,
      options.pool,
    );
  const fit = await pass(stems);
  const gains = solve(fit.cross.gram, fit.cross.withMix);
  const subset = stems.filter((_, i) => gains[i]! > IN_SUBSET);
  if (subset.length === 0) {
    return { ...base, stems: [], nulls: false, residualPeakDbfs: toDb(Math.max(...fit.files.at(-1)!.signal.peak)), unverified: null };
  }
  const exact = await pass(subset);
  const peak = toDb(Math.max(...exact.residual!.signal.peak));
  return {
    ...base,
    stems: subset.map((s) => s.name),
    nulls: peak === null || peak <= options.thresholdDbfs,
    residualPeakDbfs: peak,
    unverified: null,
  };
}
