import { clock } from '../format.js';
import { openAudio } from '../audio/open.js';
import type { AudioSource, BextInfo } from '../audio/types.js';
import { colours, errorJson, table, type Writer } from '../report/terminal.js';
import type { ErrorReport } from '../errors.js';

export interface InfoEntry {
  path: string;
  container?: string;
  encoding?: string;
  bitDepth?: number;
  sampleRate?: number;
  channels?: number;
  channelMask?: number | null;
  channelLayout?: string[];
  frames?: number;
  durationSec?: number;
  bext?: Pick<BextInfo, 'description' | 'originator' | 'originatorReference' | 'originationDate' | 'originationTime' | 'timeReference' | 'version'> | null;
  ixml?: string | null;
  tags?: Record<string, string>;
  chunks?: { id: string; size: number }[];
  warnings?: string[];
  error?: ErrorReport;
}

/** Header facts of one file (no audio is decoded). */
export function describeSource(source: AudioSource): InfoEntry {
  const { format: f, meta } = source;
  const bext = meta.bext;
  return {
    path: source.path,
    container: f.container,
    encoding: f.encoding,
    bitDepth: f.bitDepth,
    sampleRate: f.sampleRate,
    channels: f.channels,
    channelMask: f.channelMask,
    channelLayout: f.channelLayout,
    frames: f.frames,
    durationSec: f.frames / f.sampleRate,
    bext: bext && {
      description: bext.description,
      originator: bext.originator,
      originatorReference: bext.originatorReference,
      originationDate: bext.originationDate,
      originationTime: bext.originationTime,
      timeReference: bext.timeReference,
      version: bext.version,
    },
    ixml: meta.ixml,
    tags: meta.tags,
    chunks: meta.chunks.map(({ id, size }) => ({ id, size })),
    warnings: meta.warnings,
  };
}

export async function collectInfo(paths: string[]): Promise<InfoEntry[]> {
  return Promise.all(
    paths.map(async (path) => {
      try {
        const source = await openAudio(path);
        const entry = describeSource(source);
        await source.close();
        return entry;
      } catch (err) {
        return { path, error: errorJson(err) };
      }
    }),
  );
}

function formatLabel(e: InfoEntry): string {
  if (e.encoding === 'float') return `${e.bitDepth}-bit float`;
  if (e.encoding === 'pcm') return `${e.bitDepth}-bit PCM`;
  return e.encoding === 'alaw' ? 'A-law' : 'µ-law';
}

/** `stemkit info`: a table on the terminal, `{"files": [...]}` with --json; exit 2 if any file failed. */
export async function runInfo(paths: string[], options: { json?: boolean }, out: Writer): Promise<number> {
  const entries = await collectInfo(paths);
  const failed = entries.some((e) => e.error);
  if (options.json) {
    out.write(JSON.stringify({ files: entries }, null, 2) + '\n');
    return failed ? 2 : 0;
  }
  const c = colours(out);
  const rows = [['file', 'format', 'container', 'rate', 'channels', 'duration', 'frames'].map(c.bold)];
  for (const e of entries) {
    if (e.error) {
      rows.push([e.path, c.red(e.error.code), '', '', '', '', '']);
      continue;
    }
    rows.push([
      e.path,
      formatLabel(e),
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
