/**
 * MSB-first bit writer for AAC raw data blocks. It is on the encoder's hot path (every codeword of
 * every frame goes through `write`), so bits collect in a 32-bit accumulator that is stored four
 * bytes at a time, and the buffer only grows (doubling) when a frame outgrows it: reuse one writer
 * per channel or per frame with `reset()` and nothing is allocated per write.
 */
export class BitWriter {
  private buffer: Uint8Array;
  /** Whole 32-bit words already stored in `buffer`, as a byte count (a multiple of 4). */
  private storedBytes = 0;
  /** Pending bits, right-aligned: the last `pendingBits` bits of `accumulator` (0 ≤ pendingBits < 32). */
  private accumulator = 0;
  private pendingBits = 0;

  /** @param initialBytes starting capacity; the buffer doubles when a write needs more. */
  constructor(initialBytes = 2048) {
    this.buffer = new Uint8Array(Math.max(8, (initialBytes + 3) & ~3));
  }

  /** Bits written since construction or the last `reset()`. */
  get bitLength(): number {
    return this.storedBytes * 8 + this.pendingBits;
  }

  /**
   * Appends the low `bits` bits of `value`, most significant first (0 ≤ bits ≤ 32). Higher bits
   * of `value` are ignored, so a negative number writes its two's complement.
   */
  write(value: number, bits: number): void {
    if (bits <= 0) return;
    const v = (value & (0xffffffff >>> (32 - bits))) >>> 0;
    const free = 32 - this.pendingBits;
    if (bits < free) {
      this.accumulator = (this.accumulator << bits) | v;
      this.pendingBits += bits;
      return;
    }
    // Fill the word with the top `free` bits of v, store it, keep the rest pending.
    // (free is 32 only when nothing is pending: then the accumulator is 0 and `<< 32` being `<< 0` is harmless.)
    const rest = bits - free;
    const word = ((this.accumulator << free) | (v >>> rest)) >>> 0;
    if (this.storedBytes + 4 > this.buffer.length) this.grow(this.storedBytes + 4);
    const b = this.buffer;
    const at = this.storedBytes;
    b[at] = word >>> 24;
    b[at + 1] = (word >>> 16) & 0xff;
    b[at + 2] = (word >>> 8) & 0xff;
    b[at + 3] = word & 0xff;
    this.storedBytes = at + 4;
    this.accumulator = rest === 0 ? 0 : v & (0xffffffff >>> (32 - rest));
    this.pendingBits = rest;
  }

  /** Pads with zero bits up to the next byte boundary (byte_alignment()). */
  alignToByte(): void {
    const partial = this.pendingBits & 7;
    if (partial !== 0) this.write(0, 8 - partial);
  }

  /** Number of bytes `bytes()` returns: the written bits rounded up to whole bytes. */
  get byteLength(): number {
    return (this.bitLength + 7) >>> 3;
  }

  /** A copy of the written bytes; a final partial byte is padded with zero bits. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.copyTo(out, 0);
    return out;
  }

  /** Copies the written bytes (as `bytes()` returns them) into `target` at `offset`; returns the byte count. */
  copyTo(target: Uint8Array, offset: number): number {
    const length = this.byteLength;
    if (offset + length > target.length) throw new Error(`BitWriter.copyTo: ${length} bytes do not fit at ${offset} in ${target.length}`);
    target.set(this.buffer.subarray(0, this.storedBytes), offset);
    // Left-align the pending bits in a 32-bit word and emit its leading bytes.
    const word = this.pendingBits === 0 ? 0 : (this.accumulator << (32 - this.pendingBits)) >>> 0;
    for (let i = 0, at = offset + this.storedBytes; at < offset + length; i++, at++) target[at] = (word >>> (24 - 8 * i)) & 0xff;
    return length;
  }

  /** Forgets everything written, keeping the buffer for the next frame. */
  reset(): void {
    this.storedBytes = 0;
    this.accumulator = 0;
    this.pendingBits = 0;
  }

  private grow(needed: number): void {
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buffer.subarray(0, this.storedBytes));
    this.buffer = bigger;
  }
}
