/**
 * The ALAC (Apple Lossless) codec: packets ⇄ planar integer samples, the magic cookie, and a
 * minimal CAF writer/reader. Internal to stemkit (not exported from `stemkit/audio`): the MP4
 * muxer and the `.stem.mp4` reader use it.
 */
export { AlacDecoder } from './decoder.js';
export { AlacEncoder, type AlacEncoderOptions, type AlacEncoderStats, AlacStreamEncoder } from './encoder.js';
export { ALAC_COOKIE_BYTES, ALAC_DEFAULT_FRAME_LENGTH, type AlacConfig, defaultAlacConfig, parseAlacCookie, writeAlacCookie } from './cookie.js';
export { type AlacCafStream, readAlacCaf, writeAlacCaf } from './caf.js';
