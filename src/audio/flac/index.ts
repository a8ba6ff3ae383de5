import type { AudioSource, OpenOptions } from '../types.js';
import { FlacSource } from './source.js';
import type { ByteSource } from '../byte-source.js';

export { FlacSource, type FlacOpenOptions } from './source.js';
export type { StreamInfo } from './metadata.js';

/**
 * Opens a FLAC file ('fLaC', optionally behind an ID3v2 tag) as a random-access AudioSource.
 * Only the headers and a few KB at the end are read here; audio is read in ranges on demand.
 * When STREAMINFO does not state the length, it is taken from the last frame's sample number
 * (a look at the end of the file); if that is unreadable, every frame is walked once (CRC
 * checks only, no decoding, constant memory) to count the samples.
 */
export async function openFlac(file: ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  return FlacSource.open(file, options);
}
