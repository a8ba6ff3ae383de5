/**
 * ISO BMFF (MP4) box building: a box is a 32-bit size, a four-character type and its payload;
 * a full box adds a version byte and 24 flag bits. Everything stemkit writes into `moov` is small,
 * so boxes are built as byte arrays; only `mdat` is streamed (mp4/write.ts).
 */
import { asciiBytes, concatBytes } from '../bytes.js';

/** Big-endian field writer for box payloads. */
export class Fields {
  private bytes = new Uint8Array(64);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  private room(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(value: number): this {
    const at = this.room(1);
    this.view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    const at = this.room(2);
    this.view.setUint16(at, value);
    return this;
  }

  u24(value: number): this {
    const at = this.room(3);
    this.view.setUint8(at, (value >>> 16) & 0xff);
    this.view.setUint16(at + 1, value & 0xffff);
    return this;
  }

  u32(value: number): this {
    const at = this.room(4);
    this.view.setUint32(at, value >>> 0);
    return this;
  }

  u64(value: number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(value));
    return this;
  }

  /** A four-character code or fixed ASCII text. */
  ascii(text: string): this {
    return this.raw(asciiBytes(text));
  }

  raw(bytes: Uint8Array): this {
    const at = this.room(bytes.length);
    this.bytes.set(bytes, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    this.bytes.fill(0, at, this.length);
    return this;
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** A box: size, type, then the parts. */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const payload = concatBytes(parts);
  return new Fields().u32(8 + payload.length).ascii(type).raw(payload).done();
}

/** A full box: a box whose payload starts with version (8 bits) and flags (24 bits). */
export function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  return box(type, new Fields().u8(version).u24(flags).done(), ...parts);
}

/** Seconds since 1904-01-01 (the MP4 epoch), for creation and modification times. */
export function mp4Time(date: Date): number {
  return Math.floor(date.getTime() / 1000) + 2082844800;
}

/** The unity transformation matrix every track and movie header carries. */
export const UNITY_MATRIX = new Fields().u32(0x10000).u32(0).u32(0).u32(0).u32(0x10000).u32(0).u32(0).u32(0).u32(0x40000000).done();
