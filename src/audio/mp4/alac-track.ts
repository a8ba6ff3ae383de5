import { RangeFile } from '../range-file.js';
import { createWavWriter } from '../wav/write.js';
import { openMp4 } from './open.js';
import type { Mp4Track } from './read.js';

/** Decodes an ALAC track (stemkit's decoder, bit-exact) into an integer WAV of its bit depth. */
export async function decodeAlacTrack(mp4Path: string, index: number, wavPath: string): Promise<void> {
  const source = await openMp4(await RangeFile.open(mp4Path), { track: index });
  const { sampleRate, channels, bitDepth, frames } = source.format;
  const sink = await createWavWriter(wavPath, { sampleRate, channels, format: bitDepth <= 16 ? 'pcm16' : bitDepth <= 24 ? 'pcm24' : 'pcm32' });
  try {
    for (let at = 0; at < frames; at += 65536) await sink.write(await source.read(at, Math.min(65536, frames - at)));
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    await source.close();
  }
}
