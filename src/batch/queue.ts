import { Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { errorJson, isErrorCode, StemkitError, type ErrorReport } from '../errors.js';
import type { BatchTask } from './check-one.js';
import { lineFromError, type BatchLine } from './result-line.js';
import type { ResultsStore } from './store.js';

/** The BullMQ queue every `stemkit batch --queue` and `stemkit worker` share. */
export const QUEUE_NAME = 'stemkit-batch';

/** Completed and failed jobs stay in Redis this long (their result.json stays on storage for good). */
const KEEP_SECONDS = 7 * 24 * 3600;

/** redis://[user:password@]host[:port][/db] as BullMQ's connection: commands wait out a restart instead of failing. */
export function connectionFromUrl(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StemkitError('E_USAGE', `not a Redis URL: ${url}`, { hint: 'give --queue redis://host:port' });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new StemkitError('E_USAGE', `not a Redis URL: ${url}`, { hint: 'give --queue redis://host:port' });
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking commands need this; ioredis then retries every command across a reconnect.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** How a package's job is retried. */
export interface RetryOptions {
  attempts: number;
  /** The first retry's delay; each next one doubles it. */
  backoffMs: number;
}

/** Adds one job per task, its id the task's id: adding a package that is queued, running or done does nothing. */
export async function enqueue(queue: Queue, tasks: readonly BatchTask[], retry: RetryOptions): Promise<void> {
  const opts: JobsOptions = {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: KEEP_SECONDS },
    removeOnFail: { age: KEEP_SECONDS },
  };
  for (let i = 0; i < tasks.length; i += 500) {
    await queue.addBulk(tasks.slice(i, i + 500).map((task) => ({ name: 'check', data: task, opts: { ...opts, jobId: task.id } })));
  }
}

/** A typed error as a job's failure reason ("E_CODE: message — hint: …"), readable in any BullMQ dashboard. */
export function jobError(err: unknown): Error {
  const e = errorJson(err);
  return new Error(`${e.code}: ${e.message} — hint: ${e.hint}`);
}

/** The typed error back from a failure reason; a reason stemkit did not write (a crashed or stalled process) is E_INTERNAL. */
export function errorFromReason(reason: string | undefined): ErrorReport {
  const m = /^(E_[A-Z_]+): ([\s\S]*) — hint: ([\s\S]*)$/.exec(reason ?? '');
  if (m && isErrorCode(m[1])) return { code: m[1], message: m[2]!, hint: m[3]! };
  return { code: 'E_INTERNAL', message: `the job failed: ${reason ?? 'no reason given'}`, hint: 'see the worker\'s log; if a worker process died, check its memory limit' };
}

/** What collect() counts as lines arrive. */
export interface Collected {
  pass: number;
  fail: number;
  error: number;
}

/**
 * Waits until every task in `pending` has its line in the store, appending each once: from the
 * RESULTS/<id>/result.json a worker left (whichever worker finished the job, however often it ran),
 * or, for a job that failed after its retries, an "error" line from its failure reason. A job Redis
 * no longer knows (it lost its data), or remembers as done while its result.json is gone, is added
 * again. Events from the queue only make it look sooner.
 */
export async function collect(
  queue: Queue,
  events: QueueEvents,
  store: ResultsStore,
  pending: Map<string, BatchTask>,
  retry: RetryOptions,
  options: { onProgress?: (c: Collected) => void; signal?: AbortSignal } = {},
): Promise<Collected> {
  const counts: Collected = { pass: 0, fail: 0, error: 0 };
  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  events.on('completed', poke);
  events.on('failed', poke);
  const record = async (line: BatchLine) => {
    pending.delete(line.id);
    if (await store.append(line)) counts[line.verdict]++;
  };
  let idleSweeps = 0;
  try {
    while (pending.size > 0 && !options.signal?.aborted) {
      for (const line of await store.recover([...pending.keys()])) {
        pending.delete(line.id);
        counts[line.verdict]++;
      }
      for (const job of await queue.getFailed()) {
        const task = job.id ? pending.get(job.id) : undefined;
        if (!task) continue;
        await record(lineFromError(errorFromReason(job.failedReason), { id: task.id, path: task.path, hash: task.hash, profile: task.profile }, Math.max(0, (job.finishedOn ?? 0) - (job.processedOn ?? 0))));
      }
      options.onProgress?.(counts);
      if (pending.size === 0) break;
      const live = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(live).every((n) => n === 0)) {
        // Nothing queued or running, yet results are missing: Redis lost those jobs (restarted without its data).
        if (++idleSweeps >= 3) {
          const lost = [];
          for (const task of pending.values()) {
            const state = await queue.getJobState(task.id);
            // A job Redis still remembers as completed whose RESULTS/<id>/ is gone (RESULTS was cleared): check it again.
            if (state === 'completed') await queue.remove(task.id);
            if (state === 'unknown' || state === 'completed') lost.push(task);
          }
          if (lost.length) await enqueue(queue, lost, retry);
          idleSweeps = 0;
        }
      } else idleSweeps = 0;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(5000, 250 + pending.size / 20));
        wake = done;
        options.signal?.addEventListener('abort', done, { once: true });
      });
      wake = null;
    }
  } finally {
    events.off('completed', poke);
    events.off('failed', poke);
  }
  return counts;
}
