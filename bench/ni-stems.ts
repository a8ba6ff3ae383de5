/**
 * Encoding an NI Stems file (.stem.mp4: the mix and 4 stems, 5 stereo tracks) from the 4-minute
 * bench package, in one run, side by side with what a user would otherwise run:
 *
 *   1. stemkit's writeNiStems, AAC 256 kb/s with stemkit's own encoder (the default: segments of the
 *      5 tracks on a worker pool), with native ffmpeg's encoder (5 processes fed in lockstep), with the
 *      wasm encoder (5 worker threads), and ALAC (stemkit's encoder);
 *   2. ffmpeg muxing the same 5 WAVs into one MP4: `-c:a aac -b:a 256k` and `-c:a alac`
 *      (no stem box, no edit-list care, no check: the baseline the ratio is to).
 *
 * The 4 groups and the mix come from `stemkit pack --for ni-stems` (untimed), as the CLI does.
 *
 *   npm run bench:ni-stems [-- --minutes 4] [--runs 2]
 *
 * Target (issue 13): ≥ 20× real time for the 5 tracks.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNodeKernels } from '../src/engine/kernels.js';
import { openAudio } from '../src/audio/open.js';
import { packDelivery } from '../src/pack/pack.js';
import { resolveRecipient } from '../src/pack/recipients.js';
import { writeNiStems, type NiStemsOptions } from '../src/pack/ni-stems.js';
import { ensurePackageFixture } from './lib/package-fixture.js';
import { fmt, generatingProgress, printTable, verdict } from './lib/table.js';
import { hasCommand, hostInfo, run, timeBest } from './lib/timing.js';

const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '4' }, runs: { type: 'string', default: '2' } } });
const MINUTES = Number(args.minutes);
const RUNS = Number(args.runs);
await loadNodeKernels();

const WORK = join(tmpdir(), 'stemkit-bench-ni');
mkdirSync(WORK, { recursive: true });
const progress = generatingProgress(process.stdout.isTTY);
const pkg = await ensurePackageFixture({ dir: join(tmpdir(), 'stemkit-bench-check', `pkg-${MINUTES}m`), seconds: MINUTES * 60, onProgress: progress.onProgress });
progress.end();
const groupsDir = join(WORK, 'groups');
rmSync(groupsDir, { recursive: true, force: true });
const delivery = await packDelivery(pkg.dir, { recipient: await resolveRecipient('ni-stems'), outDir: groupsDir });
const files = [delivery.files.find((f) => f.kind === 'mix')!, ...delivery.files.filter((f) => f.kind === 'group')].map((f) => join(groupsDir, f.file));
const seconds = MINUTES * 60;

async function stemkit(options: NiStemsOptions, out = join(WORK, 'out.stem.mp4')): Promise<void> {
  const sources = await Promise.all(files.map((f) => openAudio(f)));
  rmSync(out, { force: true });
  try {
    await writeNiStems(out, sources[0]!, sources.slice(1), options);
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}

function ffmpegMux(codec: string[], out = join(WORK, 'ffmpeg.mp4')): () => Promise<void> {
  const inputs = files.flatMap((f) => ['-i', f]);
  const maps = files.flatMap((_, i) => ['-map', `${i}:a`]);
  return () => run('ffmpeg', ['-v', 'error', '-y', ...inputs, ...maps, ...codec, out]);
}

/** Waveform error of each decoded track against its source at lag 0 (both MP4s trim the priming by edit list), and its bitrate. */
async function trackErrors(mp4: string): Promise<{ db: number; kbps: number }[]> {
  const { execFileSync } = await import('node:child_process');
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', mp4]).toString()) as { streams: { bit_rate: string }[] };
  const out: { db: number; kbps: number }[] = [];
  for (const [i, file] of files.entries()) {
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', mp4, '-map', `0:a:${i}`, '-f', 'f32le', '-'], { maxBuffer: 1 << 30 });
    const decoded = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const source = await openAudio(file);
    let error = 0;
    let power = 0;
    for (let at = 0; at < source.format.frames; at += 1 << 16) {
      const block = await source.read(at, Math.min(1 << 16, source.format.frames - at));
      for (let c = 0; c < 2; c++) {
        for (let k = 0; k < block[c]!.length; k++) {
          const x = block[c]![k]!;
          error += (x - (decoded[(at + k) * 2 + c] ?? 0)) ** 2;
          power += x * x;
        }
      }
    }
    await source.close();
    out.push({ db: 10 * Math.log10(error / power), kbps: Number(probe.streams[i]!.bit_rate) / 1000 });
  }
  return out;
}

