import type { CheckReport } from '../check/types.js';
import type { ErrorReport } from '../errors.js';

/** How a package came out: passed, failed (defects found), or could not be checked at all. */
export type BatchVerdict = 'pass' | 'fail' | 'error';

/** The numbers a catalogue is sorted and filtered by, from the package's report. */
export interface BatchNumbers {
  stems: number;
  /** The mix's length (else the longest stem's), seconds. */
  durationSec: number | null;
  sampleRate: number | null;
  nullResidualPeakDbfs: number | null;
  nullResidualRelativeDb: number | null;
  mixIntegratedLufs: number | null;
  mixTruePeakDbtp: number | null;
  sumSamplePeakDbfs: number | null;
}

/** One line of RESULTS/results.jsonl: exactly one per package (per content and options). */
export interface BatchLine {
  schema: 'stemkit.batch-result/1';
  /** The package's id: RESULTS/<id>/, and its job id in the queue (content hash + profile + strict). */
  id: string;
  /** Where the package was found (absolute path on the storage every worker shares). */
  path: string;
  /** SHA-256 of the package's files (names, sizes, bytes). */
  hash: string;
  /** The profile asked for (null: each package's own, else music). */
  profile: string | null;
  verdict: BatchVerdict;
  /** Findings by severity. */
  findings: { error: number; warning: number; info: number };
  /** Findings per rule id. */
  rules: Record<string, number>;
  numbers: BatchNumbers | null;
  /** Why the package could not be checked (verdict "error"); null otherwise. */
  error: ErrorReport | null;
  /** The report's path relative to RESULTS; null when there is none. */
  report: string | null;
  /** Wall time of the check, ms. */
  checkMs: number;
  /** Which process checked it (host:pid) and on which attempt (queue mode). */
  worker?: string;
  attempt?: number;
}

/** The fields that depend on when and where a package was checked, not on the package. */
export const CIRCUMSTANTIAL: readonly (keyof BatchLine)[] = ['checkMs', 'worker', 'attempt'];

/** The line for a checked package. */
export function lineFromReport(report: CheckReport, base: { id: string; path: string; hash: string; profile: string | null }, checkMs: number): BatchLine {
  const findings = { error: 0, warning: 0, info: 0 };
  const rules: Record<string, number> = {};
  for (const f of report.findings) {
    findings[f.severity]++;
    rules[f.rule] = (rules[f.rule] ?? 0) + 1;
  }
  const files = [...report.stems, ...(report.mix ? [report.mix] : [])];
  const longest = Math.max(...files.map((f) => f.measure?.durationSec ?? 0), 0);
  return {
    schema: 'stemkit.batch-result/1',
    ...base,
    verdict: report.ok ? 'pass' : 'fail',
    findings,
    rules,
    numbers: {
      stems: report.stems.length,
      durationSec: report.mix?.measure?.durationSec ?? (longest > 0 ? longest : null),
      sampleRate: report.mix?.format?.sampleRate ?? report.stems.find((s) => s.format)?.format?.sampleRate ?? null,
      nullResidualPeakDbfs: report.null?.residualPeakDbfs ?? null,
      nullResidualRelativeDb: report.null?.residualRelativeDb ?? null,
      mixIntegratedLufs: report.mix?.measure?.integratedLufs ?? null,
      mixTruePeakDbtp: report.mix?.measure?.truePeakDbtp ?? null,
      sumSamplePeakDbfs: report.sum?.samplePeakDbfs ?? null,
    },
    error: null,
    report: `${base.id}/report.json`,
    checkMs,
  };
}

/** The line for a package that could not be checked (a typed error, after its retries in queue mode). */
export function lineFromError(error: ErrorReport, base: { id: string; path: string; hash: string; profile: string | null }, checkMs: number): BatchLine {
  return { schema: 'stemkit.batch-result/1', ...base, verdict: 'error', findings: { error: 0, warning: 0, info: 0 }, rules: {}, numbers: null, error, report: null, checkMs };
}
