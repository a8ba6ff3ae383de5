import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWavWriter } from '../src/audio/wav/write.js';
import { runInfo } from '../src/cli/info.js';
import { randomQuantised } from './helpers/signals.js';
import { captureOutput } from './helpers/io.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stemkit-cli-'));
const wav = join(dir, 'bass.wav');
const junk = join(dir, 'notes.txt');

beforeAll(async () => {
  const sink = await createWavWriter(wav, {
    sampleRate: 48000,
    channels: 6,
    format: 'pcm24',
    bext: { description: 'Bass stem', originator: 'Pro Tools', timeReference: 48000 * 3600 },
  });
  await sink.write(randomQuantised(6, 48000, 24, 9));
  await sink.commit();
  writeFileSync(junk, 'not audio at all\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('stemkit info', () => {
  it('prints the JSON contract for readable files and a typed error for the others, exit 2', async () => {
    const out = captureOutput();
    const code = await runInfo([wav, junk], { json: true }, out.stream);
    expect(code).toBe(2);
    const { files } = JSON.parse(out.text());
    expect(files[0]).toMatchObject({
      path: wav,
      container: 'wav',
      encoding: 'pcm',
      bitDepth: 24,
      sampleRate: 48000,
      channels: 6,
      channelMask: 0x3f,
      channelLayout: ['L', 'R', 'C', 'LFE', 'Ls', 'Rs'],
      frames: 48000,
      durationSec: 1,
      bext: { description: 'Bass stem', originator: 'Pro Tools', timeReference: 172_800_000, version: 1 },
      ixml: null,
      chunks: [
        { id: 'JUNK', size: 28 },
        { id: 'fmt ', size: 40 },
        { id: 'bext', size: 602 },
        { id: 'data', size: 48000 * 6 * 3 },
      ],
    });
    expect(files[1]).toMatchObject({ path: junk, error: { code: 'E_NOT_AUDIO' } });
  });

  it('prints a readable table and exits 0 when every file reads', async () => {
    const out = captureOutput();
    expect(await runInfo([wav], {}, out.stream)).toBe(0);
    expect(out.text()).toMatch(/24-bit PCM\s+wav\s+48000 Hz\s+6 \(L R C LFE Ls Rs\)\s+0:01\.000\s+48000/);
    expect(out.text()).toMatch(/time reference 172800000 \(60:00\.000 from midnight\)/);
    // Not a TTY: no colour codes.
    expect(out.text()).not.toMatch(/\x1b\[/);
  });

  it('as a process: usage errors exit 2, bad files never print a stack trace', async () => {
    const cli = ['--import', 'tsx', join(import.meta.dirname, '../src/cli/main.ts')];
    const bad = await run('node', [...cli, 'info', junk, join(dir, 'missing.wav')]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/E_NOT_AUDIO/);
    expect(bad.stdout).toMatch(/E_IO/);
    expect(bad.stdout + bad.stderr).not.toMatch(/at .*\.ts:\d+/);
    const usage = await run('node', [...cli, 'info']).catch((e) => e);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument/);
    // A reader that closes early (`| head -1`) ends the command quietly.
    const many = Array.from({ length: 300 }, () => JSON.stringify(wav)).join(' ');
    const piped = await run('bash', ['-c', `node ${cli.join(' ')} info ${many} | head -1`]);
    expect(piped.stdout).toMatch(/^file\s+format/);
    expect(piped.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    const ok = await run('node', [...cli, 'info', wav, '--json']);
    expect(JSON.parse(ok.stdout).files[0].frames).toBe(48000);
  });
});
