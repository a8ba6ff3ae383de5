import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

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

/** Length, rate and seed of `options` with their defaults (240 s, 48 kHz, `defaultSeed`). */
export function resolveFixtureOptions(options: FixtureOptions, defaultSeed: number): { seconds: number; sampleRate: number; seed: number } {
  const seconds = options.seconds ?? 240;
  if (!(seconds > 0)) throw new Error(`seconds must be positive, got ${seconds}`);
  return { seconds, sampleRate: options.sampleRate ?? 48000, seed: options.seed ?? defaultSeed };
}
