/** MSB-first bit writer for AAC raw data blocks; reused frame after frame (`reset`). */
export class BitWriter {
  private buffer: Uint8Array;
  private length = 0;
  private accumulator = 0;
  private pending = 0;

  /** `capacity` in bytes; the buffer grows when a frame needs more. */
  constructor(capacity = 2048) {
    this.buffer = new Uint8Array(capacity);
  }

  /** Appends the low `bits` bits of `value` (0 ≤ bits ≤ 32). */
  write(value: number, bits: number): void {
    if (bits > 24) {
      this.write(Math.floor(value / 65536) & 0xffff, bits - 16);
      this.write(value & 0xffff, 16);
      return;
    }
    if (this.length + 4 > this.buffer.length) this.grow();
    this.accumulator = (this.accumulator << bits) | (value & ((1 << bits) - 1));
    this.pending += bits;
    while (this.pending >= 8) {
      this.pending -= 8;
      this.buffer[this.length++] = (this.accumulator >>> this.pending) & 0xff;
    }
    this.accumulator &= (1 << this.pending) - 1;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.length * 8 + this.pending;
  }

  /** Pads with zero bits to the next byte boundary. */
  alignToByte(): void {
    if (this.pending > 0) this.write(0, 8 - this.pending);
  }

  /** A copy of the bytes written (call after alignToByte). */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  reset(): void {
    this.length = 0;
    this.accumulator = 0;
    this.pending = 0;
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buffer.length * 2);
    bigger.set(this.buffer);
    this.buffer = bigger;
  }
}
