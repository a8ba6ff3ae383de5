/**
 * MSB-first bit packing for ALAC packets. The writer grows nothing: the encoder sizes it for the
 * worst case of a frame once. The reader works on a copy of the packet padded with zero bytes, so
 * a 32-bit peek never leaves the array; callers compare `pos` with `end` to notice a packet that
 * ran out (which the padding would otherwise turn into silent zeros).
 */
import { StemkitError } from '../../errors.js';

/** Bytes of zero padding after a packet's end: a peek at the last bit still reads 5 whole bytes. */
const READ_PADDING = 8;

export class BitWriter {
  readonly bytes: Uint8Array;
  /** Bytes complete so far. */
  private at = 0;
  /** Pending bits, low `pending` bits valid (higher bits are stale and never read). */
  private acc = 0;
  private pending = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Bits written so far. */
  get position(): number {
    return this.at * 8 + this.pending;
  }

  /** The writer's state, for `restore`: everything written after it can be taken back. */
  mark(): [number, number, number] {
    return [this.at, this.acc, this.pending];
  }

  restore(mark: [number, number, number]): void {
    [this.at, this.acc, this.pending] = mark;
  }

  reset(): void {
    this.at = 0;
    this.acc = 0;
    this.pending = 0;
  }

  /** Writes the low `count` bits of `value`, count in [0, 24]. */
  write(value: number, count: number): void {
    if (count === 0) return;
    this.acc = (this.acc << count) | (value & ((1 << count) - 1));
    this.pending += count;
    while (this.pending >= 8) {
      this.pending -= 8;
      this.bytes[this.at++] = this.acc >>> this.pending;
    }
  }

  /** Writes the low `count` bits of `value`, count in [0, 32]. */
  writeLong(value: number, count: number): void {
    if (count > 16) {
      this.write(value >>> 16, count - 16);
      this.write(value & 0xffff, 16);
    } else this.write(value, count);
  }

  /** Pads with zero bits to a byte boundary. */
  byteAlign(): void {
    if (this.pending > 0) this.write(0, 8 - this.pending);
  }

  /** The whole bytes written so far, copied out (call after byteAlign). */
  take(): Uint8Array {
    return this.bytes.slice(0, this.at);
  }
}

export class BitReader {
  /** The packet followed by READ_PADDING zero bytes. */
  readonly bytes: Uint8Array;
  /** Bit position of the next read. */
  pos = 0;
  /** Bits of real data: a position beyond it means the packet was too short. */
  readonly end: number;

  constructor(packet: Uint8Array) {
    this.bytes = new Uint8Array(packet.length + READ_PADDING);
    this.bytes.set(packet);
    this.end = packet.length * 8;
  }

  /** The 32 bits from `pos` (not consumed), as an int32. */
  peek32(): number {
    const b = this.bytes;
    const i = this.pos >>> 3;
    const s = this.pos & 7;
    const word = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
    return s === 0 ? word : (word << s) | (b[i + 4]! >>> (8 - s));
  }

  /** Reads `count` bits, count in [1, 32], as an unsigned number. */
  read(count: number): number {
    const value = this.peek32() >>> (32 - count);
    this.pos += count;
    return value;
  }

  /** Reads `count` bits, count in [1, 32], as a two's-complement signed number. */
  readSigned(count: number): number {
    const value = this.peek32() >> (32 - count);
    this.pos += count;
    return value;
  }

  /** Throws E_BAD_DATA when reading has gone past the packet's end. */
  checkEnd(what: string): void {
    if (this.pos > this.end) throw corrupt(`the ALAC packet ends inside ${what}`);
  }

  /** Bits left before the packet's end (negative after an overrun). */
  get left(): number {
    return this.end - this.pos;
  }
}

/** The one error of a damaged ALAC packet. */
export function corrupt(message: string): StemkitError {
  return new StemkitError('E_BAD_DATA', message, { hint: 'the ALAC audio is damaged or is not ALAC; re-encode it from its source' });
}
