/**
 * Reads the structure of an audio MP4 (M4A, NI .stem.mp4): its tracks with their sample tables,
 * edit lists and codec setup, the iTunes tags and NI's `stem` box. Only `moov` is read (by range);
 * `mdat` is never touched here. Every size is checked against its parent, so a cut or hostile file
 * gives a typed error, not a wrong table.
 */
import { StemkitError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import { parseItunSmpb } from './tags.js';

/** One audio track as its boxes describe it. */
export interface Mp4Track {
  /** tkhd track_ID. */
  id: number;
  /** tkhd flag 1: players play enabled tracks (NI: the mix only). */
  enabled: boolean;
  /** The sample entry's type: 'mp4a' (AAC), 'alac', or whatever else the file holds. */
  codec: string;
  sampleRate: number;
  channels: number;
  /** The sample entry's sample size (ALAC: the bit depth). */
  sampleSize: number;
  /** AudioSpecificConfig (mp4a) or ALACSpecificConfig (alac); empty when absent. */
  decoderConfig: Uint8Array;
  /** Frames of media (sum of the sample durations), in the track's timescale. */
  mediaFrames: number;
  /** Frames to skip at the start (encoder priming), and where that number came from. */
  priming: number;
  /** Audio frames after the priming. */
  frames: number;
  /** 'edit list', 'iTunSMPB', or 'none' (no statement: the priming is assumed 0). */
  timingFrom: 'edit list' | 'iTunSMPB' | 'none';
  /** Byte offset of each packet. */
  offsets: Float64Array;
  /** Byte size of each packet. */
  sizes: Uint32Array;
  /** Media frame at which each packet starts (one more entry: the end). */
  starts: Float64Array;
}

/** What `readMp4` finds. */
export interface Mp4Info {
  /** Audio tracks, in file order. */
  tracks: Mp4Track[];
  /** Text items of `ilst`, by key ('©nam', '©ART', 'TAUT' …) and freeform items by name ('iTunSMPB', 'AUDIOTYPE' …). */
  tags: Record<string, string>;
  /** Cover art's MIME type when the file has one. */
  cover: string | null;
  /** The text of NI's `moov/udta/stem` box; null when absent. */
  stemJson: string | null;
  /** Top-level box types, in order (for `info`). */
  boxes: string[];
}

interface Box {
  type: string;
  start: number;
  /** Payload start and end. */
  body: number;
  end: number;
}

const MAX_MOOV = 256 * 1024 * 1024;

function bad(path: string, why: string): StemkitError {
  return new StemkitError('E_BAD_HEADER', `${path}: ${why}`, { file: path, hint: 'the MP4 is damaged or cut short; export or copy it again' });
}

/** Boxes of bytes[from, to). */
function children(path: string, bytes: Uint8Array, from: number, to: number): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) throw bad(path, `box '${type}' is cut short`);
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) throw bad(path, `box '${type}' at byte ${at} claims ${size} bytes, more than its parent holds`);
    out.push({ type, start: at, body: at + header, end: at + size });
    at += size;
  }
  return out;
}

function find(list: Box[], type: string): Box | undefined {
  return list.find((b) => b.type === type);
}

/** Reads the boxes of an MP4 file (not its media). */
export async function readMp4(file: ByteSource): Promise<Mp4Info> {
  const path = file.path;
  const top: Box[] = [];
  let at = 0;
  let moov: Uint8Array | null = null;
  while (at + 8 <= file.size) {
    const head = await file.bytes(at, 16);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let size = view.getUint32(0);
    const type = String.fromCharCode(...head.subarray(4, 8));
    let header = 8;
    if (size === 1) {
      if (head.length < 16) throw bad(path, `box '${type}' is cut short`);
      size = Number(view.getBigUint64(8));
      header = 16;
    } else if (size === 0) size = file.size - at;
    if (size < header) throw bad(path, `box '${type}' at byte ${at} has an impossible size ${size}`);
    if (at + size > file.size) {
      throw new StemkitError('E_TRUNCATED', `${path}: box '${type}' at byte ${at} needs ${size} bytes; the file ends ${at + size - file.size} bytes early`, { file: path, hint: 'the file was cut short; copy or export it again' });
    }
    top.push({ type, start: at, body: at + header, end: at + size });
    if (type === 'moov') {
      if (size > MAX_MOOV) throw bad(path, `moov of ${size} bytes is beyond any audio file`);
      moov = await file.bytes(at, size);
      if (moov.length < size) moov = await readWhole(file, at, size);
    }
    at += size;
  }
  if (!moov) throw bad(path, 'no moov box: not a complete MP4 (a fragmented or cut file?)');
  return parseMoov(path, moov, top.map((b) => b.type));
}

