import { availableParallelism } from 'node:os';
import { preparePassWorkers } from '../check/run-pass.js';
import { WorkerPool } from '../engine/pool.js';
import { errorJson, StemkitError } from '../errors.js';
import { throwIfAborted } from '../progress.js';
import { checkForBatch, type BatchTask } from './check-one.js';
import { emptyCounts, forEachLimited, taskFor, unhashable, type BatchCounts, type BatchSettings } from './plan.js';
import { lineFromError } from './result-line.js';
import { ResultsStore } from './store.js';

/** Options of the embedded batch: this machine, no server. */
export interface EmbeddedOptions extends BatchSettings {
  /** Packages checked at once (each uses the shared worker pool for its measuring pass). Default: the core count. */
  jobs?: number | undefined;
  /** Called after each package (checked, skipped or duplicate). */
  onProgress?: ((counts: BatchCounts) => void) | undefined;
  /** Stops starting packages and cancels those running; what finished is kept. */
  signal?: AbortSignal | undefined;
}

/**
 * Checks the packages at `paths` on this machine, `jobs` at a time, into RESULTS (see ResultsStore):
 * a package whose content and options already have a line is skipped, so an interrupted run resumes
 * where it stopped. A package that cannot be checked gets a line with verdict "error" and its typed
 * error; the batch goes on.
 */
export async function runEmbedded(paths: readonly string[], options: EmbeddedOptions): Promise<BatchCounts> {
  const store = await ResultsStore.open(options.out);
  const pool = new WorkerPool();
  preparePassWorkers(pool);
  const counts = emptyCounts(paths.length);
  const claimed = new Map<string, string>();
  try {
    await forEachLimited(
      paths,
      options.jobs ?? availableParallelism(),
      async (path) => {
        let task: BatchTask | null = null;
        const began = performance.now();
        try {
          task = await taskFor(path, options);
          const first = claimed.get(task.id);
          if (first !== undefined) counts.duplicates.push({ path, sameAs: first });
          else if (store.has(task.id)) counts.skipped++;
          else {
            claimed.set(task.id, path);
            const line = await checkForBatch(task, pool, options.signal);
            await store.append(line);
            counts[line.verdict]++;
          }
        } catch (err) {
          if (err instanceof StemkitError && err.code === 'E_ABORTED' && options.signal?.aborted) return;
          const base = task ? { id: task.id, path: task.path, hash: task.hash, profile: task.profile } : unhashable(path, options);
          if (await store.append(lineFromError(errorJson(err), base, Math.round(performance.now() - began)))) counts.error++;
        }
        options.onProgress?.(counts);
      },
      options.signal,
    );
    throwIfAborted(options.signal, 'the batch');
    return counts;
  } finally {
    await pool.close();
    await store.close();
  }
}
