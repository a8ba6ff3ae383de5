/**
 * A fixed integer delay per channel, for latency compensation: the shorter paths of a graph are
 * delayed to match the longest, to the sample. Processes in place, any block size.
 */
export class DelayLine {
  private readonly buffers: Float32Array[];
  private position = 0;

  constructor(
    readonly channels: number,
    readonly delay: number,
  ) {
    this.buffers = Array.from({ length: channels }, () => new Float32Array(Math.max(1, delay)));
  }

  process(planar: Float32Array[], frames: number): void {
    const d = this.delay;
    if (d === 0) return;
    let position = this.position;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      const ring = this.buffers[ch]!;
      position = this.position;
      for (let i = 0; i < frames; i++) {
        const out = ring[position]!;
        ring[position] = x[i]!;
        x[i] = out;
        if (++position === d) position = 0;
      }
    }
    this.position = position;
  }
}
