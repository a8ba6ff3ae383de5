import { RangeFile } from '../range-file.js';
import { writeWavFile } from '../wav/write.js';
import { Mp4AlacSource } from './alac-source.js';
import type { Mp4Info } from './read.js';

/** Decodes ALAC track `index` (stemkit's decoder, bit-exact) into an integer WAV of its bit depth. */
export async function decodeAlacTrack(mp4Path: string, info: Mp4Info, index: number, wavPath: string): Promise<void> {
  const source = new Mp4AlacSource(await RangeFile.open(mp4Path), info, info.tracks[index]!);
  try {
    const { sampleRate, channels, bitDepth, frames } = source.format;
    await writeWavFile(wavPath, { sampleRate, channels, format: bitDepth <= 16 ? 'pcm16' : bitDepth <= 24 ? 'pcm24' : 'pcm32' }, async (sink) => {
      for (let at = 0; at < frames; at += 65536) await sink.write(await source.read(at, Math.min(65536, frames - at)));
    });
  } finally {
    await source.close();
  }
}
