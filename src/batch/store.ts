import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { fromFsError, StemkitError } from '../errors.js';
import type { BatchLine } from './result-line.js';

export const RESULTS_FILE = 'results.jsonl';
const LOCK_FILE = '.batch.lock';
const ID = /^[0-9a-f]{20}$/;

/** Where a package's files go: RESULTS/<id>/. */
export function packageDir(out: string, id: string): string {
  return join(out, id);
}

/**
 * What a finished check leaves in RESULTS/<id>/: report.json (and report.html), then result.json (its
 * results.jsonl line) last, each written atomically. result.json is the proof the package finished: a
 * results writer that missed the line (it was killed, or ran elsewhere) appends it from there.
 * Several writers of the same id (a job re-run after a stall) write the same files; the last rename wins.
 */
export async function writePackageResult(out: string, line: BatchLine, reportJson: string, html: string | null): Promise<void> {
  const dir = packageDir(out, line.id);
  await mkdir(dir, { recursive: true }).catch((err) => {
    throw fromFsError(err, dir);
  });
  await writeFileAtomically(join(dir, 'report.json'), reportJson);
  if (html !== null) await writeFileAtomically(join(dir, 'report.html'), html);
  await writeFileAtomically(join(dir, 'result.json'), JSON.stringify(line) + '\n');
}

/** Reads RESULTS/<id>/result.json; null when the package has not finished. */
export async function readPackageResult(out: string, id: string): Promise<BatchLine | null> {
  try {
    return JSON.parse(await readFile(join(packageDir(out, id), 'result.json'), 'utf8')) as BatchLine;
  } catch {
    return null;
  }
}

/** Every line of RESULTS/results.jsonl, streamed (a catalogue's file does not need to fit in memory at once). */
export async function* readLines(out: string): AsyncGenerator<BatchLine> {
  const path = join(out, RESULTS_FILE);
  try {
    await stat(path);
  } catch {
    return;
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text.trim()) continue;
    try {
      yield JSON.parse(text) as BatchLine;
    } catch {
      // A torn last line (the writer was killed mid-write) is not a result; the writer repairs it on open.
    }
  }
}

/**
 * RESULTS/results.jsonl with one writer: the `stemkit batch` process that holds RESULTS/.batch.lock.
 * Workers never append to it (they leave result.json files); the one writer appends each package's
 * line once, whether it checked the package itself or a worker did, so a killed worker can neither
 * duplicate a line nor lose one, and a killed writer loses nothing: on open it cuts a torn last line
 * and appends every result.json whose line is missing.
 */
export class ResultsStore {
  private readonly ids = new Set<string>();
  private handle: FileHandle | null = null;
  private tail: Promise<void> = Promise.resolve();

  private constructor(readonly out: string) {}

  /** Opens RESULTS for writing: takes its lock, repairs and indexes results.jsonl, recovers finished packages. */
  static async open(outArgument: string): Promise<ResultsStore> {
    const out = resolve(outArgument);
    await mkdir(out, { recursive: true }).catch((err) => {
      throw fromFsError(err, out);
    });
    await takeLock(out);
    const store = new ResultsStore(out);
    try {
      const path = join(out, RESULTS_FILE);
      await cutTornLine(path);
      for await (const line of readLines(out)) store.ids.add(line.id);
      store.handle = await open(path, 'a').catch((err) => {
        throw fromFsError(err, path);
      });
      await store.recover();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Whether the package with this id has its line. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** How many lines results.jsonl holds. */
  get size(): number {
    return this.ids.size;
  }

  /** Appends the line unless its id has one already; true when it was appended. */
  append(line: BatchLine): Promise<boolean> {
    const done = this.tail.then(async () => {
      if (this.ids.has(line.id)) return false;
      // One write() of a whole line on an O_APPEND descriptor: a reader never sees half of it unless the process dies mid-call.
      await this.handle!.write(JSON.stringify(line) + '\n');
      this.ids.add(line.id);
      return true;
    });
    this.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  /** Appends the line of every RESULTS/<id>/result.json (of `only`, else all) that results.jsonl lacks; returns those lines. */
  async recover(only?: Iterable<string>): Promise<BatchLine[]> {
    const candidates = only ? [...only] : (await readdir(this.out).catch(() => [])).filter((name) => ID.test(name));
    const added: BatchLine[] = [];
    for (const id of candidates) {
      if (this.ids.has(id)) continue;
      const line = await readPackageResult(this.out, id);
      if (line && line.id === id && (await this.append(line))) added.push(line);
    }
    return added;
  }

  /** Flushes results.jsonl to disk and releases the lock. */
  async close(): Promise<void> {
    await this.tail;
    if (this.handle) {
      await this.handle.sync().catch(() => undefined);
      await this.handle.close().catch(() => undefined);
      this.handle = null;
    }
    await unlink(join(this.out, LOCK_FILE)).catch(() => undefined);
  }
}

/** A results.jsonl whose writer died mid-line ends without a newline: that fragment goes (only the tail is read). */
async function cutTornLine(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    await handle.read(tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) return;
    await truncate(path, size - tail.length + tail.lastIndexOf(0x0a) + 1);
  } finally {
    await handle.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One writer per RESULTS: a lock file naming its holder; a holder on this host that is gone leaves a lock anyone may take. */
async function takeLock(out: string): Promise<void> {
  const path = join(out, LOCK_FILE);
  const me = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, JSON.stringify(me), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(err, path);
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
    } catch {
      // An unreadable lock is a lock whose writer died before it finished writing: stale.
    }
    const stale = holder.host === undefined || (holder.host === me.host && typeof holder.pid === 'number' && !isAlive(holder.pid));
    if (!stale) {
      throw new StemkitError('E_USAGE', `${out} is being written by another stemkit batch (pid ${holder.pid} on ${holder.host})`, {
        file: path,
        hint: `wait for it, or remove ${path} if that process is gone`,
      });
    }
    await unlink(path).catch(() => undefined);
  }
  throw new StemkitError('E_USAGE', `cannot take the lock ${path}`, { file: path, hint: `remove ${path} if no stemkit batch is running` });
}
