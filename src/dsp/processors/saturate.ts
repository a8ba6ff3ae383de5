/**
 * Waveshaping saturation, ×8 oversampled so the harmonics it creates do not alias.
 *
 * Signal path per channel: drive → three linear-phase half-band ×2 interpolators (48 → 96 → 192 →
 * 384 kHz at 48 kHz) → waveshaper → three half-band ×2 decimators → mix with the dry input delayed
 * by the same amount. The filters protect 0–20 kHz (at 48 kHz: 20 kHz pass / 28 kHz stop at the
 * first stage, 24/72 and 24/168 kHz at the next) with ≥ 107 dB stop-band attenuation and ≤ 0.0003 dB
 * pass-band ripple. ×8 keeps hard-driven tanh alias products of a 15 kHz tone below −80 dB: the
 * first harmonics to fold back at 384 kHz are the 25th and 27th.
 *
 * Latency: every stage is linear phase (symmetric FIR), and an extra one-sample delay at 384 kHz
 * makes the chain's total group delay an integer number of base-rate samples, reported exactly
 * (53 samples at any base rate; the filters scale with it).
 *
 * Shapes (unity small-signal gain, output bounded by ±1), u = drive·x:
 *   'tanh':  y = tanh(u)
 *   'soft':  y = 1.5·t − 0.5·t³ with t = tanh(2u/3): the cubic soft-clip polynomial on a tanh, so
 *            it is analytic (no clip-point kink whose 1/k³ harmonics would alias), more linear than
 *            tanh at moderate levels (y ≈ u − 0.296·u³) and flat as it reaches ±1.
 * Both are odd (no even harmonics). Extreme drive tends to a square wave, whose harmonics fall
 * only as 1/k: at ×8, a 15 kHz tone driven to u ≈ 4 keeps aliases below −85 dB, at u ≈ 8 −50 dB.
 */
import { HalfbandDown, HalfbandUp, halfbandTaps } from './halfband.js';
import type { SaturateSpec } from './schema.js';
import { checkPlanar, dbToGain, type Processor, type ProcessorContext } from './types.js';

const CHUNK = 128;
/** Half-band centres (odd) and Kaiser β per stage (base→×2, ×2→×4, ×4→×8). */
const STAGES = [
  { c: 43, beta: 11 },
  { c: 15, beta: 11 },
  { c: 13, beta: 11 },
] as const;
/** Extra ×8-rate delay making (8c₁ + 4c₂ + 2c₃ − 7 + e) a multiple of 8 (see latency derivation in the class). */
const EXTRA = (((7 - 8 * STAGES[0].c - 4 * STAGES[1].c - 2 * STAGES[2].c) % 8) + 8) % 8;
/** Oversampling factor. */
export const OVERSAMPLING = 8;

interface ChannelPath {
  up: [HalfbandUp, HalfbandUp, HalfbandUp];
  down: [HalfbandDown, HalfbandDown, HalfbandDown];
  dry: Float32Array;
}

/** Waveshaping saturation (tanh or soft), ×8 oversampled so its harmonics do not alias. */
export class Saturate implements Processor {
  /** The oversampling filters' group delay, frames (53 at any rate); the dry signal is delayed to match. */
  readonly latency: number;
  /** Twice the latency plus one, frames: the filters ring for at most their length, and the shaper has no memory. */
  readonly tail: number;
  private readonly channels: number;
  private readonly drive: number;
  private readonly mix: number;
  private readonly soft: boolean;
  private readonly paths: ChannelPath[];
  private dryPos = 0;
  // Work buffers shared by all channels: base, ×2, ×4, ×8 rates.
  private readonly b1 = new Float64Array(CHUNK);
  private readonly b2 = new Float64Array(2 * CHUNK);
  private readonly b4 = new Float64Array(4 * CHUNK);
  private readonly b8 = new Float64Array(8 * CHUNK);

  constructor(spec: SaturateSpec, ctx: ProcessorContext) {
    this.channels = ctx.channels;
    this.drive = dbToGain(spec.drive);
    this.mix = spec.mix;
    this.soft = spec.shape === 'soft';
    const taps = STAGES.map((s) => halfbandTaps(s.c, s.beta));
    this.paths = Array.from({ length: ctx.channels }, () => ({
      up: [new HalfbandUp(taps[0]!, CHUNK), new HalfbandUp(taps[1]!, 2 * CHUNK), new HalfbandUp(taps[2]!, 4 * CHUNK)],
      down: [new HalfbandDown(taps[0]!, 2 * CHUNK), new HalfbandDown(taps[1]!, 4 * CHUNK), new HalfbandDown(taps[2]!, 8 * CHUNK, EXTRA)],
      dry: new Float32Array(0),
    }));
    // Group delay at ×8: up stages 4c₁ + 2c₂ + c₃, down stages 4(c₁ − 1) + 2(c₂ − 1) + (c₃ − 1 + e).
    const p = this.paths[0]!;
    const total = 4 * p.up[0].delay + 2 * p.up[1].delay + p.up[2].delay + 4 * p.down[0].delay + 2 * p.down[1].delay + p.down[2].delay;
    if (total % OVERSAMPLING !== 0) throw new Error(`internal: oversampling delay ${total} is not a multiple of ${OVERSAMPLING}`);
    this.latency = total / OVERSAMPLING;
    // The FIRs ring for at most their length; the shaper is memoryless.
    this.tail = 2 * this.latency + 1;
    for (const path of this.paths) path.dry = new Float32Array(this.latency);
  }

  /** Saturates `frames` frames of `planar` in place (delayed by `latency`). */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    const { b1, b2, b4, b8 } = this;
    const drive = this.drive, wet = this.mix, dryGain = 1 - wet;
    const D = this.latency;
    let pos = this.dryPos;
    for (let off = 0; off < frames; off += CHUNK) {
      const n = Math.min(CHUNK, frames - off);
      for (let ch = 0; ch < this.channels; ch++) {
        const x = planar[ch]!;
        const path = this.paths[ch]!;
        for (let i = 0; i < n; i++) b1[i] = drive * x[off + i]!;
        path.up[0].process(b1, n, b2);
        path.up[1].process(b2, 2 * n, b4);
        path.up[2].process(b4, 4 * n, b8);
        this.shape(b8, 8 * n);
        path.down[2].process(b8, 8 * n, b4);
        path.down[1].process(b4, 4 * n, b2);
        path.down[0].process(b2, 2 * n, b1);
        const dry = path.dry;
        pos = this.dryPos;
        for (let i = 0; i < n; i++) {
          const input = x[off + i]!;
          const delayed = dry[pos]!;
          dry[pos] = input;
          if (++pos === D) pos = 0;
          x[off + i] = dryGain * delayed + wet * b1[i]!;
        }
      }
      this.dryPos = pos;
    }
  }

  private shape(buf: Float64Array, n: number): void {
    if (this.soft) {
      for (let i = 0; i < n; i++) {
        const t = Math.tanh(buf[i]! * (2 / 3));
        buf[i] = t * (1.5 - 0.5 * t * t);
      }
    } else {
      for (let i = 0; i < n; i++) buf[i] = Math.tanh(buf[i]!);
    }
  }

  /** Empties the oversampling filters and the dry delay. */
  reset(): void {
    for (const path of this.paths) {
      for (const u of path.up) u.reset();
      for (const d of path.down) d.reset();
      path.dry.fill(0);
    }
    this.dryPos = 0;
  }
}
