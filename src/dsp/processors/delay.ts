/**
 * Feedback delay (echo). Per channel: a delay line of D = round(time·fs/1000) samples, whose output
 * is fed back through a one-pole low-pass (`damping`, optional) and `feedback`:
 *
 *   r = line[n − D];   line[n] = x[n] + feedback · LP(r);   y[n] = (1 − mix)·x[n] + mix·r
 *
 * An impulse gives the dry (1 − mix) at 0 and echoes at k·D, k ≥ 1, of amplitude
 * mix·feedback^(k−1) (without damping; damping low-passes each repeat once more). Zero latency.
 */
import type { DelaySpec } from './schema.js';
import { checkBelowNyquist, checkPlanar, msToSamples, ProcessorConfigError, type Processor, type ProcessorContext, TAIL_FLOOR } from './types.js';

const TINY = 1e-30;

/** A feedback delay (echo) per channel, its repeats optionally damped by a low-pass. */
export class Delay implements Processor {
  /** None: the dry signal passes undelayed. */
  readonly latency = 0;
  /** Frames until the echoes decay below −90 dBFS (0 when `mix` is 0). */
  readonly tail: number;
  /** Delay in samples. */
  readonly length: number;
  private readonly channels: number;
  private readonly feedback: number;
  private readonly mix: number;
  /** One-pole coefficient (0 = no damping). */
  private readonly damp: number;
  private readonly lines: Float64Array[];
  private readonly lp: Float64Array;
  private pos = 0;

  constructor(spec: DelaySpec, ctx: ProcessorContext) {
    const fs = ctx.sampleRate;
    const D = msToSamples(spec.time, fs);
    if (D < 1) throw new ProcessorConfigError(['time'], `${spec.time} ms is less than one sample at ${fs} Hz`);
    this.length = D;
    this.channels = ctx.channels;
    this.feedback = spec.feedback;
    this.mix = spec.mix;
    if (spec.damping !== null) {
      checkBelowNyquist(['damping'], spec.damping, fs);
      this.damp = 1 - Math.exp((-2 * Math.PI * spec.damping) / fs);
    } else this.damp = 0;
    this.lines = Array.from({ length: ctx.channels }, () => new Float64Array(D));
    this.lp = new Float64Array(ctx.channels);
    this.tail = delayTail(D, spec.feedback, spec.mix, this.damp);
  }

  /** Mixes the echoes into `frames` frames of `planar`, in place. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    const D = this.length, fb = this.feedback, wet = this.mix, dry = 1 - wet, a = this.damp;
    let pos = this.pos;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      const line = this.lines[ch]!;
      let s = this.lp[ch]!;
      pos = this.pos;
      for (let i = 0; i < frames; i++) {
        const input = x[i]!;
        const r = line[pos]!;
        let back: number;
        if (a > 0) {
          s += a * (r - s);
          if (s < TINY && s > -TINY) s = 0;
          back = fb * s;
        } else back = fb * r;
        if (back < TINY && back > -TINY) back = 0;
        line[pos] = input + back;
        if (++pos === D) pos = 0;
        x[i] = dry * input + wet * r;
      }
      this.lp[ch] = s;
    }
    this.pos = pos;
  }

  /** Empties the delay lines and the damping filters. */
  reset(): void {
    for (const l of this.lines) l.fill(0);
    this.lp.fill(0);
    this.pos = 0;
  }
}

/**
 * After input silence, the line holds at most 1/(1 − fb) (a sustained 0 dBFS input built up by the
 * feedback) and each round trip multiplies that bound by fb (the low-pass has unit ℓ1 norm), so the
 * j-th round trip is below mix·fb^j/(1 − fb). Each low-pass pass also smears by ≲ 10/a samples.
 */
export function delayTail(D: number, fb: number, mix: number, damp: number): number {
  if (mix === 0) return 0;
  if (fb === 0) return D + 1;
  const j = Math.max(0, Math.ceil(Math.log((TAIL_FLOOR * (1 - fb)) / mix) / Math.log(fb)));
  const smear = damp > 0 ? Math.ceil(10 / damp) : 0;
  return (j + 1) * D + j * smear + 1;
}
