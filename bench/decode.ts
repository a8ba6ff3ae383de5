/**
 * Decode throughput: stemkit (openAudio + read() into reused Float32 blocks, one thread) against
 * ffmpeg and sox decoding the same 24-bit stereo 48 kHz WAV, all from the page cache.
 *
 *   npm run bench:decode                       # ~300 MB fixture, best of 3 after a warm-up
 *   npm run bench:decode -- --mb 100 --runs 5  # smaller file, more runs
 *
 * MB/s is file bytes (header + data) / wall seconds, MB = 10^6 bytes. External tools are timed
 * as whole processes (their start-up, measured separately on a 1-frame file, is included).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openAudio } from '../src/audio/open.js';
import { decodeInterleaved } from '../src/audio/pcm.js';
import { printTable } from './lib/table.js';
import { commandVersion, hasCommand, hostInfo, run, timeBest, type Timing } from './lib/timing.js';
import { writeWavFixture, wavHeader } from './lib/wav-fixture.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    block: { type: 'string', default: '65536' },
    out: { type: 'string' },
  },
});
const DATA_MB = Number(args.mb);
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const BLOCK = Number(args.block);
if (!(DATA_MB > 0) || !(RUNS >= 1) || !(WARMUP >= 0) || !(BLOCK >= 1)) {
  console.error('usage: bench/decode.ts [--mb 300] [--runs 3] [--warmup 1] [--block 65536] [--out file.json]');
  process.exit(2);
}
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/decode.json'));

interface Row {
  tool: string;
  command: string;
  available: boolean;
  note?: string;
  timing?: Timing;
  seconds?: number;
  mbPerSec?: number;
  /** This tool's MB/s ÷ stemkit's: above 1 means the tool is faster than stemkit. */
  speedVsStemkit?: number;
}

const cleanup: Array<() => Promise<void>> = [];
const tempFiles: string[] = [];
// Last resort for the temp files (uncaught errors, EPIPE when piped into `head`, Ctrl-C).
process.once('exit', () => {
  for (const file of tempFiles) rmSync(file, { force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

console.log(`generating ${DATA_MB} MB 24-bit stereo 48 kHz WAV in ${tmpdir()} …`);
const tGen = process.hrtime.bigint();
const fixture = await writeWavFixture({ dataBytes: Math.round(DATA_MB * 1e6), channels: 2, sampleRate: 48000 });
cleanup.push(fixture.remove);
tempFiles.push(fixture.path);
// A 1-frame file of the same format: what an external tool costs just to start and exit.
const tinyPath = join(tmpdir(), `stemkit-bench-${process.pid}-tiny.wav`);
writeFileSync(tinyPath, Buffer.concat([wavHeader(6, 2, 48000, 24), new Uint8Array(6)]));
tempFiles.push(tinyPath);
cleanup.push(() => rm(tinyPath, { force: true }));
console.log(
  `  ${fixture.path}: ${fixture.fileBytes} bytes, ${fixture.frames} frames (${(fixture.frames / 48000).toFixed(0)} s) ` +
    `in ${(Number(process.hrtime.bigint() - tGen) / 1e9).toFixed(1)} s`,
);

/** Interleaved f32le of the first `seconds` from ffmpeg, or null when ffmpeg is absent. */
function ffmpegF32(file: string, seconds: number): Promise<Float32Array | null> {
  if (!hasCommand('ffmpeg')) return Promise.resolve(null);
  return new Promise((resolvePcm, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-t', String(seconds), '-f', 'f32le', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => parts.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg exited with ${code}`));
      const all = Buffer.concat(parts);
      resolvePcm(new Float32Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length)));
    });
  });
}

