import { StemkitError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import type { ChunkInfo } from '../types.js';

export interface StreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  minFrameSize: number;
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 means "unknown" (streamed encodes). */
  totalSamples: number;
  /** Hex MD5 of the decoded samples; all zeros when the encoder did not compute it. */
  md5: string;
  /** The 34 STREAMINFO bytes as stored, to prime the decoder with. */
  raw: Uint8Array;
}

export interface SeekPoint {
  sample: number;
  /** Byte offset of the target frame from the first frame header. */
  offset: number;
}

export interface FlacHeaders {
  streamInfo: StreamInfo;
  /** Byte offset of the first audio frame (just past the last metadata block). */
  audioStart: number;
  chunks: ChunkInfo[];
  unknownChunks: string[];
  tags: Record<string, string>;
  /** WAVEFORMATEXTENSIBLE_CHANNEL_MASK from the Vorbis comments, when present and valid. */
  channelMask: number | null;
  seekPoints: SeekPoint[];
  warnings: string[];
}

const BLOCK_NAMES = ['STREAMINFO', 'PADDING', 'APPLICATION', 'SEEKTABLE', 'VORBIS_COMMENT', 'CUESHEET', 'PICTURE'];
/** Seek points kept in memory; larger tables are thinned evenly (they are hints, not truth). */
const MAX_SEEK_POINTS = 8192;

/**
 * Parses everything in front of the first audio frame: an optional ID3v2 tag, the 'fLaC'
 * marker and the metadata blocks. Each block is checked against the file size before any of it
 * is read, so a block that claims 16 MB in a 36-byte file costs nothing.
 */
export async function parseFlacHeaders(file: ByteSource): Promise<FlacHeaders> {
  const path = file.path;
  const size = file.size;
  const chunks: ChunkInfo[] = [];
  const unknownChunks: string[] = [];
  const warnings: string[] = [];
  const tags: Record<string, string> = {};
  let channelMask: number | null = null;
  let streamInfo: StreamInfo | null = null;
  let seekPoints: SeekPoint[] = [];

  const truncated = (what: string) =>
    new StemkitError('E_TRUNCATED', `${path}: the file ends inside ${what} (${size} bytes)`, {
      file: path,
      hint: 'the file is cut short; copy or export it again',
    });
  const badHeader = (what: string, hint = 'the FLAC headers are corrupt; re-encode the file from its source') =>
    new StemkitError('E_BAD_HEADER', `${path}: ${what}`, { file: path, hint });

  // ID3v2 tags (some taggers put one in front of FLAC). Each one moves `pos` forward by >= 10.
  let pos = 0;
  for (;;) {
    const head = await file.bytes(pos, 10);
    if (head.length < 3 || head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33) break;
    if (head.length < 10) throw truncated('an ID3v2 tag');
    if ((head[6]! | head[7]! | head[8]! | head[9]!) & 0x80) throw badHeader('ID3v2 tag with an invalid size');
    const tagSize = 10 + ((head[6]! << 21) | (head[7]! << 14) | (head[8]! << 7) | head[9]!) + (head[5]! & 0x10 ? 10 : 0);
    if (pos + tagSize > size) throw truncated('an ID3v2 tag');
    chunks.push({ id: 'ID3v2', size: tagSize - 10, offset: pos });
    unknownChunks.push('ID3v2');
    pos += tagSize;
  }
  if (pos > 0) warnings.push(`an ID3v2 tag (${pos} bytes) precedes the FLAC stream; FLAC players may not expect it`);

  const magic = await file.bytes(pos, 4);
  if (magic.length < 4) throw truncated("the 'fLaC' marker");
  if (String.fromCharCode(...magic) !== 'fLaC') {
    throw badHeader(`no 'fLaC' marker at byte ${pos}`, 'this is not a FLAC file (or a raw frame stream without headers); re-encode it as FLAC');
  }
  pos += 4;

  let index = 0;
  for (;;) {
    // Every block advances `pos` by at least 4 bytes and is checked against the size: the loop ends.
    const h = await file.bytes(pos, 4);
    if (h.length < 4) throw truncated('the FLAC metadata');
    const last = (h[0]! & 0x80) !== 0;
    const type = h[0]! & 0x7f;
    const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
    if (type === 127) throw badHeader(`invalid metadata block type 127 at byte ${pos}`);
    const name = BLOCK_NAMES[type] ?? `RESERVED_${type}`;
    if (pos + 4 + length > size) {
      if (type === 0 && length === 34) throw truncated('STREAMINFO');
      throw badHeader(
        `metadata block ${name} at byte ${pos} declares ${length} bytes but only ${size - pos - 4} remain in the file`,
        'the file is truncated or its metadata is corrupt; copy or re-encode it',
      );
    }
    chunks.push({ id: name, size: length, offset: pos });
    const body = pos + 4;
    switch (type) {
      case 0: {
        if (streamInfo) throw badHeader('more than one STREAMINFO block');
        if (length !== 34) throw badHeader(`STREAMINFO is ${length} bytes, not 34`);
        streamInfo = parseStreamInfo((await file.bytes(body, 34)).slice(), badHeader);
        if (index !== 0) warnings.push('STREAMINFO is not the first metadata block (the FLAC format requires it first)');
        break;
      }
      case 3:
        seekPoints = parseSeekTable(await file.bytes(body, length));
        break;
      case 4: {
        const result = parseVorbisComment(await file.bytes(body, length), tags);
        if (result) warnings.push(`VORBIS_COMMENT block ignored from the point where it is malformed: ${result}`);
        break;
      }
      case 1:
        break;
      default:
        unknownChunks.push(name);
    }
    pos = body + length;
    index++;
    if (last) break;
  }
  if (!streamInfo) throw badHeader('no STREAMINFO metadata block');

  const maskText = tags['WAVEFORMATEXTENSIBLE_CHANNEL_MASK'];
  if (maskText !== undefined) {
    const m = /^\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(maskText);
    const value = m ? Number(m[1]) : NaN;
    if (Number.isSafeInteger(value) && value >= 0 && value <= 0xffffffff) channelMask = value;
    else warnings.push(`WAVEFORMATEXTENSIBLE_CHANNEL_MASK "${maskText}" is not a number; ignored`);
  }
  return { streamInfo, audioStart: pos, chunks, unknownChunks, tags, channelMask, seekPoints, warnings };
}

