/** Static gain (dB). Zero latency, zero tail. */
import type { GainSpec } from './schema.js';
import { checkPlanar, dbToGain, type Processor, type ProcessorContext } from './types.js';

export class Gain implements Processor {
  readonly latency = 0;
  readonly tail = 0;
  readonly gain: number;
  private readonly channels: number;

  constructor(spec: GainSpec, ctx: ProcessorContext) {
    this.gain = dbToGain(spec.gain);
    this.channels = ctx.channels;
  }

  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    const g = this.gain;
    if (g === 1) return;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      for (let i = 0; i < frames; i++) x[i] = x[i]! * g;
    }
  }

  reset(): void {}
}
