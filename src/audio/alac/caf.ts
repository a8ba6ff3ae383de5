/**
 * The smallest Core Audio Format (CAF) files that carry ALAC: 'desc', 'kuki' (the cookie), 'pakt'
 * (each packet's size) and 'data'. Enough for FFmpeg to read stemkit's packets and for stemkit to
 * read FFmpeg's ALAC packets back, which is what the bit-exactness checks need.
 */
import { StemkitError } from '../../errors.js';
import { asciiBytes, concatBytes } from '../bytes.js';
import { parseAlacCookie } from './cookie.js';

/** An ALAC stream as packets: what writeAlacCaf takes and readAlacCaf gives. */
export interface AlacCafStream {
  /** The magic cookie (24 bytes, or atom-wrapped as found in a file). */
  cookie: Uint8Array;
  packets: Uint8Array[];
  /** Frames the packets hold (the last packet may be partial). */
  validFrames: number;
}

const FORMAT_FLAGS_BY_DEPTH: Record<number, number> = { 16: 1, 20: 2, 24: 3, 32: 4 };

function chunkHeader(type: string, size: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set(asciiBytes(type));
  new DataView(out.buffer).setBigInt64(4, BigInt(size));
  return out;
}

/** A number as CAF's variable-length integer: 7 bits a byte, most significant first. */
function varint(value: number): number[] {
  const bytes = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
  return bytes;
}

/** A CAF file of the stream (the cookie's config gives rate, channels, depth and frame length). */
export function writeAlacCaf(stream: AlacCafStream): Uint8Array {
  const config = parseAlacCookie(stream.cookie);
  const desc = new DataView(new ArrayBuffer(32));
  desc.setFloat64(0, config.sampleRate);
  desc.setUint32(8, 0x616c6163); // 'alac'
  desc.setUint32(12, FORMAT_FLAGS_BY_DEPTH[config.bitDepth]!);
  desc.setUint32(16, 0); // bytes per packet: variable
  desc.setUint32(20, config.frameLength);
  desc.setUint32(24, config.numChannels);
  desc.setUint32(28, 0);
  const sizes = stream.packets.flatMap((p) => varint(p.length));
  const paktHead = new DataView(new ArrayBuffer(24));
  paktHead.setBigInt64(0, BigInt(stream.packets.length));
  paktHead.setBigInt64(8, BigInt(stream.validFrames));
  paktHead.setInt32(16, 0); // priming frames
  paktHead.setInt32(20, stream.packets.length * config.frameLength - stream.validFrames);
  const dataBytes = stream.packets.reduce((n, p) => n + p.length, 0);
  return concatBytes([
    asciiBytes('caff'),
    new Uint8Array([0, 1, 0, 0]), // version 1, flags 0
    chunkHeader('desc', 32),
    new Uint8Array(desc.buffer),
    chunkHeader('kuki', stream.cookie.length),
    stream.cookie,
    chunkHeader('pakt', 24 + sizes.length),
    new Uint8Array(paktHead.buffer),
    new Uint8Array(sizes),
    chunkHeader('data', 4 + dataBytes),
    new Uint8Array(4), // edit count
    ...stream.packets,
  ]);
}

function badCaf(message: string): StemkitError {
  return new StemkitError('E_BAD_HEADER', `CAF: ${message}`, { hint: 'the CAF file is damaged or is not an ALAC CAF' });
}

/** The ALAC stream of a CAF file ('desc' format 'alac', a 'kuki', a 'pakt' of packet sizes). */
export function readAlacCaf(file: Uint8Array): AlacCafStream {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 8 || view.getUint32(0) !== 0x63616666) throw badCaf('no caff signature');
  let cookie: Uint8Array | null = null;
  let sizes: number[] | null = null;
  let validFrames = 0;
  let data: Uint8Array | null = null;
  let at = 8;
  while (at + 12 <= file.length) {
    const type = String.fromCharCode(...file.subarray(at, at + 4));
    const declared = Number(view.getBigInt64(at + 4));
    const start = at + 12;
    // A data chunk of size -1 runs to the end of the file.
    const end = declared < 0 ? file.length : start + declared;
    if (end > file.length) throw badCaf(`the '${type}' chunk runs past the end of the file`);
    if (type === 'desc' && view.getUint32(start + 8) !== 0x616c6163) throw badCaf('the audio is not ALAC');
    if (type === 'kuki') cookie = file.slice(start, end);
    if (type === 'data') data = file.subarray(start + 4, end);
    if (type === 'pakt') {
      const packets = Number(view.getBigInt64(start));
      validFrames = Number(view.getBigInt64(start + 8));
      sizes = [];
      let p = start + 24;
      for (let i = 0; i < packets; i++) {
        let value = 0;
        let byte: number;
        do {
          if (p >= end) throw badCaf('the packet table ends early');
          byte = file[p++]!;
          value = value * 128 + (byte & 0x7f);
        } while (byte & 0x80);
        sizes.push(value);
      }
    }
    at = end;
  }
  if (!cookie || !sizes || !data) throw badCaf('a kuki, pakt and data chunk are all needed');
  const packets: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset + size > data.length) throw badCaf('the packet table describes more bytes than the data chunk has');
    packets.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return { cookie, packets, validFrames };
}
