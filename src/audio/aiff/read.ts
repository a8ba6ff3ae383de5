import { StemkitError } from '../../errors.js';
import { channelLayout } from '../channels.js';
import { fourcc, readU16, readU32, walkChunks, type RawChunk } from '../iff.js';
import type { SampleLayout } from '../pcm.js';
import { PcmSource } from '../pcm-source.js';
import type { ByteSource } from '../byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource, Encoding, OpenOptions } from '../types.js';
import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../wav/read.js';

interface CommFields {
  channels: number;
  frames: number;
  sampleSize: number;
  sampleRate: number;
  compression: string;
}

/** AIFF-C compression types that are plain samples, by the layout they imply. */
const COMPRESSIONS: Record<string, { kind: SampleLayout['kind']; bigEndian: boolean; bytes?: number; encoding: Encoding }> = {
  NONE: { kind: 'int', bigEndian: true, encoding: 'pcm' },
  twos: { kind: 'int', bigEndian: true, encoding: 'pcm' },
  in24: { kind: 'int', bigEndian: true, bytes: 3, encoding: 'pcm' },
  in32: { kind: 'int', bigEndian: true, bytes: 4, encoding: 'pcm' },
  sowt: { kind: 'int', bigEndian: false, encoding: 'pcm' },
  fl32: { kind: 'float', bigEndian: true, bytes: 4, encoding: 'float' },
  FL32: { kind: 'float', bigEndian: true, bytes: 4, encoding: 'float' },
  fl64: { kind: 'float', bigEndian: true, bytes: 8, encoding: 'float' },
  FL64: { kind: 'float', bigEndian: true, bytes: 8, encoding: 'float' },
  ulaw: { kind: 'mulaw', bigEndian: true, bytes: 1, encoding: 'mulaw' },
  ULAW: { kind: 'mulaw', bigEndian: true, bytes: 1, encoding: 'mulaw' },
  alaw: { kind: 'alaw', bigEndian: true, bytes: 1, encoding: 'alaw' },
  ALAW: { kind: 'alaw', bigEndian: true, bytes: 1, encoding: 'alaw' },
};

const TEXT_CHUNKS: Record<string, string> = { NAME: 'name', AUTH: 'author', ANNO: 'annotation', '(c) ': 'copyright' };

/** IEEE 754 80-bit extended (the AIFF sample rate): sign, 15-bit exponent, 64-bit mantissa. */
export function readExtended(bytes: Uint8Array, at: number): number {
  const signExp = readU16(bytes, at, true);
  const exponent = signExp & 0x7fff;
  const mantissa = readU32(bytes, at + 2, true) * 2 ** 32 + readU32(bytes, at + 6, true);
  if (exponent === 0 && mantissa === 0) return 0;
  if (exponent === 0x7fff) return Number.NaN;
  const value = mantissa * 2 ** (exponent - 16383 - 63);
  return signExp & 0x8000 ? -value : value;
}

function bad(path: string, message: string): StemkitError {
  return new StemkitError('E_BAD_HEADER', `${path}: ${message}`, { file: path, hint: 'the file header is damaged; export the file again' });
}

function parseComm(body: Uint8Array, isAifc: boolean, path: string): CommFields {
  if (body.length < 18) throw bad(path, `COMM chunk is ${body.length} bytes, needs 18`);
  const channels = (readU16(body, 0, true) << 16) >> 16;
  const sampleSize = (readU16(body, 6, true) << 16) >> 16;
  const comm: CommFields = {
    channels,
    frames: readU32(body, 2, true),
    sampleSize,
    sampleRate: readExtended(body, 8),
    compression: isAifc && body.length >= 22 ? fourcc(body, 18) : 'NONE',
  };
  if (channels <= 0 || channels > MAX_CHANNELS) throw bad(path, `the header says ${channels} channels`);
  if (sampleSize <= 0 || sampleSize > 64) throw bad(path, `the header says ${sampleSize} bits per sample`);
  if (!(comm.sampleRate >= MIN_SAMPLE_RATE && comm.sampleRate <= MAX_SAMPLE_RATE)) {
    throw bad(path, `the header says a sample rate of ${comm.sampleRate} Hz`);
  }
  return comm;
}

