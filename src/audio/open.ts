import type { ByteSource } from './byte-source.js';
import { openAudioBytes } from './open-bytes.js';
import { RangeFile } from './range-file.js';
import type { AudioSource, OpenOptions } from './types.js';

/**
 * Opens any audio file stemkit reads, by path (Node) or from any ByteSource, choosing the reader
 * by content, never by extension: a mislabelled .wav that is really AIFF still opens, and an MP3
 * named .wav is named as MP3. The source is closed with the returned AudioSource.
 */
export async function openAudio(input: string | ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  return openAudioBytes(typeof input === 'string' ? await RangeFile.open(input) : input, options);
}
