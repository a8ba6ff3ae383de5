import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { createChain, LoudnessMeter } from '../src/dsp/index.js';
import { musicLike } from './helpers/music.js';
import { readFile as readAudio } from './helpers/io.js';
import { writeWav } from './helpers/package.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
let dir = '';
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** The README's code block after `<!-- example: NAME -->`. */
async function readmeExample(name: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`<!-- example: ${name} -->`);
  expect(at).toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))!;
  return block[1]!;
}

describe("the README's library example", () => {
  it('runs as printed: meters a file, processes it, writes it, and its numbers are the library’s', async () => {
    const code = await readmeExample('library');
    expect(code.split('\n').length).toBeLessThanOrEqual(32);
    dir = await mkdtemp(join(tmpdir(), 'stemkit-readme-'));
    const input = musicLike(48000, 4, 5);
    await writeWav(join(dir, 'in.wav'), input);
    // As a user's script, except that 'stemkit' is this checkout.
    await writeFile(join(dir, 'example.mts'), code.replaceAll("from 'stemkit'", `from '${pathToFileURL(join(ROOT, 'src/index.ts')).href}'`));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await run(process.execPath, ['--import', tsx, 'example.mts'], { cwd: dir });
    const m = /^in (-\d+\.\d) LUFS, out (-\d+\.\d) LUFS, true peak (\d\.\d{3})\n$/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    // The same chain here, on the same audio: the script's numbers are the library's.
    const source = await openAudio(join(dir, 'in.wav'));
    const audio = await readAudio(join(dir, 'in.wav'));
    await source.close();
    const meter = (x: Float32Array[]) => {
      const l = new LoudnessMeter({ sampleRate: 48000, channelWeights: [1, 1] });
      l.push(x);
      return LoudnessMeter.summarize(l.state()).integratedLufs!.toFixed(1);
    };
    const chain = createChain(
      [
        { type: 'eq', bands: [{ type: 'highpass', freq: 80 }, { type: 'peak', freq: 3000, gain: 2, q: 1 }] },
        { type: 'compressor', threshold: -20, ratio: 3, attack: 10, release: 150 },
      ],
      { sampleRate: 48000, channels: 2 },
    );
    const processed = audio.map((c) => Float32Array.from(c));
    for (let at = 0; at < processed[0]!.length; at += 4096) {
      const n = Math.min(4096, processed[0]!.length - at);
      chain.process(processed.map((c) => c.subarray(at, at + n)), n);
    }
    chain.dispose();
    expect(m![1]).toBe(meter(audio));
    expect(m![2]).toBe(meter(processed));
    expect(m![1]).not.toBe(m![2]);
    const written = await readAudio(join(dir, 'out.wav'));
    expect(written[0]!.length).toBe(input[0]!.length);
    expect(Math.abs(written[0]![48000]! - processed[0]![48000]!)).toBeLessThan(2 ** -22);
  }, 60_000);
});
