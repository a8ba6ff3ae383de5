import { createProcessor } from '../dsp/processors/index.js';
import type { ProcessorSpec } from '../dsp/processors/schema.js';
import type { Processor } from '../dsp/processors/types.js';

/** Inserts in series; latency and tail add up along the chain. */
export class Chain {
  readonly latency: number;
  readonly tail: number;

  constructor(readonly processors: Processor[]) {
    this.latency = processors.reduce((a, p) => a + p.latency, 0);
    this.tail = processors.reduce((a, p) => a + p.tail, 0);
  }

  process(planar: Float32Array[], frames: number): void {
    for (const p of this.processors) p.process(planar, frames);
  }

  /** See Processor.dispose. */
  dispose(): void {
    for (const p of this.processors) p.dispose?.();
  }
}

/** Impulse responses by the name used in the session, already at the session rate. */
export type Impulses = Map<string, Float32Array[]>;

export function buildChain(specs: ProcessorSpec[], sampleRate: number, channels: number, impulses: Impulses): Chain {
  return new Chain(
    specs.map((spec) => {
      const impulse = spec.type === 'reverb' && spec.impulse ? impulses.get(spec.impulse) : undefined;
      return createProcessor(spec, { sampleRate, channels, ...(impulse ? { impulse } : {}) });
    }),
  );
}
