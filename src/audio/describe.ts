import { openAudio } from './open.js';
import type { AudioSource, BextInfo } from './types.js';
import { errorJson, type ErrorReport } from '../errors.js';

/**
 * Header facts of audio files as plain data (what `stemkit info --json` prints): container,
 * format, BWF fields, chunks and warnings, without decoding any audio.
 */
export interface InfoEntry {
  path: string;
  container?: string;
  encoding?: string;
  bitDepth?: number;
  sampleRate?: number;
  channels?: number;
  channelMask?: number | null;
  channelLayout?: string[];
  frames?: number;
  durationSec?: number;
  bext?: Pick<BextInfo, 'description' | 'originator' | 'originatorReference' | 'originationDate' | 'originationTime' | 'timeReference' | 'version'> | null;
  ixml?: string | null;
  tags?: Record<string, string>;
  chunks?: { id: string; size: number }[];
  warnings?: string[];
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
