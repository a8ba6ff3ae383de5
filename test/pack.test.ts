import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { packDelivery, type DeliveryManifest } from '../src/pack/pack.js';
import { RECIPIENTS, resolveRecipient } from '../src/pack/recipients.js';
import { verifyDelivery } from '../src/pack/verify.js';
import { parseRoleMap } from '../src/pack/versions.js';
import { demoAudio, scratchDir } from './helpers/almost-right.js';

const root = scratchDir('pack');

/** Whether a command-line tool is installed (the real tools are used when they are). */
function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    try {
      execFileSync(tool, ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }
}

async function pack(name: string, packageDir?: string, zip = false, folder = name): Promise<{ out: string; delivery: DeliveryManifest }> {
  const out = join(root, folder);
  const delivery = await packDelivery(packageDir ?? (await demoAudio()).dir, { recipient: await resolveRecipient(name), outDir: out, zip });
  return { out, delivery };
}

describe('stemkit pack: the demo for each recipient', () => {
  for (const name of ['mix-engineer', 'mastering', 'sync-library', 'remix', 'performance', 'ni-stems']) {
    it(name, async () => {
      const { out, delivery } = await pack(name, undefined, name === 'sync-library');
      const recipient = RECIPIENTS.get(name)!;
      // Names follow the template: only safe characters, the template's fixed parts, unique.
      for (const f of delivery.files) expect(f.file).toMatch(/^(stems\/|versions\/)?[A-Za-z0-9._-]+\.wav$/);
      expect(new Set(delivery.files.map((f) => f.file.toLowerCase())).size).toBe(delivery.files.length);
      if (recipient.naming.includes('{rate}k{bits}b')) for (const f of delivery.files) expect(f.file).toMatch(/_48k24b\.wav$/);
      // Format as asked, every file the same length.
      for (const f of delivery.files) {
        const source = await openAudio(join(out, f.file));
        expect(source.format.sampleRate).toBe(recipient.format.sampleRate === 'keep' ? 48000 : recipient.format.sampleRate);
        expect(source.format.frames).toBe(delivery.frames);
        expect(source.meta.bext?.originator).toBe('stemkit');
        expect(source.meta.ixml).toContain(`<NAME>${f.label.replace('&', '&#38;')}</NAME>`);
        await source.close();
      }
      // Every version and group nulls against its definition; the delivered stems null against the mix.
      for (const f of delivery.files.filter((x) => x.kind === 'version' || x.kind === 'group')) expect(f.nullResidualDbfs ?? -Infinity).toBeLessThan(-120);
      expect(delivery.check.ok).toBe(true);
      // The checksum files are what sha256sum/md5sum read; the real tools agree when installed.
      if (has('sha256sum')) execFileSync('sha256sum', ['-c', '--quiet', 'checksums.sha256'], { cwd: out });
      if (has('md5sum')) execFileSync('md5sum', ['-c', '--quiet', 'checksums.md5'], { cwd: out });
      const verified = await verifyDelivery(out);
      expect(verified.ok).toBe(true);
      expect(verified.problems).toEqual([]);
      if (name === 'sync-library') {
        expect(delivery.files.filter((f) => f.kind === 'version').map((f) => f.label)).toEqual(['Instrumental', 'A cappella', 'TV mix']);
        if (has('unzip')) execFileSync('unzip', ['-tq', `${out}.zip`]);
        // Deterministic: the same delivery zips to the same bytes.
        const first = readFileSync(`${out}.zip`);
        mkdirSync(join(root, 'again'));
        await pack('sync-library', undefined, true, 'again/sync-library');
        const again = readFileSync(join(root, 'again', 'sync-library.zip'));
        expect(first.equals(again)).toBe(true);
        // verify takes the zip too; a flipped byte in it is found.
        expect((await verifyDelivery(`${out}.zip`)).ok).toBe(true);
        const damaged = Buffer.from(first);
        damaged[Math.floor(damaged.length / 2)] ^= 0x10;
        writeFileSync(join(root, 'damaged.zip'), damaged);
        const outcome = await verifyDelivery(join(root, 'damaged.zip')).catch((err: unknown) => err);
        if (outcome instanceof Error) expect(outcome).toMatchObject({ code: 'E_BAD_DATA' });
        else expect((outcome as { ok: boolean }).ok).toBe(false);
      }
      if (name === 'ni-stems') expect(delivery.files.filter((f) => f.kind === 'group').map((f) => f.label)).toEqual(['Drums', 'Bass', 'Melody', 'Vocals']);
      if (name === 'mix-engineer') {
        // The read-me prints the bus processing the render recorded.
        const readme = readFileSync(join(out, 'README.txt'), 'utf8');
        expect(readme).toContain('compressor 4:1 at −18 dB');
        expect(readme).toContain('send to "Plate"');
        expect(readme).toMatch(/Length: \d+ samples/);
      }
    }, 180_000);
  }

  it('refuses a version the package cannot make, with the reason, and writes nothing', async () => {
    await expect(pack('film-dme')).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/me version.*no dialogue stem/) });
  });

  it('makes the M&E of a package that has a dialogue stem', async () => {
    const pkg = join(root, 'with-dialogue');
    await cp((await demoAudio()).dir, pkg, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(pkg, 'stemkit.json'), 'utf8')) as { stems: { name: string; role: string }[] };
    manifest.stems.find((s) => s.role === 'vocals')!.role = 'dialogue';
    writeFileSync(join(pkg, 'stemkit.json'), JSON.stringify(manifest));
    const { delivery } = await pack('film-dme', pkg);
    const me = delivery.files.find((f) => f.kind === 'version')!;
    expect(me.label).toBe('M&E');
    expect(me.from).not.toContain('Vocals');
    expect(me.nullResidualDbfs ?? -Infinity).toBeLessThan(-120);
  }, 120_000);

  it('a user role map moves a stem to another NI slot (and names no stem that is not there)', async () => {
    const dir = (await demoAudio()).dir;
    const out = join(root, 'ni-roles');
    const delivery = await packDelivery(dir, { recipient: await resolveRecipient('ni-stems'), outDir: out, roles: parseRoleMap('FX=drums') });
    const groups = delivery.files.filter((f) => f.kind === 'group');
    expect(groups.find((g) => g.label === 'Drums')!.from).toEqual(['Drums', 'FX']);
    expect(groups.find((g) => g.label === 'Melody')!.from).not.toContain('FX');
    for (const g of groups) expect(g.nullResidualDbfs ?? -Infinity).toBeLessThan(-120);
    await expect(packDelivery(dir, { recipient: await resolveRecipient('ni-stems'), outDir: join(root, 'ni-roles-2'), roles: parseRoleMap('Choir=vocals') })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/"choir"/) });
    expect(() => parseRoleMap('Kick=percussion')).toThrow(/STEM=ROLE/);
  }, 120_000);

  it('verify finds a changed and an added file', async () => {
    const { out, delivery } = await pack('mix-engineer', undefined, false, 'tampered');
    const stem = join(out, delivery.files[0]!.file);
    const bytes = readFileSync(stem);
    bytes[bytes.length - 10] ^= 0x01;
    writeFileSync(stem, bytes);
    writeFileSync(join(out, 'stray.wav'), 'x');
    const result = await verifyDelivery(out);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(expect.arrayContaining([{ file: delivery.files[0]!.file, problem: 'changed' }, { file: 'stray.wav', problem: 'unlisted' }]));
  }, 120_000);

  it('user recipients come from YAML; a bad naming field is refused before any work', async () => {
    const file = join(root, 'recipients.yaml');
    writeFileSync(file, 'recipients:\n  - name: label-intake\n    description: stems only, 16 bit\n    naming: "{title}-{stem}-{bits}"\n    mix: true\n    format: { bitDepth: 16 }\n    profile: ni-stems\n    stems: false\n    groups: ni-stems\n  - name: broken\n    description: typo\n    naming: "{titel}_{stem}"\n');
    const recipient = await resolveRecipient('label-intake', file);
    const out = join(root, 'label');
    const delivery = await packDelivery((await demoAudio()).dir, { recipient, outDir: out });
    expect(delivery.bitDepth).toBe(16);
    expect(delivery.files[0]!.file).toMatch(/^stems\/stemkit_demo_song-Drums-16\.wav$/);
    const source = await openAudio(join(out, delivery.files[0]!.file));
    expect(source.format.bitDepth).toBe(16);
    await source.close();
    await expect(packDelivery((await demoAudio()).dir, { recipient: await resolveRecipient('broken', file), outDir: join(root, 'broken') })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('{titel}') });
    await expect(resolveRecipient('nobody', file)).rejects.toMatchObject({ code: 'E_USAGE' });
    // Channels conform by one linear map for every file: mono stems (L + R) / 2 still sum to the mono mix.
    writeFileSync(join(root, 'mono.yaml'), 'recipients:\n  - name: mono-radio\n    description: mono files\n    format: { channels: 1 }\n');
    const mono = await packDelivery((await demoAudio()).dir, { recipient: await resolveRecipient('mono-radio', join(root, 'mono.yaml')), outDir: join(root, 'mono') });
    expect(mono.channels).toBe(1);
    expect(mono.check.ok).toBe(true);
    expect(mono.check.nullResidualDbfs ?? -Infinity).toBeLessThan(-120);
    const monoStem = await openAudio(join(root, 'mono', mono.files[0]!.file));
    expect(monoStem.format.channels).toBe(1);
    await monoStem.close();
  }, 120_000);
});

