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

async function digest(path: string, hashes: Hash[], range?: { start: number; end: number }): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, range ? { start: range.start, end: range.end - 1 } : {})) {
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

/** SHA-256 and MD5 of the whole file (one read), and the MD5 of its audio data. */
export async function hashFile(path: string): Promise<FileHashes> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const bytes = await digest(path, [sha, md5]);
  let audioMd5: string | null = null;
  if (path.toLowerCase().endsWith('.wav')) {
    const source = await openAudio(path);
    const data = source.meta.chunks.find((c) => c.id === 'data');
    await source.close();
    if (data && data.size > 0) {
      const h = createHash('md5');
      await digest(path, [h], { start: data.offset + 8, end: data.offset + 8 + data.size });
      audioMd5 = h.digest('hex');
    }
  }
  return { bytes, sha256: sha.digest('hex'), md5: md5.digest('hex'), audioMd5 };
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
 * `sha256sum -c` and `md5sum -c` read ("<hex>  <path>"), run from inside `dir`.
 */
export async function writeChecksums(dir: string): Promise<void> {
  const sha: string[] = [];
  const md5: string[] = [];
  for (const file of await listFiles(dir)) {
    if (CHECKSUM_FILES.includes(file)) continue;
    const a = createHash('sha256');
    const b = createHash('md5');
    await digest(join(dir, file), [a, b]);
    sha.push(`${a.digest('hex')}  ${file}`);
    md5.push(`${b.digest('hex')}  ${file}`);
  }
  await writeFile(join(dir, 'checksums.sha256'), sha.join('\n') + '\n');
  await writeFile(join(dir, 'checksums.md5'), md5.join('\n') + '\n');
}
