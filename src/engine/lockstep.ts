import { StemkitError } from '../errors.js';
import type { AudioSource } from '../audio/types.js';
import { allocateSamples, releaseSamples } from '../dsp/simd.js';

/** One block of every source at the same timeline position. */
export interface LockstepBlock {
  /** First frame of the block on the common timeline. */
  start: number;
  /** Frames in this block (the last block may be short). */
  frames: number;
  /** Per source, planar samples; zero past a source's own end so shorter files read as silence. */
  data: Float32Array[][];
}

export interface Progress {
  framesDone: number;
  framesTotal: number;
  /** 0 … 1 */
  fraction: number;
  elapsedMs: number;
}

export interface LockstepOptions {
  /** Frames per block. Default: see defaultBlockFrames. */
  blockFrames?: number;
  /** First frame (default 0). */
  start?: number;
  /** End frame, exclusive (default: the longest source). */
  end?: number;
  /** Called after each block is consumed. */
  onProgress?: (progress: Progress) => void;
  /** Stops the stream with E_ABORTED at the next block boundary. */
  signal?: AbortSignal;
  /** Reuses block buffers from an earlier stream of the same shape (see LockstepBuffers). */
  buffers?: LockstepBuffers;
}

/**
 * Lockstep's two buffer sets, kept between streams of the same shape. A worker that streams
 * segment after segment would otherwise leave megabytes of ArrayBuffers per segment for the
 * garbage collector, which lets them pile up (peak memory then grows with the file's length).
 * One stream at a time: a stream that finds them in use gets fresh ones.
 */
export class LockstepBuffers {
  private sets: Float32Array[][][] | null = null;
  private shape = '';
  private inUse = false;

  take(sources: AudioSource[], frames: number): Float32Array[][][] {
    const shape = `${frames}:${sources.map((s) => s.format.channels).join(',')}`;
    if (this.inUse) return [allocate(sources, frames), allocate(sources, frames)];
    if (!this.sets || shape !== this.shape) {
      if (this.sets) release(this.sets);
      this.sets = [allocate(sources, frames), allocate(sources, frames)];
      this.shape = shape;
    }
    this.inUse = true;
    return this.sets;
  }

  release(sets: Float32Array[][][]): void {
    if (sets === this.sets) this.inUse = false;
    else release(sets);
  }

  /** Gives the kept buffers back to the kernels' memory (when no stream is using them). */
  clear(): void {
    if (this.sets && !this.inUse) {
      release(this.sets);
      this.sets = null;
      this.shape = '';
    }
  }
}

/** Most frames per block: 0.68 s at 48 kHz, large enough to amortise reads, small enough for cache. */
const MAX_BLOCK_FRAMES = 32768;
/** Fewest frames per block, however many sources: reads and kernel calls stay efficient. */
const MIN_BLOCK_FRAMES = 2048;
/**
 * Bytes the two buffer sets of all sources may take together. A few stems get the largest blocks;
 * a package of 1000 stereo stems gets 4096-frame blocks instead of 0.5 GB of buffers per thread.
 */
const BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;

/** Frames per block for these sources: MAX_BLOCK_FRAMES unless their channels would overrun the budget. */
export function defaultBlockFrames(sources: readonly AudioSource[]): number {
  const channels = sources.reduce((a, s) => a + s.format.channels, 0);
  const fit = Math.floor(BUFFER_BUDGET_BYTES / (2 * 4 * Math.max(1, channels)) / 1024) * 1024;
  return Math.max(MIN_BLOCK_FRAMES, Math.min(MAX_BLOCK_FRAMES, fit));
}

/**
 * Streams N sources block by block in lockstep. While the consumer works on block k, block k+1 is
 * already being read (two buffer sets alternate), so decoding overlaps I/O and memory stays at
 * two blocks per source whatever the files' length. A block is valid until the next one is requested.
 */
export async function* lockstep(sources: AudioSource[], options: LockstepOptions = {}): AsyncGenerator<LockstepBlock> {
  const blockFrames = options.blockFrames ?? defaultBlockFrames(sources);
  if (!Number.isInteger(blockFrames) || blockFrames < 1) {
    throw new StemkitError('E_USAGE', `blockFrames must be a positive integer, got ${blockFrames}`, { hint: 'fix the lockstep options' });
  }
  const start = options.start ?? 0;
  const end = options.end ?? Math.max(0, ...sources.map((s) => s.format.frames));
  const total = Math.max(0, end - start);
  const began = Date.now();
  const sets = options.buffers ? options.buffers.take(sources, blockFrames) : [allocate(sources, blockFrames), allocate(sources, blockFrames)];

  const fill = async (set: Float32Array[][], at: number): Promise<LockstepBlock> => {
    const frames = Math.min(blockFrames, end - at);
    await Promise.all(
      sources.map(async (source, i) => {
        const buffers = set[i]!;
        const got = await source.read(at, Math.max(0, Math.min(frames, source.format.frames - at)), buffers);
        const valid = got[0]?.length ?? 0;
        if (valid < frames) for (const channel of buffers) channel.fill(0, valid, frames);
      }),
    );
    return { start: at, frames, data: set.map((buffers) => buffers.map((channel) => channel.subarray(0, frames))) };
  };

  let which = 0;
  let pending = start < end ? fill(sets[0]!, start) : null;
  try {
    for (let at = start; pending; at += blockFrames) {
      const block = await pending;
      if (options.signal?.aborted) throw new StemkitError('E_ABORTED', 'stopped by the caller', { hint: 'run again to finish' });
      which ^= 1;
      const next = at + blockFrames;
      pending = next < end ? fill(sets[which]!, next) : null;
      // A read-ahead that fails while the consumer is busy must not become an unhandled rejection.
      pending?.catch(() => undefined);
      yield block;
      const done = Math.min(next, end) - start;
      options.onProgress?.({ framesDone: done, framesTotal: total, fraction: total ? done / total : 1, elapsedMs: Date.now() - began });
    }
  } finally {
    // A consumer that stops early leaves a read-ahead in flight: it must land before the buffers go back.
    await pending?.catch(() => undefined);
    if (options.buffers) options.buffers.release(sets);
    else release(sets);
  }
}

/** Block buffers live in the SIMD kernels' memory, where the meters use them in place. */
function allocate(sources: AudioSource[], frames: number): Float32Array[][] {
  return sources.map((s) => Array.from({ length: s.format.channels }, () => allocateSamples(frames)));
}

function release(sets: Float32Array[][][]): void {
  for (const set of sets) for (const buffers of set) for (const channel of buffers) releaseSamples(channel);
}
