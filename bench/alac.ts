/**
 * ALAC speed: stemkit's encoder and decoder (one thread, packets in memory) on 4 minutes of
 * music-like stereo 44.1 kHz at 16 and 24 bit, next to `ffmpeg -c:a alac` encoding and decoding
 * the same audio (whole processes, WAV/CAF from the page cache, start-up included).
 *
 *   npm run bench:alac                         # 240 s, best of 3 after a warm-up
 *   npm run bench:alac -- --seconds 60 --runs 5
 *
 * × real time = seconds of audio / seconds taken, both by wall clock and by CPU time (this
 * process's for stemkit; for ffmpeg its own `-benchmark` utime + stime, start-up excluded). On a
 * shared machine the CPU figures are the steadier ones. Before timing, every stemkit stream is
 * checked: stemkit's decode and ffmpeg's decode of it must both equal the source exactly.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeAlacCaf } from '../src/audio/alac/caf.js';
import { AlacDecoder } from '../src/audio/alac/decoder.js';
import { AlacEncoder } from '../src/audio/alac/encoder.js';
import { fmt, printTable } from './lib/table.js';
import { commandVersion, hasCommand, hostInfo } from './lib/timing.js';
import { wavHeader, writeWavFixture } from './lib/wav-fixture.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '240' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
if (!(SECONDS > 0) || !(RUNS >= 1) || !(WARMUP >= 0)) {
  console.error('usage: bench/alac.ts [--seconds 240] [--runs 3] [--warmup 1] [--out file.json]');
  process.exit(2);
}
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/alac.json'));
const SAMPLE_RATE = 44100;
const FRAME_LENGTH = 4096;

const dir = join(tmpdir(), `stemkit-bench-alac-${process.pid}`);
mkdirSync(dir, { recursive: true });
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
process.once('SIGINT', () => process.exit(130));

/** Planar 24-bit samples of the music-like WAV fixture. */
async function sourceAudio(): Promise<Int32Array[]> {
  const fixture = await writeWavFixture({ dataBytes: Math.round(SECONDS * SAMPLE_RATE) * 6, channels: 2, sampleRate: SAMPLE_RATE, dir });
  const bytes = readFileSync(fixture.path).subarray(44);
  await fixture.remove();
  const planar = [new Int32Array(fixture.frames), new Int32Array(fixture.frames)];
  for (let i = 0, p = 0; i < fixture.frames; i++) {
    for (let ch = 0; ch < 2; ch++, p += 3) planar[ch]![i] = ((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16)) << 8) >> 8;
  }
  return planar;
}

function writeWav(path: string, planar: Int32Array[], bits: 16 | 24): void {
  const frames = planar[0]!.length;
  const bytesPer = bits / 8;
  const data = new Uint8Array(frames * 2 * bytesPer);
  for (let i = 0, p = 0; i < frames; i++) {
    for (let ch = 0; ch < 2; ch++) {
      const v = planar[ch]![i]!;
      for (let b = 0; b < bytesPer; b++) data[p++] = (v >> (8 * b)) & 0xff;
    }
  }
  writeFileSync(path, Buffer.concat([wavHeader(data.length, 2, SAMPLE_RATE, bits), data]));
}

function encodeAll(planar: Int32Array[], bitDepth: number): { packets: Uint8Array[]; cookie: Uint8Array } {
  const encoder = new AlacEncoder({ channels: 2, bitDepth, sampleRate: SAMPLE_RATE, frameLength: FRAME_LENGTH });
  const frames = planar[0]!.length;
  const packets: Uint8Array[] = [];
  for (let at = 0; at < frames; at += FRAME_LENGTH) {
    const n = Math.min(FRAME_LENGTH, frames - at);
    packets.push(encoder.encode([planar[0]!.subarray(at, at + n), planar[1]!.subarray(at, at + n)], n));
  }
  return { packets, cookie: encoder.cookie() };
}

function decodeAll(cookie: Uint8Array, packets: Uint8Array[]): Int32Array[][] {
  const decoder = new AlacDecoder(cookie);
  return packets.map((p) => decoder.decode(p));
}

/** Throws unless the decoded packets equal `planar` sample for sample. */
function checkEqual(what: string, decoded: Int32Array[][], planar: Int32Array[]): void {
  let at = 0;
  for (const block of decoded) {
    for (let ch = 0; ch < 2; ch++) {
      const want = planar[ch]!.subarray(at, at + block[ch]!.length);
      if (!block[ch]!.every((v, i) => v === want[i])) throw new Error(`${what}: differs from the source in the packet at frame ${at}`);
    }
    at += block[0]!.length;
  }
  if (at !== planar[0]!.length) throw new Error(`${what}: ${at} frames decoded of ${planar[0]!.length}`);
}