async function readWhole(file: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const got = await file.readInto(out, offset);
  if (got < length) throw bad(file.path, 'moov is cut short');
  return out;
}

function parseMoov(path: string, moov: Uint8Array, boxes: string[]): Mp4Info {
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const root = children(path, moov, 8, moov.length);
  const mvhd = find(root, 'mvhd');
  if (!mvhd) throw bad(path, 'moov has no mvhd');
  const movieScale = moov[mvhd.body] === 1 ? view.getUint32(mvhd.body + 20) : view.getUint32(mvhd.body + 12);
  const tracks: Mp4Track[] = [];
  for (const trak of root.filter((b) => b.type === 'trak')) {
    const track = parseTrak(path, moov, view, trak, movieScale);
    if (track) tracks.push(track);
  }
  const info: Mp4Info = { tracks, tags: {}, cover: null, stemJson: null, boxes };
  const udta = find(root, 'udta');
  if (udta) parseUdta(path, moov, view, udta, info);
  for (const track of tracks) {
    if (track.timingFrom !== 'none') continue;
    const smpb = info.tags.iTunSMPB ? parseItunSmpb(info.tags.iTunSMPB) : null;
    if (smpb && smpb.priming + smpb.frames <= track.mediaFrames) {
      track.priming = smpb.priming;
      track.frames = smpb.frames;
      track.timingFrom = 'iTunSMPB';
    }
  }
  return info;
}

function parseTrak(path: string, bytes: Uint8Array, view: DataView, trak: Box, movieScale: number): Mp4Track | null {
  const boxes = children(path, bytes, trak.body, trak.end);
  const tkhd = find(boxes, 'tkhd');
  const mdia = find(boxes, 'mdia');
  if (!tkhd || !mdia) throw bad(path, 'a trak without tkhd or mdia');
  const flags = view.getUint32(tkhd.body) & 0xffffff;
  const id = view.getUint32(tkhd.body + (bytes[tkhd.body] === 1 ? 20 : 12));
  const mdiaBoxes = children(path, bytes, mdia.body, mdia.end);
  const hdlr = find(mdiaBoxes, 'hdlr');
  if (!hdlr || String.fromCharCode(...bytes.subarray(hdlr.body + 8, hdlr.body + 12)) !== 'soun') return null;
  const mdhd = find(mdiaBoxes, 'mdhd');
  const minf = find(mdiaBoxes, 'minf');
  if (!mdhd || !minf) throw bad(path, `track ${id}: no mdhd or minf`);
  const timescale = bytes[mdhd.body] === 1 ? view.getUint32(mdhd.body + 20) : view.getUint32(mdhd.body + 12);
  const stblBox = find(children(path, bytes, minf.body, minf.end), 'stbl');
  if (!stblBox) throw bad(path, `track ${id}: no stbl`);
  const stbl = children(path, bytes, stblBox.body, stblBox.end);
  const need = (type: string) => {
    const b = find(stbl, type);
    if (!b) throw bad(path, `track ${id}: no ${type}`);
    return b;
  };
  const entry = sampleEntry(path, bytes, view, need('stsd'), id);
  const { starts, mediaFrames } = sampleStarts(path, view, need('stts'), id);
  const sizes = sampleSizes(path, view, need('stsz'), id);
  const count = sizes.length;
  if (starts.length - 1 !== count) throw bad(path, `track ${id}: stts describes ${starts.length - 1} samples, stsz ${count}`);
  const chunkBox = find(stbl, 'stco') ?? find(stbl, 'co64');
  if (!chunkBox) throw bad(path, `track ${id}: no stco or co64`);
  const offsets = sampleOffsets(path, view, need('stsc'), chunkBox, sizes, id);

  let priming = 0;
  let frames = mediaFrames;
  let timingFrom: Mp4Track['timingFrom'] = 'none';
  const edts = find(boxes, 'edts');
  const elst = edts ? find(children(path, bytes, edts.body, edts.end), 'elst') : undefined;
  if (elst) {
    const version = bytes[elst.body];
    const entries = view.getUint32(elst.body + 4);
    const width = version === 1 ? 20 : 12;
    if (elst.body + 8 + entries * width > elst.end) throw bad(path, `track ${id}: elst is cut short`);
    // The first edit that is not an empty (delay) edit says where the audio starts and how long it lasts.
    for (let i = 0, at = elst.body + 8; i < entries; i++, at += width) {
      const duration = version === 1 ? Number(view.getBigUint64(at)) : view.getUint32(at);
      const mediaTime = version === 1 ? Number(view.getBigInt64(at + 8)) : view.getInt32(at + 4);
      if (mediaTime < 0) continue;
      priming = mediaTime;
      frames = Math.min(Math.round((duration * timescale) / movieScale), mediaFrames - mediaTime);
      timingFrom = 'edit list';
      break;
    }
  }
  return { id, enabled: (flags & 1) === 1, ...entry, sampleRate: entry.sampleRate || timescale, mediaFrames, priming, frames, timingFrom, offsets, sizes, starts };
}

