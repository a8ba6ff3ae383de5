import type { BextInfo } from '../types.js';
import { fourcc, isPlausibleId, readU32 } from '../iff.js';
import { hexBytes } from '../bytes.js';

/** EBU Tech 3285 `bext` field offsets; the fixed part is 602 bytes, coding history follows. */
const BEXT = {
  description: [0, 256],
  originator: [256, 32],
  originatorReference: [288, 32],
  originationDate: [320, 10],
  originationTime: [330, 8],
  timeReferenceLow: 338,
  timeReferenceHigh: 342,
  version: 346,
  umid: [348, 64],
  loudnessValue: 412,
  loudnessRange: 414,
  maxTruePeakLevel: 416,
  maxMomentaryLoudness: 418,
  maxShortTermLoudness: 420,
  codingHistory: 602,
} as const;
export const BEXT_FIXED_SIZE = 602;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** A fixed-width text field: ends at the first NUL, trailing spaces dropped. */
function text(bytes: Uint8Array, at: number, length: number): string {
  const field = bytes.subarray(at, Math.min(at + length, bytes.length));
  const nul = field.indexOf(0);
  return latin1.decode(nul >= 0 ? field.subarray(0, nul) : field).trimEnd();
}

function int16(bytes: Uint8Array, at: number): number {
  return ((bytes[at + 1]! << 24) | (bytes[at]! << 16)) >> 16;
}

/** bext v2 loudness fields are hundredths of a unit; 0x7FFF marks "not set". */
function loudness(bytes: Uint8Array, at: number, version: number): number | null {
  if (version < 2 || at + 2 > bytes.length) return null;
  const raw = int16(bytes, at);
  return raw === 0x7fff ? null : raw / 100;
}

/** Parses a bext body; tolerates short chunks (old writers) by leaving missing fields empty. */
export function parseBext(body: Uint8Array): BextInfo {
  const version = body.length >= BEXT.version + 2 ? body[BEXT.version]! | (body[BEXT.version + 1]! << 8) : 0;
  const umidBytes = body.subarray(BEXT.umid[0], Math.min(BEXT.umid[0] + BEXT.umid[1], body.length));
  const umid = umidBytes.some((b) => b !== 0) ? hexBytes(umidBytes) : '';
  const timeReference =
    body.length >= BEXT.timeReferenceHigh + 4
      ? readU32(body, BEXT.timeReferenceHigh, false) * 2 ** 32 + readU32(body, BEXT.timeReferenceLow, false)
      : 0;
  return {
    description: text(body, ...BEXT.description),
    originator: text(body, ...BEXT.originator),
    originatorReference: text(body, ...BEXT.originatorReference),
    originationDate: text(body, ...BEXT.originationDate),
    originationTime: text(body, ...BEXT.originationTime),
    timeReference,
    version,
    umid,
    loudnessValue: loudness(body, BEXT.loudnessValue, version),
    loudnessRange: loudness(body, BEXT.loudnessRange, version),
    maxTruePeakLevel: loudness(body, BEXT.maxTruePeakLevel, version),
    maxMomentaryLoudness: loudness(body, BEXT.maxMomentaryLoudness, version),
    maxShortTermLoudness: loudness(body, BEXT.maxShortTermLoudness, version),
    codingHistory: body.length > BEXT.codingHistory ? text(body, BEXT.codingHistory, body.length - BEXT.codingHistory) : '',
  };
}

/** What the WAV writer puts in a `bext` chunk (version 1); each text is cut to its field's width, in Latin-1. */
export interface BextFields {
  /** Free text, up to 256 characters; default empty. */
  description?: string;
  /** Who made the file, up to 32 characters; default "stemkit". */
  originator?: string;
  /** The originator's reference for the file, up to 32 characters; default empty. */
  originatorReference?: string;
  /** yyyy-mm-dd; defaults to today (UTC). */
  originationDate?: string;
  /** hh:mm:ss; defaults to now (UTC). */
  originationTime?: string;
  /** Samples since midnight; the file's timeline position. */
  timeReference?: number;
  /** Free text after the fixed fields (EBU R 98 lines); default empty. */
  codingHistory?: string;
}

/** Serialises a version-1 bext body (loudness fields are v2 and left unset by writing v1). */
export function encodeBext(fields: BextFields): Uint8Array {
  const history = fields.codingHistory ?? '';
  const body = new Uint8Array(BEXT_FIXED_SIZE + history.length);
  const put = (value: string, [at, length]: readonly [number, number]) => {
    for (let i = 0; i < Math.min(value.length, length); i++) body[at + i] = value.charCodeAt(i) & 0xff;
  };
  const now = new Date().toISOString();
  put(fields.description ?? '', BEXT.description);
  put(fields.originator ?? 'stemkit', BEXT.originator);
  put(fields.originatorReference ?? '', BEXT.originatorReference);
  put(fields.originationDate ?? now.slice(0, 10), BEXT.originationDate);
  put(fields.originationTime ?? now.slice(11, 19), BEXT.originationTime);
  const reference = fields.timeReference ?? 0;
  const view = new DataView(body.buffer);
  view.setUint32(BEXT.timeReferenceLow, reference % 2 ** 32, true);
  view.setUint32(BEXT.timeReferenceHigh, Math.floor(reference / 2 ** 32), true);
  view.setUint16(BEXT.version, 1, true);
  put(history, [BEXT.codingHistory, history.length]);
  return body;
}

/** LIST/INFO sub-chunks (INAM, IART, ICMT, ISFT …) keyed by their ids. */
export function parseInfoList(body: Uint8Array): Record<string, string> {
  const tags: Record<string, string> = {};
  if (body.length < 4 || fourcc(body, 0) !== 'INFO') return tags;
  let at = 4;
  while (at + 8 <= body.length && isPlausibleId(body, at)) {
    const id = fourcc(body, at);
    const size = readU32(body, at + 4, false);
    const value = body.subarray(at + 8, Math.min(at + 8 + size, body.length));
    const nul = value.indexOf(0);
    tags[id] = utf8.decode(nul >= 0 ? value.subarray(0, nul) : value).trim();
    at += 8 + size + (size % 2);
  }
  return tags;
}

export function decodeXml(body: Uint8Array): string {
  const nul = body.indexOf(0);
  return utf8.decode(nul >= 0 ? body.subarray(0, nul) : body);
}
