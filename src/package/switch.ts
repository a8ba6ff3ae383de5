import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { StemkitError, fromFsError } from '../errors.js';

/**
 * A package folder is one unit. Commands that write one (render, demo, fix) build it in a hidden
 * staging folder beside the target and switch it in with renames when it is complete:
 *
 *   .NAME.PID.stemkit-staging   the package being written
 *   .NAME.PID.stemkit-previous  the folder it replaces, kept until the new one has its name
 *
 * A kill at any point leaves either the previous folder or the new one under NAME, never a mix;
 * the next run by any stemkit process finishes the job of a writer that is gone (restores the
 * previous folder if the switch was cut between its two renames, removes leftovers).
 * Ctrl-C, SIGTERM and SIGHUP remove the staging folder and exit 130, 143 and 129.
 */

const STAGING = 'stemkit-staging';
const PREVIOUS = 'stemkit-previous';
const LEFTOVER = new RegExp(`^\\.(.+)\\.(\\d+)\\.(${STAGING}|${PREVIOUS})$`);

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Finishes or removes what interrupted writers left beside `target` (their process is gone). */
export async function recoverLeftovers(target: string): Promise<void> {
  const parent = dirname(target);
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    const m = LEFTOVER.exec(entry);
    if (!m || m[1] !== basename(target) || alive(Number(m[2]))) continue;
    const path = join(parent, entry);
    const targetExists = await stat(target).then(() => true, () => false);
    // Cut between the two renames: the previous package goes back under its name.
    if (m[3] === PREVIOUS && !targetExists) await rename(path, target);
    else await rm(path, { recursive: true, force: true });
  }
  for (const dir of [target, join(target, 'stems')]) await removeStaleTemps(dir);
}

/** Hidden temp files of AtomicFile writers in `dir` whose process is gone (".name.PID-xxxx.stemkit-tmp"). */
export async function removeStaleTemps(dir: string): Promise<void> {
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const m = /^\..+\.(\d+)-[0-9a-f]+\.stemkit-tmp$/.exec(entry);
    if (m && !alive(Number(m[1]))) await rm(join(dir, entry), { force: true });
  }
}

/** Refuses an output folder that holds any input (its replacement would delete them) or, without force, any file. */
export async function checkOutputFolder(out: string, inputs: string[], force: boolean, flag = '--out'): Promise<void> {
  const target = resolve(out);
  const info = await stat(target).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(fromFsError(err, target))));
  if (info && !info.isDirectory()) {
    throw new StemkitError('E_USAGE', `${flag} ${out} is a file, not a folder`, { file: target, hint: 'give a folder for the package (it is created if missing)' });
  }
  for (const input of inputs.map((p) => resolve(p))) {
    if (input === target || input.startsWith(target + sep)) {
      throw new StemkitError('E_USAGE', `${flag} ${out} holds ${input}, one of this command's inputs; stemkit never writes over its inputs`, {
        file: target,
        hint: 'write the package to a folder of its own',
      });
    }
  }
  if (info && !force) {
    const entries = (await readdir(target)).filter((e) => !LEFTOVER.test(e));
    if (entries.length > 0) {
      throw new StemkitError('E_USAGE', `${flag} ${out} is not empty`, { file: target, hint: 'choose a new folder, or pass --force to replace it with the new package (only once that is complete)' });
    }
  }
}

/**
 * Builds a package folder through `build(stagingDir)` and switches it in as `out`. On failure or
 * interrupt the staging folder goes and `out` is as it was.
 */
export async function writePackageFolder<T>(out: string, build: (staging: string) => Promise<T>): Promise<T> {
  const target = resolve(out);
  await recoverLeftovers(target);
  const staging = join(dirname(target), `.${basename(target)}.${process.pid}.${STAGING}`);
  const previous = join(dirname(target), `.${basename(target)}.${process.pid}.${PREVIOUS}`);
  await rm(staging, { recursive: true, force: true });
  const signals: [NodeJS.Signals, number][] = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]];
  const handlers = signals.map(([signal, code]) => {
    const handler = () => {
      // Synchronous on purpose: the process ends right after.
      void rm(staging, { recursive: true, force: true }).finally(() => process.exit(code));
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  try {
    // The staging folder itself without `recursive` (Node's recursive mkdir spins on some read-only
    // file systems, /proc among them); its parent with it, for an --out whose parents are new.
    await mkdir(dirname(target), { recursive: true });
    await mkdir(staging);
    const result = await build(staging);
    await testPause('switch');
    const hadPrevious = await stat(target).then(() => true, () => false);
    if (hadPrevious) await rename(target, previous);
    if (hadPrevious) await testPause('between-renames');
    try {
      await rename(staging, target);
    } catch (err) {
      if (hadPrevious) await rename(previous, target);
      throw err;
    }
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    // An error from the file system here is the user's (a read-only or full disk), not a bug.
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (!(err instanceof StemkitError) && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      throw new StemkitError('E_IO', `cannot write the package to ${out}: ${(err as Error).message}`, {
        file: target,
        hint: code === 'ENOSPC' ? 'free some disk space and run again' : 'check that the folder (and its parent) exists and is writable',
        cause: err,
      });
    }
    throw err;
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

/**
 * Test hook: with STEMKIT_TEST_PAUSE_AT=<point>, the process prints "paused at <point>" on stderr
 * and waits there, so an interrupt test can kill it at exactly that moment. Not for users.
 */
async function testPause(point: string): Promise<void> {
  if (process.env.STEMKIT_TEST_PAUSE_AT !== point) return;
  process.stderr.write(`paused at ${point}\n`);
  await new Promise((r) => setTimeout(r, 60_000));
}
