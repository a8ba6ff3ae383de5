import type { FrameHeader } from './frame-header.js';

/** A frame that cannot be decoded; the source turns it into E_BAD_DATA with the file and offset. */
export class FrameError extends Error {}

/**
 * Reads big-endian bit fields from one frame. Every read checks the end of the frame, so corrupt
 * data (a unary code that never ends, a partition count that overruns) stops at the frame end.
 */
class BitReader {
  /** Position in bits. */
  pos = 0;
  private readonly endBits: number;

  constructor(
    private readonly data: Uint8Array,
    start: number,
    end: number,
  ) {
    this.pos = start * 8;
    this.endBits = end * 8;
  }

  /** Unsigned value of n bits, n <= 52 (exact in a double). */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.pos + n > this.endBits) throw new FrameError('frame data ends early');
    let v = 0;
    let pos = this.pos;
    const data = this.data;
    while (n > 0) {
      const bitOff = pos & 7;
      const avail = 8 - bitOff;
      const take = avail < n ? avail : n;
      const b = (data[pos >>> 3]! >>> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + b;
      pos += take;
      n -= take;
    }
    this.pos = pos;
    return v;
  }

  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.bits(n);
    const half = 2 ** (n - 1);
    return v >= half ? v - 2 * half : v;
  }

  /** Number of 0 bits before the next 1 bit (which is consumed). */
  unary(): number {
    const data = this.data;
    let pos = this.pos;
    let count = 0;
    for (;;) {
      if (pos >= this.endBits) throw new FrameError('frame data ends inside a unary code');
      const bitOff = pos & 7;
      const b = (data[pos >>> 3]! << bitOff) & 0xff;
      if (b === 0) {
        count += 8 - bitOff;
        pos += 8 - bitOff;
        continue;
      }
      const lz = Math.clz32(b) - 24;
      count += lz;
      pos += lz + 1;
      if (pos > this.endBits) throw new FrameError('frame data ends inside a unary code');
      this.pos = pos;
      return count;
    }
  }

  alignToByte(): void {
    this.pos = (this.pos + 7) & ~7;
  }
}

/**
 * A pure TypeScript FLAC frame decoder (RFC 9639 §9.2-9.3). stemkit decodes with libFLAC (wasm)
 * where that is exact and uses this one where the wasm build is not: bit depths other than
 * 8/16/24 (its float conversion divides by an uninitialised divisor for 12/20-bit and so on, and
 * rounds 32-bit samples to float) and frames longer than the wasm wrapper's 512 KiB input chunk.
 * Arithmetic is in doubles: exact for predictions of up to 53 bits, which covers every legal
 * stream up to 24 bits; wider LPC predictions fall back to BigInt.
 */
export class JsFrameDecoder {
  private buffers: Float64Array[] = [];

  /**
   * Decodes one whole frame (header through CRC-16 footer) into integer samples per channel.
   * `bits` is the stream's resolved sample size. Returns the arrays (reused across calls) and
   * the frame's length in bytes as the subframes define it.
   */
  decode(frame: Uint8Array, header: FrameHeader, bits: number): { samples: Float64Array[]; length: number } {
    const n = header.blockSize;
    const channels = header.channels;
    while (this.buffers.length < channels) this.buffers.push(new Float64Array(0));
    for (let c = 0; c < channels; c++) if (this.buffers[c]!.length < n) this.buffers[c] = new Float64Array(n);
    const r = new BitReader(frame, header.length, frame.length);
    const a = header.assignment;
    for (let c = 0; c < channels; c++) {
      const side = (a === 8 && c === 1) || (a === 9 && c === 0) || (a === 10 && c === 1);
      this.subframe(r, this.buffers[c]!, n, bits + (side ? 1 : 0));
    }
    r.alignToByte();
    const length = r.pos / 8 + 2;
    if (length > frame.length) throw new FrameError('frame data ends before its CRC-16');

    const s0 = this.buffers[0]!;
    const s1 = this.buffers[1]!;
    if (a === 8) {
      for (let i = 0; i < n; i++) s1[i] = s0[i]! - s1[i]!;
    } else if (a === 9) {
      for (let i = 0; i < n; i++) s0[i] = s0[i]! + s1[i]!;
    } else if (a === 10) {
      for (let i = 0; i < n; i++) {
        const side = s1[i]!;
        const mid = s0[i]! * 2 + (side % 2 !== 0 ? 1 : 0);
        s0[i] = Math.floor((mid + side) / 2);
        s1[i] = Math.floor((mid - side) / 2);
      }
    }
    const lo = -(2 ** (bits - 1));
    const hi = 2 ** (bits - 1) - 1;
    for (let c = 0; c < channels; c++) {
      const s = this.buffers[c]!;
      for (let i = 0; i < n; i++) {
        const v = s[i]!;
        if (v < lo || v > hi) throw new FrameError(`decoded sample ${v} does not fit in ${bits} bits`);
      }
    }
    return { samples: this.buffers.slice(0, channels), length };
  }

