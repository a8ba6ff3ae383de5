import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** A byte range [start, end] (inclusive, as HTTP writes it) of a resource of `size` bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The Range header's single byte range over a resource of `size` bytes (RFC 9110 §14.1.2):
 * `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n`, the end clamped to the last byte.
 * Returns null to send the whole resource (no header, another unit, a malformed or multi-range
 * header — a server may ignore those), or 'unsatisfiable' (416) when the range starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Sends the file at `path` (already on the allow-list) whole or by the request's Range, streaming
 * from one file handle that is closed whatever happens: done, a client that goes away mid-stream,
 * a read error. O_NOFOLLOW: a file swapped for a symlink after the allow-list was made is refused.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, contentType: string, headers: Record<string, string> = {}): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain', ...headers }).end('not found\n');
    return;
  }
  try {
    const size = (await handle.stat()).size;
    const range = parseRange(req.headers.range, size);
    const common = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Type': contentType };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = Math.max(0, end - start + 1);
    res.writeHead(range ? 206 : 200, { ...common, 'Content-Length': String(length), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    // pipeline destroys both ends when either fails or the client disconnects; autoClose is off so
    // the handle is closed once, below.
    await pipeline(handle.createReadStream({ start, end, autoClose: false }), res).catch(() => undefined);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
