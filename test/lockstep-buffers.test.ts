import { describe, expect, it } from 'vitest';
import type { AudioFormat, AudioSource } from '../src/audio/types.js';
import { lockstep, LockstepBuffers } from '../src/engine/lockstep.js';
import { arenaInUse } from '../src/dsp/simd.js';

/** A source whose sample at frame f is f (channel 0) and −f (channel 1), read with a delay so read-ahead overlaps the consumer. */
function rampSource(frames: number, delayMs = 2): AudioSource {
  const format = { channels: 2, frames, sampleRate: 48000 } as AudioFormat;
  return {
    format,
    path: 'ramp',
    async read(start: number, count: number, into?: Float32Array[]) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const out = into!.map((c) => c.subarray(0, count));
      for (let i = 0; i < count; i++) {
        out[0]![i] = start + i;
        out[1]![i] = -(start + i);
      }
      return out;
    },
    async close() {},
  } as unknown as AudioSource;
}

async function firstSamples(source: AudioSource, buffers?: LockstepBuffers, stopAfter = Infinity, workMs = 0): Promise<{ starts: number[]; arrays: Float32Array[] }> {
  const starts: number[] = [];
  const arrays: Float32Array[] = [];
  for await (const block of lockstep([source], { blockFrames: 1000, ...(buffers ? { buffers } : {}) })) {
    expect(block.data[0]![0]![0]).toBe(block.start);
    expect(block.data[0]![1]![block.frames - 1]).toBe(-(block.start + block.frames - 1));
    starts.push(block.start);
    arrays.push(block.data[0]![0]!);
    if (starts.length >= stopAfter) break;
    // A consumer that awaits between blocks, while the next block is read ahead.
    if (workMs) await new Promise((resolve) => setTimeout(resolve, workMs));
  }
  return { starts, arrays };
}

/** Block buffers share the SIMD kernels' memory: identity is the byte range, not the ArrayBuffer. */
function sameMemory(x: Float32Array, y: Float32Array): boolean {
  return x.buffer === y.buffer && x.byteOffset === y.byteOffset;
}

function overlap(x: Float32Array, y: Float32Array): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

describe('LockstepBuffers', () => {
  it('a stream without kept buffers returns its block buffers to the SIMD arena, also when stopped early', async () => {
    const before = arenaInUse();
    await firstSamples(rampSource(5500));
    await firstSamples(rampSource(10_000, 5), undefined, 2);
    expect(arenaInUse()).toBe(before);
  });

  it('hands the same buffers to the next stream of the same shape, and fresh ones to a concurrent stream', async () => {
    const buffers = new LockstepBuffers();
    const a = await firstSamples(rampSource(5500), buffers);
    expect(a.starts).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    const b = await firstSamples(rampSource(3000), buffers);
    expect(sameMemory(b.arrays[0]!, a.arrays[0]!)).toBe(true); // reused
    // Two streams at once: the second must not share the first one's buffers.
    const [c, d] = await Promise.all([firstSamples(rampSource(4000), buffers), firstSamples(rampSource(4000), buffers)]);
    const shared = c.arrays.some((x) => d.arrays.some((y) => overlap(x, y)));
    expect(shared).toBe(false);
  });

  it('takes the buffers back only after the read-ahead of a stream stopped early has landed', async () => {
    const buffers = new LockstepBuffers();
    await firstSamples(rampSource(10_000, 30), buffers, 2); // stops with the third block still being read
    // The next stream reuses the buffers; a late write from the stopped stream would break its ramp checks.
    const next = await firstSamples(rampSource(30_000, 1), buffers, Infinity, 3);
    expect(next.starts).toHaveLength(30);
  });
});
