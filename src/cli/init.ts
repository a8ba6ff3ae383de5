import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { StemkitError } from '../errors.js';
import { initSession } from '../session/init.js';
import { colours, table, type Writer } from '../report/terminal.js';

/** Why the session could not be written, as the user's error (a missing or read-only folder is not a bug). */
export function sessionWriteError(err: unknown, target: string): StemkitError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const folder = dirname(resolve(target));
  if (code === 'ENOENT') {
    return new StemkitError('E_IO', `cannot write ${target}: the folder ${folder} does not exist`, { file: target, hint: `create it first (mkdir -p ${folder}) or choose another --out`, cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new StemkitError('E_IO', `cannot write ${target}: ${code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}`, { file: target, hint: 'choose a writable --out', cause: err });
  }
  if (code === 'EISDIR') {
    return new StemkitError('E_USAGE', `--out ${target} is a folder, not a session file`, { file: target, hint: 'give a file name, e.g. --out session.yaml', cause: err });
  }
  return new StemkitError('E_IO', `cannot write ${target}: ${(err as Error)?.message ?? String(err)}`, { file: target, hint: 'choose another --out', cause: err });
}

/** `stemkit init`: writes a session grouping the folder's tracks into stems, and says what it guessed. */
export async function runInit(tracksDir: string, options: { out?: string; force?: boolean }, out: Writer): Promise<number> {
  const target = options.out ?? 'session.yaml';
  if (!options.force && (await access(target).then(() => true, () => false))) {
    throw new StemkitError('E_USAGE', `${target} already exists`, { file: target, hint: 'choose another --out, or pass --force to overwrite' });
  }
  const result = await initSession(tracksDir, target);
  await writeFile(target, result.yaml).catch((err: unknown) => {
    throw sessionWriteError(err, target);
  });
  const c = colours(out);
  const rows = [['track', 'stem', 'because'].map(c.bold)];
  for (const g of result.guesses) rows.push([g.file, g.stem, g.matched ? `name contains "${g.matched}"` : c.yellow('no keyword matched → Other')]);
  out.write(`${table(rows)}\n\nwrote ${target}: ${result.session.stems.length} stem(s) from ${result.guesses.length} track(s). Review the grouping, then run ${c.cyan(`stemkit render ${target}`)}\n`);
  return 0;
}