/** Parses an AIFF or AIFF-C file's headers and returns a streaming source over its sound data. */
export async function openAiff(file: ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  const path = file.path;
  const head = await file.bytes(0, 12);
  if (head.length < 12) {
    throw new StemkitError('E_TRUNCATED', `${path}: file ends inside the FORM header`, { file: path, hint: 'the file is cut short; copy or export it again' });
  }
  const form = fourcc(head, 8);
  if (form !== 'AIFF' && form !== 'AIFC') {
    throw new StemkitError('E_NOT_AUDIO', `${path}: an IFF file of type '${form}', not AIFF audio`, {
      file: path,
      hint: 'this is not an audio file; check that the right file was delivered',
    });
  }
  const isAifc = form === 'AIFC';
  const meta: AudioMeta = { bext: null, ixml: null, tags: {}, chunks: [], unknownChunks: [], warnings: [] };
  let comm: CommFields | null = null;
  let ssnd: RawChunk | null = null;
  let ssndOffset = 0;
  /** Set when a chunk runs past the end of the file: the file was cut short. */
  let cut = false;
  const truncated = (where: string) =>
    new StemkitError('E_TRUNCATED', `${path}: file ends inside ${where}`, { file: path, hint: 'the file is cut short; copy or export it again' });

  // The FORM size is ignored: files in the wild (and CPython's tests) carry bogus values.
  const stop = await walkChunks(file, 12, {
    bigEndian: true,
    onChunk: async (chunk) => {
      meta.chunks.push({ id: chunk.id, size: chunk.size, offset: chunk.offset });
      if (chunk.available < chunk.size) cut = true;
      const body = () => file.bytes(chunk.offset + 8, Math.min(chunk.available, 65536));
      if (chunk.id === 'COMM') {
        if (comm) {
          meta.warnings.push(`a second COMM chunk at byte ${chunk.offset} was ignored`);
          return;
        }
        // 18 bytes of AIFF fields, then (AIFF-C) the 4-byte compression type; a COMM cut before them is truncation.
        if (chunk.available < Math.min(chunk.size, isAifc ? 22 : 18)) throw truncated('the COMM chunk');
        comm = parseComm(await body(), isAifc, path);
      } else if (chunk.id === 'SSND') {
        if (ssnd) {
          meta.warnings.push(`a second SSND chunk at byte ${chunk.offset} was ignored`);
          return;
        }
        const header = await file.bytes(chunk.offset + 8, 8);
        if (header.length < 8) throw truncated('the SSND header');
        ssnd = chunk;
        ssndOffset = readU32(header, 0, true);
      } else if (chunk.id in TEXT_CHUNKS) {
        meta.tags[TEXT_CHUNKS[chunk.id]!] = new TextDecoder('latin1').decode(await body()).replace(/\0.*$/s, '').trim();
      } else if (chunk.id === 'COMT' || chunk.id === 'FVER' || chunk.id === 'MARK') {
        // Known AIFF chunks with no bearing on the audio; listed in meta.chunks only.
      } else if (!meta.unknownChunks.includes(chunk.id)) {
        meta.unknownChunks.push(chunk.id);
      }
    },
  });
  if (stop === 'garbage') meta.warnings.push('bytes after the last chunk are not a chunk header (ignored)');

  if (!comm) {
    // The file ends early when a chunk runs past its end, or when the FORM size promises more bytes.
    const formSize = readU32(head, 4, true);
    throw cut || stop === 'cut' || formSize + 8 > file.size ? truncated('its headers, before a COMM chunk') : bad(path, 'no COMM chunk');
  }
  const c: CommFields = comm;
  const compression = COMPRESSIONS[c.compression];
  if (!compression) {
    throw new StemkitError('E_UNSUPPORTED', `${path}: AIFF-C compression '${c.compression}' is not supported`, {
      file: path,
      hint: 'export uncompressed AIFF, AIFF-C (NONE/sowt/fl32) or WAV',
    });
  }
  const bytes = compression.bytes ?? Math.ceil(c.sampleSize / 8);
  const layout: SampleLayout = { kind: compression.kind, bytes, bigEndian: compression.bigEndian };
  const bitDepth = compression.encoding === 'pcm' ? Math.min(c.sampleSize, bytes * 8) : compression.encoding === 'float' ? bytes * 8 : 8;

  let frames = c.frames;
  let dataOffset = 0;
  {
    if (!ssnd) throw new StemkitError('E_TRUNCATED', `${path}: no SSND (sound data) chunk`, { file: path, hint: 'the file is cut short or damaged; export it again' });
    const s: RawChunk = ssnd;
    dataOffset = s.offset + 16 + ssndOffset;
    const bytesPerFrame = bytes * c.channels;
    const availableFrames = Math.floor(Math.max(0, Math.min(s.offset + 8 + s.available, file.size) - dataOffset) / bytesPerFrame);
    // A complete SSND chunk that holds fewer frames than COMM declares is an inconsistent header,
    // not a cut file: sox, ffmpeg and taglib read the complete frames, and so does stemkit.
    const declaredFrames = Math.floor(Math.max(0, s.offset + 8 + s.size - dataOffset) / bytesPerFrame);
    const chunkComplete = s.available >= s.size && s.offset + 8 + s.size <= file.size;
    if (chunkComplete && declaredFrames < frames) {
      meta.warnings.push(`COMM declares ${frames} frames but the complete SSND chunk holds ${declaredFrames}: reading those ${declaredFrames}`);
      frames = declaredFrames;
    }
    if (availableFrames < frames) {
      if (!options.allowTruncated) {
        throw new StemkitError('E_TRUNCATED', `${path}: sound data is cut short: ${availableFrames} of ${frames} frames present`, {
          file: path,
          hint: 'the file was not fully written or copied; export or copy it again',
        });
      }
      meta.warnings.push(`sound data is cut short: ${availableFrames} of ${frames} frames present`);
      frames = availableFrames;
    }
  }
  const format: AudioFormat = {
    container: isAifc ? 'aifc' : 'aiff',
    encoding: compression.encoding,
    bitDepth,
    sampleRate: c.sampleRate,
    channels: c.channels,
    channelMask: null,
    channelLayout: channelLayout(c.channels, null),
    frames,
    containerBits: bytes * 8,
    bigEndian: compression.bigEndian,
  };
  return new PcmSource(file, format, meta, dataOffset, layout);
}
