import { resolve } from 'node:path';
import { runEmbedded } from '../batch/embedded.js';
import { findPackages } from '../batch/find.js';
import type { BatchCounts } from '../batch/plan.js';
import { writeSummary, type BatchSummary } from '../batch/summary.js';
import { StemkitError } from '../errors.js';
import { clock } from '../format.js';
import { colours, table, type Writer } from '../report/terminal.js';

export interface BatchCliOptions {
  out: string;
  profile?: string;
  strict?: boolean;
  html?: boolean;
  jobs?: string;
  json?: boolean;
  queue?: string;
  status?: boolean;
  detach?: boolean;
  attempts?: string;
  backoffMs?: string;
}

/** A whole-number option ≥ 1 (`--jobs`, `--attempts`, `--concurrency` …), or undefined when not given. */
export function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new StemkitError('E_USAGE', `${name} must be a whole number ≥ 1, got ${JSON.stringify(value)}`, { hint: `e.g. ${name} 4` });
  return n;
}

/** "120/200 packages · 35.2/s · ETA 0:03" on a TTY, rewritten in place; nothing when piped or with --json. */
export function batchProgress(stream: Writer & { isTTY?: boolean }, enabled: boolean) {
  const on = enabled && Boolean(stream.isTTY);
  const began = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(done: number, total: number, checked: number, failed: number): void {
      const now = performance.now();
      if (!on || (now - last < 200 && done < total)) return;
      last = now;
      const seconds = (now - began) / 1000;
      const rate = checked / Math.max(seconds, 1e-3);
      const eta = rate > 0 ? clock((total - done) / rate, 0) : '—';
      stream.write(`\rbatch ${done}/${total} packages · ${rate.toFixed(1)}/s · ETA ${eta}${failed ? ` · ${failed} not passed` : ''}\x1b[K`);
      shown = true;
    },
    done(): void {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

export function countsDone(c: BatchCounts): number {
  return c.skipped + c.duplicates.length + c.pass + c.fail + c.error;
}

/** The end of a batch for people: this run, then the whole RESULTS folder by verdict and by rule. */
export function printSummary(out: Writer, results: string, run: BatchCounts | null, summary: BatchSummary, seconds: number): void {
  const c = colours(out);
  if (run) {
    const checked = run.pass + run.fail + run.error;
    out.write(
      `${c.bold('this run')}: ${run.found} found, ${checked} checked (${run.pass} pass, ${run.fail} fail, ${run.error} error), ${run.skipped} already done, ${run.duplicates.length} duplicate${run.duplicates.length === 1 ? '' : 's'} · ${seconds.toFixed(1)} s${checked ? ` · ${(checked / Math.max(seconds, 1e-3)).toFixed(1)} packages/s` : ''}\n`,
    );
  }
  out.write(`${c.bold(results)}: ${summary.packages} packages: ${c.green(`${summary.byVerdict.pass} pass`)}, ${c.red(`${summary.byVerdict.fail} fail`)}, ${summary.byVerdict.error} error\n`);
  if (summary.byRule.length) out.write(table([['rule', 'packages'].map(c.bold), ...summary.byRule.slice(0, 15).map((r) => [r.rule, String(r.packages)])], [1]) + '\n');
  if (summary.worst.length) {
    out.write(`${c.bold('worst')}\n`);
    for (const l of summary.worst.slice(0, 10)) out.write(`  ${l.verdict.toUpperCase().padEnd(5)} ${l.path}  ${l.error ? `${l.error.code}: ${l.error.message}` : `${l.findings.error} error(s): ${Object.keys(l.rules).join(', ')}`}\n`);
  }
  out.write(`summary: ${resolve(results, 'summary.html')}\n`);
}

/** `stemkit batch`: exit 0 when every package passes, 1 when one fails or could not be checked, 2 when nothing was found or the run was stopped. */
export async function runBatch(roots: string[], options: BatchCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  if (options.queue) return (await import('./batch-queue.js')).runQueueBatch(roots, options, out, err);
  const results = resolve(options.out);
  const paths = await findPackages(roots, [results]);
  if (paths.length === 0) throw new StemkitError('E_USAGE', `no stem packages found under ${roots.join(', ')}`, { hint: 'give folders that hold packages (stems and a mix, or stemkit.json) or .stem.mp4 files' });
  const jobs = positiveInteger(options.jobs, '--jobs');
  const progress = batchProgress(err, !options.json);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const began = performance.now();
  let run: BatchCounts;
  try {
    run = await runEmbedded(paths, {
      out: results,
      profile: options.profile,
      strict: options.strict,
      html: options.html,
      jobs,
      signal: controller.signal,
      onProgress: (c) => progress.update(countsDone(c), c.found, c.pass + c.fail + c.error, c.fail + c.error),
    });
  } catch (e) {
    progress.done();
    if (controller.signal.aborted) {
      err.write(`stopped: what finished is in ${results}/results.jsonl; run the same command again to resume\n`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  progress.done();
  const summary = await writeSummary(results);
  const seconds = (performance.now() - began) / 1000;
  if (options.json) out.write(JSON.stringify({ schema: 'stemkit.batch/1', out: results, run, summary }, null, 2) + '\n');
  else printSummary(out, results, run, summary, seconds);
  return summary.byVerdict.fail + summary.byVerdict.error > 0 ? 1 : 0;
}
