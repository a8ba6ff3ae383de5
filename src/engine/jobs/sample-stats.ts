import { openAudio } from '../../audio/open.js';
import { SampleStats, type SampleStatsResult } from '../../dsp/sample-stats.js';
import { lockstep } from '../lockstep.js';
import type { Segment } from '../segments.js';

export interface SampleStatsJob extends Segment {
  path: string;
}

/** Worker job: sample statistics of one time segment of one file. */
export async function sampleStatsJob(job: SampleStatsJob): Promise<SampleStatsResult> {
  const source = await openAudio(job.path);
  try {
    const stats = new SampleStats(source.format.channels);
    for await (const block of lockstep([source], { start: job.start, end: Math.min(job.end, source.format.frames) })) {
      stats.push(block.data[0]!, block.frames);
    }
    return stats.result();
  } finally {
    await source.close();
  }
}