describe('stemkit pack and verify on the command line', () => {
  it('refuses a non-empty --out without --force and a package folder as --out; --json prints delivery.json; verify exits 0 then 1', async () => {
    const { runPack, runVerify } = await import('../src/cli/pack.js');
    const { captureOutput } = await import('./helpers/io.js');
    const pkg = (await demoAudio()).dir;
    const out = join(root, 'cli');
    const stdout = captureOutput();
    const stderr = captureOutput();
    expect(await runPack(pkg, { for: 'mastering', out, json: true }, stdout.stream, stderr.stream)).toBe(0);
    const delivery = JSON.parse(stdout.text()) as DeliveryManifest;
    expect(delivery.recipient.name).toBe('mastering');
    await expect(runPack(pkg, { for: 'mastering', out }, stdout.stream, stderr.stream)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(runPack(pkg, { for: 'mastering', out: pkg }, stdout.stream, stderr.stream)).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(await runPack(pkg, { for: 'mastering', out, force: true }, stdout.stream, stderr.stream)).toBe(0);
    const verified = captureOutput();
    expect(await runVerify(out, {}, verified.stream)).toBe(0);
    expect(verified.text()).toMatch(/^VERIFIED /);
    writeFileSync(join(out, delivery.files[0]!.file), 'gone');
    expect(await runVerify(out, { json: true }, captureOutput().stream)).toBe(1);
  }, 120_000);
});

describe('stemkit pack: performance loops', () => {
  it('cuts every stem and the mix at the same samples, whole beats long; the loops sum to the mix loop; a crossfade makes the seam a natural step', async () => {
    const { readFile: readAudio } = await import('./helpers/io.js');
    const demo = await demoAudio();
    for (const fadeMs of [0, 5]) {
      const out = join(root, `loops-${fadeMs}`);
      const delivery = await packDelivery(demo.dir, { recipient: await resolveRecipient('performance'), outDir: out, sections: 'a:2-3,b:4-5', bpm: 120, loopCrossfadeMs: fadeMs });
      const loops = delivery.files.filter((f) => f.kind === 'loop');
      expect(loops).toHaveLength(2 * 6); // 5 stems + mix, two sections
      for (const section of ['a', 'b']) {
        const mine = loops.filter((f) => f.file.startsWith(`loops/${section}/`));
        // 2 bars of 4 beats at 120 BPM, 48 kHz: 8 × 24000 frames exactly.
        for (const f of mine) expect(f.frames).toBe(192_000);
        const audio = await Promise.all(mine.map((f) => readAudio(join(out, f.file))));
        const mix = audio[mine.findIndex((f) => f.label.startsWith('Mix'))]!;
        const parts = audio.filter((_, i) => !mine[i]!.label.startsWith('Mix'));
        let residual = 0;
        for (let ch = 0; ch < 2; ch++) for (let i = 0; i < 192_000; i++) residual = Math.max(residual, Math.abs(mix[ch]![i]! - parts.reduce((a, p) => a + p[ch]![i]!, 0)));
        expect(residual).toBeLessThan(2 ** -20); // 24-bit rounding of six files
        const start = section === 'a' ? 4 * 24_000 : 12 * 24_000;
        if (fadeMs === 0) {
          // A plain cut: the mix loop is the mix's samples, to the bit.
          for (let i = 0; i < 192_000; i += 997) expect(mix[0]![i]).toBe(demo.mix[0]![start + i]);
        } else {
          // The end blends into what precedes the start, so wrapping around steps like the music does.
          const n = 192_000;
          let inner = 0;
          for (let i = 1; i < n; i++) inner = Math.max(inner, Math.abs(mix[0]![i]! - mix[0]![i - 1]!));
          expect(Math.abs(mix[0]![0]! - mix[0]![n - 1]!)).toBeLessThanOrEqual(inner);
          expect(Math.abs(mix[0]![n - 1]! - demo.mix[0]![start - 1]!)).toBeLessThan(0.01);
        }
      }
    }
  }, 180_000);

  it('refuses sections it cannot cut, before any work', async () => {
    const demo = await demoAudio();
    const recipient = await resolveRecipient('performance');
    await expect(packDelivery(demo.dir, { recipient, outDir: join(root, 'l1'), sections: 'a:1-4' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('--bpm') });
    await expect(packDelivery(demo.dir, { recipient, outDir: join(root, 'l2'), sections: 'a:1-400', bpm: 120 })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining("after the package's end") });
    await expect(packDelivery(demo.dir, { recipient, outDir: join(root, 'l3'), sections: 'a:1-2', bpm: 120, loopCrossfadeMs: 5 })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('crossfade') });
  });
});
