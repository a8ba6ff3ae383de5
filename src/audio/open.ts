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
  const file = typeof input === 'string' ? await RangeFile.open(input) : input;
  if (typeof input === 'string' && (await isAacMp4(file, options))) {
    await file.close();
    return openAacTrack(input, options);
  }
  return openAudioBytes(file, options);
}

async function isAacMp4(file: ByteSource, options: OpenOptions): Promise<boolean> {
  if (String.fromCharCode(...(await file.bytes(4, 4))) !== 'ftyp') return false;
  const { mp4Track } = await import('./mp4/open.js');
  return (await mp4Track(file, options)).track.codec === 'mp4a';
}

/** An AAC track, decoded by FFmpeg into a private temporary WAV that goes when the source is closed. */
async function openAacTrack(path: string, options: OpenOptions): Promise<AudioSource> {
  const [{ mkdtemp, rm }, { tmpdir }, { join }, { extractTrack }, { mp4Track }] = await Promise.all([
    import('node:fs/promises'),
    import('node:os'),
    import('node:path'),
    import('./mp4/extract.js'),
    import('./mp4/open.js'),
  ]);
  const file = await RangeFile.open(path);
  const { info } = await mp4Track(file, options).finally(() => file.close());
  const dir = await mkdtemp(join(tmpdir(), 'stemkit-aac-'));
  try {
    const wav = join(dir, 'track.wav');
    await extractTrack(path, info.tracks, options.track ?? 0, wav);
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
