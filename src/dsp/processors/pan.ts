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

export class Pan implements Processor {
  readonly latency = 0;
  readonly tail = 0;
  readonly gains: [number, number];
  private readonly channels: number;

  constructor(spec: PanSpec, ctx: ProcessorContext) {
    this.channels = ctx.channels;
    this.gains = ctx.channels === 2 ? panGains(spec.pan) : [1, 1];
  }

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

  reset(): void {}
}
