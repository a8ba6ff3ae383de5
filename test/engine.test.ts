import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { createWavWriter } from '../src/audio/wav/write.js';
import { SampleStats, type SampleStatsResult } from '../src/dsp/sample-stats.js';
import { defaultBlockFrames, lockstep, type Progress } from '../src/engine/lockstep.js';
import type { AudioSource } from '../src/audio/types.js';
import { WorkerPool } from '../src/engine/pool.js';
import { ChunkReceiver, ChunkSender } from '../src/engine/chunk-stream.js';
import { MessageChannel } from 'node:worker_threads';
import { splitRange } from '../src/engine/segments.js';
import { StemkitError } from '../src/errors.js';
import { randomQuantised } from './helpers/signals.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-engine-'));
const files: { path: string; planar: Float32Array[] }[] = [];

beforeAll(async () => {
  // Three files of different lengths and channel counts.
  for (const [i, channels, frames] of [[0, 2, 700_001], [1, 1, 500_000], [2, 6, 123_457]] as const) {
    const path = join(dir, `f${i}.wav`);
    const planar = randomQuantised(channels, frames, 24, 100 + i);
    const sink = await createWavWriter(path, { sampleRate: 48000, channels, format: 'pcm24' });
    await sink.write(planar);
    await sink.commit();
    files.push({ path, planar });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lockstep', () => {
  it('delivers every source block by block, aligned, zero-padded past shorter files', async () => {
    const sources = await Promise.all(files.map((f) => openAudio(f.path)));
    const progress: Progress[] = [];
    let expectedStart = 0;
    let mismatches = 0;
    for await (const block of lockstep(sources, { blockFrames: 40_000, onProgress: (p) => progress.push(p) })) {
      expect(block.start).toBe(expectedStart);
      block.data.forEach((planar, s) => {
        planar.forEach((channel, ch) => {
          const original = files[s]!.planar[ch]!;
          for (let i = 0; i < block.frames; i++) {
            const want = block.start + i < original.length ? original[block.start + i]! : 0;
            if (channel[i] !== want) mismatches++;
          }
        });
      });
      expectedStart += block.frames;
    }
    expect(mismatches).toBe(0);
    expect(expectedStart).toBe(700_001);
    expect(progress.at(-1)).toMatchObject({ framesDone: 700_001, framesTotal: 700_001, fraction: 1 });
    expect(progress.every((p, i) => i === 0 || p.framesDone > progress[i - 1]!.framesDone)).toBe(true);
    await Promise.all(sources.map((s) => s.close()));
  });

  it('honours a time range and stops on abort with a typed error', async () => {
    const source = await openAudio(files[0]!.path);
    let frames = 0;
    for await (const block of lockstep([source], { start: 1000, end: 91_000, blockFrames: 4096 })) frames += block.frames;
    expect(frames).toBe(90_000);
    const controller = new AbortController();
    const run = async () => {
      for await (const _ of lockstep([source], { blockFrames: 4096, signal: controller.signal })) controller.abort();
    };
    await expect(run()).rejects.toMatchObject({ code: 'E_ABORTED' });
    await source.close();
  });

  it('sizes blocks to a memory budget: large for a few stems, smaller for a thousand, never tiny', () => {
    const stereo = (n: number) => Array.from({ length: n }, () => ({ format: { channels: 2 } }) as AudioSource);
    expect(defaultBlockFrames(stereo(9))).toBe(32768);
    // 1001 stereo sources × 2 buffer sets × 4 bytes: 4096 frames keep them within 64 MiB.
    expect(defaultBlockFrames(stereo(1001))).toBe(4096);
    expect(2 * 4 * 2 * 1001 * defaultBlockFrames(stereo(1001))).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(defaultBlockFrames(stereo(100_000))).toBe(2048);
  });

  it('reads a source whose reads are larger than its scratch buffer (pieces) exactly', async () => {
    const source = await openAudio(files[0]!.path);
    // One read of 700,001 frames goes through the 64 KiB buffer in pieces.
    const whole = await source.read(0, 700_001);
    let mismatches = 0;
    whole.forEach((channel, ch) => channel.forEach((v, i) => (mismatches += v === files[0]!.planar[ch]![i] ? 0 : 1)));
    expect(whole.map((c) => c.length)).toEqual([700_001, 700_001]);
    expect(mismatches).toBe(0);
    await source.close();
  });
});

describe('segments', () => {
  it('splits a range into contiguous aligned parts covering it exactly', () => {
    const parts = splitRange(10, 1_000_010, 7, 1, 4800);
    expect(parts[0]!.start).toBe(10);
    expect(parts.at(-1)!.end).toBe(1_000_010);
    parts.forEach((p, i) => i > 0 && expect(p.start).toBe(parts[i - 1]!.end));
    parts.slice(1).forEach((p) => expect((p.start - 10) % 4800).toBe(0));
    expect(splitRange(0, 100, 8, 60)).toEqual([{ start: 0, end: 100 }]);
    expect(splitRange(5, 5, 4)).toEqual([]);
  });
});

describe('worker pool', () => {
  const pool = new WorkerPool(2);
  afterAll(() => pool.close());

  const job = new URL('./helpers/pool-jobs.ts', import.meta.url);

  it('measures time segments in parallel and merges to the serial answer', async () => {
    const parallel = await Promise.all(
      files.map(async (f) => {
        const segments = splitRange(0, f.planar[0]!.length, 4, 1);
        const parts = await Promise.all(segments.map((segment) => pool.run<object, SampleStatsResult>(job, 'sampleStatsJob', { path: f.path, ...segment })));
        return SampleStats.merge(parts);
      }),
    );
    files.forEach((f, i) => {
      const serial = new SampleStats(f.planar.length);
      serial.push(f.planar);
      const want = serial.result();
      expect(parallel[i]!.frames).toBe(want.frames);
      expect(parallel[i]!.peak).toEqual(want.peak);
      parallel[i]!.sumSquares.forEach((v, ch) => expect(v).toBeCloseTo(want.sumSquares[ch]!, 6));
    });
  });

  it('passes typed errors from workers back to the caller', async () => {
    const failure = pool.run(job, 'sampleStatsJob', { path: join(dir, 'missing.wav'), start: 0, end: 10 });
    await expect(failure).rejects.toBeInstanceOf(StemkitError);
    await expect(failure).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('closing settles the jobs still running or queued with E_ABORTED instead of leaving them waiting', async () => {
    const own = new WorkerPool(1);
    const f = files[0]!;
    const jobs = [0, 1, 2].map(() => own.run(job, 'sampleStatsJob', { path: f.path, start: 0, end: f.planar[0]!.length }));
    const settled = Promise.allSettled(jobs);
    await own.close();
    const outcomes = await settled;
    // Whatever had not finished is rejected, typed; nothing hangs.
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'E_ABORTED' });
    expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
    await expect(own.run(job, 'sampleStatsJob', { path: f.path, start: 0, end: 10 })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});

describe('chunk stream', () => {
  it('holds at most `window` unreleased chunks, hands released buffers back, and stops on failure', async () => {
    const { port1, port2 } = new MessageChannel();
    const returned: ArrayBuffer[] = [];
    const sender = new ChunkSender<{ k: number; data: Float64Array }>(port2, 2, (buffers) => returned.push(...buffers));
    const receiver = new ChunkReceiver<{ k: number; data: Float64Array }>(port1);
    try {
      const chunk = (k: number) => {
        const data = new Float64Array(4).fill(k);
        return [{ k, data }, [data.buffer]] as const;
      };
      await sender.send(...chunk(0));
      await sender.send(...chunk(1));
      let third = false;
      const sending = sender.send(...chunk(2)).then(() => (third = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(third).toBe(false); // two chunks in flight: the third waits
      const first = await receiver.next();
      expect([first.k, Array.from(first.data)]).toEqual([0, [0, 0, 0, 0]]);
      receiver.release([first.data.buffer as ArrayBuffer]);
      await sending;
      expect(third).toBe(true);
      expect(returned.map((b) => b.byteLength)).toEqual([32]);
      expect((await receiver.next()).k).toBe(1);
      // A failure on the receiving side stops a waiting sender and any later next().
      const blocked = sender.send(...chunk(3));
      receiver.fail(new Error('mix failed'));
      await expect(blocked).rejects.toMatchObject({ code: 'E_ABORTED' });
      await expect(receiver.next()).rejects.toThrow('mix failed');
    } finally {
      sender.close();
      receiver.close();
    }
  });
});
