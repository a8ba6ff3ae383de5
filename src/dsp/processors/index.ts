/**
 * Processors for `stemkit render`: inserts, effect returns and the master chain.
 *
 *   createProcessor(spec, ctx, impulses?) → Processor   (spec validated and defaulted by ProcessorSpecSchema)
 *   createChain(specs, ctx, impulses?)    → Chain       (in series; latency and tail are the sums)
 *
 * A reverb spec with `impulse: path` convolves with impulses.get(path) if given, else ctx.impulse
 * (already at ctx.sampleRate); without `impulse` it is the algorithmic FDN and ignores both.
 *
 * Pure DSP: no Node APIs, no I/O. See types.ts for the latency/tail contract.
 */
import { allFinite } from '../simd.js';
import { Compressor } from './compressor.js';
import { ConvolutionReverb } from './convolution.js';
import { Delay } from './delay.js';
import { Eq } from './eq.js';
import { Gain } from './gain.js';
import { Limiter } from './limiter.js';
import { Pan } from './pan.js';
import { Polarity } from './polarity.js';
import { Reverb } from './reverb.js';
import { Saturate } from './saturate.js';
import { parseProcessorSpec, ProcessorSpecError, type ProcessorSpec, type ProcessorSpecInput } from './schema.js';
import { checkContext, checkPlanar, ProcessorConfigError, type Processor, type ProcessorContext } from './types.js';

export * from './schema.js';
export * from './types.js';
export { Compressor, ConvolutionReverb, Delay, Eq, Gain, Limiter, Pan, Polarity, Reverb, Saturate };

/** Impulse responses by the `impulse` path written in the spec (each already at the context's sample rate). */
export type ImpulseLibrary = ReadonlyMap<string, Float32Array[]>;

/** Builds one processor. Throws ProcessorSpecError (invalid spec) or ProcessorConfigError (not realisable at ctx). */
export function createProcessor(spec: ProcessorSpecInput | ProcessorSpec, ctx: ProcessorContext, impulses?: ImpulseLibrary): Processor {
  checkContext(ctx);
  const s = parseProcessorSpec(spec);
  switch (s.type) {
    case 'gain':
      return new Gain(s, ctx);
    case 'pan':
      return new Pan(s, ctx);
    case 'polarity':
      return new Polarity(s, ctx);
    case 'eq':
      return new Eq(s, ctx);
    case 'compressor':
      return new Compressor(s, ctx);
    case 'limiter':
      return new Limiter(s, ctx);
    case 'saturate':
      return new Saturate(s, ctx);
    case 'delay':
      return new Delay(s, ctx);
    case 'reverb':
      if (s.impulse !== undefined) {
        const ir = impulses?.get(s.impulse) ?? ctx.impulse;
        if (!ir) throw new ProcessorConfigError(['impulse'], `no impulse response was loaded for ${s.impulse} (neither impulses nor ctx.impulse has it)`);
        return new ConvolutionReverb(s, ctx, ir);
      }
      return new Reverb(s, ctx);
  }
}

/**
 * Processors in series as one, guarded against non-finite samples: one NaN or ±Infinity that gets
 * into a filter's, compressor's or reverb's state would otherwise make all of its later output NaN
 * (silence once written as integers). After each block the chain's output is checked (one SIMD pass
 * per channel); a block with non-finite samples has them set to 0 and every stage reset, so the audio
 * after it plays on. `nonFiniteRecovered` counts the samples so replaced, for callers that must not
 * deliver such audio as if it were whole.
 */
export class Chain implements Processor {
  /** The sum of the stages' latencies, frames. */
  readonly latency: number;
  /** The sum of the stages' tails, frames. */
  readonly tail: number;
  /** Output samples that were NaN or ±Infinity and were set to 0 (each time, the stages were reset). */
  nonFiniteRecovered = 0;
  /** Output frame (from the first frame this chain produced) of the first replaced sample; −1 when none. */
  firstNonFiniteFrame = -1;
  private framesDone = 0;

  constructor(
    /** The processors in the order they run. */
    readonly stages: readonly Processor[],
    private readonly channels: number,
  ) {
    this.latency = stages.reduce((a, p) => a + p.latency, 0);
    this.tail = stages.reduce((a, p) => a + p.tail, 0);
  }

  /** Runs every stage on `frames` frames of `planar` in place; non-finite output becomes 0 and resets every stage. */
  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    for (const p of this.stages) p.process(planar, frames);
    if (this.stages.length > 0) this.recoverNonFinite(planar, frames);
    this.framesDone += frames;
  }

  /** Resets every stage; the counts of replaced samples are kept. */
  reset(): void {
    for (const p of this.stages) p.reset();
  }

  /** Disposes of every stage that holds state in the SIMD kernels' memory; no use afterwards. */
  dispose(): void {
    for (const p of this.stages) p.dispose?.();
  }

  private recoverNonFinite(planar: Float32Array[], frames: number): void {
    let first = -1;
    let count = 0;
    for (let ch = 0; ch < this.channels; ch++) {
      const x = planar[ch]!;
      if (allFinite(x, 0, frames)) continue;
      for (let i = 0; i < frames; i++) {
        if (Number.isFinite(x[i]!)) continue;
        x[i] = 0;
        count++;
        if (first < 0 || i < first) first = i;
      }
    }
    if (count === 0) return;
    if (this.firstNonFiniteFrame < 0) this.firstNonFiniteFrame = this.framesDone + first;
    this.nonFiniteRecovered += count;
    this.reset();
  }
}

/**
 * A chain of processors; a spec or config error in stage i is rethrown with the stage index at the
 * head of its path ("[2].bands[0].freq: …"). Every stage gets the same ctx and impulse library.
 */
export function createChain(specs: readonly (ProcessorSpecInput | ProcessorSpec)[], ctx: ProcessorContext, impulses?: ImpulseLibrary): Chain {
  checkContext(ctx);
  const stages = specs.map((spec, i) => {
    try {
      return createProcessor(spec, ctx, impulses);
    } catch (e) {
      if (e instanceof ProcessorConfigError || e instanceof ProcessorSpecError) throw e.at([i]);
      throw e;
    }
  });
  return new Chain(stages, ctx.channels);
}
