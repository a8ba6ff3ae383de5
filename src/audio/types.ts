/** The containers stemkit recognises by content. */
export type Container = 'wav' | 'rifx' | 'rf64' | 'bw64' | 'aiff' | 'aifc' | 'flac' | 'mp4';

/** How samples are stored: linear integers, IEEE float, or G.711 companding. */
export type Encoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

/** An audio file's format, from its headers. */
export interface AudioFormat {
  /** The container the file's signature says it is. */
  container: Container;
  /** How its samples are stored. */
  encoding: Encoding;
  /** Significant bits per sample (WAVE_FORMAT_EXTENSIBLE validBits when given, else the stored width). */
  bitDepth: number;
  /** Hz. */
  sampleRate: number;
  /** Channels per frame. */
  channels: number;
  /** WAVE channel mask (speaker bits); null when the file does not state one. */
  channelMask: number | null;
  /** Speaker labels in channel order, e.g. ["L","R","C","LFE","Ls","Rs"]; "?" for unassigned channels. */
  channelLayout: string[];
  /** Sample frames (samples per channel). */
  frames: number;
  /** Bits each sample occupies in the file (24-in-32 files: 32). FLAC: same as bitDepth. */
  containerBits: number;
  /** True for big-endian storage (RIFX, AIFF); false for FLAC and little-endian files. */
  bigEndian: boolean;
}

/** Options of `openAudio` and `openAudioBytes`. */
export interface OpenOptions {
  /**
   * Read what is there when the audio data ends before its declared size, instead of failing
   * with E_TRUNCATED. The shortfall is listed in `meta.warnings`. Default false: a stem that lost
   * its end is a broken delivery, and `check` must say so rather than measure a shorter file.
   */
  allowTruncated?: boolean;
  /** Which audio track of a multi-track file (an NI Stems .stem.mp4: 0 the mix, 1–4 the stems); default 0. */
  track?: number;
}

/** Broadcast Wave `bext` chunk (EBU Tech 3285). */
export interface BextInfo {
  /** Free text, up to 256 characters. */
  description: string;
  /** Who made the file (a person, a program), up to 32 characters. */
  originator: string;
  /** The originator's reference for the file, up to 32 characters. */
  originatorReference: string;
  /** yyyy-mm-dd as written. */
  originationDate: string;
  /** hh:mm:ss as written. */
  originationTime: string;
  /** Samples since midnight of the first sample: the file's position on the timeline. */
  timeReference: number;
  /** The chunk's version as written (0 when the chunk is too short to hold one); loudness fields from 2 on. */
  version: number;
  /** SMPTE UMID as hex, empty when all zero (v1+). */
  umid: string;
  /** Loudness fields of bext v2; null when the version is below 2 or the field is unset (0x7FFF). */
  loudnessValue: number | null;
  /** Loudness range, LU (bext v2); null as for loudnessValue. */
  loudnessRange: number | null;
  /** Maximum true peak, dBTP (bext v2); null as for loudnessValue. */
  maxTruePeakLevel: number | null;
  /** Maximum momentary loudness, LUFS (bext v2); null as for loudnessValue. */
  maxMomentaryLoudness: number | null;
  /** Maximum short-term loudness, LUFS (bext v2); null as for loudnessValue. */
  maxShortTermLoudness: number | null;
  /** Free text after the fixed fields: the file's processing history (EBU R 98 lines), often empty. */
  codingHistory: string;
}

/** One chunk (WAV, AIFF) or metadata block (FLAC) of a file, where its header says it is. */
export interface ChunkInfo {
  /** The chunk's four-character id ("fmt ", "data", "bext" …), or the FLAC block's name ("STREAMINFO" …). */
  id: string;
  /** Size as declared in the chunk header (after ds64 resolution for RF64). */
  size: number;
  /** Byte offset of the chunk header in the file. */
  offset: number;
}

/** What an audio file says besides its format: metadata chunks, tags, and what the reader tolerated. */
export interface AudioMeta {
  /** The Broadcast Wave `bext` chunk; null when the file has none (always, for AIFF and FLAC). */
  bext: BextInfo | null;
  /** The iXML chunk's XML text; null when the file has none (always, for AIFF and FLAC). */
  ixml: string | null;
  /** LIST/INFO tags (WAV) or NAME/AUTH/ANNO/(c) text chunks (AIFF) or Vorbis comments (FLAC). */
  tags: Record<string, string>;
  /** Every chunk or metadata block, in file order. */
  chunks: ChunkInfo[];
  /** Chunks stemkit does not interpret, by id; kept so `info` can list them. */
  unknownChunks: string[];
  /** Problems the reader tolerated (a truncated data chunk read leniently, a RIFF size that lies …). */
  warnings: string[];
}

/**
 * A random-access reader of one audio file. `read` returns planar Float32 samples
 * scaled so that integer full scale is ±1.0 (int: value / 2^(bits-1)).
 */
export interface AudioSource {
  /** What messages call the file: its path, URL or given name. */
  readonly path: string;
  /** The file's format, from its headers. */
  readonly format: AudioFormat;
  /** The file's metadata, tags and reader warnings. */
  readonly meta: AudioMeta;
  /**
   * Reads `frames` frames starting at `startFrame`; shorter only at the end of the file.
   * `into` (one array per channel, each at least `frames` long) avoids allocation in hot loops.
   */
  read(startFrame: number, frames: number, into?: Float32Array[]): Promise<Float32Array[]>;
  /** Releases the file (its handle, or the bytes it holds); no reads afterwards. */
  close(): Promise<void>;
}
