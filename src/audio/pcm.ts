/**
 * Interleaved byte layouts → planar Float32. The only place that turns stored samples into
 * numbers, shared by the WAV and AIFF readers. Integers are scaled by their container width
 * (WAVE and AIFF left-justify narrower valid bits), so full scale is ±1.0 whatever the depth.
 */
export type SampleKind = 'int' | 'uint' | 'float' | 'alaw' | 'mulaw';

export interface SampleLayout {
  kind: SampleKind;
  /** Bytes per stored sample (the container), 1..8. */
  bytes: number;
  bigEndian: boolean;
  /**
   * Set when narrower samples sit in the LOW bits of a wider container (hound's and some
   * recorders' 24-in-32 files), contrary to WAVE's left-justification: the number of valid bits.
   */
  rightJustifiedBits?: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ALAW_TABLE = buildAlawTable();
const MULAW_TABLE = buildMulawTable();

/** ITU-T G.711 A-law expansion to a 16-bit linear value, scaled to ±1. */
function buildAlawTable(): Float32Array {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const a = i ^ 0x55;
    const exponent = (a & 0x70) >> 4;
    let magnitude = ((a & 0x0f) << 4) + 8;
    if (exponent !== 0) magnitude = (magnitude + 0x100) << (exponent - 1);
    table[i] = ((a & 0x80) !== 0 ? magnitude : -magnitude) / 32768;
  }
  return table;
}

/** ITU-T G.711 µ-law expansion to a 16-bit linear value, scaled to ±1. */
function buildMulawTable(): Float32Array {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const exponent = (u & 0x70) >> 4;
    const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    table[i] = ((u & 0x80) !== 0 ? -magnitude : magnitude) / 32768;
  }
  return table;
}

/**
 * Decodes `frames` interleaved frames from `src` (starting at byte 0 of the view) into
 * `out[ch][outOffset …]`. `src` must hold frames × channels × layout.bytes bytes.
 */
export function decodeInterleaved(
  src: Uint8Array,
  frames: number,
  channels: number,
  layout: SampleLayout,
  out: Float32Array[],
  outOffset = 0,
): void {
  const { kind, bytes, bigEndian } = layout;
  if (kind === 'float') {
    if (bytes === 4) return decodeFloat32(src, frames, channels, bigEndian, out, outOffset);
    return decodeFloat64(src, frames, channels, bigEndian, out, outOffset);
  }
  if (kind === 'alaw' || kind === 'mulaw') {
    return decodeTable(src, frames, channels, kind === 'alaw' ? ALAW_TABLE : MULAW_TABLE, out, outOffset);
  }
  if (kind === 'uint') return decodeUint8(src, frames, channels, out, outOffset);
  if (layout.rightJustifiedBits) return decodeRightJustified(src, frames, channels, layout, layout.rightJustifiedBits, out, outOffset);
  if (!bigEndian) {
    if (bytes === 2) return decodeInt16LE(src, frames, channels, out, outOffset);
    if (bytes === 3) return decodeInt24LE(src, frames, channels, out, outOffset);
    if (bytes === 4) return decodeInt32LE(src, frames, channels, out, outOffset);
  }
  return decodeIntGeneric(src, frames, channels, bytes, bigEndian, out, outOffset);
}

function decodeTable(src: Uint8Array, frames: number, channels: number, table: Float32Array, out: Float32Array[], o: number): void {
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch; i < frames; i++, p += channels) dst[o + i] = table[src[p]!]!;
  }
}

function decodeUint8(src: Uint8Array, frames: number, channels: number, out: Float32Array[], o: number): void {
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch; i < frames; i++, p += channels) dst[o + i] = (src[p]! - 128) * (1 / 128);
  }
}

function decodeInt16LE(src: Uint8Array, frames: number, channels: number, out: Float32Array[], o: number): void {
  const scale = 1 / 32768;
  if (HOST_LITTLE_ENDIAN && (src.byteOffset & 1) === 0) {
    const view = new Int16Array(src.buffer, src.byteOffset, frames * channels);
    if (channels === 2) {
      const l = out[0]!, r = out[1]!;
      for (let i = 0, p = 0; i < frames; i++, p += 2) {
        l[o + i] = view[p]! * scale;
        r[o + i] = view[p + 1]! * scale;
      }
      return;
    }
    for (let ch = 0; ch < channels; ch++) {
      const dst = out[ch]!;
      for (let i = 0, p = ch; i < frames; i++, p += channels) dst[o + i] = view[p]! * scale;
    }
    return;
  }
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * 2; i < frames; i++, p += channels * 2) {
      dst[o + i] = (((src[p + 1]! << 24) | (src[p]! << 16)) >> 16) * scale;
    }
  }
}

