import { crc8 } from './crc.js';

/** One FLAC frame header (RFC 9639 §9.1), with "from STREAMINFO" codes still unresolved (0). */
export interface FrameHeader {
  /** True for the variable-blocksize strategy (sync 0xFFF9): `number` is then a sample number. */
  variable: boolean;
  blockSize: number;
  /** 0 = "get from STREAMINFO". */
  sampleRate: number;
  /** Channel assignment code: 0-7 independent (n+1 channels), 8 left/side, 9 side/right, 10 mid/side. */
  assignment: number;
  channels: number;
  /** 0 = "get from STREAMINFO". */
  bitsPerSample: number;
  /** Frame number (fixed strategy) or first sample number (variable strategy). */
  number: number;
  /** Header length in bytes including its CRC-8. */
  length: number;
}

/** The longest header: 2 sync + 2 codes + 7 coded number + 2 block size + 2 rate + 1 CRC-8. */
export const MAX_HEADER_BYTES = 16;

const BITS_BY_CODE = [0, 8, 12, -1, 16, 20, 24, 32];
const RATE_BY_CODE = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];

/** True when the two bytes at `at` are a frame sync code (0xFFF8 or 0xFFF9). */
export function isSync(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0xff && (bytes[at + 1]! & 0xfe) === 0xf8;
}

/**
 * Parses the frame header at bytes[at], reading no further than `end`. Returns null unless every
 * field is legal and the CRC-8 matches: this is the check that tells a real frame start from a
 * 0xFFF8 that happens to occur inside compressed data.
 */
export function parseFrameHeader(bytes: Uint8Array, at: number, end: number): FrameHeader | null {
  if (at + 6 > end || !isSync(bytes, at)) return null;
  const variable = (bytes[at + 1]! & 1) === 1;
  const b2 = bytes[at + 2]!;
  const b3 = bytes[at + 3]!;
  const bsCode = b2 >> 4;
  const rateCode = b2 & 15;
  const assignment = b3 >> 4;
  const bitsCode = (b3 >> 1) & 7;
  if (bsCode === 0 || rateCode === 15 || assignment > 10 || bitsCode === 3 || (b3 & 1) !== 0) return null;

  // The coded number: UTF-8-style, up to 6 bytes for frame numbers, 7 for sample numbers.
  let p = at + 4;
  const first = bytes[p++]!;
  let number: number;
  let extra: number;
  if (first < 0x80) {
    number = first;
    extra = 0;
  } else if ((first & 0xe0) === 0xc0) {
    number = first & 0x1f;
    extra = 1;
  } else if ((first & 0xf0) === 0xe0) {
    number = first & 0x0f;
    extra = 2;
  } else if ((first & 0xf8) === 0xf0) {
    number = first & 0x07;
    extra = 3;
  } else if ((first & 0xfc) === 0xf8) {
    number = first & 0x03;
    extra = 4;
  } else if ((first & 0xfe) === 0xfc) {
    number = first & 0x01;
    extra = 5;
  } else if (first === 0xfe && variable) {
    number = 0;
    extra = 6;
  } else {
    return null;
  }
  if (p + extra > end) return null;
  for (let i = 0; i < extra; i++) {
    const c = bytes[p++]!;
    if ((c & 0xc0) !== 0x80) return null;
    number = number * 64 + (c & 0x3f);
  }

  let blockSize: number;
  if (bsCode === 1) blockSize = 192;
  else if (bsCode <= 5) blockSize = 576 << (bsCode - 2);
  else if (bsCode === 6) {
    if (p + 1 > end) return null;
    blockSize = bytes[p++]! + 1;
  } else if (bsCode === 7) {
    if (p + 2 > end) return null;
    blockSize = ((bytes[p]! << 8) | bytes[p + 1]!) + 1;
    p += 2;
  } else blockSize = 256 << (bsCode - 8);

  let sampleRate: number;
  if (rateCode < 12) sampleRate = RATE_BY_CODE[rateCode]!;
  else if (rateCode === 12) {
    if (p + 1 > end) return null;
    sampleRate = bytes[p++]! * 1000;
  } else {
    if (p + 2 > end) return null;
    sampleRate = ((bytes[p]! << 8) | bytes[p + 1]!) * (rateCode === 13 ? 1 : 10);
    p += 2;
  }
  if (rateCode >= 12 && sampleRate === 0) return null;

  if (p + 1 > end) return null;
  if (crc8(bytes, at, p) !== bytes[p]) return null;
  return {
    variable,
    blockSize,
    sampleRate,
    assignment,
    channels: assignment < 8 ? assignment + 1 : 2,
    bitsPerSample: BITS_BY_CODE[bitsCode]!,
    number,
    length: p + 1 - at,
  };
}
