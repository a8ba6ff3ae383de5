import { StemkitError } from '../../errors.js';
import { channelLayout } from '../channels.js';
import { fourcc, readU16, readU32, readU64LE, walkChunks, type RawChunk } from '../iff.js';
import { detectRightJustified, type SampleLayout } from '../pcm.js';
import { PcmSource } from '../pcm-source.js';
import type { ByteSource } from '../byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource, Container, Encoding, OpenOptions } from '../types.js';
import { decodeXml, parseBext, parseInfoList } from './metadata.js';
import { hexBytes } from '../bytes.js';

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Codecs people meet inside .wav files, named so the error tells them what they have. */
const KNOWN_CODECS: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG audio',
  0x0055: 'MP3',
  0x00ff: 'AAC',
  0x0161: 'Windows Media Audio',
  0x0162: 'Windows Media Audio Pro',
  0x2000: 'Dolby AC-3',
  0xf1ac: 'FLAC',
};

/** Sample rates outside this range are header damage, not audio. */
export const MIN_SAMPLE_RATE = 1;
export const MAX_SAMPLE_RATE = 4_000_000;
/** More channels than any production format (22.2 is 24; Atmos beds and objects stay below 128). */
export const MAX_CHANNELS = 1024;
/** How much audio is inspected to tell left- from right-justified narrow samples. */
const JUSTIFICATION_PROBE_BYTES = 65536;
/** The size fields RF64 and streaming writers leave as placeholders. */
const SIZE_PLACEHOLDER = 0xffffffff;
/** Metadata chunks larger than this are listed but not read (iXML and bext are kilobytes). */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;

interface FmtFields {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  validBits: number | null;
  channelMask: number | null;
}

function bad(path: string, message: string, hint: string): StemkitError {
  return new StemkitError('E_BAD_HEADER', `${path}: ${message}`, { file: path, hint });
}

function parseFmt(body: Uint8Array, bigEndian: boolean, path: string): FmtFields {
  if (body.length < 16) throw bad(path, `fmt chunk is ${body.length} bytes, needs at least 16`, 'the file header is damaged; export the file again');
  const fields: FmtFields = {
    formatTag: readU16(body, 0, bigEndian),
    channels: readU16(body, 2, bigEndian),
    sampleRate: readU32(body, 4, bigEndian),
    blockAlign: readU16(body, 12, bigEndian),
    bitsPerSample: readU16(body, 14, bigEndian),
    validBits: null,
    channelMask: null,
  };
  // cbSize is often garbage (hound's Quake file); trust the chunk length, not cbSize.
  if (fields.formatTag === FORMAT_EXTENSIBLE) {
    if (body.length < 40) throw bad(path, 'WAVE_FORMAT_EXTENSIBLE fmt chunk is shorter than 40 bytes', 'the file header is damaged; export the file again');
    fields.validBits = readU16(body, 18, bigEndian);
    fields.channelMask = readU32(body, 20, bigEndian);
    // The SubFormat GUID starts with the format tag it stands for (Data1, in the file's byte order).
    fields.formatTag = readU32(body, 24, bigEndian);
    // The rest of KSDATAFORMAT_SUBTYPE_*: Data2/Data3 little-endian in RIFF, big-endian in RIFX.
    const guidTail = hexBytes(body.subarray(28, 40));
    if (guidTail !== '00001000800000aa00389b71' && guidTail !== '00000010800000aa00389b71') {
      throw new StemkitError('E_UNSUPPORTED', `${path}: WAVE_FORMAT_EXTENSIBLE with a non-standard SubFormat GUID`, {
        file: path,
        hint: 'convert the file to PCM or float WAV',
      });
    }
  }
  return fields;
}

