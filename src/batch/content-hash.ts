import { createHash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fromFsError } from '../errors.js';
import { hasNiStemsName } from '../check/ni-stems-input.js';

const AUDIO = /\.(wav|wave|bwf|rf64|w64|aif|aiff|aifc|flac|mp3|m4a|aac|ogg|opus|caf)$/i;
const CHUNK = 4 << 20;

/** The files a check of the package can read: stemkit.json and the audio in the folder and in stems/. */
async function packageFiles(path: string): Promise<string[]> {
  if (hasNiStemsName(path)) return [path];
  const list = async (dir: string) =>
    (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isFile() && !e.name.startsWith('.') && (e.name === 'stemkit.json' || AUDIO.test(e.name)))
      .map((e) => join(dir, e.name));
  return [...(await list(path)), ...(await list(join(path, 'stems')))].sort();
}

/**
 * SHA-256 of a package's content: for each file in name order, its path relative to the package, its
 * size and every byte. Moving or renaming the package folder keeps the hash; touching a file without
 * changing it keeps it; changing one byte of audio or the manifest changes it. Costs one read of the
 * package (SHA-256 runs at about 1.5–2 GB/s per core with the CPU's SHA extensions).
 */
export async function contentHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const base = hasNiStemsName(path) ? join(path, '..') : path;
  for (const file of await packageFiles(path)) {
    let handle;
    try {
      handle = await open(file, 'r');
      const { size } = await handle.stat();
      hash.update(`${relative(base, file)}\0${size}\0`);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
      }
    } catch (err) {
      throw fromFsError(err, file);
    } finally {
      await handle?.close();
    }
  }
  return hash.digest('hex');
}

/** What a result depends on besides the content: the profile and strictness it was judged by. */
export interface CheckKeyOptions {
  profile?: string | undefined;
  strict?: boolean | undefined;
}

/**
 * The package's id in RESULTS and its job id in the queue: the content hash with the options it is
 * judged by, 80 bits in hex (a collision among 10^6 packages has a chance below 10^-12).
 */
export function resultId(hash: string, options: CheckKeyOptions): string {
  return createHash('sha256')
    .update(`stemkit.batch/1\0${hash}\0${options.profile ?? ''}\0${options.strict ? 'strict' : ''}`)
    .digest('hex')
    .slice(0, 20);
}
