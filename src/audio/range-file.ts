import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { open, type FileHandle } from 'node:fs/promises';
import { StemkitError, fromFsError } from '../errors.js';
import { CachedByteSource } from './byte-source.js';

/**
 * O_NONBLOCK so that opening a named pipe (FIFO) with no writer returns at once and is then
 * rejected as "not a regular file", instead of blocking a libuv thread (and process exit) forever.
 * It has no effect on regular files. Windows has no O_NONBLOCK and no FIFOs to open.
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * A worker thread exists to run one job: there a read blocks the worker, not a process that has
 * other things to do, and skips the thread-pool round trip (≈ 5 % of a check's time). The main
 * thread always reads asynchronously.
 */
const BLOCKING_READS = !isMainThread;

/**
 * The open-files limit this process runs under (the soft RLIMIT_NOFILE). Linux shows it in
 * /proc; elsewhere assume 256, the macOS default and the smallest common one.
 */
function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 1 << 20;
    const parsed = Number(soft);
    if (Number.isInteger(parsed) && parsed > 0) return parsed;
  } catch {
    // no /proc: fall through to the conservative default
  }
  return 256;
}

/**
 * How many audio files this thread keeps open at once. Descriptors are shared by the whole
 * process, but each worker thread is its own isolate with its own pool, so the limit is split
 * between the main thread and one worker per core, after a reserve for Node itself, the files
 * being written and the worker channels. More files than this are read through the pool:
 * closed when least recently used and reopened (and checked to be the same file) on the next read.
 */
export const OPEN_FILES_PER_THREAD = ((): number => {
  const configured = Number(process.env.STEMKIT_OPEN_FILES_PER_THREAD);
  if (Number.isInteger(configured) && configured > 0) return configured;
  const reserve = 96;
  return Math.max(4, Math.min(128, Math.floor((openFilesLimit() - reserve) / (1 + availableParallelism()))));
})();

/** The open descriptor of one RangeFile: a FileHandle on the main thread, a raw fd on workers. */
interface Descriptor {
  fd: number;
  handle?: FileHandle;
}

/** Open descriptors of this thread, least recently used first (a Map keeps insertion order). */
const openFiles = new Map<RangeFile, Descriptor>();
/** Callers waiting for a descriptor to be released while every open one is in use (main thread only). */
const slotWaiters: (() => void)[] = [];
/** Descriptors being opened: counted against the budget before they exist, so concurrent opens cannot overshoot it. */
let reservedSlots = 0;

/**
 * One slot freed, or one open file became idle (closable): one waiter looks again (and waits
 * again if another caller took it). Waking one, not all, keeps 1000 concurrent opens linear.
 */
function releaseWaiter(): void {
  slotWaiters.shift()?.();
}

async function closeDescriptor(descriptor: Descriptor): Promise<void> {
  if (descriptor.handle) await descriptor.handle.close().catch(() => undefined);
  else {
    try {
      closeSync(descriptor.fd);
    } catch {
      // already closed: nothing to release
    }
  }
}

/**
 * Reserves room for one more descriptor: closes the least recently used idle file, or waits for one.
 * The caller registers the opened file (which ends the reservation) or calls `cancelReservation`.
 */
async function reserveSlot(): Promise<void> {
  while (openFiles.size + reservedSlots >= OPEN_FILES_PER_THREAD) {
    let victim: RangeFile | undefined;
    for (const file of openFiles.keys()) {
      if (!file.busy) {
        victim = file;
        break;
      }
    }
    if (victim) {
      await victim.release();
      continue;
    }
    // Every open file is mid-read (only possible with concurrent asynchronous reads): wait for one.
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
  }
  reservedSlots++;
}

function cancelReservation(): void {
  reservedSlots--;
  releaseWaiter();
}

function register(file: RangeFile, descriptor: Descriptor): void {
  reservedSlots--;
  openFiles.set(file, descriptor);
  // The new file is idle, so it can be closed for a waiter that found only reservations.
  releaseWaiter();
}

/** Reopening must find the file that was validated, not one put in its place or cut short since. */
function checkSameFile(path: string, before: Stats, after: Stats): void {
  if (after.dev !== before.dev || after.ino !== before.ino || after.size !== before.size) {
    throw new StemkitError('E_TRUNCATED', `${path}: the file changed while it was being read (replaced or resized)`, {
      file: path,
      hint: 'wait for the export or copy to finish, then run again',
    });
  }
}

/**
 * A file read by byte ranges (Node's ByteSource). Header parsers read through a small cache so
 * walking many tiny chunks costs one system call per 64 KiB, and audio reads go straight to the
 * descriptor.
 * Its descriptor comes from the thread's pool: any number of RangeFiles may exist, while at
 * most OPEN_FILES_PER_THREAD descriptors are open (a session of 1000 tracks under `ulimit -n 256`).
 */