function decodeInt24LE(src: Uint8Array, frames: number, channels: number, out: Float32Array[], o: number): void {
  const scale = 1 / 8388608;
  if (HOST_LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (channels === 1 || channels === 2) && frames >= 8) {
    return decodeInt24Words(src, frames, channels, out, o);
  }
  if (channels === 2) {
    const l = out[0]!, r = out[1]!;
    for (let i = 0, p = 0; i < frames; i++, p += 6) {
      l[o + i] = (((src[p + 2]! << 24) | (src[p + 1]! << 16) | (src[p]! << 8)) >> 8) * scale;
      r[o + i] = (((src[p + 5]! << 24) | (src[p + 4]! << 16) | (src[p + 3]! << 8)) >> 8) * scale;
    }
    return;
  }
  const stride = channels * 3;
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * 3; i < frames; i++, p += stride) {
      dst[o + i] = (((src[p + 2]! << 24) | (src[p + 1]! << 16) | (src[p]! << 8)) >> 8) * scale;
    }
  }
}

/**
 * 24-bit little-endian through 32-bit word loads: every 3 words hold 4 samples, so the decoder does
 * one load per 1⅓ samples instead of three byte loads per sample. Mono and stereo (the render and
 * check hot paths); the last samples that do not fill a group of four take the byte path.
 */
function decodeInt24Words(src: Uint8Array, frames: number, channels: number, out: Float32Array[], o: number): void {
  const samples = frames * channels;
  const groups = Math.floor(samples / 4);
  // The last samples (fewer than 4) first: the word loops must be the last thing their functions
  // do. Node 20's V8 compiles a long loop on the fly (on-stack replacement) and re-enters that code
  // on later calls; code after the loop that it has not seen run then deoptimizes it every call.
  for (let s = groups * 4; s < samples; s++) {
    const p = s * 3;
    out[s % channels]![o + Math.floor(s / channels)] = (((src[p + 2]! << 24) | (src[p + 1]! << 16) | (src[p]! << 8)) >> 8) * INT24_SCALE;
  }
  const words = new Int32Array(src.buffer, src.byteOffset, groups * 3);
  if (channels === 1) decodeInt24WordsMono(words, groups, out[0]!, o);
  else decodeInt24WordsStereo(words, groups, out[0]!, out[1]!, o);
}

const INT24_SCALE = 1 / 8388608;

function decodeInt24WordsMono(words: Int32Array, groups: number, y: Float32Array, o: number): void {
  const scale = INT24_SCALE;
  for (let g = 0, w = 0, k = o; g < groups; g++, w += 3, k += 4) {
    const w0 = words[w]!, w1 = words[w + 1]!, w2 = words[w + 2]!;
    y[k] = ((w0 << 8) >> 8) * scale;
    y[k + 1] = (((w1 << 16) >> 8) | (w0 >>> 24)) * scale;
    y[k + 2] = (((w2 << 24) >> 8) | (w1 >>> 16)) * scale;
    y[k + 3] = (w2 >> 8) * scale;
  }
}

function decodeInt24WordsStereo(words: Int32Array, groups: number, l: Float32Array, r: Float32Array, o: number): void {
  const scale = INT24_SCALE;
  for (let g = 0, w = 0, k = o; g < groups; g++, w += 3, k += 2) {
    const w0 = words[w]!, w1 = words[w + 1]!, w2 = words[w + 2]!;
    l[k] = ((w0 << 8) >> 8) * scale;
    r[k] = (((w1 << 16) >> 8) | (w0 >>> 24)) * scale;
    l[k + 1] = (((w2 << 24) >> 8) | (w1 >>> 16)) * scale;
    r[k + 1] = (w2 >> 8) * scale;
  }
}

function decodeInt32LE(src: Uint8Array, frames: number, channels: number, out: Float32Array[], o: number): void {
  const scale = 1 / 2147483648;
  if (HOST_LITTLE_ENDIAN && (src.byteOffset & 3) === 0) {
    const view = new Int32Array(src.buffer, src.byteOffset, frames * channels);
    for (let ch = 0; ch < channels; ch++) {
      const dst = out[ch]!;
      for (let i = 0, p = ch; i < frames; i++, p += channels) dst[o + i] = view[p]! * scale;
    }
    return;
  }
  const stride = channels * 4;
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * 4; i < frames; i++, p += stride) {
      dst[o + i] = ((src[p + 3]! << 24) | (src[p + 2]! << 16) | (src[p + 1]! << 8) | src[p]!) * scale;
    }
  }
}

