import { splitRange } from '../engine/segments.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import { mergePasses, runPass, type PassInput, type PassResult } from './pass.js';

const PASS_JOB = siblingModule(import.meta.url, 'pass');
/** Below this many seconds a package is measured inline: a worker's start-up would cost more than it saves. */
const MIN_PARALLEL_SECONDS = 40;
/** Material per segment beyond one per worker: each segment re-reads 3.5 s of pre-roll. */
const SEGMENT_SECONDS = 120;
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
  onSegmentDone?: (done: number, total: number) => void,
): Promise<PassResult> {
  const total = input.totalFrames;
  if (!pool || total < MIN_PARALLEL_SECONDS * sampleRate) {
    const result = await runPass({ ...input, start: 0, end: total });
    onSegmentDone?.(1, 1);
    return result;
  }
  // At least one segment per worker; more for long material (finer progress and balance), each costing its pre-roll.
  const count = Math.max(pool.size, Math.min(MAX_SEGMENTS, Math.floor(total / (SEGMENT_SECONDS * sampleRate))));
  const segments = splitRange(0, total, count, 10 * sampleRate, Math.round(GRID_SECONDS * sampleRate));
  let done = 0;
  const parts = await Promise.all(
    segments.map(async (segment) => {
      const part = await pool.run<PassInput, PassResult>(PASS_JOB, 'runPass', { ...input, ...segment });
      onSegmentDone?.(++done, segments.length);
      return part;
    }),
  );
  return mergePasses(parts);
}