const rows = [['what', 'seconds (best)', '× real time', 'ratio to ffmpeg']];
const results: { label: string; best: number; baseline?: string }[] = [];
const have = hasCommand('ffmpeg');
const measure = async (label: string, fn: () => Promise<void>, baseline?: string) => {
  const t = await timeBest(fn, RUNS, 0);
  console.log(`  ${label}: ${t.runs.map((x) => x.toFixed(2)).join(', ')} s`);
  results.push({ label, best: t.best, ...(baseline ? { baseline } : {}) });
};
if (have) await measure('ffmpeg -c:a aac -b:a 256k (5 inputs, one mp4)', ffmpegMux(['-c:a', 'aac', '-b:a', '256k']));
if (have) await measure('ffmpeg -c:a alac (5 inputs, one mp4)', ffmpegMux(['-c:a', 'alac']));
await measure('stemkit AAC, its own encoder (default)', () => stemkit({}), have ? 'ffmpeg -c:a aac -b:a 256k (5 inputs, one mp4)' : undefined);
if (have) await measure('stemkit AAC, native ffmpeg encoder', () => stemkit({ aacEncoder: 'ffmpeg' }), 'ffmpeg -c:a aac -b:a 256k (5 inputs, one mp4)');
if (have) await measure('stemkit AAC, native ffmpeg, --aac-coder fast', () => stemkit({ aacEncoder: 'ffmpeg', aacCoder: 'fast' }), 'ffmpeg -c:a aac -b:a 256k (5 inputs, one mp4)');
await measure('stemkit AAC, wasm encoder', () => stemkit({ aacEncoder: 'wasm' }), 'ffmpeg -c:a aac -b:a 256k (5 inputs, one mp4)');
await measure('stemkit ALAC', () => stemkit({ codec: 'alac' }), 'ffmpeg -c:a alac (5 inputs, one mp4)');
for (const r of results) {
  const base = results.find((b) => b.label === r.baseline);
  rows.push([r.label, fmt(r.best), fmt(seconds / r.best, 1), base ? `${fmt(base.best / r.best)}× ffmpeg's speed` : '']);
}
console.log(`\n5 stereo tracks of ${MINUTES} min at 44.1 kHz (mix + 4 groups); ${hostInfo().cpus} cores, ${process.version}`);
printTable(rows);
// The target is the default's; FFmpeg's encoder cannot reach it on 2 cores (bench/README.md says why).
const defaultRow = results.find((x) => x.label === 'stemkit AAC, its own encoder (default)')!;
console.log(`target: ${defaultRow.label}: ${fmt(seconds / defaultRow.best, 1)}× real time (≥ 20×: ${verdict(seconds / defaultRow.best >= 20)})`);

// Accuracy, untimed: each track's waveform error at lag 0 as FFmpeg decodes it, stemkit's encoder vs FFmpeg's, both 256 kb/s.
if (have) {
  const ours = join(WORK, 'quality-stemkit.stem.mp4');
  const theirs = join(WORK, 'quality-ffmpeg.mp4');
  await stemkit({}, ours);
  await ffmpegMux(['-c:a', 'aac', '-b:a', '256k'], theirs)();
  const [a, b] = [await trackErrors(ours), await trackErrors(theirs)];
  const names = ['mix', ...delivery.files.filter((f) => f.kind === 'group').map((f) => f.file.replace(/^.*_|\.wav$/g, ''))];
  const table = [['track', 'stemkit error (dB)', 'stemkit kb/s', 'ffmpeg -c:a aac error (dB)', 'ffmpeg kb/s']];
  names.forEach((name, i) => table.push([name, fmt(a[i]!.db, 1), fmt(a[i]!.kbps, 0), fmt(b[i]!.db, 1), fmt(b[i]!.kbps, 0)]));
  console.log('\nwaveform error at lag 0 against the source (lower is closer), AAC 256 kb/s asked:');
  printTable(table);
}