function parseStreamInfo(b: Uint8Array, badHeader: (what: string) => StemkitError): StreamInfo {
  const u16 = (o: number) => (b[o]! << 8) | b[o + 1]!;
  const u24 = (o: number) => (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  const sampleRate = (b[10]! << 12) | (b[11]! << 4) | (b[12]! >> 4);
  const channels = ((b[12]! >> 1) & 7) + 1;
  const bitsPerSample = (((b[12]! & 1) << 4) | (b[13]! >> 4)) + 1;
  const totalSamples = (b[13]! & 15) * 2 ** 32 + ((b[14]! << 24) >>> 0) + (b[15]! << 16) + (b[16]! << 8) + b[17]!;
  let md5 = '';
  for (let i = 18; i < 34; i++) md5 += b[i]!.toString(16).padStart(2, '0');
  if (sampleRate === 0) throw badHeader('STREAMINFO sample rate is 0');
  if (bitsPerSample < 4) throw badHeader(`STREAMINFO bits per sample is ${bitsPerSample} (FLAC allows 4 to 32)`);
  return {
    minBlockSize: u16(0),
    maxBlockSize: u16(2),
    minFrameSize: u24(4),
    maxFrameSize: u24(7),
    sampleRate,
    channels,
    bitsPerSample,
    totalSamples,
    md5,
    raw: b,
  };
}

function parseSeekTable(b: Uint8Array): SeekPoint[] {
  const points: SeekPoint[] = [];
  const n = Math.floor(b.length / 18);
  const step = Math.max(1, Math.ceil(n / MAX_SEEK_POINTS));
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i += step) {
    const o = i * 18;
    const sampleHi = view.getUint32(o);
    if (sampleHi === 0xffffffff && view.getUint32(o + 4) === 0xffffffff) continue; // placeholder
    const sample = sampleHi * 2 ** 32 + view.getUint32(o + 4);
    const offset = view.getUint32(o + 8) * 2 ** 32 + view.getUint32(o + 12);
    if (!Number.isSafeInteger(sample) || !Number.isSafeInteger(offset)) continue;
    points.push({ sample, offset });
  }
  return points;
}

/**
 * Adds the comments of a VORBIS_COMMENT block to `tags` (names upper-cased; repeated names
 * joined with "; "). Returns null, or what is wrong: a malformed block keeps what came before
 * the damage instead of failing the file, because the audio does not depend on it.
 */
function parseVorbisComment(b: Uint8Array, tags: Record<string, string>): string | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = new TextDecoder('utf-8');
  let p = 0;
  if (p + 4 > b.length) return 'no vendor string length';
  const vendorLength = view.getUint32(p, true);
  p += 4;
  if (vendorLength > b.length - p) return 'vendor string longer than the block';
  p += vendorLength;
  if (p + 4 > b.length) return 'no comment count';
  const count = view.getUint32(p, true);
  p += 4;
  for (let i = 0; i < count; i++) {
    if (p + 4 > b.length) return `the block ends after ${i} of ${count} comments`;
    const length = view.getUint32(p, true);
    p += 4;
    if (length > b.length - p) return `comment ${i + 1} is longer than the block`;
    const entry = text.decode(b.subarray(p, p + length));
    p += length;
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const key = entry.slice(0, eq).toUpperCase();
    const value = entry.slice(eq + 1);
    tags[key] = Object.hasOwn(tags, key) ? `${tags[key]}; ${value}` : value;
  }
  return null;
}
