/**
 * Throughput of the render processors in × real time on one core (stereo, 48 kHz):
 * `npm run bench:processors`. Not a comparison with another tool: a budget check for render.
 */
import { prng } from '../src/dsp/random.js';
import { allocateSamples, releaseSamples } from '../src/dsp/simd.js';
import { createChain, createProcessor } from '../src/dsp/processors/index.js';
import type { ProcessorSpecInput } from '../src/dsp/processors/schema.js';
import type { Processor, ProcessorContext } from '../src/dsp/processors/types.js';
import { loadNodeKernels } from '../src/engine/kernels.js';

await loadNodeKernels();

/** Best of `repeats` runs over `seconds` of loud, moving stereo material, in `block`-frame calls. */
export function throughput(make: () => Processor, ctx: ProcessorContext, seconds = 20, block = 4096, repeats = 3): number {
  const n = Math.round(seconds * ctx.sampleRate);
  const r = prng(7);
  const source = Array.from({ length: ctx.channels }, () => new Float32Array(n));
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 2 * i) / ctx.sampleRate);
    lp = 0.99 * lp + 0.1 * (r() * 2 - 1);
    for (const c of source) c[i] = env * (lp + 0.3 * (r() * 2 - 1));
  }
  let best = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const p = make();
    // In the SIMD kernels' memory, as the renderer's buffers are (elsewhere processors take the slower JavaScript path).
    const buf = source.map((c) => {
      const x = allocateSamples(n);
      x.set(c);
      return x;
    });
    const views = buf.map((c) => c.subarray(0, 0));
    const t0 = performance.now();
    for (let off = 0; off < n; off += block) {
      const m = Math.min(block, n - off);
      for (let c = 0; c < buf.length; c++) views[c] = buf[c]!.subarray(off, off + m);
      p.process(views, m);
    }
    best = Math.max(best, seconds / ((performance.now() - t0) / 1000));
    p.dispose?.();
    for (const x of buf) releaseSamples(x);
  }
  return best;
}

export const THROUGHPUT_CASES: Record<string, ProcessorSpecInput[]> = {
  'eq (3 bands)': [{ type: 'eq', bands: [{ type: 'highpass', freq: 80 }, { type: 'peak', freq: 1000, gain: 3, q: 1 }, { type: 'highshelf', freq: 8000, gain: -2 }] }],
  compressor: [{ type: 'compressor', threshold: -24, ratio: 4, attack: 5, release: 100 }],
  'eq (3 bands) + compressor': [
    { type: 'eq', bands: [{ type: 'highpass', freq: 80 }, { type: 'peak', freq: 1000, gain: 3, q: 1 }, { type: 'highshelf', freq: 8000, gain: -2 }] },
    { type: 'compressor', threshold: -24, ratio: 4, attack: 5, release: 100 },
  ],
  limiter: [{ type: 'limiter', ceiling: -1 }],
  'reverb (FDN)': [{ type: 'reverb', decay: 2.5, predelay: 20, damping: 6000 }],
  saturate: [{ type: 'saturate', drive: 12 }],
  delay: [{ type: 'delay', time: 300, feedback: 0.5, mix: 0.5 }],
};

/** A table of × real time, stereo 48 kHz, one core. */
export function throughputReport(seconds = 20): string {
  const ctx: ProcessorContext = { sampleRate: 48000, channels: 2 };
  const lines: string[] = [];
  for (const [name, specs] of Object.entries(THROUGHPUT_CASES)) {
    lines.push(`${name.padEnd(28)} ${throughput(() => createChain(specs, ctx), ctx, seconds).toFixed(0).padStart(6)}× real time`);
  }
  const r = prng(11);
  const ir = [0, 1].map(() => Float32Array.from({ length: 2 * 48000 }, (_, i) => Math.exp(-i / 15000) * (r() * 2 - 1)));
  const convCtx = { ...ctx, impulse: ir };
  lines.push(`${'convolution (2 s stereo IR)'.padEnd(28)} ${throughput(() => createProcessor({ type: 'reverb', impulse: 'ir.wav' }, convCtx), convCtx, seconds).toFixed(0).padStart(6)}× real time`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(throughputReport());
