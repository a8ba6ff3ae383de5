import { access, writeFile } from 'node:fs/promises';
import { StemkitError } from '../errors.js';
import { initSession } from '../session/init.js';
import { colours, table, type Writer } from '../report/terminal.js';

/** `stemkit init`: writes a session grouping the folder's tracks into stems, and says what it guessed. */
export async function runInit(tracksDir: string, options: { out?: string; force?: boolean }, out: Writer): Promise<number> {
  const target = options.out ?? 'session.yaml';
  if (!options.force && (await access(target).then(() => true, () => false))) {
    throw new StemkitError('E_USAGE', `${target} already exists`, { file: target, hint: 'choose another --out, or pass --force to overwrite' });
  }
  const result = await initSession(tracksDir, target);
  await writeFile(target, result.yaml);
  const c = colours(out);
  const rows = [['track', 'stem', 'because'].map(c.bold)];
  for (const g of result.guesses) rows.push([g.file, g.stem, g.matched ? `name contains "${g.matched}"` : c.yellow('no keyword matched → Other')]);
  out.write(`${table(rows)}\n\nwrote ${target}: ${result.session.stems.length} stem(s) from ${result.guesses.length} track(s). Review the grouping, then run ${c.cyan(`stemkit render ${target}`)}\n`);
  return 0;
}
