import { StemkitError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';

/** Bytes read per refill at least: sequential decoding reads the file in steps of this size. */
const READ_AHEAD = 256 * 1024;

/**
 * A bounded sliding window over the file: the only place FLAC audio bytes are held. It grows to
 * the largest frame asked for (a few MB at most, never more than `maxCapacity`) and is refilled
 * by ranged reads, so memory does not depend on the file length.
 */
export class ByteWindow {
  buf = new Uint8Array(0);
  /** File offset of buf[0]. */
  start = 0;
  /** Valid bytes in buf. */
  length = 0;

  constructor(
    private readonly file: ByteSource,
    /** No reads past this offset (end of audio, before trailing tags). */
    public limit: number,
    private readonly maxCapacity: number,
  ) {}

  /**
   * Makes file bytes [pos, pos+n) available (clipped to `limit`) and returns how many of them are.
   * Bytes already in the window are kept; afterwards address them as buf[offset - start].
   */
  async ensure(pos: number, n: number): Promise<number> {
    const want = Math.min(n, this.limit - pos);
    if (want <= 0) return 0;
    if (pos >= this.start && pos + want <= this.start + this.length) return want;
    if (want > this.maxCapacity) throw new Error(`internal: window of ${want} bytes requested`);

    const keep = pos >= this.start && pos < this.start + this.length ? this.start + this.length - pos : 0;
    const capacity = Math.min(this.maxCapacity, Math.max(want, READ_AHEAD, this.buf.length));
    if (capacity > this.buf.length) {
      const next = new Uint8Array(Math.min(this.maxCapacity, Math.max(capacity, this.buf.length * 2)));
      if (keep > 0) next.set(this.buf.subarray(pos - this.start, pos - this.start + keep));
      this.buf = next;
    } else if (keep > 0) {
      this.buf.copyWithin(0, pos - this.start, pos - this.start + keep);
    }
    this.start = pos;
    this.length = keep;

    const fillTo = Math.min(this.buf.length, this.limit - pos, Math.max(want, Math.min(this.buf.length, READ_AHEAD)));
    if (fillTo > this.length) {
      const got = await this.file.readInto(this.buf.subarray(this.length, fillTo), pos + this.length);
      this.length += got;
    }
    if (this.length < want) {
      throw new StemkitError('E_TRUNCATED', `${this.file.path}: the file ended at byte ${pos + this.length} while reading (it shrank after opening)`, {
        file: this.file.path,
        hint: 'the file is being written or replaced; wait for that to finish and run again',
      });
    }
    return want;
  }
}
