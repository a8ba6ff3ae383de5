import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createChain, LoudnessMeter, TruePeakMeter, type ProcessorSpecInput } from '../src/dsp/index.js';
import { prng } from '../src/dsp/random.js';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DSP = join(ROOT, 'src/dsp');

/** Import specifiers of a TypeScript source file (static, re-exports and dynamic imports; not `import type`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/** Every file reachable from `entries` through relative imports, with the packages and builtins they name. */
function importGraph(entries: string[]): { files: Set<string>; bare: Map<string, string> } {
  const files = new Set<string>();
  const bare = new Map<string, string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (extname(file) !== '.ts') continue;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) {
        bare.set(spec, relative(ROOT, file));
        continue;
      }
      const target = resolve(dirname(file), spec);
      // Sources import './x.js' for x.ts; the kernels' bindings are real .js (with a .d.ts).
      const ts = target.replace(/\.js$/, '.ts');
      queue.push(target.startsWith(join(ROOT, 'wasm')) ? target : ts);
    }
  }
  return { files, bare };
}

const NODE_MODULES = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const fromNode = (bare: Map<string, string>) => [...bare].filter(([spec]) => spec.startsWith('node:') || NODE_MODULES.has(spec));

describe('src/dsp and the stemkit/audio readers are portable', () => {
  it('src/dsp imports nothing from Node, directly or through anything it imports', () => {
    const { files, bare } = importGraph(readdirSync(DSP, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(DSP, f)));
    expect(fromNode(bare)).toEqual([]);
    // Outside src/dsp it reaches only the error type and the kernels' generated bindings.
    const outside = [...files].map((f) => relative(ROOT, f)).filter((f) => !f.startsWith('src/dsp/')).sort();
    expect(outside).toEqual(['src/errors.ts', 'wasm/kernels.js']);
    // Its packages are browser packages (schema validation, FFT, resampling).
    expect([...new Set(bare.keys())].sort()).toEqual(['@alexanderolsen/libsamplerate-js', 'fft.js', 'zod']);
  });

  it('the readers behind stemkit/audio (WAV, AIFF, FLAC over any ByteSource) import nothing from Node', () => {
    const { files, bare } = importGraph([join(ROOT, 'src/audio/index.ts')]);
    expect(fromNode(bare)).toEqual([]);
    expect([...files].some((f) => f.endsWith('flac/source.ts'))).toBe(true);
    expect([...files].some((f) => f.endsWith('range-file.ts'))).toBe(false);
  });
});

const FS = 48000;
const BLOCK = 480;
const CHAIN: ProcessorSpecInput[] = [
  { type: 'eq', bands: [{ type: 'highpass', freq: 30, slope: 24 }, { type: 'peak', freq: 2500, gain: -3, q: 1.2 }] },
  { type: 'compressor', threshold: -18, ratio: 3, attack: 8, release: 120, makeup: 2 },
  { type: 'saturate', drive: 4 },
  { type: 'delay', time: 180, feedback: 0.35, mix: 0.25 },
  { type: 'reverb', mix: 0.2, decay: 1.8 },
  { type: 'limiter', ceiling: -1, release: 60, lookahead: 5 },
];

/** 2 s of stereo test material: decaying noise bursts over a sine, seeded (the same bits in both realms). */
function material(): Float32Array[] {
  const rnd = prng(11);
  const out = [new Float32Array(2 * FS), new Float32Array(2 * FS)];
  for (let i = 0; i < out[0]!.length; i++) {
    const burst = Math.exp(-((i % 12000) / 2000));
    out[0]![i] = 0.4 * burst * (rnd() * 2 - 1) + 0.2 * Math.sin(i * 0.0575);
    out[1]![i] = 0.4 * burst * (rnd() * 2 - 1) - 0.2 * Math.sin(i * 0.0311);
  }
  return out;
}

