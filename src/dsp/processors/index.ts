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
import { parseProcessorSpec, type ProcessorSpec, type ProcessorSpecInput } from './schema.js';
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

/** Processors in series as one. */
export class Chain implements Processor {
  readonly latency: number;
  readonly tail: number;

  constructor(
    readonly stages: readonly Processor[],
    private readonly channels: number,
  ) {
    this.latency = stages.reduce((a, p) => a + p.latency, 0);
    this.tail = stages.reduce((a, p) => a + p.tail, 0);
  }

  process(planar: Float32Array[], frames: number): void {
    checkPlanar(planar, this.channels, frames);
    for (const p of this.stages) p.process(planar, frames);
  }

  reset(): void {
    for (const p of this.stages) p.reset();
  }
}

/**
 * A chain of processors; an error in stage i is rethrown with the stage index in its path/message
 * ("[2].bands[0].freq: …"). Every stage gets the same ctx and impulse library.
 */
export function createChain(specs: readonly (ProcessorSpecInput | ProcessorSpec)[], ctx: ProcessorContext, impulses?: ImpulseLibrary): Chain {
  checkContext(ctx);
  const stages = specs.map((spec, i) => {
    try {
      return createProcessor(spec, ctx, impulses);
    } catch (e) {
      if (e instanceof ProcessorConfigError) throw new ProcessorConfigError([i, ...e.path], e.message.slice(e.message.indexOf(': ') + 2));
      if (e instanceof Error) e.message = `[${i}] ${e.message.split('\n').join(`\n[${i}] `)}`;
      throw e;
    }
  });
  return new Chain(stages, ctx.channels);
}
