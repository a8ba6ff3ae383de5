import { openAudio } from '../audio/open.js';
import { SampleStats, type SampleStatsResult } from '../dsp/sample-stats.js';
import type { WorkerPool } from './pool.js';
import { splitRange } from './segments.js';
import type { SampleStatsJob } from './jobs/sample-stats.js';

const SAMPLE_STATS_JOB = new URL(import.meta.url.endsWith('.ts') ? './jobs/sample-stats.ts' : './jobs/sample-stats.js', import.meta.url);

/** Segments shorter than this are not worth a worker round trip. */
const MIN_SEGMENT_FRAMES = 1 << 18;

/**
 * Sample peak/DC/RMS of each file, each split into time segments spread over the pool and merged:
 * the pattern later meters follow (measure segments anywhere, merge exactly).
 */
export async function sampleStatsParallel(paths: string[], pool: WorkerPool): Promise<SampleStatsResult[]> {
  return Promise.all(
    paths.map(async (path) => {
      const source = await openAudio(path);
      const frames = source.format.frames;
      await source.close();
      const segments = splitRange(0, frames, pool.size * 2, MIN_SEGMENT_FRAMES);
      if (segments.length === 0) return new SampleStats(source.format.channels).result();
      const parts = await Promise.all(
        segments.map((segment) => pool.run<SampleStatsJob, SampleStatsResult>(SAMPLE_STATS_JOB, 'sampleStatsJob', { path, ...segment })),
      );
      return SampleStats.merge(parts);
    }),
  );
}
