import { execFileSync } from 'node:child_process';

/**
 * Whether the FFmpeg cross-checks can run here: a bare dev box without ffmpeg skips them, but CI
 * (CI=true; .ci/run installs ffmpeg) must never pass by skipping, so there a missing ffmpeg fails.
 */
export const HAS_FFMPEG = ((): boolean => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error('CI=true but ffmpeg/ffprobe are missing: .ci/run installs them (apt-get install ffmpeg)');
    return false;
  }
})();

/** Track `index` (0-based audio stream) of a file as FFmpeg decodes it: interleaved float32. */
export function ffmpegDecode(path: string, index = 0): Float32Array {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-map', `0:a:${index}`, '-f', 'f32le', '-'], { maxBuffer: 1 << 30 });
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
}

/** ffprobe's JSON for a file's streams and format. */
export function ffprobe(path: string): { streams: Record<string, unknown>[]; format: Record<string, unknown> } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path]).toString());
}

/** Track `index` as FFmpeg decodes it to 32-bit integers (interleaved): for bit-exact comparisons. */
export function ffmpegDecodeInt(path: string, index = 0): Int32Array {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-map', `0:a:${index}`, '-f', 's32le', '-'], { maxBuffer: 1 << 30 });
  return new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
}