function sampleEntry(path: string, bytes: Uint8Array, view: DataView, stsd: Box, id: number) {
  const [entry] = children(path, bytes, stsd.body + 8, stsd.end);
  if (!entry || entry.end - entry.body < 28) throw bad(path, `track ${id}: no audio sample entry`);
  const channels = view.getUint16(entry.body + 16);
  const sampleSize = view.getUint16(entry.body + 18);
  const sampleRate = view.getUint32(entry.body + 24) >>> 16;
  let decoderConfig: Uint8Array = new Uint8Array(0);
  const inner = children(path, bytes, entry.body + 28, entry.end);
  if (entry.type === 'mp4a') {
    const esds = find(inner, 'esds') ?? findDeep(path, bytes, inner, 'esds');
    if (esds) decoderConfig = decoderSpecificInfo(bytes.subarray(esds.body + 4, esds.end));
  } else if (entry.type === 'alac') {
    const cookie = find(inner, 'alac');
    if (cookie) decoderConfig = bytes.slice(cookie.body + 4, cookie.end);
  }
  return { codec: entry.type, channels, sampleSize, sampleRate, decoderConfig };
}

/** QuickTime files nest esds under a 'wave' box. */
function findDeep(path: string, bytes: Uint8Array, list: Box[], type: string): Box | undefined {
  for (const b of list) {
    if (b.type === type) return b;
    if (b.type === 'wave') return findDeep(path, bytes, children(path, bytes, b.body, b.end), type);
  }
  return undefined;
}

/** The DecoderSpecificInfo (tag 5) inside an ES descriptor: the AudioSpecificConfig. */
function decoderSpecificInfo(es: Uint8Array): Uint8Array {
  let at = 0;
  const readDescriptor = (): { tag: number; body: number; end: number } | null => {
    if (at + 2 > es.length) return null;
    const tag = es[at++]!;
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = es[at++] ?? 0;
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, body: at, end: Math.min(at + size, es.length) };
  };
  const es3 = readDescriptor();
  if (!es3 || es3.tag !== 3) return new Uint8Array(0);
  const flags = es[at + 2] ?? 0;
  at += 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x40 ? 1 + (es[at + 3] ?? 0) : 0) + (flags & 0x20 ? 2 : 0);
  const dc = readDescriptor();
  if (!dc || dc.tag !== 4) return new Uint8Array(0);
  at += 13;
  const dsi = readDescriptor();
  return dsi && dsi.tag === 5 ? es.slice(dsi.body, dsi.end) : new Uint8Array(0);
}

