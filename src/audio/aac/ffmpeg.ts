/**
 * Native FFmpeg, when the machine has it: the faster AAC encoder and stemkit's only AAC decoder
 * (the wasm AAC decoders on npm are GPL). Found on PATH, or at STEMKIT_FFMPEG.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

let cached: string | null | undefined;

/** The ffmpeg executable to run, or null when there is none. */
export function findFfmpeg(): string | null {
  if (cached !== undefined) return cached;
  const candidates = process.env.STEMKIT_FFMPEG ? [process.env.STEMKIT_FFMPEG] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'ffmpeg'));
  cached = candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }) ?? null;
  return cached;
}

/** Forgets the lookup (after STEMKIT_FFMPEG or PATH changed). */
export function resetFfmpegLookup(): void {
  cached = undefined;
}
