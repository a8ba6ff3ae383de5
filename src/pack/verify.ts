import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPackage } from '../check/check.js';
import { discoverPackage } from '../check/discover.js';
import { StemkitError } from '../errors.js';
import { listFiles, sha256Of } from './checksums.js';
import type { DeliveryManifest } from './pack.js';
import { lsb, residualOf } from './sums.js';
import { unzipDelivery } from './zip.js';

export interface VerifyResult {
  ok: boolean;
  /** Files whose SHA-256 differs from checksums.sha256, that are missing, or that it does not list. */
  problems: { file: string; problem: 'changed' | 'missing' | 'unlisted' }[];
  /** Files checked against checksums.sha256. */
  hashed: number;
  /** Each version re-summed from the delivered stems it is defined by: the residual (dBFS, null: exact) and whether it nulls. */
  versions: { file: string; residualDbfs: number | null; nulls: boolean }[];
  /** The delivered stems against the delivered mix, by the delivery's check profile. */
  check: { profile: string; ok: boolean; nullResidualDbfs: number | null } | null;
}

/**
 * Proves a received delivery (its folder, or its zip, extracted to a temporary folder): every file re-hashed against checksums.sha256 (nothing changed,
 * missing or added), every version re-summed from the delivered stems, and the stems checked against
 * the mix with the delivery's profile.
 */
export async function verifyDelivery(path: string): Promise<VerifyResult> {
  if (!path.toLowerCase().endsWith('.zip')) return verifyFolder(path);
  const { root, dir } = await unzipDelivery(path);
  try {
    return await verifyFolder(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function verifyFolder(dir: string): Promise<VerifyResult> {
  let listed: string;
  let delivery: DeliveryManifest;
  try {
    listed = await readFile(join(dir, 'checksums.sha256'), 'utf8');
    delivery = JSON.parse(await readFile(join(dir, 'delivery.json'), 'utf8')) as DeliveryManifest;
  } catch (err) {
    throw new StemkitError('E_USAGE', `${dir} is not a stemkit delivery (no readable checksums.sha256 and delivery.json)`, { file: dir, hint: 'pass the folder `stemkit pack` wrote', cause: err });
  }
  const expected = new Map(
    listed
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(l);
        if (!m) throw new StemkitError('E_BAD_DATA', `${join(dir, 'checksums.sha256')}: not a sha256sum line: ${l.slice(0, 80)}`, { file: join(dir, 'checksums.sha256'), hint: 'the checksum file was edited or damaged; ask for the delivery again' });
        return [m[2]!, m[1]!] as const;
      }),
  );
  const present = new Set(await listFiles(dir));
  const problems: VerifyResult['problems'] = [];
  let hashed = 0;
  for (const [file, sha] of expected) {
    if (!present.has(file)) {
      problems.push({ file, problem: 'missing' });
      continue;
    }
    hashed++;
    if ((await sha256Of(join(dir, file))) !== sha) problems.push({ file, problem: 'changed' });
  }
  for (const file of present) if (!expected.has(file) && !file.startsWith('checksums.')) problems.push({ file, problem: 'unlisted' });

  const versions: VerifyResult['versions'] = [];
  const byLabel = new Map(delivery.files.filter((f) => f.kind === 'stem').map((f) => [f.label, f.file]));
  const step = lsb(delivery.bitDepth);
  for (const v of delivery.files.filter((f) => f.kind === 'version')) {
    const members = v.from.map((name) => byLabel.get(name));
    if (members.some((m) => m === undefined) || !present.has(v.file)) continue;
    try {
      const residual = await residualOf(join(dir, v.file), members.map((m) => join(dir, m!)));
      // Each delivered file was rounded (and dithered) on its own: the re-sum may differ by that much per file.
      versions.push({ file: v.file, residualDbfs: residual.dbfs, nulls: residual.peak <= 2 * step * (members.length + 1) });
    } catch {
      // A damaged file cannot be summed: the version is not proven (and the hashes already say which file).
      versions.push({ file: v.file, residualDbfs: null, nulls: false });
    }
  }
  let check: VerifyResult['check'] = null;
  if (delivery.files.some((f) => f.kind === 'mix') && delivery.files.some((f) => f.kind === 'stem' || f.kind === 'group') && problems.every((p) => p.problem !== 'missing')) {
    const report = await checkPackage(await discoverPackage(dir), { profile: delivery.check.profile });
    check = { profile: delivery.check.profile, ok: report.ok, nullResidualDbfs: report.null?.residualPeakDbfs ?? null };
  }
  return { ok: problems.length === 0 && versions.every((v) => v.nulls) && (check?.ok ?? true), problems, hashed, versions, check };
}
