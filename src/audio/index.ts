/**
 * `stemkit/audio`: the readers without Node — WAV, RF64/BW64, AIFF/AIFF-C and FLAC from any
 * ByteSource (an ArrayBuffer, a Blob, a URL read by HTTP Range requests), for a browser page or a
 * worker. In Node, `openAudio(path)` from 'stemkit' opens files by path as well.
 */
export { openAudioBytes } from './open-bytes.js';
export { BlobBytes, CachedByteSource, HttpBytes, MemoryBytes, type ByteSource } from './byte-source.js';
export { channelLayout, defaultChannelMask, loudnessWeight } from './channels.js';
export type { AudioFormat, AudioMeta, AudioSource, BextInfo, ChunkInfo, Container, Encoding, OpenOptions } from './types.js';
