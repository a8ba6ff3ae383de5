/**
 * One MP4 audio track decoded into a WAV file, trimmed by its edit list (or iTunSMPB): what check
 * and the other PCM tools read. AAC is decoded by native FFmpeg (stemkit ships no AAC decoder: the
 * ones on npm are GPL); ALAC by stemkit's own decoder, bit-exact.
 */
import { spawn } from 'node:child_process';
import { StemkitError } from '../../errors.js';
import { findFfmpeg } from '../aac/ffmpeg.js';
import { writeWavFile } from '../wav/write.js';
import type { Mp4Info, Mp4Track } from './read.js';

/** Codecs `extractTrack` can decode on this machine, and how. */
export function trackDecoder(track: Mp4Track): 'ffmpeg' | 'stemkit' | null {
  if (track.codec === 'alac') return 'stemkit';
  if (track.codec === 'mp4a') return findFfmpeg() ? 'ffmpeg' : null;
  return null;
}

/** Decodes audio track `index` (0-based among the audio tracks, boxes from `info`) of `mp4Path` into a WAV at `wavPath`. */
export async function extractTrack(mp4Path: string, info: Mp4Info, index: number, wavPath: string): Promise<void> {
  const track = info.tracks[index]!;
  const decoder = trackDecoder(track);
  if (decoder === null) {
    if (track.codec !== 'mp4a') throw new StemkitError('E_UNSUPPORTED', `${mp4Path}: track ${track.id} is '${track.codec}', which stemkit does not decode (it reads ALAC, and AAC through FFmpeg)`, { file: mp4Path, hint: 'deliver WAV, FLAC or ALAC' });
    throw new StemkitError('E_UNSUPPORTED', `${mp4Path}: track ${track.id} is AAC, which stemkit decodes with ffmpeg, and ffmpeg is not installed`, {
      file: mp4Path,
      hint: 'install ffmpeg (apt-get install ffmpeg, brew install ffmpeg) or set STEMKIT_FFMPEG to its path',
    });
  }
  if (decoder === 'stemkit') {
    const { decodeAlacTrack } = await import('./alac-track.js');
    return decodeAlacTrack(mp4Path, info, index, wavPath);
  }
  await decodeWithFfmpeg(mp4Path, track, index, wavPath);
}

async function decodeWithFfmpeg(mp4Path: string, track: Mp4Track, index: number, wavPath: string): Promise<void> {
  const channels = track.channels;
  // FFmpeg applies the edit list's start; it keeps the encoder's padding at the end, so the length is cut here.
  const limit = track.timingFrom === 'none' ? Infinity : track.frames;
  const child = spawn(findFfmpeg()!, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', mp4Path, '-map', `0:a:${index}`, '-f', 'f32le', '-ac', String(channels), 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  try {
    await writeWavFile(wavPath, { sampleRate: track.sampleRate, channels, format: 'float32' }, async (sink) => {
      const frameBytes = 4 * channels;
      let written = 0;
      let carry: Buffer = Buffer.alloc(0);
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const whole = Math.min(Math.floor(bytes.length / frameBytes), limit - written);
        carry = bytes.subarray(whole * frameBytes);
        if (whole <= 0) continue;
        // A view of the bytes when they are 4-byte aligned; a copy only when they are not.
        const samples = bytes.byteOffset % 4 === 0
          ? new Float32Array(bytes.buffer, bytes.byteOffset, whole * channels)
          : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + whole * frameBytes));
        const planar = Array.from({ length: channels }, (_, c) => {
          const out = new Float32Array(whole);
          for (let i = 0, j = c; i < whole; i++, j += channels) out[i] = samples[j]!;
          return out;
        });
        await sink.write(planar, whole);
        written += whole;
      }
      const code = await exited;
      if (code !== 0) throw new StemkitError('E_BAD_DATA', `${mp4Path}: ffmpeg could not decode track ${track.id}: ${stderr.trim() || `exit code ${code}`}`, { file: mp4Path, hint: 'the AAC data is damaged; export or copy the file again' });
      if (limit !== Infinity && written < limit) {
        throw new StemkitError('E_TRUNCATED', `${mp4Path}: track ${track.id} decodes to ${written} frames; its edit list promises ${limit}`, { file: mp4Path, hint: 'the file is cut short or damaged; export or copy it again' });
      }
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