function sampleLayoutOf(fmt: FmtFields, bigEndian: boolean, path: string): { layout: SampleLayout; encoding: Encoding; bitDepth: number } {
  const { formatTag, channels, sampleRate, blockAlign, bitsPerSample } = fmt;
  if (formatTag !== FORMAT_PCM && formatTag !== FORMAT_FLOAT && formatTag !== FORMAT_ALAW && formatTag !== FORMAT_MULAW) {
    const name = KNOWN_CODECS[formatTag] ?? `format tag 0x${formatTag.toString(16).padStart(4, '0')}`;
    throw new StemkitError('E_UNSUPPORTED', `${path}: ${name} WAV is not supported`, {
      file: path,
      hint: 'export the stems as PCM (16/24/32-bit) or 32-bit float WAV',
    });
  }
  if (channels === 0) throw bad(path, 'the header says 0 channels', 'the file header is damaged; export the file again');
  if (channels > MAX_CHANNELS) throw bad(path, `the header says ${channels} channels`, 'the file header is damaged; export the file again');
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw bad(path, `the header says a sample rate of ${sampleRate} Hz`, 'the file header is damaged; export the file again');
  }
  if (bitsPerSample === 0) throw bad(path, 'the header says 0 bits per sample', 'the file header is damaged; export the file again');
  if (bitsPerSample > 64) throw bad(path, `the header says ${bitsPerSample} bits per sample`, 'the file header is damaged; export the file again');

  const minimumBytes = Math.ceil(bitsPerSample / 8);
  // 24-in-32 files written as plain PCM (arecord S24_LE) say so only through blockAlign.
  let bytes = minimumBytes;
  if (blockAlign !== channels * minimumBytes) {
    const perChannel = blockAlign / channels;
    if (!Number.isInteger(perChannel) || perChannel < minimumBytes || perChannel > 8) {
      throw bad(
        path,
        `blockAlign ${blockAlign} does not fit ${channels} channel(s) of ${bitsPerSample}-bit samples (expected ${channels * minimumBytes})`,
        'the header is inconsistent; re-export the file from the DAW',
      );
    }
    bytes = perChannel;
  }
  const validBits = fmt.validBits && fmt.validBits <= bytes * 8 ? Math.min(fmt.validBits, bitsPerSample) : bitsPerSample;

  if (formatTag === FORMAT_FLOAT) {
    if (bytes !== 4 && bytes !== 8) {
      throw new StemkitError('E_UNSUPPORTED', `${path}: ${bitsPerSample}-bit float WAV is not supported`, {
        file: path,
        hint: 'use 32-bit or 64-bit float',
      });
    }
    return { layout: { kind: 'float', bytes, bigEndian }, encoding: 'float', bitDepth: bytes * 8 };
  }
  if (formatTag === FORMAT_ALAW || formatTag === FORMAT_MULAW) {
    if (bytes !== 1) throw bad(path, `G.711 audio with ${bitsPerSample} bits per sample (must be 8)`, 'the file header is damaged');
    const encoding = formatTag === FORMAT_ALAW ? 'alaw' : 'mulaw';
    return { layout: { kind: encoding, bytes: 1, bigEndian }, encoding, bitDepth: 8 };
  }
  // WAVE stores 1..8-bit PCM unsigned, everything wider signed.
  return { layout: { kind: bytes === 1 ? 'uint' : 'int', bytes, bigEndian }, encoding: 'pcm', bitDepth: validBits };
}

