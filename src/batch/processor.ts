import type { SandboxedJob } from 'bullmq';
import { preparePassWorkers } from '../check/run-pass.js';
import { loadNodeKernels } from '../engine/kernels.js';
import { WorkerPool } from '../engine/pool.js';
import { hostname } from 'node:os';
import { checkForBatch, type BatchTask } from './check-one.js';
import { jobError } from './queue.js';
import type { BatchLine } from './result-line.js';

/** Threads per sandboxed process for the measuring pass: the parent shares the cores among its processes. */
const THREADS = Math.max(1, Number(process.env.STEMKIT_BATCH_THREADS) || 1);

let pool: WorkerPool | null = null;
/** The `stemkit worker` process this sandbox belongs to: the one a dead machine's jobs are traced to. */
const WORKER = `${hostname()}:${process.ppid}`;

/**
 * BullMQ's sandboxed processor (it runs in a child process of `stemkit worker`, so a package that
 * crashes or exhausts the checker takes down only that process): checks the job's package into
 * RESULTS/<id>/ and returns its line. A failure is rethrown as its typed error in the reason.
 */
export default async function processBatchJob(job: SandboxedJob<BatchTask, BatchLine>, _token?: string, signal?: AbortSignal): Promise<BatchLine> {
  try {
    if (!pool) {
      await loadNodeKernels();
      pool = new WorkerPool(THREADS);
      preparePassWorkers(pool);
    }
    return await checkForBatch(job.data, pool, signal, { worker: WORKER, attempt: job.attemptsMade + 1 });
  } catch (err) {
    throw jobError(err);
  }
}
