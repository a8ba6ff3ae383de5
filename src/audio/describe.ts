import { openAudio } from './open.js';
import type { AudioSource, BextInfo } from './types.js';
import { errorJson, type ErrorReport } from '../errors.js';

/**
 * Header facts of audio files as plain data (what `stemkit info --json` prints): container,
 * format, BWF fields, chunks and warnings, without decoding any audio.
 */
export interface InfoEntry {
  /** The file as it was named (the source's path). */
  path: string;
  /** The container (AudioFormat.container); absent when the file could not be read. */
  container?: string;
  /** How samples are stored (AudioFormat.encoding). */
  encoding?: string;
  /** Significant bits per sample. */
  bitDepth?: number;
  /** Hz. */
  sampleRate?: number;
  /** Channels per frame. */
  channels?: number;
  /** WAVE channel mask (speaker bits); null when the file does not state one. */
  channelMask?: number | null;
  /** Speaker labels in channel order ("?" for unassigned channels). */
  channelLayout?: string[];
  /** Sample frames (samples per channel). */
  frames?: number;
  /** Duration, seconds: frames ÷ sample rate. */
  durationSec?: number;
  /** The `bext` chunk's identifying fields; null when the file has none. */
  bext?: Pick<BextInfo, 'description' | 'originator' | 'originatorReference' | 'originationDate' | 'originationTime' | 'timeReference' | 'version'> | null;
  /** The iXML chunk's XML text; null when the file has none. */
  ixml?: string | null;
  /** Text tags (LIST/INFO, AIFF text chunks, Vorbis comments) by key. */
  tags?: Record<string, string>;
  /** Every chunk or metadata block in file order: its id and declared size in bytes. */
  chunks?: { id: string; size: number }[];
  /** Problems the reader tolerated. */
  warnings?: string[];
  /** Why the file could not be read; only the path comes with it. */
  error?: ErrorReport;
}

/** Header facts of one file (no audio is decoded). */
export function describeSource(source: AudioSource): InfoEntry {
  const { format: f, meta } = source;
  const bext = meta.bext;
  return {
    path: source.path,
    container: f.container,
    encoding: f.encoding,
    bitDepth: f.bitDepth,
    sampleRate: f.sampleRate,
    channels: f.channels,
    channelMask: f.channelMask,
    channelLayout: f.channelLayout,
    frames: f.frames,
    durationSec: f.frames / f.sampleRate,
    bext: bext && {
      description: bext.description,
      originator: bext.originator,
      originatorReference: bext.originatorReference,
      originationDate: bext.originationDate,
      originationTime: bext.originationTime,
      timeReference: bext.timeReference,
      version: bext.version,
    },
    ixml: meta.ixml,
    tags: meta.tags,
    chunks: meta.chunks.map(({ id, size }) => ({ id, size })),
    warnings: meta.warnings,
  };
}

/** Header facts of each file, in the order given; a file that cannot be opened gets an `error` entry instead. */
export async function collectInfo(paths: string[]): Promise<InfoEntry[]> {
  return Promise.all(
    paths.map(async (path) => {
      try {
        const source = await openAudio(path);
        const entry = describeSource(source);
        await source.close();
        return entry;
      } catch (err) {
        return { path, error: errorJson(err) };
      }
    }),
  );
}