/** Throws unless ffmpeg decodes `caf` to exactly `planar` (as s32le). */
function checkFfmpegDecode(caf: string, planar: Int32Array[], bitDepth: number): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', caf, '-f', 's32le', '-'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ffmpeg could not decode ${caf}: ${r.stderr}`);
  const got = new Int32Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length / 4);
  const frames = planar[0]!.length;
  const shift = 32 - bitDepth;
  if (got.length !== frames * 2) throw new Error(`ffmpeg decoded ${got.length / 2} frames of ${frames}`);
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < 2; ch++) if (got[2 * i + ch] !== planar[ch]![i]! << shift) throw new Error(`ffmpeg's decode differs from the source at frame ${i}`);
  }
}

/** Best wall-clock and best CPU seconds of `runs` timed runs after `warmup` untimed ones. */
interface Measured {
  wall: number[];
  cpu: number[];
  bestWall: number;
  bestCpu: number;
}

function measure(fn: () => number | void): Measured {
  for (let i = 0; i < WARMUP; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const external = fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push(typeof external === 'number' ? external : (c.user + c.system) / 1e6);
  }
  return { wall, cpu, bestWall: Math.min(...wall), bestCpu: Math.min(...cpu) };
}

/** Runs ffmpeg with -benchmark; returns its own CPU seconds (utime + stime). */
function ffmpegCpu(args: string[]): number {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-nostats', '-benchmark', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(r.stderr);
  if (!m) throw new Error(`no -benchmark line in ffmpeg's output: ${r.stderr.slice(-500)}`);
  return Number(m[1]) + Number(m[2]);
}

interface Row {
  depth: number;
  what: string;
  timing: Measured;
  bytes?: number;
}

const haveFfmpeg = hasCommand('ffmpeg');
console.log(`ALAC bench: ${SECONDS} s stereo ${SAMPLE_RATE} Hz, best of ${RUNS} after ${WARMUP} warm-up${haveFfmpeg ? '' : ' (ffmpeg not installed: stemkit only)'}`);
const source24 = await sourceAudio();
const rows: Row[] = [];
const seconds = source24[0]!.length / SAMPLE_RATE;
const row = (depth: number, what: string, timing: Measured, bytes?: number) => rows.push({ depth, what, timing, ...(bytes === undefined ? {} : { bytes }) });

for (const depth of [16, 24] as const) {
  const planar = depth === 24 ? source24 : source24.map((ch) => ch.map((v) => v >> 8));
  const stream = encodeAll(planar, depth);
  checkEqual(`stemkit ${depth}-bit round trip`, decodeAll(stream.cookie, stream.packets), planar);
  const ours = join(dir, `stemkit-${depth}.caf`);
  writeFileSync(ours, writeAlacCaf({ cookie: stream.cookie, packets: stream.packets, validFrames: planar[0]!.length }));
  if (haveFfmpeg) checkFfmpegDecode(ours, planar, depth);
  const bytes = stream.packets.reduce((n, p) => n + p.length, 0);
  row(depth, 'stemkit encode', measure(() => void encodeAll(planar, depth)), bytes);
  row(depth, 'stemkit decode', measure(() => void decodeAll(stream.cookie, stream.packets)));
  if (!haveFfmpeg) continue;
  const wav = join(dir, `source-${depth}.wav`);
  const theirs = join(dir, `ffmpeg-${depth}.caf`);
  writeWav(wav, planar, depth);
  row(depth, 'ffmpeg -c:a alac encode', measure(() => ffmpegCpu(['-y', '-threads', '1', '-i', wav, '-c:a', 'alac', theirs])), readFileSync(theirs).length);
  row(depth, 'ffmpeg decode (of stemkit CAF)', measure(() => ffmpegCpu(['-threads', '1', '-i', ours, '-f', 'null', '-'])));
}

const table = [['depth', 'what', 'wall s', '× RT wall', 'cpu s', '× RT cpu', 'cpu vs ffmpeg', 'bytes', 'of PCM']];
for (const r of rows) {
  const kind = r.what.split(' ')[1]!;
  const peer = r.what.startsWith('stemkit') ? rows.find((o) => o.depth === r.depth && o.what.startsWith('ffmpeg') && o.what.includes(kind)) : undefined;
  const pcmBytes = seconds * SAMPLE_RATE * 2 * (r.depth / 8);
  table.push([
    `${r.depth}`,
    r.what,
    fmt(r.timing.bestWall, 3),
    fmt(seconds / r.timing.bestWall, 1),
    fmt(r.timing.bestCpu, 3),
    fmt(seconds / r.timing.bestCpu, 1),
    peer ? fmt(peer.timing.bestCpu / r.timing.bestCpu, 2) : '',
    r.bytes === undefined ? '' : `${r.bytes}`,
    r.bytes === undefined ? '' : fmt(r.bytes / pcmBytes, 3),
  ]);
}
printTable(table, 2);
console.log('cpu vs ffmpeg: ffmpeg CPU seconds ÷ stemkit CPU seconds (above 1: stemkit is faster). ffmpeg wall times include process start-up.');
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ host: hostInfo(), ffmpeg: haveFfmpeg ? commandVersion('ffmpeg') : null, seconds, sampleRate: SAMPLE_RATE, rows }, null, 2));
console.log(`results: ${OUT}`);
