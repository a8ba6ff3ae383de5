import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StemkitError, fromFsError } from '../errors.js';

/**
 * A file that appears under its final name only when complete: bytes go to a hidden temp name
 * in the same folder (so the rename is atomic on one filesystem), `commit` fsyncs and renames,
 * `abort` removes the temp file. A crash leaves at most a `.name.*.stemkit-tmp` file behind.
 */
export class AtomicFile {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.stemkit-tmp`);
    try {
      return new AtomicFile(path, tempPath, await open(tempPath, 'wx'));
    } catch (err) {
      const e = fromFsError(err, path);
      throw new StemkitError('E_IO', `cannot create ${path}: ${e.message}`, { file: path, hint: 'check that the folder exists and is writable' });
    }
  }

  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw new StemkitError('E_IO', `cannot write ${this.path}: ${(err as Error).message}`, {
        file: this.path,
        hint: 'check free disk space and permissions',
        cause: err,
      });
    }
  }

  async commit(): Promise<void> {
    if (this.closed) throw new StemkitError('E_ABORTED', `${this.path}: already committed or aborted`, { file: this.path, hint: 'this is a bug in the caller' });
    this.closed = true;
    try {
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (err) {
      await unlink(this.tempPath).catch(() => undefined);
      throw new StemkitError('E_IO', `cannot finish ${this.path}: ${(err as Error).message}`, {
        file: this.path,
        hint: 'check free disk space and permissions',
        cause: err,
      });
    }
  }

  /** Syncs and closes the file but leaves it under its temporary name (the caller renames it later). */
  async finish(): Promise<void> {
    if (this.closed) throw new StemkitError('E_ABORTED', `${this.path}: already committed or aborted`, { file: this.path, hint: 'this is a bug in the caller' });
    this.closed = true;
    try {
      await this.handle.sync();
      await this.handle.close();
    } catch (err) {
      await unlink(this.tempPath).catch(() => undefined);
      throw new StemkitError('E_IO', `cannot finish ${this.path}: ${(err as Error).message}`, { file: this.path, hint: 'check free disk space and permissions', cause: err });
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Writes a whole file atomically (reports, manifests, peaks): temp name, fsync, rename. Text is written as UTF-8. */
export async function writeFileAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const file = await AtomicFile.create(path);
  try {
    await file.writeAt(typeof content === 'string' ? Buffer.from(content, 'utf8') : content, 0);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}
