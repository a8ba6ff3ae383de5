import { openAudio } from '../../src/audio/open.js';
import { SampleStats, type SampleStatsResult } from '../../src/dsp/sample-stats.js';
import { lockstep } from '../../src/engine/lockstep.js';
import type { Segment } from '../../src/engine/segments.js';

/** A worker-pool job for the engine tests: sample statistics of one time segment of one file. */
export async function sampleStatsJob(job: Segment & { path: string }): Promise<SampleStatsResult> {
  const source = await openAudio(job.path);
  try {
    const stats = new SampleStats(source.format.channels);
    for await (const block of lockstep([source], { start: job.start, end: Math.min(job.end, source.format.frames) })) stats.push(block.data[0]!, block.frames);
    return stats.result();
  } finally {
    await source.close();
  }
}
