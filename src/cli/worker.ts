import { startBatchWorker, WORKER_DEFAULTS } from '../batch/worker.js';
import { WORKER_NAME } from '../batch/check-one.js';
import type { Writer } from '../report/terminal.js';
import { positiveInteger } from './batch.js';

export interface WorkerCliOptions {
  queue: string;
  concurrency?: string;
  lockMs?: string;
  stalledMs?: string;
}

/**
 * `stemkit worker`: runs batch jobs until SIGTERM or SIGINT, then stops taking jobs, finishes the
 * ones it runs and exits 0; a second signal stops at once (those jobs stall and run again elsewhere).
 */
export async function runWorker(options: WorkerCliOptions, out: Writer, err: Writer): Promise<number> {
  const worker = startBatchWorker(options.queue, {
    concurrency: positiveInteger(options.concurrency, '--concurrency') ?? WORKER_DEFAULTS.concurrency,
    lockMs: positiveInteger(options.lockMs, '--lock-ms') ?? WORKER_DEFAULTS.lockMs,
    stalledMs: positiveInteger(options.stalledMs, '--stalled-ms') ?? WORKER_DEFAULTS.stalledMs,
  });
  let connectionTrouble = false;
  worker.on('error', (e) => {
    // Redis going away is expected (a restart): say so once, ioredis reconnects on its own.
    if (!connectionTrouble) err.write(`worker ${WORKER_NAME}: ${(e as Error).message}; retrying\n`);
    connectionTrouble = true;
  });
  worker.on('ready', () => {
    if (connectionTrouble) err.write(`worker ${WORKER_NAME}: connected again\n`);
    connectionTrouble = false;
  });
  worker.on('completed', (job, line) => out.write(`${line.verdict.toUpperCase()} ${job.data.path} (${line.checkMs} ms)\n`));
  worker.on('failed', (job, e) => {
    if (job) err.write(`attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed: ${job.data.path}: ${e.message}\n`);
  });
  err.write(`worker ${WORKER_NAME}: taking jobs from ${options.queue}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        err.write(`worker ${WORKER_NAME}: ${signal} again, stopping now\n`);
        void worker.close(true).finally(resolve);
        return;
      }
      stopping = true;
      err.write(`worker ${WORKER_NAME}: ${signal}, finishing the current jobs\n`);
      void worker.close().finally(resolve);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  err.write(`worker ${WORKER_NAME}: stopped\n`);
  return 0;
}
