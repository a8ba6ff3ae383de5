import { clock, sampleFormatLabel } from '../format.js';
import { collectInfo, type InfoEntry } from '../audio/describe.js';
import { colours, table, type Writer } from '../report/terminal.js';
import { RangeFile } from '../audio/range-file.js';
import { readMp4 } from '../audio/mp4/read.js';
import { parseNiStemMetadata, type NiStemMetadata } from '../pack/ni-stems.js';

/** "24-bit PCM", "32-bit float", "A-law", "µ-law". */
function sampleFormat(e: InfoEntry): string {
  const label = sampleFormatLabel({ encoding: e.encoding!, bitDepth: e.bitDepth! });
  return e.encoding === 'pcm' ? `${label} PCM` : label;
}

/** What `info` says about an MP4 (M4A, NI Stems): its tracks, tags and NI's stem metadata; read from moov only. */
export interface Mp4InfoEntry {
  path: string;
  container: 'mp4';
  tracks: { id: number; enabled: boolean; codec: string; sampleRate: number; channels: number; bitDepth: number | null; frames: number; durationSec: number; priming: number; timingFrom: string }[];
  tags: Record<string, string>;
  cover: string | null;
  /** NI's `stem` box, parsed (names, colours, mastering DSP); null for an ordinary MP4. */
  niStems: NiStemMetadata | null;
}

async function isMp4(path: string): Promise<boolean> {
  const file = await RangeFile.open(path).catch(() => null);
  if (!file) return false;
  try {
    return String.fromCharCode(...(await file.bytes(4, 4))) === 'ftyp';
  } finally {
    await file.close();
  }
}

async function describeMp4(path: string): Promise<Mp4InfoEntry> {
  const file = await RangeFile.open(path);
  try {
    const info = await readMp4(file);
    return {
      path,
      container: 'mp4',
      tracks: info.tracks.map((t) => ({
        id: t.id,
        enabled: t.enabled,
        codec: t.codec === 'mp4a' ? 'AAC' : t.codec === 'alac' ? 'ALAC' : t.codec,
        sampleRate: t.sampleRate,
        channels: t.channels,
        bitDepth: t.codec === 'alac' ? t.sampleSize : null,
        frames: t.frames,
        durationSec: t.frames / t.sampleRate,
        priming: t.priming,
        timingFrom: t.timingFrom,
      })),
      tags: info.tags,
      cover: info.cover,
      niStems: info.stemJson === null ? null : parseNiStemMetadata(info.stemJson, path),
    };
  } finally {
    await file.close();
  }
}

function writeMp4(e: Mp4InfoEntry, out: Writer): void {
  const c = colours(out);
  const names = e.niStems ? ['Mix', ...e.niStems.stems.map((s) => `${s.name} ${s.color}`)] : [];
  const rows = [['track', 'codec', 'rate', 'channels', 'duration', 'frames', 'priming', 'enabled'].map(c.bold)];
  for (const [i, t] of e.tracks.entries()) {
    rows.push([`${t.id}${names[i] ? ` ${names[i]}` : ''}`, `${t.codec}${t.bitDepth ? ` ${t.bitDepth}-bit` : ''}`, `${t.sampleRate} Hz`, String(t.channels), clock(t.durationSec), String(t.frames), `${t.priming} (${t.timingFrom})`, t.enabled ? 'yes' : 'no']);
  }
  out.write(`${c.bold(e.path)}${e.niStems ? ' — NI Stems' : ''}\n${table(rows, [5])}\n`);
  for (const [k, v] of Object.entries(e.tags)) out.write(`  ${k}: ${v}\n`);
  if (e.cover) out.write(`  cover: ${e.cover}\n`);
  if (e.niStems?.mastering_dsp) {
    const { compressor: cmp, limiter: lim } = e.niStems.mastering_dsp;
    out.write(`  mastering DSP: compressor ${cmp.enabled ? `on (ratio ${cmp.ratio}, threshold ${cmp.threshold})` : 'off'}, limiter ${lim.enabled ? `on (ceiling ${lim.ceiling})` : 'off'}\n`);
  }
}

/** `stemkit info`: a table on the terminal, `{"files": [...]}` with --json; exit 2 if any file failed. */
export async function runInfo(allPaths: string[], options: { json?: boolean }, out: Writer): Promise<number> {
  const mp4 = await Promise.all(allPaths.map(isMp4));
  const mp4Entries: Mp4InfoEntry[] = [];
  for (const path of allPaths.filter((_, i) => mp4[i])) mp4Entries.push(await describeMp4(path));
  const paths = allPaths.filter((_, i) => !mp4[i]);
  const entries = await collectInfo(paths);
  const failed = entries.some((e) => e.error);
  if (options.json) {
    out.write(JSON.stringify({ files: [...entries, ...mp4Entries] }, null, 2) + '\n');
    return failed ? 2 : 0;
  }
  for (const e of mp4Entries) writeMp4(e, out);
  if (entries.length === 0) return 0;
  const c = colours(out);
  const rows = [['file', 'format', 'container', 'rate', 'channels', 'duration', 'frames'].map(c.bold)];
  for (const e of entries) {
    if (e.error) {
      rows.push([e.path, c.red(e.error.code), '', '', '', '', '']);
      continue;
    }
    rows.push([
      e.path,
      sampleFormat(e),
      e.container!,
      `${e.sampleRate} Hz`,
      `${e.channels} (${e.channelLayout!.join(' ')})`,
      clock(e.durationSec!),
      String(e.frames),
    ]);
  }
  out.write(table(rows, [6]) + '\n');
  for (const e of entries) {
    const notes: string[] = [];
    if (e.error) notes.push(`${c.red(e.error.message)}\n    ${c.dim('hint:')} ${e.error.hint}`);
    if (e.bext) {
      const b = e.bext;
      const seconds = e.sampleRate ? ` (${clock(b.timeReference / e.sampleRate)} from midnight)` : '';
      notes.push(`bext v${b.version}: "${b.description}" by "${b.originator}", ${b.originationDate} ${b.originationTime}, time reference ${b.timeReference}${seconds}`);
    }
    if (e.ixml) notes.push(`iXML: ${e.ixml.length} characters`);
    for (const [k, v] of Object.entries(e.tags ?? {})) notes.push(`${k}: ${v}`);
    if (e.chunks) notes.push(`chunks: ${e.chunks.map((ch) => `${ch.id.trim()}(${ch.size})`).join(' ')}`);
    for (const w of e.warnings ?? []) notes.push(c.yellow(`warning: ${w}`));
    if (notes.length) out.write(`\n${c.bold(e.path)}\n${notes.map((n) => `  ${n}`).join('\n')}\n`);
  }
  return failed ? 2 : 0;
}
