import { hostname } from 'node:os';
import { checkPackage } from '../check/check.js';
import { discoverPackage, type StemPackage } from '../check/discover.js';
import { hasNiStemsName, openNiStemsPackage, relabelNiReport, releasePackage } from '../check/ni-stems-input.js';
import type { WorkerPool } from '../engine/pool.js';
import { reportJson } from '../report/json.js';
import { renderHtml } from '../report/html.js';
import { lineFromReport, type BatchLine } from './result-line.js';
import { writePackageResult } from './store.js';

/** One package to check in a batch: what a queue job carries (plain JSON). */
export interface BatchTask {
  id: string;
  /** Absolute path of the package folder (or .stem.mp4) on storage every worker shares. */
  path: string;
  hash: string;
  /** RESULTS, absolute, on the same shared storage. */
  out: string;
  profile: string | null;
  strict: boolean;
  /** Also write RESULTS/<id>/report.html. */
  html: boolean;
}

async function discover(path: string): Promise<StemPackage> {
  return hasNiStemsName(path) ? openNiStemsPackage(path) : discoverPackage(path);
}

/** The host:pid that checked a package, for the record. */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/**
 * Checks one package and leaves its report and result line in RESULTS/<id>/; returns the line.
 * Throws the typed error when the package cannot be checked at all (e.g. its stemkit.json is not
 * valid): an unreadable audio file is a finding in the report, not a failure.
 */
export async function checkForBatch(task: BatchTask, pool: WorkerPool | null, signal?: AbortSignal, stamp: Pick<BatchLine, 'worker' | 'attempt'> = {}): Promise<BatchLine> {
  const began = performance.now();
  const pkg = await discover(task.path);
  let report;
  try {
    // An NI Stems file is judged by its own profile unless the batch names one; its tracks are reported as file#N.
    const profile = task.profile ?? (pkg.niStems ? 'ni-stems' : null);
    report = relabelNiReport(await checkPackage(pkg, { ...(profile ? { profile } : {}), pool, strict: task.strict, ...(signal ? { signal } : {}) }), pkg);
  } finally {
    await releasePackage(pkg);
  }
  const line = { ...lineFromReport(report, { id: task.id, path: task.path, hash: task.hash, profile: task.profile }, Math.round(performance.now() - began)), ...stamp };
  await writePackageResult(task.out, line, JSON.stringify(reportJson(report), null, 2) + '\n', task.html ? renderHtml(report) : null);
  return line;
}
