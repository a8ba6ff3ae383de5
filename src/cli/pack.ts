import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { listFiles } from '../pack/checksums.js';
import { packDelivery } from '../pack/pack.js';
import { resolveRecipient } from '../pack/recipients.js';
import { parseRoleMap } from '../pack/versions.js';
import { verifyDelivery } from '../pack/verify.js';
import { checkOutputFolder } from '../package/switch.js';
import { StemkitError } from '../errors.js';
import { WorkerPool } from '../engine/pool.js';
import { colours, table, type Writer } from '../report/terminal.js';
import { progressLine } from './progress.js';

export interface PackCliOptions {
  for: string;
  out: string;
  zip?: boolean;
  json?: boolean;
  force?: boolean;
  recipients?: string;
  artist?: string;
  bpm?: string;
  key?: string;
  sections?: string;
  beatsPerBar?: string;
  loopCrossfade?: string;
  roles?: string;
}

/** A positive number option, or a usage error naming it. */
function positive(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!(x > 0 && x <= max)) throw new StemkitError('E_USAGE', `${flag} must be a number above 0 and at most ${max}, got ${value}`, { hint: `fix ${flag}` });
  return x;
}

const dash = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(1));

/** `stemkit pack`: the delivery folder (and zip), a table of what is in it, or delivery.json with --json. */
export async function runPack(packageDir: string, options: PackCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const recipient = await resolveRecipient(options.for, options.recipients);
  const outDir = resolve(options.out);
  const pkgDir = resolve(packageDir);
  const inputs = (await listFiles(pkgDir).catch(() => [])).map((f) => resolve(pkgDir, f));
  await checkOutputFolder(outDir, [pkgDir, ...inputs], Boolean(options.force));
  const zip = options.zip ?? recipient.zip;
  if (zip && !options.force && (await access(`${outDir}.zip`).then(() => true, () => false))) {
    throw new StemkitError('E_USAGE', `${outDir}.zip exists`, { file: `${outDir}.zip`, hint: 'pass --force to replace it, or choose another --out' });
  }
  const bpm = positive(options.bpm, '--bpm', 999);
  const beatsPerBar = positive(options.beatsPerBar, '--beats-per-bar', 32);
  const loopCrossfadeMs = options.loopCrossfade === '0' ? 0 : positive(options.loopCrossfade, '--loop-crossfade', 1000);
  const progress = progressLine(err, !options.json);
  const pool = new WorkerPool();
  try {
    const delivery = await packDelivery(pkgDir, {
      recipient,
      pool,
      outDir,
      zip,
      ...(options.artist ? { artist: options.artist } : {}),
      ...(bpm ? { bpm } : {}),
      ...(options.key ? { key: options.key } : {}),
      ...(options.sections ? { sections: options.sections } : {}),
      ...(beatsPerBar ? { beatsPerBar } : {}),
      ...(loopCrossfadeMs !== undefined ? { loopCrossfadeMs } : {}),
      ...(options.roles ? { roles: parseRoleMap(options.roles) } : {}),
      onProgress: ({ fraction }) => progress.update(`packing for ${recipient.name}`, fraction),
    });
    progress.done();
    if (options.json) {
      out.write(JSON.stringify(delivery, null, 2) + '\n');
      return 0;
    }
    const c = colours(out);
    out.write(`${c.bold(delivery.title)} for ${c.bold(recipient.name)} → ${outDir}${zip ? ` (+ ${outDir}.zip)` : ''}\n`);
    out.write(`${delivery.sampleRate / 1000} kHz · ${delivery.bitDepth === 'float' ? '32-bit float' : `${delivery.bitDepth}-bit`} · checked with "${delivery.check.profile}": ${delivery.check.ok ? c.green('passed') : c.red('failed')}\n\n`);
    const rows = [['file', 'what', 'peak dBFS', 'TP dBTP', 'LUFS', 'null'].map(c.bold)];
    for (const f of delivery.files) rows.push([f.file, f.kind, dash(f.peakDbfs), dash(f.truePeakDbtp), dash(f.integratedLufs), f.nullResidualDbfs === undefined ? '' : f.nullResidualDbfs === null ? 'exact' : `${f.nullResidualDbfs.toFixed(1)} dBFS`]);
    out.write(table(rows, [2, 3, 4]) + '\n');
    return 0;
  } finally {
    progress.done();
    await pool.close();
  }
}

/** `stemkit verify`: exit 0 when every hash matches, every version nulls and the stems null against the mix; 1 otherwise. */
export async function runVerify(dir: string, options: { json?: boolean }, out: Writer): Promise<number> {
  const result = await verifyDelivery(resolve(dir));
  if (options.json) {
    out.write(JSON.stringify(result, null, 2) + '\n');
    return result.ok ? 0 : 1;
  }
  const c = colours(out);
  out.write(`${result.ok ? c.green(c.bold('VERIFIED')) : c.red(c.bold('NOT VERIFIED'))}  ${dir}: ${result.hashed} files hashed\n`);
  for (const p of result.problems) out.write(`  ${c.red(p.problem)}  ${p.file}\n`);
  for (const v of result.versions) out.write(`  ${v.nulls ? c.green('nulls') : c.red('does not null')}  ${v.file} against its stems (${v.residualDbfs === null ? 'exact' : `${v.residualDbfs.toFixed(1)} dBFS`})\n`);
  if (result.check) out.write(`  stems against the mix (${result.check.profile}): ${result.check.ok ? c.green('pass') : c.red('fail')}\n`);
  return result.ok ? 0 : 1;
}
