import type { ByteSource } from './byte-source.js';
import { openAudioBytes } from './open-bytes.js';
import { RangeFile } from './range-file.js';
import type { AudioSource, OpenOptions } from './types.js';
import type { Mp4Info } from './mp4/read.js';

/**
 * Opens any audio file stemkit reads, by path (Node) or from any ByteSource, choosing the reader
 * by content, never by extension: a mislabelled .wav that is really AIFF still opens, and an MP3
 * named .wav is named as MP3. The source is closed with the returned AudioSource.
 */
export async function openAudio(input: string | ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  if (typeof input !== 'string') return openAudioBytes(input, options);
  const file = await RangeFile.open(input);
  try {
    if (String.fromCharCode(...(await file.bytes(4, 4))) === 'ftyp') {
      // An MP4's boxes are read once here: an AAC track goes to FFmpeg (by path), anything else to its reader.
      const { mp4Track, trackSource } = await import('./mp4/open.js');
      const { info, track } = await mp4Track(file, options);
      if (track.codec === 'mp4a') {
        await file.close();
        return await openAacTrack(input, info, options);
      }
      const source = trackSource(file, info, track);
      file.forgetHeaderBytes();
      return source;
    }
  } catch (err) {
    await file.close();
    throw err;
  }
  return openAudioBytes(file, options);
}

/** An AAC track, decoded by FFmpeg into a private temporary WAV that goes when the source is closed. */
async function openAacTrack(path: string, info: Mp4Info, options: OpenOptions): Promise<AudioSource> {
  const [{ mkdtemp, rm }, { tmpdir }, { join }, { extractTrack }] = await Promise.all([
    import('node:fs/promises'),
    import('node:os'),
    import('node:path'),
    import('./mp4/extract.js'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'stemkit-aac-'));
  try {
    const wav = join(dir, 'track.wav');
    await extractTrack(path, info, options.track ?? 0, wav);
    const decoded = await openAudioBytes(await RangeFile.open(wav), options);
    return {
      path,
      format: { ...decoded.format, container: 'mp4' },
      meta: { ...decoded.meta, tags: info.tags, warnings: [...decoded.meta.warnings, 'AAC decoded by FFmpeg (lossy: the samples are the decoder\'s, not the original\'s)'] },
      read: (start, frames, into) => decoded.read(start, frames, into),
      close: async () => {
        await decoded.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
