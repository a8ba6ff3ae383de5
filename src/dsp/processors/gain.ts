/** Static gain (dB). Zero latency, zero tail. */
import type { GainSpec } from './schema.js';
import { checkPlanar, dbToGain, type Processor, type ProcessorContext } from './types.js';

/** A static gain on every channel. */
export class Gain implements Processor {
  /** None. */
  readonly latency = 0;
  /** None: it keeps no state. */
  readonly tail = 0;
  /** The spec's gain as a linear factor. */
  readonly gain: number;
  private readonly channels: number;

  constructor(spec: GainSpec, ctx: ProcessorContext) {
    this.gain = dbToGain(spec.gain);
    this.channels = ctx.channels;
  }

  /** Multiplies `frames` frames of every channel by `gain`, in place. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    const g = this.gain;
    if (g === 1) return;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      for (let i = 0; i < frames; i++) x[i] = x[i]! * g;
    }
  }

  /** Nothing to do: it keeps no state. */
  reset(): void {}
}
