/**
 * Encoded packets of one track made as segments on worker threads and handed out in order: the
 * segments the consumer waits for, plus `ahead` more, are queued; finished ones are taken in order
 * and their packets released, so memory stays bounded however long the track.
 */

/** A segment's packets, back to back, and the size of each: what an encoding job returns. */
export interface PacketSegment {
  data: Uint8Array;
  sizes: Int32Array;
}

/** Concatenates packets into one PacketSegment (one buffer to post back from a worker). */
export function packSegment(packets: readonly Uint8Array[]): PacketSegment {
  const sizes = Int32Array.from(packets, (p) => p.length);
  const data = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  for (const p of packets) {
    data.set(p, offset);
    offset += p.length;
  }
  return { data, sizes };
}

export class PacketSegments {
  private readonly started: Promise<PacketSegment>[] = [];
  private taken = 0;
  private ready: Uint8Array[] = [];

  /**
   * `count` segments of `perSegment` packets each (the last may hold fewer); `start(i)` runs
   * segment i's job.
   */
  constructor(
    private readonly count: number,
    private readonly perSegment: number,
    private readonly start: (index: number) => Promise<PacketSegment>,
    private readonly ahead = 2,
  ) {}

  /** Waits until the packets before `packets` are ready (see `take`), and queues the segments after. */
  async advance(packets: number): Promise<void> {
    const needed = Math.min(this.count, Math.ceil(packets / this.perSegment));
    while (this.started.length < Math.min(needed + this.ahead, this.count)) {
      const result = this.start(this.started.length);
      // Awaited in order later; until then a failure must not count as unhandled.
      result.catch(() => undefined);
      this.started.push(result);
    }
    while (this.taken < needed) {
      const { data, sizes } = await this.started[this.taken]!;
      delete this.started[this.taken];
      this.taken++;
      let offset = 0;
      for (const size of sizes) {
        this.ready.push(data.subarray(offset, offset + size));
        offset += size;
      }
    }
  }

  /** The packets made ready since the last call, in order. */
  take(): Uint8Array[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }
}
