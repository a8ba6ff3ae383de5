import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { fromFsError } from '../errors.js';
import { listFiles } from './checksums.js';

/**
 * Zips a delivery folder into one store-only archive (audio does not deflate; storing keeps it
 * streaming and byte-exact), deterministic: entries in sorted order under the folder's name,
 * every entry dated `date`, ZIP64 where sizes or offsets pass 4 GiB. Written under a temporary
 * name and renamed, so `zipPath` is complete or absent.
 */
export async function zipFolder(dir: string, zipPath: string, date: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const top = basename(dir.replace(/\/+$/, ''));
  const mtime = new Date(date);
  for (const file of await listFiles(dir)) zip.addFile(join(dir, file), `${top}/${file}`, { compress: false, mtime, mode: 0o100644 });
  zip.end();
  const temp = join(dirname(zipPath), `.${basename(zipPath)}.${process.pid}.stemkit-tmp`);
  try {
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, zipPath);
  } catch (err) {
    await rm(temp, { force: true });
    throw fromFsError(err, zipPath);
  }
}
