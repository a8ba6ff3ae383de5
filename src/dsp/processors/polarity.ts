/** Polarity inversion of selected channels (default: all). Zero latency, zero tail. */
import type { PolaritySpec } from './schema.js';
import { checkPlanar, ProcessorConfigError, type Processor, type ProcessorContext } from './types.js';

/** Inverts the polarity of selected channels (default: all). */
export class Polarity implements Processor {
  /** None. */
  readonly latency = 0;
  /** None: it keeps no state. */
  readonly tail = 0;
  /** Indices (from 0) of the channels it inverts. */
  readonly inverted: readonly number[];
  private readonly channels: number;

  constructor(spec: PolaritySpec, ctx: ProcessorContext) {
    this.channels = ctx.channels;
    const list = spec.channels ?? Array.from({ length: ctx.channels }, (_, i) => i);
    list.forEach((ch, i) => {
      if (ch >= ctx.channels) throw new ProcessorConfigError(['channels', i], `channel ${ch} does not exist (the signal has ${ctx.channels} channel${ctx.channels === 1 ? '' : 's'}, indices from 0)`);
    });
    this.inverted = list;
  }

  /** Negates `frames` frames of the `inverted` channels, in place. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    for (const ch of this.inverted) {
      const x = planar[ch]!;
      for (let i = 0; i < frames; i++) x[i] = -x[i]!;
    }
  }

  /** Nothing to do: it keeps no state. */
  reset(): void {}
}
