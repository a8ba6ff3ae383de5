/**
 * AAC-LC encoding for MP4 tracks, with three interchangeable backends that honour one contract:
 * raw AAC packets of 1024 frames, 1024 frames of encoder priming first, an AudioSpecificConfig.
 * - 'stemkit': stemkit's own encoder (lc-encoder.ts), on the calling thread here; the NI Stems
 *   writer runs it in segments on the worker pool instead (engine/encode-jobs.ts) when it may read
 *   the input file itself; the default;
 * - 'ffmpeg': native FFmpeg's AAC encoder in a child process;
 * - 'wasm': the same FFmpeg encoder compiled to wasm (@mediabunny/aac-encoder), so no native binary
 *   is needed.
 * Several encoders run in parallel in every case (pool threads, processes or worker threads).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { StemkitError } from '../../errors.js';
import { findFfmpeg } from './ffmpeg.js';
import { AacLcStream, aacPacketCount } from './stream.js';
import { aacRateIndex } from './tables.js';
import { FRAME } from './windows.js';

/** Which AAC encoder to use; 'auto' is stemkit's own. */
export type AacBackend = 'auto' | 'stemkit' | 'ffmpeg' | 'wasm';

/** AAC frames per packet, and the priming every backend puts first (one packet: stemkit's first block, FFmpeg's delay). */
export const AAC_FRAME = FRAME;
export const AAC_PRIMING = FRAME;

/** The 2-byte AudioSpecificConfig of AAC-LC at this rate and channel count. */
export function aacLcConfig(sampleRate: number, channels: number): Uint8Array {
  const index = aacRateIndex(sampleRate);
  return Uint8Array.of((2 << 3) | (index >> 1), ((index & 1) << 7) | (channels << 3));
}

/** One track's encoder: push planar blocks, take the packets made so far, finish to flush. */
export interface AacEncoder {
  /** False when the encoder reads its input file itself: `push` then only needs the frame count. */
  readonly needsSamples: boolean;
  /** Encodes `frames` frames of planar audio (±1.0 full scale). */
  push(planar: readonly Float32Array[], frames: number): Promise<void>;
  /** The packets completed since the last call, in order. */
  take(): Uint8Array[];
  /** Flushes the encoder; the remaining packets are then in `take()`. */
  finish(): Promise<void>;
  /** Stops the encoder and frees it (after finish, or to abandon it). */
  close(): Promise<void>;
}

/** Options of `createAacEncoder`. */
export interface AacEncoderOptions {
  sampleRate: number;
  channels: number;
  /** Bits per second for the track; NI recommends about 256 kb/s stereo. */
  bitrate: number;
  backend?: AacBackend;
  /**
   * FFmpeg's coder: 'twoloop' (default, the better bit allocation) or 'fast' (about 3× faster here,
   * with a waveform error about 5 dB higher at 256 kb/s). Native FFmpeg only: the wasm build has one coder.
   */
  coder?: 'twoloop' | 'fast';
  /**
   * A WAV/AIFF/FLAC file holding exactly the audio to encode: native FFmpeg then reads it itself
   * (no samples through this process), and `push` only paces the encoder. Native FFmpeg only.
   */
  input?: string;
}

/** The backend that encodes: 'auto' is stemkit's own, or FFmpeg's when FFmpeg's fast coder is asked for. */
export function resolveAacBackend(backend: AacBackend = 'auto', coder?: 'twoloop' | 'fast'): 'stemkit' | 'ffmpeg' | 'wasm' {
  if (backend === 'auto' && coder !== undefined) backend = 'ffmpeg';
  if (backend === 'ffmpeg' && findFfmpeg() === null) {
    throw new StemkitError('E_UNSUPPORTED', 'the ffmpeg AAC encoder was asked for, but ffmpeg is not on PATH', { hint: 'install ffmpeg (apt-get install ffmpeg), set STEMKIT_FFMPEG, or use --aac-encoder wasm' });
  }
  return backend === 'auto' ? 'stemkit' : backend;
}

export async function createAacEncoder(options: AacEncoderOptions): Promise<AacEncoder> {
  aacLcConfig(options.sampleRate, options.channels);
  const backend = resolveAacBackend(options.backend, options.coder);
  if (options.coder !== undefined && backend !== 'ffmpeg') throw new StemkitError('E_USAGE', `the AAC coder '${options.coder}' is FFmpeg's; the ${backend} encoder has its own`, { hint: 'use --aac-encoder ffmpeg with --aac-coder, or leave the coder out' });
  if (backend === 'stemkit') return new StemkitAacEncoder(options);
  if (backend === 'wasm') return WasmAacEncoder.create(options);
  return new FfmpegAacEncoder(options);
}

function interleave(planar: readonly Float32Array[], frames: number): Float32Array {
  const channels = planar.length;
  const out = new Float32Array(frames * channels);
  for (let c = 0; c < channels; c++) {
    const src = planar[c]!;
    for (let i = 0, j = c; i < frames; i++, j += channels) out[j] = src[i]!;
  }
  return out;
}

/** stemkit's own encoder on this thread. */
class StemkitAacEncoder implements AacEncoder {
  readonly needsSamples = true;
  private readonly stream: AacLcStream;
  private packets: Uint8Array[] = [];
  private frames = 0;

  constructor(options: AacEncoderOptions) {
    this.stream = new AacLcStream(options);
  }

  async push(planar: readonly Float32Array[], frames: number): Promise<void> {
    this.packets.push(...this.stream.push(planar, frames));
    this.frames += frames;
  }

  take(): Uint8Array[] {
    const out = this.packets;
    this.packets = [];
    return out;
  }