/** What the page computes, computed here: the chain's output in blocks, then meters on it. */
function runHere(input: Float32Array[]) {
  const chain = createChain(CHAIN, { sampleRate: FS, channels: 2 });
  const out = input.map((c) => Float32Array.from(c));
  for (let at = 0; at < out[0]!.length; at += BLOCK) chain.process(out.map((c) => c.subarray(at, at + BLOCK)), BLOCK);
  chain.dispose();
  const loudness = new LoudnessMeter({ sampleRate: FS, channelWeights: [1, 1] });
  const truePeak = new TruePeakMeter({ sampleRate: FS, channels: 2 });
  loudness.push(out, out[0]!.length);
  truePeak.push(out, out[0]!.length);
  return { out, loudness: LoudnessMeter.summarize(loudness.state()), truePeak: truePeak.state() };
}

/** In the page: the built bundle, the kernels fetched, the chain and meters as runHere does them. */
const PAGE_SCRIPT = `
import * as dsp from './dsp.js';
globalThis.runChain = async ({ chain, fs, block, left, right }) => {
  await dsp.initKernels(fetch('./kernels.wasm'), { arenaBytes: 16 * 1024 * 1024 });
  const out = [new Float32Array(new Uint32Array(left).buffer), new Float32Array(new Uint32Array(right).buffer)];
  const c = dsp.createChain(chain, { sampleRate: fs, channels: 2 });
  for (let at = 0; at < out[0].length; at += block) c.process(out.map((x) => x.subarray(at, at + block)), block);
  c.dispose();
  const loudness = new dsp.LoudnessMeter({ sampleRate: fs, channelWeights: [1, 1] });
  const truePeak = new dsp.TruePeakMeter({ sampleRate: fs, channels: 2 });
  loudness.push(out, out[0].length);
  truePeak.push(out, out[0].length);
  return {
    bits: out.map((x) => Array.from(new Uint32Array(x.buffer))),
    loudness: dsp.LoudnessMeter.summarize(loudness.state()),
    truePeak: truePeak.state(),
    isolatedFromNode: typeof globalThis.process === 'undefined',
  };
};
`;

describe.skipIf(!HAS_CHROMIUM)('the same dsp in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let dir: string;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stemkit-dsp-browser-'));
    const { build } = await import('esbuild');
    await build({ entryPoints: [join(DSP, 'index.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'dsp.js'), logLevel: 'silent' });
    await copyFile(join(ROOT, 'wasm/kernels.wasm'), join(dir, 'kernels.wasm'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>dsp</title><script type="module" src="run.js"></script>');
    // The page's half, as a plain module (the test's own code is transformed by vitest).
    await writeFile(join(dir, 'run.js'), PAGE_SCRIPT);
    const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
    server = createServer(async (req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1) || 'index.html';
      if (!/^[\w.-]+$/.test(name)) return void res.writeHead(404).end();
      try {
        const body = await readFile(join(dir, name));
        res.writeHead(200, { 'Content-Type': types[extname(name)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a processor chain and the meters bit-identically to Node', async () => {
    const input = material();
    const here = runHere(input);
    const page = await browser.newPage();
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => 'runChain' in globalThis);
    const there = (await page.evaluate(
      (args) => (globalThis as unknown as { runChain(a: unknown): Promise<unknown> }).runChain(args),
      { chain: CHAIN, fs: FS, block: BLOCK, left: Array.from(new Uint32Array(input[0]!.buffer)), right: Array.from(new Uint32Array(input[1]!.buffer)) },
    )) as { bits: number[][]; loudness: unknown; truePeak: unknown; isolatedFromNode: boolean };
    await page.close();
    expect(there.isolatedFromNode).toBe(true);
    // Not silent, not trivially equal: the chain changed the audio.
    expect(here.loudness.integratedLufs).not.toBeNull();
    expect(Array.from(new Uint32Array(here.out[0]!.buffer))).not.toEqual(Array.from(new Uint32Array(input[0]!.buffer)));
    let differing = 0;
    for (let ch = 0; ch < 2; ch++) {
      const mine = new Uint32Array(here.out[ch]!.buffer);
      const theirs = there.bits[ch]!;
      for (let i = 0; i < mine.length; i++) if (mine[i] !== theirs[i]) differing++;
    }
    expect(differing).toBe(0);
    expect(there.loudness).toEqual(here.loudness);
    expect(there.truePeak).toEqual(here.truePeak);
  }, 120_000);
});
