import { openAudio } from '../../src/audio/open.js';
import type { AudioSource } from '../../src/audio/types.js';

/** Every frame of an open source, read in `block`-frame calls (so block-boundary bugs show). */
export async function readSource(source: AudioSource, block = 4096): Promise<Float32Array[]> {
  const { channels, frames } = source.format;
  const all = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let at = 0; at < frames; at += block) {
    const part = await source.read(at, Math.min(block, frames - at));
    part.forEach((samples, ch) => all[ch]!.set(samples, at));
  }
  return all;
}

/** Every frame of the file at `path`, in one read. */
export async function readFile(path: string): Promise<Float32Array[]> {
  const source = await openAudio(path);
  try {
    return await source.read(0, source.format.frames);
  } finally {
    await source.close();
  }
}

/** A stand-in for stdout/stderr that keeps what was written (not a TTY: no colour). */
export function captureOutput(): { stream: { write: (text: string) => unknown }; text: () => string } {
  let text = '';
  return { stream: { write: (t: string) => (text += t) }, text: () => text };
}
