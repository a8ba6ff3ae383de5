import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { siblingModule } from '../engine/pool.js';
import type { BatchTask } from './check-one.js';
import { connectionFromUrl, QUEUE_NAME } from './queue.js';
import type { BatchLine } from './result-line.js';

/** How a batch worker runs its jobs. */
export interface BatchWorkerOptions {
  /** Packages checked at once, each in its own sandboxed process. */
  concurrency: number;
  /** A job whose worker has not renewed its lock for this long is stalled and runs again elsewhere. */
  lockMs: number;
  /** How often this worker looks for stalled jobs. */
  stalledMs: number;
}

/** The defaults: BullMQ's 30 s lock, one package at a time. */
export const WORKER_DEFAULTS: BatchWorkerOptions = { concurrency: 1, lockMs: 30_000, stalledMs: 30_000 };

/**
 * A BullMQ worker on the batch queue at `url`: sandboxed processors (child processes running
 * processor.ts), each with its share of this machine's cores for the measuring pass. A job stalled
 * by a dead worker runs again (twice at most, then it fails as E_INTERNAL).
 */
export function startBatchWorker(url: string, options: BatchWorkerOptions): Worker<BatchTask, BatchLine> {
  process.env.STEMKIT_BATCH_THREADS = String(Math.max(1, Math.floor(availableParallelism() / options.concurrency)));
  return new Worker<BatchTask, BatchLine>(QUEUE_NAME, fileURLToPath(siblingModule(import.meta.url, 'processor')), {
    connection: connectionFromUrl(url),
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.stalledMs,
    maxStalledCount: 2,
    useWorkerThreads: false,
  });
}