  private subframe(r: BitReader, out: Float64Array, n: number, bps: number): void {
    if (r.bits(1) !== 0) throw new FrameError('subframe padding bit is set');
    const type = r.bits(6);
    let wasted = 0;
    if (r.bits(1) === 1) {
      wasted = r.unary() + 1;
      if (wasted >= bps) throw new FrameError(`${wasted} wasted bits in a ${bps}-bit subframe`);
      bps -= wasted;
    }
    if (type === 0) {
      const v = r.signed(bps);
      out.fill(v, 0, n);
    } else if (type === 1) {
      for (let i = 0; i < n; i++) out[i] = r.signed(bps);
    } else if (type >= 8 && type <= 12) {
      const order = type - 8;
      if (order > n) throw new FrameError('fixed predictor order exceeds the block size');
      for (let i = 0; i < order; i++) out[i] = r.signed(bps);
      this.residual(r, out, n, order);
      restoreFixed(out, n, order);
    } else if (type >= 32) {
      const order = type - 31;
      if (order > n) throw new FrameError('LPC order exceeds the block size');
      for (let i = 0; i < order; i++) out[i] = r.signed(bps);
      const precision = r.bits(4) + 1;
      if (precision === 16) throw new FrameError('invalid LPC coefficient precision');
      const shift = r.signed(5);
      if (shift < 0) throw new FrameError('negative LPC shift');
      const coefs: number[] = [];
      for (let i = 0; i < order; i++) coefs.push(r.signed(precision));
      this.residual(r, out, n, order);
      // |sum| < order * 2^(precision-1) * 2^(bps-1); beyond 2^53 a double loses the low bits.
      if (precision + bps + Math.ceil(Math.log2(order)) > 52) restoreLpcBig(out, n, coefs, shift);
      else restoreLpc(out, n, coefs, shift);
    } else {
      throw new FrameError(`reserved subframe type ${type}`);
    }
    if (wasted > 0) {
      const m = 2 ** wasted;
      for (let i = 0; i < n; i++) out[i] = out[i]! * m;
    }
  }

  /** Reads the residual into out[order..n), to which the predictor is then added. */
  private residual(r: BitReader, out: Float64Array, n: number, order: number): void {
    const method = r.bits(2);
    if (method > 1) throw new FrameError(`reserved residual coding method ${method}`);
    const paramBits = method === 0 ? 4 : 5;
    const escape = method === 0 ? 15 : 31;
    const partitionOrder = r.bits(4);
    const partitions = 1 << partitionOrder;
    const partSize = n >>> partitionOrder;
    if (partSize * partitions !== n) throw new FrameError('block size not divisible by the partition count');
    if (partSize < order) throw new FrameError('first residual partition is shorter than the predictor order');
    let i = order;
    for (let p = 0; p < partitions; p++) {
      const end = (p + 1) * partSize;
      const param = r.bits(paramBits);
      if (param === escape) {
        const raw = r.bits(5);
        for (; i < end; i++) out[i] = r.signed(raw);
      } else {
        const scale = 2 ** param;
        for (; i < end; i++) {
          const u = r.unary() * scale + r.bits(param);
          out[i] = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
        }
      }
    }
  }
}

function restoreFixed(s: Float64Array, n: number, order: number): void {
  switch (order) {
    case 0:
      return;
    case 1:
      for (let i = 1; i < n; i++) s[i] = s[i]! + s[i - 1]!;
      return;
    case 2:
      for (let i = 2; i < n; i++) s[i] = s[i]! + 2 * s[i - 1]! - s[i - 2]!;
      return;
    case 3:
      for (let i = 3; i < n; i++) s[i] = s[i]! + 3 * s[i - 1]! - 3 * s[i - 2]! + s[i - 3]!;
      return;
    default:
      for (let i = 4; i < n; i++) s[i] = s[i]! + 4 * s[i - 1]! - 6 * s[i - 2]! + 4 * s[i - 3]! - s[i - 4]!;
  }
}

function restoreLpc(s: Float64Array, n: number, coefs: number[], shift: number): void {
  const order = coefs.length;
  const div = 2 ** shift;
  for (let i = order; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < order; j++) sum += coefs[j]! * s[i - 1 - j]!;
    s[i] = s[i]! + Math.floor(sum / div);
  }
}

function restoreLpcBig(s: Float64Array, n: number, coefs: number[], shift: number): void {
  const order = coefs.length;
  const c = coefs.map((v) => BigInt(v));
  const sh = BigInt(shift);
  for (let i = order; i < n; i++) {
    let sum = 0n;
    for (let j = 0; j < order; j++) sum += c[j]! * BigInt(s[i - 1 - j]!);
    s[i] = s[i]! + Number(sum >> sh);
  }
}
