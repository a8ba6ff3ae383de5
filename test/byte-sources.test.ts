import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobBytes, HttpBytes, MemoryBytes, openAudioBytes, type ByteSource } from '../src/audio/index.js';
import { openAudio } from '../src/audio/open.js';
import { CORPUS_DIR, HAVE_CORPUS } from './helpers/corpus.js';
import { readSource } from './helpers/io.js';
import { material, writeWav } from './helpers/package.js';

let dir = '';
let server: Server;
let origin = '';
/** Files the server serves, by name; `noRanges` answers every request with the whole file (HTTP 200). */
const served = new Map<string, Uint8Array>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stemkit-bytes-'));
  const wav = join(dir, 'take.wav');
  await writeWav(wav, material(1.3, 4, 0.3));
  served.set('take.wav', readFileSync(wav));
  served.set('cut.wav', readFileSync(wav).subarray(0, 50_000));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = basename(url.pathname);
    const body = served.get(name);
    if (!body) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!range || url.searchParams.has('noRanges')) return void res.writeHead(200, { 'Content-Length': body.length }).end(body);
    const first = Number(range[1]);
    const last = Math.min(Number(range[2]), body.length - 1);
    res.writeHead(206, { 'Content-Range': `bytes ${first}-${last}/${body.length}`, 'Content-Length': last - first + 1 }).end(body.subarray(first, last + 1));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every sample of `source`, then closes it. */
async function samples(source: Awaited<ReturnType<typeof openAudioBytes>>): Promise<Float32Array[]> {
  try {
    return await readSource(source, 3000);
  } finally {
    await source.close();
  }
}

/** The same file as a path and through each kind of ByteSource: the same format and samples. */
async function sameEverywhere(path: string, name: string): Promise<void> {
  const bytes = readFileSync(path);
  const reference = await openAudio(path);
  const format = reference.format;
  const want = await samples(reference);
  served.set(name, bytes);
  const sources: ByteSource[] = [new MemoryBytes(bytes, name), new BlobBytes(new Blob([bytes]), name), await HttpBytes.open(`${origin}/${encodeURIComponent(name)}`)];
  for (const source of sources) {
    const opened = await openAudioBytes(source);
    expect(opened.format).toEqual(format);
    const got = await samples(opened);
    expect(got.length).toBe(want.length);
    got.forEach((channel, ch) => expect(Buffer.compare(Buffer.from(channel.buffer, channel.byteOffset, channel.byteLength), Buffer.from(want[ch]!.buffer, want[ch]!.byteOffset, want[ch]!.byteLength)), `${source.constructor.name} channel ${ch + 1}`).toBe(0));
  }
}

describe('audio from any ByteSource (memory, Blob, HTTP ranges)', () => {
  it('a WAV reads the same from each as from its path', () => sameEverywhere(join(dir, 'take.wav'), 'take.wav'));

  it.skipIf(!HAVE_CORPUS)('FLAC and AIFF from the shared corpus read the same from each as from their paths', async () => {
    await sameEverywhere(join(CORPUS_DIR, 'files/pop.flac'), 'pop.flac');
    await sameEverywhere(join(CORPUS_DIR, 'files/pluck-pcm16.aiff'), 'pluck-pcm16.aiff');
  });

  it('HTTP: only the ranges asked for cross the network, and failures are typed', async () => {
    const source = await HttpBytes.open(`${origin}/take.wav`);
    expect(source.size).toBe(served.get('take.wav')!.length);
    const head = await source.bytes(0, 12);
    expect(new TextDecoder().decode(head.subarray(8, 12))).toBe('WAVE');
    await expect(HttpBytes.open(`${origin}/missing.wav`)).rejects.toMatchObject({ code: 'E_IO' });
    await expect(HttpBytes.open(`${origin}/take.wav?noRanges`)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(HttpBytes.open('http://127.0.0.1:1/nothing.wav')).rejects.toMatchObject({ code: 'E_IO' });
    // A file cut short on the server: the header says more audio than there is.
    await expect(openAudioBytes(await HttpBytes.open(`${origin}/cut.wav`))).rejects.toMatchObject({ code: 'E_TRUNCATED' });
    const lenient = await openAudioBytes(await HttpBytes.open(`${origin}/cut.wav`), { allowTruncated: true });
    expect(lenient.meta.warnings.join(' ')).toMatch(/trunc|ends|short/i);
    await lenient.close();
  });
});
