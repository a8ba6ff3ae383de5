import { clock, sampleFormatLabel } from '../format.js';
import { collectInfo, type InfoEntry } from '../audio/describe.js';
import { colours, table, type Writer } from '../report/terminal.js';

/** "24-bit PCM", "32-bit float", "A-law", "µ-law". */
function sampleFormat(e: InfoEntry): string {
  const label = sampleFormatLabel({ encoding: e.encoding!, bitDepth: e.bitDepth! });
  return e.encoding === 'pcm' ? `${label} PCM` : label;
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
