import { readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { createWavWriter, type AudioSink } from '../../src/audio/wav/write.js';

/**
 * What the benchmark fixtures (package-fixture.ts, render-fixture.ts) share: the record that lets
 * an identical fixture be reused, and streaming 24-bit WAV writing.
 */

/** What a generated fixture is: the same identity means the same bytes. */
export interface FixtureIdentity {
  version: number;
  seconds: number;
  sampleRate: number;
  seed: number;
}

/** Options every fixture generator takes. */
export interface FixtureOptions {
  /** Folder for the fixture's files; created when missing. Only the fixture's own files are ever removed. */
  dir: string;
  /** Length in seconds (default 240). */
  seconds?: number;
  /** Default 48000. Musical timing (120 BPM) is derived from it. */
  sampleRate?: number;
  seed?: number;
  /** Called after every bar with frames written so far and the total. */
  onProgress?: (doneFrames: number, totalFrames: number) => void;
}

/**
 * The record at `dir`/`name` when it describes an identical fixture that is still all there:
 * the same identity, `count` files (paths relative to `dir`) of the recorded sizes; else null.
 */
export async function reusableRecord<R extends FixtureIdentity>(
  dir: string,
  name: string,
  want: FixtureIdentity,
  filesOf: (record: R) => Array<{ path: string; bytes: number }>,
  count: number,
): Promise<R | null> {
  try {
    const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as R;
    if (record.version !== want.version || record.seconds !== want.seconds || record.sampleRate !== want.sampleRate || record.seed !== want.seed) return null;
    const files = filesOf(record);
    if (files.length !== count) return null;
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f.path))).size));
    return sizes.every((size, i) => size === files[i]!.bytes) ? record : null;
  } catch {
    return null; // no record, or files missing
  }
}

/**
 * Removes the files the record at `dir`/`name` lists (paths relative to `dir`, of any earlier
 * version of the fixture, so files whose names changed do not linger), then the record.
 */
export async function removeRecordedFiles<R>(dir: string, name: string, filesOf: (record: R) => Array<{ path: string }>): Promise<void> {
  try {
    const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as R;
    for (const { path } of filesOf(record)) if (!isAbsolute(path) && !path.split(/[\\/]/).includes('..')) await rm(join(dir, path), { force: true });
  } catch {
    // no record, or not one of ours
  }
  await rm(join(dir, name), { force: true });
}

/** Length, rate and seed of `options` with their defaults (240 s, 48 kHz, `defaultSeed`). */
export function resolveFixtureOptions(options: FixtureOptions, defaultSeed: number): { seconds: number; sampleRate: number; seed: number } {
  const seconds = options.seconds ?? 240;
  if (!(seconds > 0)) throw new Error(`seconds must be positive, got ${seconds}`);
  return { seconds, sampleRate: options.sampleRate ?? 48000, seed: options.seed ?? defaultSeed };
}

// ---------------------------------------------------------------------------------------------
// Streaming 24-bit WAV writing

export interface WavStreamOptions {
  sampleRate: number;
  /** Frames per file. */
  frames: number;
  /** Frames per block (a bar). */
  blockFrames: number;
  onProgress?: (doneFrames: number, totalFrames: number) => void;
}

/**
 * Writes `frames` frames of 24-bit PCM to every file, a block at a time: fill(block, done, n)
 * returns, per file, the planar Float32 block (n frames from frame `done`). The arrays may be
 * reused from block to block: write() encodes before it returns, and waiting for the previous
 * block's writes bounds the queue to one block per file (constant memory at any length). On any
 * error (or a clipped sample) no file is left under its final name.
 */
export async function writeWavStreams(
  files: Array<{ path: string; channels: number }>,
  options: WavStreamOptions,
  fill: (block: number, done: number, n: number) => Float32Array[][],
): Promise<void> {
  const { sampleRate, frames, blockFrames } = options;
  const sinks: AudioSink[] = [];
  try {
    for (const file of files) sinks.push(await createWavWriter(file.path, { sampleRate, channels: file.channels, format: 'pcm24' }));
    let pending: Promise<unknown> = Promise.resolve();
    for (let block = 0, done = 0; done < frames; block++) {
      const n = Math.min(blockFrames, frames - done);
      const out = fill(block, done, n);
      await pending;
      pending = Promise.all(sinks.map((sink, k) => sink.write(out[k]!, n)));
      done += n;
      options.onProgress?.(done, frames);
    }
    await pending;
    for (const sink of sinks) {
      const report = await sink.commit();
      if (report.clippedSamples > 0) throw new Error(`${report.path}: ${report.clippedSamples} samples clipped: synthesis levels are off`);
    }
  } catch (err) {
    for (const sink of sinks) await sink.abort().catch(() => undefined);
    throw err;
  }
}