/** Parses a RIFF/RIFX/RF64/BW64 WAVE file's headers and returns a streaming source over its data. */
export async function openWav(file: ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  const path = file.path;
  const head = await file.bytes(0, 12);
  if (head.length < 12) {
    throw new StemkitError('E_TRUNCATED', `${path}: file ends inside the RIFF header (${file.size} bytes)`, {
      file: path,
      hint: 'the file is cut short; copy or export it again',
    });
  }
  const magic = fourcc(head, 0);
  const form = fourcc(head, 8);
  if (form !== 'WAVE') {
    throw new StemkitError('E_NOT_AUDIO', `${path}: a ${magic} file of type '${form}', not WAVE audio`, {
      file: path,
      hint: 'this is not an audio file; check that the right file was delivered',
    });
  }
  const bigEndian = magic === 'RIFX';
  const container: Container = magic === 'RIFX' ? 'rifx' : magic === 'RF64' ? 'rf64' : magic === 'BW64' ? 'bw64' : 'wav';
  const is64 = container === 'rf64' || container === 'bw64';
  const riffSize = readU32(head, 4, bigEndian);

  const meta: AudioMeta = { bext: null, ixml: null, tags: {}, chunks: [], unknownChunks: [], warnings: [] };
  let ds64DataSize: number | null = null;
  let seenDs64 = false;
  const ds64Sizes = new Map<string, number>();
  let fmt: FmtFields | null = null;
  let data: RawChunk | null = null;

  /** Set when a chunk (or a chunk header) runs past the end of the file: the file was cut short. */
  let cut = false;
  const readBody = async (chunk: RawChunk, limit = MAX_METADATA_BYTES): Promise<Uint8Array | null> => {
    if (chunk.available < chunk.size) {
      meta.warnings.push(`${chunk.id} chunk at byte ${chunk.offset} is cut off (${chunk.available} of ${chunk.size} bytes)`);
    }
    if (chunk.available > limit) {
      meta.warnings.push(`${chunk.id} chunk of ${chunk.size} bytes was not read (larger than ${limit})`);
      return null;
    }
    return file.bytes(chunk.offset + 8, chunk.available);
  };

  const stop = await walkChunks(file, 12, {
    bigEndian,
    resolveSize: (id, size) => {
      if (!is64 || size !== SIZE_PLACEHOLDER) return size;
      if (id === 'data' && ds64DataSize !== null) return ds64DataSize;
      return ds64Sizes.get(id) ?? size;
    },
    onChunk: async (chunk) => {
      meta.chunks.push({ id: chunk.id, size: chunk.size, offset: chunk.offset });
      if (chunk.available < chunk.size) cut = true;
      switch (chunk.id) {
        case 'ds64': {
          // Only the first ds64 counts (it must be the first chunk); the table is read up to 64 KiB.
          if (seenDs64) {
            meta.warnings.push(`a second ds64 chunk at byte ${chunk.offset} was ignored`);
            return;
          }
          seenDs64 = true;
          const body = await file.bytes(chunk.offset + 8, Math.min(chunk.available, 65536));
          if (body.length >= 24) {
            ds64DataSize = readU64LE(body, 8);
            const tableLength = body.length >= 28 ? readU32(body, 24, false) : 0;
            for (let i = 0, at = 28; i < tableLength && at + 12 <= body.length; i++, at += 12) {
              ds64Sizes.set(fourcc(body, at), readU64LE(body, at + 4));
            }
          }
          return;
        }
        case 'fmt ': {
          if (fmt) {
            meta.warnings.push(`a second fmt chunk at byte ${chunk.offset} was ignored`);
            return;
          }
          // Only the first 40 bytes matter (WAVE_FORMAT_EXTENSIBLE); a fmt chunk cut before them is truncation.
          const want = Math.min(chunk.size, 40);
          const body = await file.bytes(chunk.offset + 8, Math.min(chunk.available, want));
          if (body.length < want) {
            throw new StemkitError('E_TRUNCATED', `${path}: file ends inside the fmt chunk`, { file: path, hint: 'the file is cut short; copy or export it again' });
          }
          fmt = parseFmt(body, bigEndian, path);
          return;
        }
        case 'data': {
          if (data) {
            meta.warnings.push(`a second data chunk at byte ${chunk.offset} was ignored`);
            return;
          }
          if (!fmt) throw bad(path, 'the data chunk comes before the fmt chunk', 'the file is malformed; re-export it');
          data = chunk;
          // A data chunk whose size is a placeholder (0 or 0xFFFFFFFF from a streaming writer) runs to the end of the
          // file. A size of 0 in a file whose RIFF size is exact was finalised: that data chunk really is empty.
          const finalisedEmpty = chunk.size === 0 && !is64 && riffSize + 8 === file.size;
          if ((chunk.size === 0 && !finalisedEmpty) || chunk.size === SIZE_PLACEHOLDER) {
            data = { ...chunk, size: file.size - chunk.offset - 8, available: file.size - chunk.offset - 8 };
            meta.warnings.push(`data chunk size is a placeholder (${chunk.size}); using the rest of the file`);
            meta.chunks[meta.chunks.length - 1]!.size = data.size;
            return false;
          }
          return;
        }
        case 'bext': {
          const body = await readBody(chunk);
          if (body) meta.bext = parseBext(body);
          return;
        }
        case 'iXML': {
          const body = await readBody(chunk);
          if (body) meta.ixml = decodeXml(body);
          return;
        }
        case 'LIST': {
          const body = await readBody(chunk);
          if (body) Object.assign(meta.tags, parseInfoList(body));
          return;
        }
        default:
          if (!meta.unknownChunks.includes(chunk.id)) meta.unknownChunks.push(chunk.id);
      }
    },
  });

  // The file ends early when a chunk runs past its end, or when the RIFF size promises more bytes.
  const endsEarly = cut || stop === 'cut' || (riffSize !== SIZE_PLACEHOLDER && riffSize !== 0 && riffSize + 8 > file.size);
  if (!fmt) {
    throw file.size < 64 || endsEarly
      ? new StemkitError('E_TRUNCATED', `${path}: file ends before a fmt chunk (${file.size} bytes)`, { file: path, hint: 'the file is cut short; copy or export it again' })
      : bad(path, 'no fmt chunk', 'the file is malformed; re-export it');
  }
  if (!data) {
    throw new StemkitError('E_TRUNCATED', `${path}: no audio data chunk`, {
      file: path,
      hint: stop === 'garbage' ? 'the file is damaged after its header; export it again' : 'the file is cut short or was never finished; export it again',
    });
  }
  const fmtFields: FmtFields = fmt;
  const dataChunk: RawChunk = data;
  if (stop === 'garbage') meta.warnings.push('bytes after the last chunk are not a chunk header (ignored)');

  const { layout, encoding, bitDepth } = sampleLayoutOf(fmtFields, bigEndian, path);
  if (layout.kind === 'int' && bitDepth < layout.bytes * 8) {
    const probe = await file.bytes(dataChunk.offset + 8, Math.min(dataChunk.available, JUSTIFICATION_PROBE_BYTES));
    if (detectRightJustified(probe, layout.bytes, bigEndian, bitDepth)) {
      layout.rightJustifiedBits = bitDepth;
      meta.warnings.push(`${bitDepth}-bit samples are stored in the low bits of ${layout.bytes * 8}-bit containers (non-standard; read accordingly)`);
    }
  }
  const bytesPerFrame = layout.bytes * fmtFields.channels;
  const declaredFrames = Math.floor(dataChunk.size / bytesPerFrame);
  let frames = declaredFrames;
  if (dataChunk.available < dataChunk.size) {
    const availableFrames = Math.floor(dataChunk.available / bytesPerFrame);
    if (!options.allowTruncated) {
      throw new StemkitError(
        'E_TRUNCATED',
        `${path}: audio data is cut short: ${availableFrames} of ${declaredFrames} frames present (${dataChunk.available} of ${dataChunk.size} bytes)`,
        { file: path, hint: 'the file was not fully written or copied; export or copy it again' },
      );
    }
    meta.warnings.push(`audio data is cut short: ${availableFrames} of ${declaredFrames} frames present`);
    frames = availableFrames;
  }
  const mask = fmtFields.channelMask ? fmtFields.channelMask : null;
  const format: AudioFormat = {
    container,
    encoding,
    bitDepth,
    sampleRate: fmtFields.sampleRate,
    channels: fmtFields.channels,
    channelMask: mask,
    channelLayout: channelLayout(fmtFields.channels, mask),
    frames,
    containerBits: layout.bytes * 8,
    bigEndian,
  };
  return new PcmSource(file, format, meta, dataChunk.offset + 8, layout);
}