// Sanity: the fixture is not silence, and stemkit decodes it exactly as ffmpeg does.
{
  const source = await openAudio(fixture.path);
  const [l, r] = await source.read(0, 48000);
  await source.close();
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < 48000; i++) {
    sum += l![i]! ** 2 + r![i]! ** 2;
    peak = Math.max(peak, Math.abs(l![i]!), Math.abs(r![i]!));
  }
  const rmsDb = 10 * Math.log10(sum / 96000);
  if (!(rmsDb > -40)) throw new Error(`fixture looks silent (${rmsDb.toFixed(1)} dBFS RMS)`);
  const reference = await ffmpegF32(fixture.path, 1);
  let maxDiff: number | null = null;
  if (reference) {
    if (reference.length !== 96000) throw new Error(`ffmpeg gave ${reference.length} samples for 1 s, expected 96000`);
    maxDiff = 0;
    for (let i = 0; i < 48000; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[2 * i]! - l![i]!), Math.abs(reference[2 * i + 1]! - r![i]!));
    if (maxDiff > 0) throw new Error(`stemkit and ffmpeg disagree on the first second: max |diff| ${maxDiff}`);
  }
  console.log(
    `  first second: ${rmsDb.toFixed(1)} dBFS RMS, peak ${peak.toFixed(3)}; ` +
      (maxDiff === null ? 'ffmpeg not installed, no cross-check' : 'stemkit == ffmpeg f32le sample for sample'),
  );
}

const rows: Row[] = [];
const startup: Record<string, number> = {};
const mbps = (seconds: number) => fixture.fileBytes / seconds / 1e6;

