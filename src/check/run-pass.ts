import { splitRange } from '../engine/segments.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import { PassMerger, runPass, type PassInput, type PassResult } from './pass.js';
import { whenAborted } from '../progress.js';

const PASS_JOB = siblingModule(import.meta.url, 'pass');
/** Below this many seconds a package is measured inline: a worker's start-up would cost more than it saves. */
const MIN_PARALLEL_SECONDS = 40;
/** Time segments per worker (each re-reads 3.5 s of pre-roll, and the main thread merges every part). */
const SEGMENTS_PER_WORKER = 1;
/** Upper bound on time segments per pass. */
const MAX_SEGMENTS = 16;
/** Segment boundaries on the 400 ms pair-window grid keep windowed analyses identical to a serial run. */
const GRID_SECONDS = 0.4;

/**
 * Starts the pool's workers and loads the pass into them, so that this overlaps with whatever the
 * caller does next (discovering and probing files) instead of delaying the first segment.
 */
export function preparePassWorkers(pool: WorkerPool): void {
  for (let i = 0; i < pool.size; i++) pool.run(PASS_JOB, 'workerReady', null).catch(() => undefined);
}

/**
 * Runs the measuring pass over [0, totalFrames), split into time segments across the worker pool
 * when there is one and the material is long enough, and merges the segments.
 */
export async function measurePass(
  input: Omit<PassInput, 'start' | 'end'>,
  sampleRate: number,
  pool: WorkerPool | null,
  onProgress?: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<PassResult> {
  const total = input.totalFrames;
  if (!pool || total < MIN_PARALLEL_SECONDS * sampleRate) return runPass({ ...input, start: 0, end: total }, onProgress, signal);
  // One segment per worker whatever the length: memory does not depend on the duration (block
  // buffers are reused, meters are O(1)), and each extra segment costs a pre-roll and a merge of
  // every file's histograms on the main thread, which shares the cores with the workers.
  // Workers report progress within their segments.
  const count = Math.min(MAX_SEGMENTS, SEGMENTS_PER_WORKER * pool.size);
  const segments = splitRange(0, total, count, 10 * sampleRate, Math.round(GRID_SECONDS * sampleRate));
  const done = segments.map(() => 0);
  const update = (index: number, fraction: number) => {
    done[index] = fraction * (segments[index]!.end - segments[index]!.start);
    onProgress?.(done.reduce((a, b) => a + b, 0) / Math.max(1, total));
  };
  // Parts are merged in time order as they arrive, so the main thread holds a few at a time (a
  // part carries every file's loudness histograms), not one per segment.
  const merger = new PassMerger();
  const waiting = new Map<number, PassResult>();
  let next = 0;
  // Workers cannot be interrupted mid-segment: on abort the caller stops waiting (E_ABORTED) and
  // the segments still running finish into nothing.
  const aborted = whenAborted(signal, 'the check');
  aborted.catch(() => undefined);
  await Promise.all(
    segments.map(async (segment, index) => {
      const part = await Promise.race([pool.run<PassInput, PassResult>(PASS_JOB, 'runPass', { ...input, ...segment }, [], (f) => update(index, f)), aborted]);
      waiting.set(index, part);
      for (let ready = waiting.get(next); ready; ready = waiting.get(next)) {
        waiting.delete(next++);
        merger.add(ready);
      }
      update(index, 1);
    }),
  );
  return merger.result();
}
