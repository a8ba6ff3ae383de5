import { createReadStream, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { fromFsError, StemkitError } from '../errors.js';
import { listFiles } from './checksums.js';

/**
 * yazl computes each entry's CRC-32 with buffer-crc32, in JavaScript (about 0.5 GB/s); Node's zlib
 * has it natively (several GB/s), from Node 20.15. The same module object yazl loaded gets the
 * native function, so the archive is identical and only faster.
 */
function useNativeCrc32(): void {
  const native = (zlib as { crc32?: (data: Uint8Array, initial?: number) => number }).crc32;
  if (!native) return;
  const fromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
  const bufferCrc32 = fromYazl('buffer-crc32') as { unsigned: (buf: Uint8Array, previous?: number) => number; stemkitNative?: boolean };
  if (bufferCrc32.stemkitNative) return;
  bufferCrc32.unsigned = (buf, previous) => native(buf, previous ?? 0);
  bufferCrc32.stemkitNative = true;
}

/**
 * Zips a delivery folder into one store-only archive (audio does not deflate; storing keeps it
 * streaming and byte-exact), deterministic: entries in sorted order under the folder's name,
 * every entry dated `date`, ZIP64 where sizes or offsets pass 4 GiB. Written under a temporary
 * name and renamed, so `zipPath` is complete or absent.
 */
export async function zipFolder(dir: string, zipPath: string, date: string): Promise<void> {
  useNativeCrc32();
  const zip = new yazl.ZipFile();
  const top = basename(dir.replace(/\/+$/, ''));
  const mtime = new Date(date);
  // Read in 4 MiB pieces: yazl's own reads (64 KiB) cost more in stream hops than in copying.
  for (const file of await listFiles(dir)) {
    zip.addReadStreamLazy(`${top}/${file}`, { compress: false, mtime, mode: 0o100644 }, (done) => done(null, createReadStream(join(dir, file), { highWaterMark: 1 << 22 })));
  }
  zip.end();
  const temp = join(dirname(zipPath), `.${basename(zipPath)}.${process.pid}.stemkit-tmp`);
  try {
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx', highWaterMark: 1 << 22 }));
    // On disk before it takes its name, as every file stemkit writes: a crash never leaves a cut zip under zipPath.
    const written = await open(temp, 'r+');
    await written.sync().finally(() => written.close());
    await rename(temp, zipPath);
  } catch (err) {
    await rm(temp, { force: true });
    throw fromFsError(err, zipPath);
  }
}

/**
 * Extracts a delivery zip into a fresh temporary folder (streaming, entry by entry) and returns the
 * folder of the delivery inside it; the caller removes `root` when done. Entries that would land
 * outside the folder (absolute paths, `..`) are refused.
 */
export async function unzipDelivery(zipPath: string): Promise<{ root: string; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'stemkit-verify-'));
  const bad = (why: string) => new StemkitError('E_BAD_DATA', `${zipPath}: ${why}`, { file: zipPath, hint: 'the archive is damaged or not a stemkit delivery; ask for it again' });
  try {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(zipPath, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, z) => (err ? reject(bad(err.message)) : resolve(z!))));
    const tops = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: Error) => reject(bad(err.message)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = normalize(entry.fileName);
        if (name.startsWith('..') || name.startsWith(sep) || /^[A-Za-z]:/.test(name)) return reject(bad(`entry "${entry.fileName}" points outside the delivery`));
        tops.add(name.split(sep)[0]!);
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(bad(err?.message ?? 'unreadable entry'));
          const target = join(root, name);
          mkdir(dirname(target), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(target, { flags: 'wx' })))
            .then(() => zip.readEntry(), (e: unknown) => reject(fromFsError(e, target)));
        });
      });
      zip.readEntry();
    });
    if (tops.size !== 1) throw bad('a delivery zip holds one folder');
    return { root, dir: join(root, [...tops][0]!) };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
