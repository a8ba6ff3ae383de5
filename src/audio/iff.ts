import type { ByteSource } from './byte-source.js';

/**
 * Chunk walking shared by RIFF/RIFX/RF64 and FORM (AIFF): a 4-byte id, a 32-bit size, the body,
 * and a pad byte after odd sizes. Real files break the pad rule both ways, so the walker takes
 * whichever of "padded" or "unpadded" lands on a plausible chunk id.
 */
export interface RawChunk {
  id: string;
  /** Offset of the 8-byte chunk header. */
  offset: number;
  /** Declared body size (after any ds64 override). */
  size: number;
  /** Body bytes actually present in the file (less than size when truncated). */
  available: number;
}

/** Four printable ASCII characters, as every registered chunk id is. */
export function isPlausibleId(bytes: Uint8Array, at: number): boolean {
  if (at + 4 > bytes.length) return false;
  for (let i = 0; i < 4; i++) {
    const c = bytes[at + i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

export function readU32(bytes: Uint8Array, at: number, bigEndian: boolean): number {
  return bigEndian
    ? ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!
    : ((bytes[at + 3]! << 24) >>> 0) + (bytes[at + 2]! << 16) + (bytes[at + 1]! << 8) + bytes[at]!;
}

export function readU16(bytes: Uint8Array, at: number, bigEndian: boolean): number {
  return bigEndian ? (bytes[at]! << 8) | bytes[at + 1]! : (bytes[at + 1]! << 8) | bytes[at]!;
}

/** 64-bit unsigned little-endian as a Number (exact below 2^53, which every real file is). */
export function readU64LE(bytes: Uint8Array, at: number): number {
  return readU32(bytes, at + 4, false) * 2 ** 32 + readU32(bytes, at, false);
}

/** Upper bound on chunks walked, so a file of a million empty chunks cannot stall the reader. */
const MAX_CHUNKS = 100_000;

export interface WalkOptions {
  bigEndian: boolean;
  /** Replaces a 32-bit size (e.g. RF64's 0xFFFFFFFF placeholders resolved through ds64). */
  resolveSize?: (id: string, size: number) => number;
  /** Return false to stop walking (e.g. after the audio data of a file still being written). */
  onChunk: (chunk: RawChunk) => boolean | void | Promise<boolean | void>;
}

/**
 * Walks chunks from `start` to the end of the file. Returns why it stopped: 'end' (clean),
 * 'cut' (the file ends inside a chunk header: 1 to 7 bytes left over), 'garbage' (bytes that
 * are not a chunk header: trailing junk or a broken file), or 'stopped'.
 */
export async function walkChunks(file: ByteSource, start: number, options: WalkOptions): Promise<'end' | 'cut' | 'garbage' | 'stopped'> {
  let offset = start;
  for (let n = 0; n < MAX_CHUNKS; n++) {
    if (offset + 8 > file.size) return offset < file.size ? 'cut' : 'end';
    const header = await file.bytes(offset, 8);
    if (!isPlausibleId(header, 0)) return 'garbage';
    const id = fourcc(header, 0);
    const declared = readU32(header, 4, options.bigEndian);
    const size = options.resolveSize ? options.resolveSize(id, declared) : declared;
    const bodyStart = offset + 8;
    const available = Math.max(0, Math.min(size, file.size - bodyStart));
    if ((await options.onChunk({ id, offset, size, available })) === false) return 'stopped';
    let next = bodyStart + size;
    if (size % 2 === 1) {
      // Prefer the pad byte, as the spec says; fall back to no pad when only that lands on a chunk.
      const padded = await file.bytes(next + 1, 4);
      if (!isPlausibleId(padded, 0) && next + 1 < file.size) {
        const unpadded = await file.bytes(next, 4);
        next = isPlausibleId(unpadded, 0) ? next : next + 1;
      } else {
        next += 1;
      }
    }
    offset = next;
  }
  return 'garbage';
}
