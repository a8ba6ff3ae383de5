import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Noise } from '../../src/dsp/random.js';

/**
 * Deterministic "music-like" 24-bit PCM WAV fixtures for benchmarks: a few detuned partials
 * whose levels drift slowly, plus low-passed noise, so every byte of every sample varies
 * (no runs of zeros a decoder or the page cache could shortcut) and the result never clips.
 */
export interface WavFixtureOptions {
  /** Approximate size of the data chunk in bytes (rounded down to whole frames). */
  dataBytes: number;
  channels?: number;
  sampleRate?: number;
  /** PRNG seed: the same seed gives the same bytes. */
  seed?: number;
  /** Directory to write into; defaults to os.tmpdir(). */
  dir?: string;
  /** Frames per write() call. */
  chunkFrames?: number;
}

export interface WavFixture {
  path: string;
  /** Total file size in bytes (header + data). */
  fileBytes: number;
  dataBytes: number;
  frames: number;
  channels: number;
  sampleRate: number;
  bitDepth: 24;
  remove(): Promise<void>;
}

/** Canonical 44-byte RIFF/WAVE header for integer PCM. */
export function wavHeader(dataBytes: number, channels: number, sampleRate: number, bitsPerSample: number): Uint8Array {
  const header = new Uint8Array(44);
  const dv = new DataView(header.buffer);
  const blockAlign = channels * (bitsPerSample / 8);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) header[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  dv.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  dv.setUint16(22, channels, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * blockAlign, true);
  dv.setUint16(32, blockAlign, true);
  dv.setUint16(34, bitsPerSample, true);
  ascii(36, 'data');
  dv.setUint32(40, dataBytes, true);
  return header;
}

export async function writeWavFixture(options: WavFixtureOptions): Promise<WavFixture> {
  const channels = options.channels ?? 2;
  const sampleRate = options.sampleRate ?? 48000;
  const seed = options.seed ?? 20240601;
  const chunkFrames = options.chunkFrames ?? 1 << 16;
  const bytesPerFrame = channels * 3;
  const frames = Math.floor(options.dataBytes / bytesPerFrame);
  const dataBytes = frames * bytesPerFrame;
  if (dataBytes > 0xffffffff - 36) throw new Error(`fixture too large for a plain RIFF header: ${dataBytes} bytes`);
  const path = join(options.dir ?? tmpdir(), `stemkit-bench-${process.pid}-${seed}-${channels}ch.wav`);

  const rng = new Noise(seed || 0x9e3779b9);
  const noise = () => 2 * rng.unit() - 1;
  // Per channel: three partials (slightly detuned between channels) and a one-pole low-passed noise.
  const partials = [110, 164.81, 220 * 1.4983].map((hz, k) => ({
    step: Array.from({ length: channels }, (_, ch) => (2 * Math.PI * hz * (1 + ch * 0.0021 + k * 0.0007)) / sampleRate),
    phase: Array.from({ length: channels }, (_, ch) => ch * 0.7 + k),
  }));
  const lfoStep = (2 * Math.PI * 0.37) / sampleRate;
  const lowpass = new Float64Array(channels);
  const full = 8388607;

  const handle = await open(path, 'w');
  try {
    await handle.write(wavHeader(dataBytes, channels, sampleRate, 24));
    const chunk = new Uint8Array(chunkFrames * bytesPerFrame);
    let lfo = 0;
    for (let done = 0; done < frames; ) {
      const n = Math.min(chunkFrames, frames - done);
      let p = 0;
      for (let i = 0; i < n; i++) {
        lfo += lfoStep;
        const drift = 0.5 + 0.5 * Math.sin(lfo);
        for (let ch = 0; ch < channels; ch++) {
          let x = 0;
          for (let k = 0; k < partials.length; k++) {
            const part = partials[k]!;
            const ph = (part.phase[ch]! += part.step[ch]!);
            x += Math.sin(ph) * (k === 0 ? 0.22 * drift : 0.12 * (1 - drift * 0.5) / k);
          }
          const lp = (lowpass[ch] = lowpass[ch]! * 0.9 + noise() * 0.1);
          x += lp * 0.5 + noise() * 0.02;
          // |x| ≤ 0.22 + 0.12 + 0.06 + 0.5 + 0.02 < 1: never clips.
          const v = Math.round(x * full);
          chunk[p++] = v & 0xff;
          chunk[p++] = (v >> 8) & 0xff;
          chunk[p++] = (v >> 16) & 0xff;
        }
      }
      // Keep phases small so precision does not decay over long files.
      for (const part of partials) for (let ch = 0; ch < channels; ch++) part.phase[ch]! %= 2 * Math.PI;
      await handle.write(chunk, 0, n * bytesPerFrame);
      done += n;
    }
  } catch (err) {
    await handle.close();
    await rm(path, { force: true });
    throw err;
  }
  await handle.close();
  return {
    path,
    fileBytes: 44 + dataBytes,
    dataBytes,
    frames,
    channels,
    sampleRate,
    bitDepth: 24,
    remove: () => rm(path, { force: true }),
  };
}
