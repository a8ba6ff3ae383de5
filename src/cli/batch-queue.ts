import { resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { findPackages } from '../batch/find.js';
import { emptyCounts, forEachLimited, taskFor, unhashable, type BatchCounts } from '../batch/plan.js';
import { collect, connectionFromUrl, enqueue, QUEUE_NAME } from '../batch/queue.js';
import { lineFromError } from '../batch/result-line.js';
import { ResultsStore } from '../batch/store.js';
import { writeSummary } from '../batch/summary.js';
import type { BatchTask } from '../batch/check-one.js';
import { errorJson, StemkitError } from '../errors.js';
import type { Writer } from '../report/terminal.js';
import { batchProgress, positiveInteger, printSummary, type BatchCliOptions } from './batch.js';

/** `stemkit batch --queue --status`: the queue's counts and its workers, and RESULTS' lines when --out exists. */
async function printStatus(queue: Queue, options: BatchCliOptions, out: Writer): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
  const workers = await queue.getWorkers();
  const { summarize } = await import('../batch/summary.js');
  const results = await summarize(resolve(options.out));
  const status = { schema: 'stemkit.batch-status/1', queue: options.queue, jobs: counts, workers: workers.length, results: { packages: results.packages, ...results.byVerdict } };
  if (options.json) out.write(JSON.stringify(status, null, 2) + '\n');
  else {
    out.write(`queue ${options.queue}: ${counts.waiting! + counts.prioritized!} waiting, ${counts.active} active, ${counts.delayed} retrying later, ${counts.completed} completed, ${counts.failed} failed · ${workers.length} worker connection(s)\n`);
    out.write(`${resolve(options.out)}: ${results.packages} results (${results.byVerdict.pass} pass, ${results.byVerdict.fail} fail, ${results.byVerdict.error} error)\n`);
  }
  return 0;
}

/**
 * `stemkit batch --queue redis://…`: hashes the packages, enqueues those without a result (job id =
 * result id, so enqueuing twice is harmless), then collects the workers' results into RESULTS as
 * they finish (unless --detach) and writes the summary. Stopped with Ctrl-C, the jobs go on; the
 * same command later collects them.
 */
export async function runQueueBatch(roots: string[], options: BatchCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const connection = connectionFromUrl(options.queue!);
  const queue = new Queue<BatchTask>(QUEUE_NAME, { connection });
  // Redis going away (a restart) is expected: ioredis reconnects and the commands wait; say so once, not per retry.
  let down = false;
  const connectionLost = (e: Error) => {
    if (!down && !options.json) err.write(`\rredis: ${e.message}; retrying\x1b[K\n`);
    down = true;
  };
  queue.on('error', connectionLost);
  try {
    if (options.status) return await printStatus(queue, options, out);
    const results = resolve(options.out);
    const retry = { attempts: positiveInteger(options.attempts, '--attempts') ?? 3, backoffMs: positiveInteger(options.backoffMs, '--backoff-ms') ?? 2000 };
    const paths = await findPackages(roots, [results]);
    if (paths.length === 0) throw new StemkitError('E_USAGE', `no stem packages found under ${roots.join(', ')}`, { hint: 'give folders that hold packages (stems and a mix, or stemkit.json) or .stem.mp4 files' });
    const began = performance.now();
    const store = await ResultsStore.open(results);
    const run: BatchCounts = emptyCounts(paths.length);
    const progress = batchProgress(err, !options.json);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    try {
      const pending = new Map<string, BatchTask>();
      const claimed = new Map<string, string>();
      await forEachLimited(paths, positiveInteger(options.jobs, '--jobs') ?? 4, async (path) => {
        let task: BatchTask;
        try {
          task = await taskFor(path, { out: results, profile: options.profile, strict: options.strict, html: options.html });
        } catch (e) {
          if (await store.append(lineFromError(errorJson(e), unhashable(path, { out: results, profile: options.profile, strict: options.strict }), 0))) run.error++;
          return;
        }
        const first = claimed.get(task.id);
        if (first !== undefined) run.duplicates.push({ path, sameAs: first });
        else if (store.has(task.id)) run.skipped++;
        else {
          claimed.set(task.id, path);
          pending.set(task.id, task);
        }
      }, controller.signal);
      await enqueue(queue, [...pending.values()], retry);
      if (!options.json) err.write(`enqueued ${pending.size} package(s) on ${options.queue} (${run.skipped} already done, ${run.duplicates.length} duplicate(s))\n`);
      if (options.detach) return 0;
      const events = new QueueEvents(QUEUE_NAME, { connection });
      events.on('error', connectionLost);
      const total = paths.length;
      const before = run.skipped + run.duplicates.length + run.error;
      try {
        const collected = await collect(queue, events, store, pending, retry, {
          signal: controller.signal,
          onProgress: (c) => progress.update(before + c.pass + c.fail + c.error, total, c.pass + c.fail + c.error, c.fail + c.error),
        });
        run.pass += collected.pass;
        run.fail += collected.fail;
        run.error += collected.error;
      } finally {
        await events.close();
      }
      progress.done();
      if (controller.signal.aborted) {
        err.write(`stopped collecting: the jobs go on; run the same command again to collect their results into ${results}\n`);
        return 2;
      }
    } finally {
      process.off('SIGINT', stop);
      await store.close();
    }
    const summary = await writeSummary(results);
    const seconds = (performance.now() - began) / 1000;
    if (options.json) out.write(JSON.stringify({ schema: 'stemkit.batch/1', out: results, run, summary }, null, 2) + '\n');
    else printSummary(out, results, run, summary, seconds);
    return summary.byVerdict.fail + summary.byVerdict.error > 0 ? 1 : 0;
  } finally {
    await queue.close();
  }
}
