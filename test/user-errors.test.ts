import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverPackage } from '../src/check/discover.js';
import { sessionWriteError } from '../src/cli/init.js';
import { StemkitError } from '../src/errors.js';
import { material, writeWav } from './helpers/package.js';

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function packageWithManifest(manifest: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stemkit-user-errors-'));
  folders.push(dir);
  await writeFile(join(dir, 'stemkit.json'), JSON.stringify(manifest));
  return dir;
}

async function discoveryError(manifest: unknown): Promise<StemkitError> {
  const dir = await packageWithManifest(manifest);
  const err = await discoverPackage(dir).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(StemkitError);
  return err as StemkitError;
}

describe('a malformed stemkit.json is the user\'s error, named by its field path', () => {
  it('"mix": {"file": 123}', async () => {
    const err = await discoveryError({ mix: { file: 123 }, stems: [{ file: 'a.wav' }] });
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('mix.file');
    expect(err.file).toMatch(/stemkit\.json$/);
    expect(err.hint).not.toMatch(/bug/);
  });

  it('"stems": [null]', async () => {
    const err = await discoveryError({ stems: [{ file: 'a.wav' }, null] });
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('stems[1]');
  });

  it('a stem file that is not a string', async () => {
    const err = await discoveryError({ stems: [{ name: 'Bass', file: ['bass.wav'] }] });
    expect(err.message).toContain('stems[0].file');
  });

  it('a valid manifest still discovers its stems and mix', async () => {
    const dir = await packageWithManifest({ mix: { file: 'mix.wav' }, stems: [{ name: 'Bass', file: 'stems/bass.wav', extra: true }] });
    const pkg = await discoverPackage(dir);
    expect(pkg.stems.map((s) => s.name)).toEqual(['Bass']);
    expect(pkg.mix?.path).toBe(join(dir, 'mix.wav'));
  });
});

describe('init --out that cannot be written', () => {
  it('a missing folder names the folder and how to create it', async () => {
    const { runInit } = await import('../src/cli/init.js');
    const dir = await mkdtemp(join(tmpdir(), 'stemkit-init-out-'));
    folders.push(dir);
    await writeWav(join(dir, 'Kick.wav'), material(0.5, 1));
    const target = join(dir, 'missing', 'session.yaml');
    const err = await runInit(dir, { out: target }, { write: () => true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StemkitError);
    expect((err as StemkitError).code).toBe('E_IO');
    expect((err as StemkitError).message).toContain(join(dir, 'missing'));
    expect((err as StemkitError).hint).toMatch(/mkdir -p/);
  });

  // We run as root, where chmod cannot make a folder read-only, so the errno → error mapping is tested directly.
  it.each([
    ['ENOENT', 'E_IO', /does not exist/],
    ['EACCES', 'E_IO', /permission denied/],
    ['EROFS', 'E_IO', /read-only/],
    ['EISDIR', 'E_USAGE', /is a folder/],
  ])('%s maps to %s', (errno, code, message) => {
    const err = sessionWriteError(Object.assign(new Error(errno), { code: errno }), '/x/session.yaml');
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.file).toBe('/x/session.yaml');
    expect(err.hint).not.toMatch(/bug/);
  });
});
