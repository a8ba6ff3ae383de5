import { aacRateIndex } from '../../src/audio/aac/tables.js';

/**
 * One raw AAC-LC packet in an ADTS frame (7-byte header, no CRC): the simplest container FFmpeg and
 * FAAD2 both read, for judging the encoder's packets.
 */
export function adtsFrame(packet: Uint8Array, sampleRate: number, channels: number): Uint8Array {
  const length = packet.length + 7;
  const out = new Uint8Array(length);
  out.set([0xff, 0xf1, (1 << 6) | (aacRateIndex(sampleRate) << 2) | (channels >> 2), ((channels & 3) << 6) | (length >> 11), (length >> 3) & 0xff, ((length & 7) << 5) | 0x1f, 0xfc]);
  out.set(packet, 7);
  return out;
}
