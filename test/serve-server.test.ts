import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runServe } from '../src/cli/serve.js';
import { decodeDat } from '../src/audio/waveform-dat.js';
import { PEAK_LEVELS } from '../src/server/peaks.js';
import { parseRange } from '../src/server/range.js';
import { loadPackages } from '../src/server/registry.js';
import { startStemServer, type StemServer } from '../src/server/server.js';
import { material, sum, writePackage, writeManifest, writeWav } from './helpers/package.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-serve-'));
const intake = join(root, 'intake');
const pkgDir = join(intake, 'song-a');
const SECRET = 'the secret outside every package\n';
let server: StemServer;
let stemUrl: string;
let stemBytes: Buffer;

/** A raw request (no URL normalisation on our side: the path goes out exactly as written). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const openFds = () => readdirSync('/proc/self/fd').length;

beforeAll(async () => {
  mkdirSync(intake);
  const stems = [0, 1].map((k) => ({ name: ['Drums', 'Bass'][k]!, audio: material(2, k + 1) }));
  await writePackage(pkgDir, stems, sum(stems.map((s) => s.audio)));
  // A second package, so the intake folder is a list.
  await writePackage(join(intake, 'song-b'), stems.slice(0, 1), stems[0]!.audio);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  // A manifest that names a file outside its package: listed, never served.
  await writeWav(join(root, 'outside.wav'), stems[0]!.audio);
  writeManifest(join(intake, 'song-b'), { stems: [{ name: 'Drums', file: 'stems/01_Drums.wav' }, { name: 'Stolen', file: '../../outside.wav' }], mix: { file: 'mix.wav' } });
  // A stem that is a symlink out of its package: never served.
  symlinkSync(join(root, 'secret.txt'), join(pkgDir, 'stems', '03_Escape.wav'));
  writeFileSync(join(pkgDir, 'notes.txt'), 'not a package file');
  const packages = await loadPackages(intake);
  server = await startStemServer({ packages, peaksDir: join(root, 'peaks') });
  stemUrl = '/pkg/song-a/file/stems/01_Drums.wav';
  stemBytes = readFileSync(join(pkgDir, 'stems', '01_Drums.wav'));
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('stemkit serve: the server', () => {
  it('lists the packages of an intake folder, and leaves out a symlink that leads outside', async () => {
    const res = await raw('/api/packages');
    expect(res.status).toBe(200);
    const { packages } = JSON.parse(res.body.toString()) as { packages: { id: string; tracks: { name: string; role: string; url: string }[] }[] };
    expect(packages.map((p) => p.id)).toEqual(['song-a', 'song-b']);
    expect(packages[0]!.tracks.map((t) => `${t.role}:${t.name}`)).toEqual(['stem:Drums', 'stem:Bass', 'stem:Mix'.replace('stem:Mix', 'mix:Mix')]);
    expect(packages[0]!.tracks[0]!.url).toBe(stemUrl);
    // Every response makes the page cross-origin isolated.
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
  });

  it('answers traversal, absolute paths, encoded tricks, symlinks out and unlisted files with 404', async () => {
    const attempts = [
      '/pkg/song-a/file/../../secret.txt',
      '/pkg/song-a/file/..%2f..%2fsecret.txt',
      '/pkg/song-a/file/%2e%2e/%2e%2e/secret.txt',
      '/pkg/song-a/file/%252e%252e/secret.txt',
      '/pkg/song-a/file/stems/..%5c..%5c..%5csecret.txt',
      `/pkg/song-a/file/${encodeURIComponent(join(root, 'secret.txt'))}`,
      `/pkg/song-a/file/${join(root, 'secret.txt')}`,
      '/pkg/song-a/file//etc/passwd',
      '/pkg/song-a/file/stems/03_Escape.wav',
      '/pkg/song-b/file/../../outside.wav',
      '/pkg/song-b/file/..%2f..%2foutside.wav',
      '/pkg/song-a/file/notes.txt',
      '/pkg/song-a/file/stems/01_Drums.wav%00.txt',
      '/pkg/..%2fsong-a/file/mix.wav',
      '/pkg/song-a/peaks/9-256.dat',
      '/pkg/song-a/peaks/0-100.dat',
      '/app/../../package.json',
      '/app/%2e%2e%2fpackage.json',
      '/etc/passwd',
      '//etc/passwd',
    ];
    for (const path of attempts) {
      const res = await raw(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body.toString()).not.toContain('secret');
    }
    expect((await raw('/api/packages', {}, 'POST')).status).toBe(405);
    // A page elsewhere that rebinds its own name to 127.0.0.1 sends its own Host: refused.
    expect((await raw('/api/packages', { Host: 'evil.example:80' })).status).toBe(421);
    // The real file is served, whole.
    const ok = await raw(stemUrl);
    expect(ok.status).toBe(200);
    expect(ok.body.equals(stemBytes)).toBe(true);
  });

  it('answers ranges: first bytes, open-ended, suffix, past the end, clamped end, malformed', async () => {
    const size = stemBytes.length;
    const first = await raw(stemUrl, { Range: 'bytes=0-99' });
    expect([first.status, first.headers['content-range'], first.body.length]).toEqual([206, `bytes 0-99/${size}`, 100]);
    expect(first.body.equals(stemBytes.subarray(0, 100))).toBe(true);
    const tail = await raw(stemUrl, { Range: `bytes=${size - 10}-` });
    expect([tail.status, tail.body.equals(stemBytes.subarray(size - 10))]).toEqual([206, true]);
    const suffix = await raw(stemUrl, { Range: 'bytes=-500' });
    expect([suffix.status, suffix.headers['content-range'], suffix.body.equals(stemBytes.subarray(size - 500))]).toEqual([206, `bytes ${size - 500}-${size - 1}/${size}`, true]);
    const hugeSuffix = await raw(stemUrl, { Range: `bytes=-${size * 4}` });
    expect([hugeSuffix.status, hugeSuffix.body.length]).toEqual([206, size]);
    const clamped = await raw(stemUrl, { Range: `bytes=${size - 4}-${size + 1000}` });
    expect([clamped.status, clamped.headers['content-range'], clamped.body.length]).toEqual([206, `bytes ${size - 4}-${size - 1}/${size}`, 4]);
    const past = await raw(stemUrl, { Range: `bytes=${size}-` });
    expect([past.status, past.headers['content-range'], past.body.length]).toEqual([416, `bytes */${size}`, 0]);
    expect((await raw(stemUrl, { Range: 'bytes=-0' })).status).toBe(416);
    for (const ignored of ['bytes=5-2', 'items=0-1', 'bytes=0-1,4-5', 'bytes=abc', 'bytes=-']) {
      const res = await raw(stemUrl, { Range: ignored });
      expect([ignored, res.status, res.body.length]).toEqual([ignored, 200, size]);
    }
    const head = await raw(stemUrl, { Range: 'bytes=10-19' }, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([206, '10', 0]);
    expect(parseRange('bytes=0-0', 0)).toBe('unsatisfiable');
  });

  it('survives clients that disconnect mid-stream and 50 concurrent range readers, leaking no file handle', async () => {
    const before = openFds();
    const { hostname, port } = new URL(server.origin);
    // Ten clients hang up after the first bytes of a whole-file response.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        new Promise<void>((resolve) => {
          const req = request({ hostname, port, path: stemUrl, agent: false }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', () => resolve());
          req.end();
        }),
      ),
    );
    // 50 readers at once, each its own range; every byte must be right.
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        const start = k * 1000;
        const res = await raw(stemUrl, { Range: `bytes=${start}-${start + 65535}` });
        return res.status === 206 && res.body.equals(stemBytes.subarray(start, start + 65536));
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    // Handles close asynchronously after the sockets do.
    let after = openFds();
    for (let i = 0; i < 50 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = openFds();
    }
    expect(after).toBeLessThanOrEqual(before);
    expect((await raw('/api/packages')).status).toBe(200);
  });

  it('serves waveform peaks as audiowaveform .dat v2, every level, cached', async () => {
    const audio = material(2, 1);
    for (const spp of PEAK_LEVELS) {
      const res = await raw(`/pkg/song-a/peaks/0-${spp}.dat`);
      expect(res.status).toBe(200);
      const dat = decodeDat(res.body);
      expect([dat.samplesPerPixel, dat.sampleRate, dat.minMax.length / 2]).toEqual([spp, 48000, Math.ceil(audio[0].length / spp)]);
      // The loudest pixel is the file's peak over both channels.
      let peak = 0;
      for (const ch of audio) for (const v of ch) peak = Math.max(peak, Math.abs(v));
      let datPeak = 0;
      for (const v of dat.minMax) datPeak = Math.max(datPeak, Math.abs(v));
      expect(Math.abs(datPeak - peak * 32767)).toBeLessThanOrEqual(1);
    }
    expect(readdirSync(join(root, 'peaks')).length).toBe(1);
  });

  it('serves the manifest-less package report as check JSON', async () => {
    const res = await raw('/pkg/song-a/report.json');
    expect(res.status).toBe(200);
    const report = JSON.parse(res.body.toString()) as { null?: { passed: boolean } };
    expect(report.null?.passed).toBe(true);
  });

  it('runs as `stemkit serve`: prints where to listen, serves until stopped, refuses bad input with a typed error', async () => {
    let text = '';
    let running: StemServer | null = null;
    const done = runServe(intake, { port: '0', cacheDir: join(root, 'peaks') }, { write: (t: string) => (text += t) }, (s) => (running = s));
    await vi.waitFor(() => expect(running).not.toBeNull());
    expect(text).toMatch(/2 package\(s\): song-a, song-b\n/);
    expect(text).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/ /);
    expect(text).toMatch(/song-b: not served \(outside the package folder\): \.\.\/\.\.\/outside\.wav/);
    const res = await fetch(`${running!.origin}/api/packages`);
    const { packages } = (await res.json()) as { packages: { tracks: { name: string }[] }[] };
    expect(packages[1]!.tracks.map((t) => t.name)).toEqual(['Drums', 'Mix']);
    running!.server.close();
    expect(await done).toBe(0);
    await expect(runServe(join(root, 'missing'), {}, { write: () => true })).rejects.toMatchObject({ code: 'E_IO' });
    await expect(runServe(pkgDir, { port: '70000' }, { write: () => true })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(runServe(join(root, 'secret.txt'), {}, { write: () => true })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