/** Any width 1..8 bytes, either byte order: the top 4 bytes signed, the rest unsigned below them. */
function decodeIntGeneric(
  src: Uint8Array,
  frames: number,
  channels: number,
  bytes: number,
  bigEndian: boolean,
  out: Float32Array[],
  o: number,
): void {
  const scale = 1 / 2 ** (bytes * 8 - 1);
  const stride = channels * bytes;
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * bytes; i < frames; i++, p += stride) {
      // Most significant byte first, sign-extended; then the remaining bytes as unsigned digits.
      let value = bigEndian ? (src[p]! << 24) >> 24 : (src[p + bytes - 1]! << 24) >> 24;
      for (let k = 1; k < bytes; k++) value = value * 256 + src[bigEndian ? p + k : p + bytes - 1 - k]!;
      dst[o + i] = value * scale;
    }
  }
}

function decodeRightJustified(
  src: Uint8Array,
  frames: number,
  channels: number,
  layout: SampleLayout,
  validBits: number,
  out: Float32Array[],
  o: number,
): void {
  const { bytes, bigEndian } = layout;
  const range = 2 ** validBits;
  const half = range / 2;
  const scale = 1 / half;
  const stride = channels * bytes;
  // Only the low bytes holding valid bits are read, the top one masked to its valid bits, so the
  // raw value stays below 2^validBits: exact in a double (a whole 8-byte container is not).
  const used = Math.min(bytes, Math.ceil(validBits / 8));
  const topMask = 2 ** (validBits - 8 * (used - 1)) - 1;
  // Offset of the k-th least significant byte within a sample.
  const at = (k: number) => (bigEndian ? bytes - 1 - k : k);
  const topAt = at(used - 1);
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * bytes; i < frames; i++, p += stride) {
      let raw = src[p + topAt]! & topMask;
      for (let k = used - 2; k >= 0; k--) raw = raw * 256 + src[p + at(k)]!;
      dst[o + i] = (raw >= half ? raw - range : raw) * scale;
    }
  }
}

/**
 * Decides whether narrower-than-container integer samples are left-justified (the WAVE rule) or
 * right-justified, from a sample of the data: left when every pad bit below the valid bits is zero,
 * right only when that fails and every sample fits in the low bits (zero- or sign-extended).
 */
export function detectRightJustified(src: Uint8Array, bytes: number, bigEndian: boolean, validBits: number): boolean {
  const padBits = bytes * 8 - validBits;
  if (padBits <= 0) return false;
  const padRange = 2 ** padBits;
  const validRange = 2 ** validBits;
  let leftPossible = true;
  let rightPossible = true;
  for (let p = 0; p + bytes <= src.length && (leftPossible || rightPossible); p += bytes) {
    let raw = 0;
    for (let k = 0; k < bytes; k++) raw = raw * 256 + src[bigEndian ? p + k : p + bytes - 1 - k]!;
    if (raw % padRange !== 0) leftPossible = false;
    const top = Math.floor(raw / validRange);
    const negative = Math.floor(raw / (validRange / 2)) % 2 === 1;
    if (top !== 0 && !(negative && top === padRange - 1)) rightPossible = false;
  }
  return !leftPossible && rightPossible;
}

function decodeFloat32(src: Uint8Array, frames: number, channels: number, bigEndian: boolean, out: Float32Array[], o: number): void {
  if (!bigEndian && HOST_LITTLE_ENDIAN && (src.byteOffset & 3) === 0) {
    const view = new Float32Array(src.buffer, src.byteOffset, frames * channels);
    for (let ch = 0; ch < channels; ch++) {
      const dst = out[ch]!;
      for (let i = 0, p = ch; i < frames; i++, p += channels) dst[o + i] = view[p]!;
    }
    return;
  }
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * 4; i < frames; i++, p += channels * 4) dst[o + i] = dv.getFloat32(p, !bigEndian);
  }
}

function decodeFloat64(src: Uint8Array, frames: number, channels: number, bigEndian: boolean, out: Float32Array[], o: number): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let ch = 0; ch < channels; ch++) {
    const dst = out[ch]!;
    for (let i = 0, p = ch * 8; i < frames; i++, p += channels * 8) dst[o + i] = dv.getFloat64(p, !bigEndian);
  }
}
