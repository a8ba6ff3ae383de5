import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { material, sum, writeManifest, writePackage } from './helpers/package.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-package-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two stems that sum exactly to the mix, with a stemkit.json listing all three. */
async function manifestPackage(name: string): Promise<string> {
  const drums = material(1, 1);
  const bass = material(1, 2);
  const dir = await writePackage(join(root, name), [{ name: 'Drums', audio: drums }, { name: 'Bass', audio: bass }], sum([drums, bass]));
  writeManifest(dir, { mix: { file: 'mix.wav' }, stems: [{ name: 'Drums', file: 'stems/01_Drums.wav' }, { name: 'Bass', file: 'stems/02_Bass.wav' }] });
  return dir;
}

describe('package.manifest: a package is exactly what its stemkit.json lists', () => {
  it('a complete package has no manifest finding and passes', async () => {
    const report = await checkPackage(await discoverPackage(await manifestPackage('complete')));
    expect(report.findings.filter((f) => f.rule === 'package.manifest')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a stale stem left beside the listed ones fails the package and is named', async () => {
    const dir = await manifestPackage('stale');
    // An earlier render's stem: valid audio, but not part of this package (its mix does not include it).
    copyFileSync(join(dir, 'stems', '02_Bass.wav'), join(dir, 'stems', '03_Old Keys.wav'));
    const report = await checkPackage(await discoverPackage(dir));
    const found = report.findings.filter((f) => f.rule === 'package.manifest');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.files).toEqual([join(dir, 'stems', '03_Old Keys.wav')]);
    expect(found[0]!.message).toContain('03_Old Keys.wav');
    expect(report.ok).toBe(false);
  });
});
