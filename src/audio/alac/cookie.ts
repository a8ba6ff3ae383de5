/**
 * The ALAC "magic cookie" (ALACSpecificConfig): 24 big-endian bytes that every ALAC stream carries
 * beside its packets (CAF 'kuki', the MP4 'alac' sample entry's inner 'alac' box). Older files wrap
 * it in a 'frma' atom and an 'alac' atom header; parsing skips those like Apple's decoder does.
 */
import { StemkitError } from '../../errors.js';

/** ALACSpecificConfig's fields, as numbers. */
export interface AlacConfig {
  /** Frames per packet unless a packet says otherwise (4096 by default). */
  frameLength: number;
  /** Always 0. */
  compatibleVersion: number;
  /** Bits per sample of the source PCM: 16, 20, 24 or 32. */
  bitDepth: number;
  /** Rice history multiplier (40). */
  pb: number;
  /** Initial Rice history (10). */
  mb: number;
  /** Largest Rice parameter (14). */
  kb: number;
  /** Channels (1 = mono, 2 = stereo). */
  numChannels: number;
  /** Unused by decoders (255). */
  maxRun: number;
  /** Largest packet in bytes, 0 when unknown. */
  maxFrameBytes: number;
  /** Average bit rate in bits per second, 0 when unknown. */
  avgBitRate: number;
  /** Sample rate in Hz. */
  sampleRate: number;
}

/** Bytes of ALACSpecificConfig. */
export const ALAC_COOKIE_BYTES = 24;
export const ALAC_DEFAULT_FRAME_LENGTH = 4096;
export const ALAC_PB = 40;
export const ALAC_MB = 10;
export const ALAC_KB = 14;
export const ALAC_MAX_RUN = 255;

/** The config an encoder of these parameters writes before it knows its packet sizes. */
export function defaultAlacConfig(p: { bitDepth: number; numChannels: number; sampleRate: number; frameLength?: number }): AlacConfig {
  return {
    frameLength: p.frameLength ?? ALAC_DEFAULT_FRAME_LENGTH,
    compatibleVersion: 0,
    bitDepth: p.bitDepth,
    pb: ALAC_PB,
    mb: ALAC_MB,
    kb: ALAC_KB,
    numChannels: p.numChannels,
    maxRun: ALAC_MAX_RUN,
    maxFrameBytes: 0,
    avgBitRate: 0,
    sampleRate: p.sampleRate,
  };
}

/** The 24-byte cookie of `config`. */
export function writeAlacCookie(config: AlacConfig): Uint8Array {
  const out = new Uint8Array(ALAC_COOKIE_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, config.frameLength);
  out[4] = config.compatibleVersion;
  out[5] = config.bitDepth;
  out[6] = config.pb;
  out[7] = config.mb;
  out[8] = config.kb;
  out[9] = config.numChannels;
  view.setUint16(10, config.maxRun);
  view.setUint32(12, config.maxFrameBytes);
  view.setUint32(16, config.avgBitRate);
  view.setUint32(20, config.sampleRate);
  return out;
}

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

function badCookie(message: string): StemkitError {
  return new StemkitError('E_BAD_HEADER', `ALAC magic cookie: ${message}`, { hint: 'the ALAC stream description is damaged; re-encode the file' });
}

/**
 * Parses a cookie: the bare 24 bytes, or the same behind a 12-byte 'frma' atom and/or a 12-byte
 * 'alac' atom header (what an MP4 'alac' box or an old CAF holds), or behind just the 'alac'
 * box's 4 bytes of version and flags. A trailing channel layout is
 * ignored. Throws E_BAD_HEADER for a short cookie or values no decoder can use.
 */
export function parseAlacCookie(cookie: Uint8Array): AlacConfig {
  let at = 0;
  if (cookie.length >= at + 12 && fourCC(cookie, at + 4) === 'frma') at += 12;
  if (cookie.length >= at + 12 && fourCC(cookie, at + 4) === 'alac') at += 12;
  // The MP4 'alac' box's payload as some demuxers hand it over: version/flags (0), then the config.
  // Unambiguous, as a config cannot start with a frame length of 0.
  else if (cookie.length - at >= ALAC_COOKIE_BYTES + 4 && cookie[at] === 0 && cookie[at + 1] === 0 && cookie[at + 2] === 0 && cookie[at + 3] === 0) at += 4;
  if (cookie.length - at < ALAC_COOKIE_BYTES) throw badCookie(`${cookie.length - at} bytes where ALACSpecificConfig needs ${ALAC_COOKIE_BYTES}`);
  const view = new DataView(cookie.buffer, cookie.byteOffset + at, ALAC_COOKIE_BYTES);
  const config: AlacConfig = {
    frameLength: view.getUint32(0),
    compatibleVersion: view.getUint8(4),
    bitDepth: view.getUint8(5),
    pb: view.getUint8(6),
    mb: view.getUint8(7),
    kb: view.getUint8(8),
    numChannels: view.getUint8(9),
    maxRun: view.getUint16(10),
    maxFrameBytes: view.getUint32(12),
    avgBitRate: view.getUint32(16),
    sampleRate: view.getUint32(20),
  };
  if (config.compatibleVersion !== 0) throw badCookie(`compatible version ${config.compatibleVersion} (only 0 exists)`);
  if (![16, 20, 24, 32].includes(config.bitDepth)) throw badCookie(`bit depth ${config.bitDepth} (ALAC has 16, 20, 24 and 32)`);
  if (config.numChannels < 1 || config.numChannels > 8) throw badCookie(`${config.numChannels} channels (ALAC has 1 to 8)`);
  // Bounds the decoder's buffers: 4096 is universal; anything past 2^16 is hostile, not audio.
  if (config.frameLength < 1 || config.frameLength > 65536) throw badCookie(`frame length ${config.frameLength}`);
  return config;
}