try {
  // --- stemkit: the real path (file I/O + decode), one block buffer per channel reused throughout.
  const into = [new Float32Array(BLOCK), new Float32Array(BLOCK)];
  let sink = 0;
  const stemkitOnce = async () => {
    const source = await openAudio(fixture.path);
    const { frames } = source.format;
    for (let at = 0; at < frames; at += BLOCK) {
      const out = await source.read(at, Math.min(BLOCK, frames - at), into);
      sink += out[0]![0]! + out[1]![out[1]!.length - 1]!;
    }
    await source.close();
  };
  rows.push({
    tool: 'stemkit',
    command: `openAudio(FILE) + read(at, ${BLOCK}, into) to the end`,
    available: true,
    timing: await timeBest(stemkitOnce, RUNS, WARMUP),
  });
  const sinkAfter = sink;

  // --- stemkit decode only: the same decoder on bytes already in memory (no file I/O), for context.
  {
    const memFrames = Math.min(fixture.frames, Math.floor(64e6 / 6));
    const bytes = new Uint8Array(memFrames * 6);
    const handle = await open(fixture.path, 'r');
    for (let done = 0; done < bytes.length; ) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, 44 + done);
      if (bytesRead === 0) throw new Error('fixture shorter than expected');
      done += bytesRead;
    }
    await handle.close();
    const layout = { kind: 'int' as const, bytes: 3, bigEndian: false };
    const loops = Math.max(1, Math.round(fixture.dataBytes / bytes.length));
    const decodeOnce = async () => {
      for (let l = 0; l < loops; l++) {
        for (let at = 0; at < memFrames; at += BLOCK) {
          const n = Math.min(BLOCK, memFrames - at);
          decodeInterleaved(bytes.subarray(at * 6, (at + n) * 6), n, 2, layout, into, 0);
          sink += into[0]![0]!;
        }
      }
    };
    const timing = await timeBest(decodeOnce, RUNS, WARMUP);
    // Scale to the fixture's size so the MB/s is comparable (same bytes decoded per run).
    const scale = fixture.fileBytes / (loops * bytes.length);
    const scaled = { runs: timing.runs.map((t) => t * scale), best: timing.best * scale, median: timing.median * scale };
    rows.push({
      tool: 'stemkit decode only',
      command: `decodeInterleaved() over a ${(bytes.length / 1e6).toFixed(0)} MB in-memory buffer, ${BLOCK}-frame blocks`,
      available: true,
      note: 'no file I/O; context for where stemkit time goes',
      timing: scaled,
    });
  }
  if (!Number.isFinite(sinkAfter)) throw new Error('stemkit produced non-finite samples');

  // --- external tools, timed as whole processes.
  const externals: Array<{ tool: string; cmd: string; args: (file: string) => string[]; versionArg: string }> = [
    { tool: 'ffmpeg → null (s16)', cmd: 'ffmpeg', versionArg: '-version', args: (f) => ['-nostdin', '-v', 'error', '-i', f, '-f', 'null', '-'] },
    {
      tool: 'ffmpeg -threads 1 → null (s16)',
      cmd: 'ffmpeg',
      versionArg: '-version',
      args: (f) => ['-nostdin', '-v', 'error', '-threads', '1', '-i', f, '-threads', '1', '-filter_threads', '1', '-f', 'null', '-'],
    },
    {
      tool: 'ffmpeg → pcm_f32le null',
      cmd: 'ffmpeg',
      versionArg: '-version',
      args: (f) => ['-nostdin', '-v', 'error', '-i', f, '-c:a', 'pcm_f32le', '-f', 'null', '-'],
    },
    {
      tool: 'ffmpeg -threads 1 → pcm_f32le null',
      cmd: 'ffmpeg',
      versionArg: '-version',
      args: (f) => ['-nostdin', '-v', 'error', '-threads', '1', '-i', f, '-threads', '1', '-filter_threads', '1', '-c:a', 'pcm_f32le', '-f', 'null', '-'],
    },
    { tool: 'sox → -n', cmd: 'sox', versionArg: '--version', args: (f) => ['--single-threaded', f, '-n'] },
  ];
  const versions: Record<string, string | null> = {};
  for (const ext of externals) {
    const command = [ext.cmd, ...ext.args('FILE')].join(' ');
    if (!hasCommand(ext.cmd, ext.versionArg)) {
      rows.push({ tool: ext.tool, command, available: false, note: 'not installed' });
      continue;
    }
    versions[ext.cmd] ??= commandVersion(ext.cmd, ext.versionArg);
    if (startup[ext.cmd] === undefined) {
      startup[ext.cmd] = (await timeBest(() => run(ext.cmd, ext.args(tinyPath)), 3, 1)).best;
    }
    rows.push({ tool: ext.tool, command, available: true, timing: await timeBest(() => run(ext.cmd, ext.args(fixture.path)), RUNS, WARMUP) });
  }

  const stemkitRate = mbps(rows[0]!.timing!.best);
  for (const row of rows) {
    if (!row.timing) continue;
    row.seconds = row.timing.best;
    row.mbPerSec = mbps(row.timing.best);
    row.speedVsStemkit = row.mbPerSec / stemkitRate;
  }

  // --- report
  const header = ['tool', 'seconds', 'MB/s', 'vs stemkit'];
  const table = rows.map((r) =>
    r.timing
      ? [r.tool, r.seconds!.toFixed(3), r.mbPerSec!.toFixed(0), `${r.speedVsStemkit!.toFixed(2)}×`]
      : [r.tool, '-', '-', r.note ?? 'not installed'],
  );
  console.log(`\nbest of ${RUNS} after ${WARMUP} warm-up; MB/s = ${fixture.fileBytes} file bytes / s (10^6); "vs stemkit" = tool MB/s ÷ stemkit MB/s`);
  printTable([header, ...table]);
  for (const [cmd, s] of Object.entries(startup)) console.log(`(${cmd} start-up on a 1-frame file: ${(s * 1000).toFixed(0)} ms, included above)`);
  for (const row of rows) if (row.available) console.log(`  ${row.tool}: ${row.command}`);

  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        benchmark: 'decode',
        date: new Date().toISOString(),
        host: hostInfo(),
        fixture: {
          fileBytes: fixture.fileBytes,
          dataBytes: fixture.dataBytes,
          frames: fixture.frames,
          channels: fixture.channels,
          sampleRate: fixture.sampleRate,
          bitDepth: fixture.bitDepth,
          container: 'wav',
        },
        method: { runs: RUNS, warmup: WARMUP, blockFrames: BLOCK, metric: 'fileBytes / best wall seconds / 1e6', externalTimedAsWholeProcess: true },
        toolVersions: versions,
        startupSeconds: startup,
        results: rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${OUT}`);
} finally {
  for (const fn of cleanup) await fn().catch(() => undefined);
}
