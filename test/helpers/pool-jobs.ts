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

/** A worker-pool job with a bug in it: it throws what is not a StemkitError (an Error, or not even that). */
export async function buggyJob(input: { throws: 'error' | 'string' }): Promise<never> {
  await Promise.resolve();
  if (input.throws === 'string') throw 'a thrown string';
  throw new TypeError("Cannot read properties of undefined (reading 'frames')");
}

/** A job that meets a raw Node file-system error (an errno code and a path), as code outside the readers may. */
export async function readRawJob(input: { path: string }): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(input.path)).length;
}