  async finish(): Promise<void> {
    this.packets.push(...this.stream.finish(aacPacketCount(this.frames)));
  }

  async close(): Promise<void> {}
}

/**
 * Native FFmpeg: interleaved float in on stdin (or its input file read by FFmpeg), ADTS out on
 * stdout, split into raw packets.
 */
class FfmpegAacEncoder implements AacEncoder {
  readonly needsSamples: boolean;
  private readonly child: ChildProcessWithoutNullStreams;
  private packets: Uint8Array[] = [];
  private pending = new Uint8Array(0);
  private stderr = '';
  private readonly exited: Promise<number | null>;
  /** Frames pushed (paced) so far, and packets produced so far: a file-fed push waits for its packets. */
  private pushed = 0;
  private produced = 0;
  private waiter: (() => void) | null = null;
  private ended = false;

  constructor(options: AacEncoderOptions) {
    this.needsSamples = options.input === undefined;
    const input = options.input === undefined
      ? ['-f', 'f32le', '-ar', String(options.sampleRate), '-ac', String(options.channels), '-i', 'pipe:0']
      : ['-i', options.input];
    this.child = spawn(findFfmpeg()!, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', ...input,
      '-c:a', 'aac', '-aac_coder', options.coder ?? 'twoloop', '-b:a', String(options.bitrate), '-f', 'adts', 'pipe:1',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.split(chunk);
      this.wake();
    });
    this.child.stdout.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', resolve);
    });
  }

  private split(chunk: Uint8Array): void {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (bytes.length - at >= 7) {
      if (bytes[at] !== 0xff || (bytes[at + 1]! & 0xf0) !== 0xf0) throw this.failure('the ADTS stream lost sync');
      const length = ((bytes[at + 3]! & 3) << 11) | (bytes[at + 4]! << 3) | (bytes[at + 5]! >> 5);
      if (bytes.length - at < length) break;
      const header = bytes[at + 1]! & 1 ? 7 : 9;
      this.packets.push(bytes.slice(at + header, at + length));
      this.produced++;
      at += length;
    }
    this.pending = bytes.slice(at);
  }

  private failure(why: string): StemkitError {
    return new StemkitError('E_IO', `ffmpeg's AAC encoder failed: ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`, { hint: 'check the ffmpeg installation, or use --aac-encoder wasm' });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async push(planar: readonly Float32Array[], frames: number): Promise<void> {
    if (!this.needsSamples) {
      // Paced: wait until FFmpeg has produced the packets that cover what was pushed (priming included).
      this.pushed += frames;
      while (!this.ended && this.produced * AAC_FRAME < this.pushed + AAC_PRIMING) await new Promise<void>((resolve) => (this.waiter = resolve));
      return;
    }
    const data = interleave(planar, frames);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!this.child.stdin.write(bytes)) {
      await new Promise<void>((resolve, reject) => {
        this.child.stdin.once('drain', resolve);
        this.exited.then(() => reject(this.failure('it exited early')), reject);
      });
    }
  }

  take(): Uint8Array[] {
    const out = this.packets;
    this.packets = [];
    return out;
  }

  async finish(): Promise<void> {
    this.child.stdin.end();
    const code = await this.exited.catch((err: Error) => {
      throw this.failure(err.message);
    });
    if (code !== 0) throw this.failure(`exit code ${code}`);
    if (this.pending.length > 0) throw this.failure(`${this.pending.length} bytes of a cut ADTS frame at the end`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** FFmpeg's AAC encoder as wasm, driven through mediabunny's encoder pipeline; packets are collected, nothing is muxed. */
class WasmAacEncoder implements AacEncoder {
  readonly needsSamples = true;
  private packets: Uint8Array[] = [];
  private timestamp = 0;

  private constructor(
    private readonly options: AacEncoderOptions,
    private readonly output: import('mediabunny').Output,
    private readonly source: import('mediabunny').AudioSampleSource,
    private readonly mediabunny: typeof import('mediabunny'),
  ) {}

  static async create(options: AacEncoderOptions): Promise<WasmAacEncoder> {
    const mediabunny = await import('mediabunny');
    (await import('@mediabunny/aac-encoder')).registerAacEncoder();
    const output = new mediabunny.Output({ format: new mediabunny.AdtsOutputFormat(), target: new mediabunny.NullTarget() });
    let encoder: WasmAacEncoder | null = null;
    const source = new mediabunny.AudioSampleSource({
      codec: 'aac',
      bitrate: options.bitrate,
      onEncodedPacket: (packet) => {
        encoder!.packets.push(packet.data);
      },
    });
    output.addAudioTrack(source);
    await output.start();
    encoder = new WasmAacEncoder(options, output, source, mediabunny);
    return encoder;
  }

  async push(planar: readonly Float32Array[], frames: number): Promise<void> {
    const data = new Float32Array(frames * planar.length);
    planar.forEach((channel, c) => data.set(channel.subarray(0, frames), c * frames));
    const sample = new this.mediabunny.AudioSample({ data, format: 'f32-planar', numberOfChannels: planar.length, sampleRate: this.options.sampleRate, timestamp: this.timestamp / this.options.sampleRate });
    this.timestamp += frames;
    try {
      await this.source.add(sample);
    } finally {
      sample.close();
    }
  }

  take(): Uint8Array[] {
    const out = this.packets;
    this.packets = [];
    return out;
  }

  async finish(): Promise<void> {
    await this.output.finalize();
  }

  async close(): Promise<void> {
    if (this.output.state !== 'finalized' && this.output.state !== 'canceled') await this.output.cancel();
  }
}
