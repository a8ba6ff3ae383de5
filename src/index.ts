/** stemkit's library entry: everything a program needs to read, write and stream audio. */
export { openAudio } from './audio/open.js';
export type { AudioFormat, AudioMeta, AudioSource, BextInfo, ChunkInfo, Container, Encoding, OpenOptions } from './audio/types.js';
export { channelLayout, defaultChannelMask, loudnessWeight } from './audio/channels.js';
export { createWavWriter, type AudioSink, type WavWriterOptions, type WriteReport } from './audio/wav/write.js';
export type { BextFields } from './audio/wav/metadata.js';
export type { WriteSampleFormat } from './audio/pcm-encode.js';
export { lockstep, type LockstepBlock, type LockstepOptions, type Progress } from './engine/lockstep.js';
export { WorkerPool } from './engine/pool.js';
export { splitRange, type Segment } from './engine/segments.js';
export { sampleStatsParallel } from './engine/parallel.js';
export { SampleStats, type SampleStatsResult } from './dsp/sample-stats.js';
export { StemkitError, isStemkitError, type StemkitErrorCode } from './errors.js';
