import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { scratchDir } from './helpers/almost-right.js';
import { material, writeWav } from './helpers/package.js';

/**
 * Nothing lost, nothing overwritten: render, demo and their outputs refuse to write over inputs,
 * replace a folder only with --force and only with exactly the new package, and leave the previous
 * package or the complete new one under any interrupt, including in the middle of the switch.
 */
const root = scratchDir('no-loss');
const CLI = ['--import', 'tsx', join(import.meta.dirname, '../src/cli/main.ts')];
afterAll(() => rmSync(root, { recursive: true, force: true }));

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, base: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${base}${e.name}/`);
      else out[`${base}${e.name}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** Runs the CLI; `until` (a line on stderr) triggers `signal` to the process. */
function cli(args: string[], options: { env?: Record<string, string>; until?: string; signal?: NodeJS.Signals; afterMs?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    if (options.afterMs !== undefined) setTimeout(() => child.kill(options.signal ?? 'SIGKILL'), options.afterMs);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.until && stderr.includes(options.until)) child.kill(options.signal ?? 'SIGKILL');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

let session = '';
const leftovers = () => readdirSync(root).filter((e) => /stemkit-(staging|previous|tmp)/.test(e));

beforeAll(async () => {
  mkdirSync(join(root, 'tracks'), { recursive: true });
  await writeWav(join(root, 'tracks', 'kick.wav'), material(2, 1, 0.2));
  await writeWav(join(root, 'tracks', 'bass.wav'), material(2, 2, 0.2));
  session = join(root, 'session.yaml');
  writeFileSync(session, stringify({ name: 'no loss', sampleRate: 48000, bitDepth: 24, tail: 0.5, stems: [{ name: 'Drums', tracks: [{ file: 'tracks/kick.wav' }] }, { name: 'Bass', tracks: [{ file: 'tracks/bass.wav' }] }] }));
});

describe('render and demo never write over what they were given', () => {
  it('render --out into the folder that holds the session\'s tracks is refused before any work', async () => {
    const before = hashes(join(root, 'tracks'));
    const r = await cli(['render', session, '--out', join(root, 'tracks')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE: --out .*tracks holds .*kick\.wav, one of this command's inputs/);
    expect(hashes(join(root, 'tracks'))).toEqual(before);
  });

  it('render into a non-empty folder needs --force, and then leaves exactly the new package', async () => {
    const out = join(root, 'pkg');
    mkdirSync(join(out, 'stems'), { recursive: true });
    writeFileSync(join(out, 'stems', '07_Old Stem.wav'), 'stale');
    expect((await cli(['render', session, '--out', out])).stderr).toMatch(/is not empty[^]*--force/);
    expect(readFileSync(join(out, 'stems', '07_Old Stem.wav'), 'utf8')).toBe('stale');
    expect((await cli(['render', session, '--out', out, '--force'])).code).toBe(0);
    expect(readdirSync(join(out, 'stems')).sort()).toEqual(['01_Drums.wav', '02_Bass.wav']);
    expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('demo keeps an edited demo folder unless --force', async () => {
    const dir = join(root, 'demo');
    expect((await cli(['demo', dir])).code).toBe(0);
    expect((await cli(['demo', dir])).code).toBe(0); // an untouched earlier demo may be replaced
    writeFileSync(join(dir, 'session.yaml'), readFileSync(join(dir, 'session.yaml'), 'utf8') + '# my change\n');
    const r = await cli(['demo', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/demo folder .* is not empty/);
    expect(readFileSync(join(dir, 'session.yaml'), 'utf8')).toMatch(/# my change/);
  }, 120_000);
});

describe('interrupts: the previous package or the complete new one, never a mix', () => {
  const out = join(root, 'interrupted');
  let previous: Record<string, string> = {};

  beforeAll(async () => {
    expect((await cli(['render', session, '--out', out])).code).toBe(0);
    previous = hashes(out);
  });

  // Early (loading, validating) and mid-render by time: wherever the kill lands, the same must hold.
  for (const [afterMs, signal] of [
    [300, 'SIGKILL'],
    [1200, 'SIGKILL'],
    [1200, 'SIGTERM'],
  ] as const) {
    it(`${signal} ${afterMs} ms into a render: the previous package or the new one, complete; nothing left after the next run`, async () => {
      previous = hashes(out);
      await cli(['render', session, '--out', out, '--force'], { afterMs, signal });
      if (existsSync(out)) {
        const now = hashes(out);
        // Either untouched, or the new package complete (same files; the manifest records render times).
        expect(Object.keys(now).sort()).toEqual(Object.keys(previous).sort());
        expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
      }
      expect((await cli(['render', session, '--out', out, '--force'])).code).toBe(0);
      expect(leftovers()).toEqual([]);
      expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
    }, 120_000);
  }

  for (const [point, signal] of [
    ['switch', 'SIGKILL'],
    ['between-renames', 'SIGKILL'],
    ['switch', 'SIGTERM'],
  ] as const) {
    it(`${signal} at "${point}": the next run leaves a complete package and no temp files, and check never passes a half package`, async () => {
      previous = hashes(out); // the manifest records render times: each run's package is its own
      const r = await cli(['render', session, '--out', out, '--force'], { env: { STEMKIT_TEST_PAUSE_AT: point }, until: `paused at ${point}`, signal });
      if (signal === 'SIGTERM') expect(r.code).toBe(143);
      else expect(r.signal).toBe('SIGKILL');
      if (point === 'switch') expect(hashes(out)).toEqual(previous); // the previous package, untouched
      if (signal === 'SIGTERM') expect(leftovers()).toEqual([]); // cleaned up on the way out
      // A half package never reads as a package: the target is the old one, or absent (cut between the renames).
      if (existsSync(out)) expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
      // The next run finishes the dead writer's job: restores or removes, then renders.
      expect((await cli(['render', session, '--out', out, '--force'])).code).toBe(0);
      expect(leftovers()).toEqual([]);
      expect(Object.keys(hashes(out)).sort()).toEqual(Object.keys(previous).sort());
      expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
    }, 120_000);
  }
});

describe('a NaN in a track never silences a stem', () => {
  let nanSession = '';
  beforeAll(async () => {
    const dir = join(root, 'nan');
    mkdirSync(join(dir, 'tracks'), { recursive: true });
    const vox = material(3, 4, 0.2);
    vox[1]![48000] = Number.NaN;
    vox[0]![96000] = Number.POSITIVE_INFINITY;
    await writeWav(join(dir, 'tracks', 'vox.wav'), vox, { format: 'float32' });
    await writeWav(join(dir, 'tracks', 'bass.wav'), material(3, 2, 0.2));
    nanSession = join(dir, 'session.yaml');
    writeFileSync(
      nanSession,
      stringify({
        name: 'nan',
        sampleRate: 48000,
        bitDepth: 24,
        tail: 1,
        stems: [
          { name: 'Vocals', processing: [{ type: 'compressor', threshold: -20, ratio: 3 }, { type: 'delay', time: 250, feedback: 0.3, mix: 0.2 }, { type: 'reverb', decay: 1.2 }], tracks: [{ file: 'tracks/vox.wav' }] },
          { name: 'Bass', tracks: [{ file: 'tracks/bass.wav' }] },
        ],
      }),
    );
  });

  it('render stops with E_NON_FINITE naming the file, the channel and the time, and writes no package', async () => {
    const out = join(root, 'nan', 'pkg');
    const r = await cli(['render', nanSession, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_NON_FINITE: .*vox\.wav: NaN sample in channel 2 at 0:01\.000 \(frame 48000\)/);
    expect(r.stderr).toMatch(/--replace-non-finite/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(root, 'nan')).filter((e) => e.includes('stemkit'))).toEqual([]);
  });

  it('with --replace-non-finite: replaced by silence, counted, and the stem keeps sounding after them', async () => {
    const out = join(root, 'nan', 'replaced');
    const r = await cli(['render', nanSession, '--out', out, '--replace-non-finite']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'stemkit.json'), 'utf8'));
    expect(manifest.stems[0]).toMatchObject({ name: 'Vocals', nonFiniteReplaced: 2 });
    expect(manifest.stems[0].integratedLufs).not.toBeNull();
    const report = await checkPackage(await discoverPackage(out));
    expect(report.ok).toBe(true);
    // Still sounding long after the NaN at 1 s and the Infinity at 2 s (before: silent from 1 s on).
    const vocals = report.stems[0]!;
    expect(vocals.measure!.lastSoundSec!).toBeGreaterThan(2.5);
  });
});

describe('session values no real session has are refused with their field path', () => {
  for (const [field, track, message] of [
    ['gain', { file: 'tracks/kick.wav', gain: 800 }, /stems\[0\]\.tracks\[0\]\.gain: a level above \+48 dB/],
    ['gain', { file: 'tracks/kick.wav', gain: 1e308 }, /stems\[0\]\.tracks\[0\]\.gain: a level above \+48 dB/],
    ['offset', { file: 'tracks/kick.wav', offset: 1e7 }, /stems\[0\]\.tracks\[0\]\.offset: more than 24 hours/],
  ] as const) {
    it(`${field} ${JSON.stringify(track)}: E_SESSION before any work, nothing written`, async () => {
      const path = join(root, `bad-${field}-${String(Object.values(track)[1]).replace(/\W/g, '')}.yaml`);
      writeFileSync(path, stringify({ name: 'bad', sampleRate: 48000, stems: [{ name: 'Drums', tracks: [track] }] }));
      const out = join(root, `bad-out-${field}-${String(Object.values(track)[1]).replace(/\W/g, '')}`);
      const r = await cli(['render', path, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/E_SESSION/);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('check never passes a half-written package', () => {
  it('stems that render wrote, in a folder whose stemkit.json is missing, fail as package.manifest', async () => {
    const out = join(root, 'no-manifest');
    expect((await cli(['render', session, '--out', out])).code).toBe(0);
    expect((await checkPackage(await discoverPackage(out))).ok).toBe(true);
    rmSync(join(out, 'stemkit.json'));
    const report = await checkPackage(await discoverPackage(out));
    expect(report.ok).toBe(false);
    expect(report.findings.find((f) => f.rule === 'package.manifest')!.message).toMatch(/written by stemkit, but the folder has no stemkit\.json/);
  });
});

describe('a file-system failure reads the same on any thread', () => {
  it('an errno error becomes the typed E_IO error, in the worker and on the main thread', async () => {
    const { asStemkitError, errorJson } = await import('../src/errors.js');
    const { formatError } = await import('../src/report/terminal.js');
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/data/pkg/stems/01_A.wav' });
    expect(asStemkitError(enospc)).toMatchObject({ code: 'E_IO', file: '/data/pkg/stems/01_A.wav', hint: 'free some disk space and run again' });
    expect(errorJson(enospc).code).toBe('E_IO');
    expect(formatError(enospc, { write: () => true })).not.toMatch(/bug/);
    // A real invariant failure keeps its "bug" wording.
    expect(formatError(new TypeError('x is undefined'), { write: () => true })).toMatch(/internal error[^]*this is a bug/);
  });
});

describe('check under interrupts', () => {
  it('a killed check leaves no report under its name and no temp file after the next run', async () => {
    const pkg = join(root, 'check-kill');
    expect((await cli(['render', session, '--out', pkg])).code).toBe(0);
    const reports = join(root, 'reports');
    mkdirSync(reports, { recursive: true });
    // What a report writer killed mid-write leaves: a hidden temp file of a process that is gone.
    writeFileSync(join(reports, '.report.html.999999-0a1b2c3d.stemkit-tmp'), '<!DOCTYPE html><html');
    for (const [afterMs, signal] of [[150, 'SIGKILL'], [600, 'SIGKILL'], [600, 'SIGTERM']] as const) {
      await cli(['check', pkg, '--html', join(reports, 'report.html')], { afterMs, signal });
      // Never a half report under its name: absent, or complete.
      if (existsSync(join(reports, 'report.html'))) expect(readFileSync(join(reports, 'report.html'), 'utf8')).toMatch(/<\/html>\s*$/);
    }
    expect((await cli(['check', pkg, '--html', join(reports, 'report.html')])).code).toBe(0);
    expect(readdirSync(reports)).toEqual(['report.html']);
    expect(readFileSync(join(reports, 'report.html'), 'utf8')).toMatch(/<\/html>\s*$/);
  }, 120_000);
});
