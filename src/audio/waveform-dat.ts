/**
 * Waveform peaks as audiowaveform's binary .dat, version 2 (documented at
 * https://github.com/bbc/audiowaveform/blob/master/doc/DataFormat.md), little-endian:
 * int32 version (2), uint32 flags (0: 16-bit values), int32 sample rate, int32 samples per pixel,
 * uint32 pixels, int32 channels, then per pixel and channel an int16 min and max (full scale ±32767).
 * stemkit writes one channel: the min and max over all of the file's channels, which is what a lane draws.
 */
const HEADER_BYTES = 24;

/** Encodes min/max pairs (int16, one channel) as a .dat v2 file. */
export function encodeDat(sampleRate: number, samplesPerPixel: number, minMax: Int16Array): Uint8Array {
  const pixels = minMax.length / 2;
  const out = new Uint8Array(HEADER_BYTES + minMax.length * 2);
  const view = new DataView(out.buffer);
  view.setInt32(0, 2, true);
  view.setUint32(4, 0, true);
  view.setInt32(8, sampleRate, true);
  view.setInt32(12, samplesPerPixel, true);
  view.setUint32(16, pixels, true);
  view.setInt32(20, 1, true);
  for (let i = 0; i < minMax.length; i++) view.setInt16(HEADER_BYTES + 2 * i, minMax[i]!, true);
  return out;
}

/** Decodes a .dat v2 (or v1) file stemkit wrote: samples per pixel and the min/max pairs of its first channel. */
export function decodeDat(bytes: Uint8Array): { sampleRate: number; samplesPerPixel: number; minMax: Int16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt32(0, true);
  const header = version === 2 ? 24 : 20;
  const pixels = view.getUint32(16, true);
  const channels = version === 2 ? view.getInt32(20, true) : 1;
  const minMax = new Int16Array(pixels * 2);
  for (let p = 0; p < pixels; p++) {
    minMax[2 * p] = view.getInt16(header + p * channels * 4, true);
    minMax[2 * p + 1] = view.getInt16(header + p * channels * 4 + 2, true);
  }
  return { sampleRate: view.getInt32(8, true), samplesPerPixel: view.getInt32(12, true), minMax };
}

