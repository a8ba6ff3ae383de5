import { open } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** 5.1 in WAV order (WAVE_FORMAT_EXTENSIBLE mask 0x3F). */
const CHANNELS = 6;
const BYTES_PER_FRAME = CHANNELS * 2;
const HEADER_BYTES = 68;

/** A WAVE_FORMAT_EXTENSIBLE 5.1 16-bit header for `frames` frames at `rate`. */
function header(frames: number, rate: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const v = new DataView(out.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  const data = frames * BYTES_PER_FRAME;
  ascii(0, 'RIFF');
  v.setUint32(4, HEADER_BYTES - 8 + data, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 40, true);
  v.setUint16(20, 0xfffe, true);
  v.setUint16(22, CHANNELS, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * BYTES_PER_FRAME, true);
  v.setUint16(32, BYTES_PER_FRAME, true);
  v.setUint16(34, 16, true);
  v.setUint16(36, 22, true);
  v.setUint16(38, 16, true);
  v.setUint32(40, 0x3f, true);
  out.set([0x01, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 44);
  ascii(60, 'data');
  v.setUint32(64, data, true);
  return out;
}

/** Per-track 16-bit content of a burst: a different tone per track and channel, small enough that sums never clip. */
function burst(track: number, frames: number, rate: number): Int16Array {
  const out = new Int16Array(frames * CHANNELS);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < CHANNELS; c++) out[i * CHANNELS + c] = Math.round(4000 * Math.sin((2 * Math.PI * (110 * (track + 1) + 37 * c) * i) / rate));
  }
  return out;
}

/**
 * A 2-hour 5.1 package (two stems and their mix, 16-bit, about 4.1 GB a file) as sparse files:
 * silence everywhere but a few seconds of tones at each of `burstsAt` (seconds), written where the
 * data lands, so the package costs a few MB of disk however long it plays.
 */
export async function writeLongSparsePackage(dir: string, options: { hours?: number; rate?: number; burstsAt?: number[]; burstSeconds?: number } = {}): Promise<{ frames: number; rate: number }> {
  const rate = options.rate ?? 48000;
  const frames = Math.round((options.hours ?? 2) * 3600 * rate);
  const burstFrames = Math.round((options.burstSeconds ?? 6) * rate);
  mkdirSync(join(dir, 'stems'), { recursive: true });
  const stems = [0, 1].map((k) => burst(k, burstFrames, rate));
  const mix = new Int16Array(stems[0]!.length);
  for (let i = 0; i < mix.length; i++) mix[i] = stems[0]![i]! + stems[1]![i]!;
  const files: [string, Int16Array][] = [
    [join(dir, 'stems', '01_Tones Low.wav'), stems[0]!],
    [join(dir, 'stems', '02_Tones High.wav'), stems[1]!],
    [join(dir, 'mix.wav'), mix],
  ];
  for (const [path, content] of files) {
    const handle = await open(path, 'w');
    try {
      await handle.write(header(frames, rate), 0, HEADER_BYTES, 0);
      const bytes = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
      for (const at of options.burstsAt ?? [0, 3600]) await handle.write(bytes, 0, bytes.length, HEADER_BYTES + Math.round(at * rate) * BYTES_PER_FRAME);
      await handle.truncate(HEADER_BYTES + frames * BYTES_PER_FRAME);
    } finally {
      await handle.close();
    }
  }
  return { frames, rate };
}