export class RangeFile extends CachedByteSource {
  private descriptor: Descriptor | null;
  private opening: Promise<void> | null = null;
  private inUse = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    descriptor: Descriptor,
    private readonly stats: Stats,
  ) {
    super();
    this.descriptor = descriptor;
    register(this, descriptor);
  }

  get size(): number {
    return this.stats.size;
  }

  /** True while a read holds the descriptor, so the pool must not close it. */
  get busy(): boolean {
    return this.inUse > 0 || this.opening !== null;
  }

  static async open(path: string): Promise<RangeFile> {
    await reserveSlot();
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (err) {
      cancelReservation();
      throw fromFsError(err, path);
    }
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw fromFsError(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), path);
      if (!stat.isFile()) {
        throw new StemkitError('E_IO', `not a regular file: ${path}`, { file: path, hint: 'pass a path to an audio file' });
      }
      if (stat.size === 0) {
        throw new StemkitError('E_EMPTY', `empty file (0 bytes): ${path}`, {
          file: path,
          hint: 'the export or copy did not finish; export the file again',
        });
      }
      return new RangeFile(path, { fd: handle.fd, handle }, stat);
    } catch (err) {
      await handle.close().catch(() => undefined);
      cancelReservation();
      throw err instanceof StemkitError ? err : fromFsError(err, path);
    }
  }

  /** Closes the descriptor (the pool needs it) while keeping the file readable: the next read reopens it. */
  async release(): Promise<void> {
    const descriptor = this.descriptor;
    if (!descriptor) return;
    this.descriptor = null;
    openFiles.delete(this);
    await closeDescriptor(descriptor);
    releaseWaiter();
  }

  /**
   * The open descriptor, pinned (the pool will not close it) until `unpin`; reopens the file
   * through the pool when it was released. The pin is taken synchronously once the descriptor
   * is seen open, or by the reopen itself: with more readers than the budget, a file reopened
   * unpinned would be closed again by another reader before its own reader resumed (livelock).
   */
  private async pin(): Promise<Descriptor> {
    for (;;) {
      if (this.closed) throw fromFsError(Object.assign(new Error('EBADF: file closed'), { code: 'EBADF' }), this.path);
      const current = this.descriptor;
      if (current) {
        // Most recently used goes last.
        openFiles.delete(this);
        openFiles.set(this, current);
        this.inUse++;
        return current;
      }
      if (!this.opening) {
        const opening = this.reopen();
        this.opening = opening.then(
          () => undefined,
          () => undefined,
        );
        try {
          return await opening;
        } finally {
          this.opening = null;
        }
      }
      // Another read of this file is reopening it: look again once it has.
      await this.opening;
    }
  }

  private unpin(): void {
    this.inUse--;
    if (this.inUse === 0) releaseWaiter();
  }

  /** Opens the file again, pinned for the caller. */
  private async reopen(): Promise<Descriptor> {
    await reserveSlot();
    let descriptor: Descriptor;
    try {
      if (BLOCKING_READS) {
        const fd = openSync(this.path, READ_FLAGS);
        descriptor = { fd };
        try {
          checkSameFile(this.path, this.stats, fstatSync(fd));
        } catch (err) {
          closeSync(fd);
          throw err;
        }
      } else {
        const handle = await open(this.path, READ_FLAGS);
        descriptor = { fd: handle.fd, handle };
        try {
          checkSameFile(this.path, this.stats, await handle.stat());
        } catch (err) {
          await handle.close().catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      cancelReservation();
      throw err instanceof StemkitError ? err : fromFsError(err, this.path);
    }
    if (this.closed) {
      await closeDescriptor(descriptor);
      cancelReservation();
      throw fromFsError(Object.assign(new Error('EBADF: file closed'), { code: 'EBADF' }), this.path);
    }
    this.descriptor = descriptor;
    this.inUse++;
    register(this, descriptor);
    return descriptor;
  }

  /** Fills `target` from `offset`; returns the bytes actually read (short only at end of file). */
  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const descriptor = await this.pin();
    let done = 0;
    try {
      while (done < target.length) {
        const bytesRead = BLOCKING_READS || !descriptor.handle
          ? readSync(descriptor.fd, target, done, target.length - done, offset + done)
          : (await descriptor.handle.read(target, done, target.length - done, offset + done)).bytesRead;
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (err) {
      throw fromFsError(err, this.path);
    } finally {
      this.unpin();
    }
    return done;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }
}
