import { StemkitError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import type { AudioSource, OpenOptions } from '../types.js';
import { Mp4AlacSource } from './alac-source.js';
import { readMp4, type Mp4Info, type Mp4Track } from './read.js';

/** The audio track `options.track` (default 0) of an MP4, with the file's boxes. */
export async function mp4Track(file: ByteSource, options: OpenOptions = {}): Promise<{ info: Mp4Info; track: Mp4Track }> {
  const info = await readMp4(file);
  const index = options.track ?? 0;
  const track = info.tracks[index];
  if (!track) {
    throw new StemkitError('E_USAGE', `${file.path}: no audio track ${index} (the file has ${info.tracks.length})`, { file: file.path, hint: `choose a track from 0 to ${info.tracks.length - 1}` });
  }
  return { info, track };
}

/**
 * An MP4 audio track as an AudioSource: ALAC is decoded here (portable, any ByteSource). AAC is
 * not: stemkit ships no AAC decoder, and the Node `openAudio` decodes it with FFmpeg instead.
 */
export async function openMp4(file: ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  const { info, track } = await mp4Track(file, options);
  return trackSource(file, info, track);
}

/** The AudioSource of a track whose boxes are already read (ALAC), or the E_UNSUPPORTED that names its codec. */
export function trackSource(file: ByteSource, info: Mp4Info, track: Mp4Track): AudioSource {
  if (track.codec === 'alac') return new Mp4AlacSource(file, info, track);
  if (track.codec === 'mp4a') {
    throw new StemkitError('E_UNSUPPORTED', `${file.path}: AAC in MP4 is decoded only by FFmpeg, which this environment does not offer`, {
      file: file.path,
      hint: 'open the file by path in Node with ffmpeg installed (apt-get install ffmpeg), or deliver WAV, FLAC or ALAC',
    });
  }
  throw new StemkitError('E_UNSUPPORTED', `${file.path}: '${track.codec}' audio in MP4 is not supported (stemkit reads ALAC, and AAC through FFmpeg)`, { file: file.path, hint: 'deliver WAV, FLAC or ALAC' });
}