function sampleStarts(path: string, view: DataView, stts: Box, id: number): { starts: Float64Array; mediaFrames: number } {
  const entries = view.getUint32(stts.body + 4);
  if (stts.body + 8 + entries * 8 > stts.end) throw bad(path, `track ${id}: stts is cut short`);
  let total = 0;
  for (let i = 0; i < entries; i++) total += view.getUint32(stts.body + 8 + i * 8);
  if (total > (stts.end - stts.body) * 1e6) throw bad(path, `track ${id}: stts counts ${total} samples`);
  const starts = new Float64Array(total + 1);
  let n = 0;
  let frame = 0;
  for (let i = 0; i < entries; i++) {
    const count = view.getUint32(stts.body + 8 + i * 8);
    const delta = view.getUint32(stts.body + 12 + i * 8);
    for (let k = 0; k < count; k++) {
      starts[n++] = frame;
      frame += delta;
    }
  }
  starts[n] = frame;
  return { starts, mediaFrames: frame };
}

function sampleSizes(path: string, view: DataView, stsz: Box, id: number): Uint32Array {
  const fixed = view.getUint32(stsz.body + 4);
  const count = view.getUint32(stsz.body + 8);
  if (fixed !== 0) {
    if (count > 1e9) throw bad(path, `track ${id}: stsz counts ${count} samples`);
    return new Uint32Array(count).fill(fixed);
  }
  if (stsz.body + 12 + count * 4 > stsz.end) throw bad(path, `track ${id}: stsz is cut short`);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) sizes[i] = view.getUint32(stsz.body + 12 + i * 4);
  return sizes;
}

function sampleOffsets(path: string, view: DataView, stsc: Box, chunks: Box, sizes: Uint32Array, id: number): Float64Array {
  const wide = chunks.type === 'co64';
  const chunkCount = view.getUint32(chunks.body + 4);
  if (chunks.body + 8 + chunkCount * (wide ? 8 : 4) > chunks.end) throw bad(path, `track ${id}: ${chunks.type} is cut short`);
  const runs = view.getUint32(stsc.body + 4);
  if (stsc.body + 8 + runs * 12 > stsc.end) throw bad(path, `track ${id}: stsc is cut short`);
  const offsets = new Float64Array(sizes.length);
  let sample = 0;
  for (let r = 0; r < runs; r++) {
    const first = view.getUint32(stsc.body + 8 + r * 12) - 1;
    const perChunk = view.getUint32(stsc.body + 12 + r * 12);
    const last = r + 1 < runs ? view.getUint32(stsc.body + 8 + (r + 1) * 12) - 1 : chunkCount;
    for (let c = first; c < last && c < chunkCount; c++) {
      let at = wide ? Number(view.getBigUint64(chunks.body + 8 + c * 8)) : view.getUint32(chunks.body + 8 + c * 4);
      for (let k = 0; k < perChunk && sample < sizes.length; k++) {
        offsets[sample] = at;
        at += sizes[sample++]!;
      }
    }
  }
  if (sample !== sizes.length) throw bad(path, `track ${id}: the chunk tables place ${sample} of ${sizes.length} samples`);
  return offsets;
}

function parseUdta(path: string, bytes: Uint8Array, view: DataView, udta: Box, info: Mp4Info): void {
  const text = (from: number, to: number) => new TextDecoder().decode(bytes.subarray(from, to));
  for (const b of children(path, bytes, udta.body, udta.end)) {
    if (b.type === 'stem') info.stemJson = text(b.body, b.end);
    if (b.type !== 'meta') continue;
    const meta = children(path, bytes, b.body + 4, b.end);
    const ilst = find(meta, 'ilst');
    if (!ilst) continue;
    for (const item of children(path, bytes, ilst.body, ilst.end)) {
      const parts = children(path, bytes, item.body, item.end);
      const data = find(parts, 'data');
      if (!data || data.end - data.body < 8) continue;
      const type = view.getUint32(data.body) & 0xffffff;
      if (item.type === 'covr') {
        info.cover = type === 14 ? 'image/png' : 'image/jpeg';
        continue;
      }
      if (type !== 1) continue;
      const value = text(data.body + 8, data.end);
      if (item.type === '----') {
        const name = find(parts, 'name');
        if (name) info.tags[text(name.body + 4, name.end)] = value;
      } else {
        // '©' is stored as the byte 0xA9; String.fromCharCode gave it back as U+00A9.
        info.tags[item.type] = value;
      }
    }
  }
}
