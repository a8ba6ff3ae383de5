import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StemkitError } from '../errors.js';

/** First bytes of the audio containers stemkit reads: a report never goes over one of these. */
const AUDIO_SIGNATURES = ['RIFF', 'RIFX', 'RF64', 'BW64', 'FORM', 'fLaC'];

async function identity(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

async function looksLikeAudio(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return false;
  try {
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    return AUDIO_SIGNATURES.includes(head.toString('latin1'));
  } finally {
    await file.close();
  }
}

/**
 * Refuses, before any work starts, an output path that is one of the command's inputs (by inode,
 * so links and `./x` spellings count) or an existing audio file, unless `replaceable` says that file
 * is one stemkit wrote for this purpose. `what` names the option in the message ("--html").
 */
export async function refuseOverwrite(out: string, inputs: string[], what: string, replaceable?: (path: string) => Promise<boolean>): Promise<void> {
  const target = resolve(out);
  const id = await identity(target);
  if (id === null) return;
  const inputIds = await Promise.all(inputs.map((p) => identity(resolve(p))));
  if (inputIds.includes(id)) {
    throw new StemkitError('E_USAGE', `${what} ${out} is one of the files being checked; stemkit never writes over its inputs`, {
      file: target,
      hint: `choose another path for ${what}`,
    });
  }
  if ((await looksLikeAudio(target)) && !(await replaceable?.(target))) {
    throw new StemkitError('E_USAGE', `${what} ${out} is an existing audio file; stemkit does not write over audio`, {
      file: target,
      hint: `choose another path for ${what}, or move the audio file away first`,
    });
  }
}
