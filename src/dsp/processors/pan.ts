/**
 * Stereo balance with a constant-power law normalised to unity at the centre:
 * θ = (pan + 1)·π/4, gL = √2·cos θ, gR = √2·sin θ, so gL² + gR² = 2 at every position (pan 0 is an
 * exact no-op; hard left leaves L at +3 dB and mutes R). On anything but 2 channels it is a no-op:
 * mono → stereo panning is the renderer's job.
 */
import type { PanSpec } from './schema.js';
import { checkPlanar, type Processor, type ProcessorContext } from './types.js';

export function panGains(pan: number): [number, number] {
  const theta = ((pan + 1) * Math.PI) / 4;
  const snap = (g: number) => (Math.abs(g - 1) < 1e-12 ? 1 : Math.abs(g) < 1e-12 ? 0 : g);
  return [snap(Math.SQRT2 * Math.cos(theta)), snap(Math.SQRT2 * Math.sin(theta))];
}

/** Constant-power stereo balance, unity at the centre; a no-op on anything but 2 channels. */
export class Pan implements Processor {
  /** None. */
  readonly latency = 0;
  /** None: it keeps no state. */
  readonly tail = 0;
  /** Linear gains of the left and right channel; [1, 1] unless the signal is stereo. */
  readonly gains: [number, number];
  private readonly channels: number;

  constructor(spec: PanSpec, ctx: ProcessorContext) {
    this.channels = ctx.channels;
    this.gains = ctx.channels === 2 ? panGains(spec.pan) : [1, 1];
  }

  /** Scales the two channels of `frames` frames by `gains`, in place; leaves other channel counts alone. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    if (this.channels !== 2) return;
    for (let ch = 0; ch < 2; ch++) {
      const g = this.gains[ch]!;
      if (g === 1) continue;
      const x = planar[ch]!;
      for (let i = 0; i < frames; i++) x[i] = x[i]! * g;
    }
  }

  /** Nothing to do: it keeps no state. */
  reset(): void {}
}
