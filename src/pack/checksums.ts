import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { openAudio } from '../audio/open.js';

/** A delivered file's size and digests; `audioMd5` covers only the audio data, so it survives metadata edits. */
export interface FileHashes {
  bytes: number;
  sha256: string;
  md5: string;
  /** MD5 of the WAV `data` chunk's bytes; null for files that are not audio. */
  audioMd5: string | null;
}

const CHECKSUM_FILES = ['checksums.sha256', 'checksums.md5'];

async function digest(path: string, hashes: Hash[]): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    bytes += b.length;
    for (const h of hashes) h.update(b);
  }
  return bytes;
}

/** SHA-256 of a file, hex. */
export async function sha256Of(path: string): Promise<string> {
  const sha = createHash('sha256');
  await digest(path, [sha]);
  return sha.digest('hex');
}

/** SHA-256 and MD5 of the whole file and the MD5 of its audio data, in one read. */
export async function hashFile(path: string): Promise<FileHashes> {
  let data: { start: number; end: number } | null = null;
  if (path.toLowerCase().endsWith('.wav')) {
    const source = await openAudio(path);
    const chunk = source.meta.chunks.find((c) => c.id === 'data');
    await source.close();
    if (chunk && chunk.size > 0) data = { start: chunk.offset + 8, end: chunk.offset + 8 + chunk.size };
  }
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const audio = data ? createHash('md5') : null;
  let at = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    sha.update(b);
    md5.update(b);
    if (audio && data) {
      const from = Math.max(data.start, at);
      const to = Math.min(data.end, at + b.length);
      if (to > from) audio.update(b.subarray(from - at, to - at));
    }
    at += b.length;
  }
  return { bytes: at, sha256: sha.digest('hex'), md5: md5.digest('hex'), audioMd5: audio ? audio.digest('hex') : null };
}

/** Every file under `dir` as a relative POSIX path, sorted (byte order, as `sort` in the C locale). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Writes checksums.sha256 and checksums.md5 over every file in `dir` but themselves, in the format
 * `sha256sum -c` and `md5sum -c` read ("<hex>  <path>"), run from inside `dir`; `known` gives
 * the hashes of files already hashed (by their path in `dir`).
 */
export async function writeChecksums(dir: string, known: ReadonlyMap<string, FileHashes> = new Map()): Promise<void> {
  const sha: string[] = [];
  const md5: string[] = [];
  for (const file of await listFiles(dir)) {
    if (CHECKSUM_FILES.includes(file)) continue;
    // Files hashed as they were written are not read again.
    const h = known.get(file) ?? (await hashFile(join(dir, file)));
    sha.push(`${h.sha256}  ${file}`);
    md5.push(`${h.md5}  ${file}`);
  }
  await writeFile(join(dir, 'checksums.sha256'), sha.join('\n') + '\n');
  await writeFile(join(dir, 'checksums.md5'), md5.join('\n') + '\n');
}
