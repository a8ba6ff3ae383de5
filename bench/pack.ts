/**
 * `stemkit pack` on the 4-minute, 8-stem bench package (bench/lib/package-fixture.ts), in one run:
 *
 *   1. stemkit pack PKG --for sync-library --out DIR --zip: every stem and the mix at 48k/24, the
 *      instrumental, a cappella and TV mix (each summed from the stems and null-checked), the
 *      delivery checked with its profile, read-me, delivery.json, SHA-256 + MD5 checksums, a
 *      store-only zip;
 *   2. what a user would otherwise script for the copying part alone: cp -r, sha256sum of every
 *      file, zip -0 -r (no versions, no checks);
 *   3. a table: seconds, × real time (package seconds ÷ wall seconds), and the ratio.
 *
 *   npm run bench:pack [-- --minutes 4] [--runs 3] [--runner auto|dist|tsx]
 *
 * Target (issue 12): ≥ 30× real time with all versions and a zip.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePackageFixture } from './lib/package-fixture.js';
import { runMeasured, type ProcResult } from './lib/process.js';
import { chooseRunner, RUNNER_MODES } from './lib/runner.js';
import { fmt, generatingProgress, printTable, verdict } from './lib/table.js';
import { hasCommand, hostInfo } from './lib/timing.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    runner: { type: 'string', default: 'auto' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const MINUTES = Number(args.minutes);
const RUNS = Number(args.runs);
if (args.help || !(MINUTES > 0) || !(RUNS >= 1) || !(RUNNER_MODES as readonly string[]).includes(args.runner!)) {
  console.error('usage: node --import tsx bench/pack.ts [--minutes 4] [--runs 3] [--runner auto|dist|tsx]');
  process.exit(args.help ? 0 : 2);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(tmpdir(), 'stemkit-bench-pack');
const runner = chooseRunner(ROOT, args.runner!, {});
console.log(`runner: ${runner.kind} (${runner.why})`);

mkdirSync(WORK, { recursive: true });
const progress = generatingProgress(process.stdout.isTTY);
const pkg = await ensurePackageFixture({ dir: join(tmpdir(), 'stemkit-bench-check', `pkg-${MINUTES}m`), seconds: MINUTES * 60, onProgress: progress.onProgress });
progress.end();

/** Best of RUNS wall times of `run` (each run starts from an empty output). */
async function best(label: string, run: () => Promise<ProcResult>): Promise<ProcResult> {
  let top: ProcResult | null = null;
  for (let i = 0; i < RUNS; i++) {
    rmSync(join(WORK, 'out'), { recursive: true, force: true });
    rmSync(join(WORK, 'out.zip'), { force: true });
    const r = await run();
    if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
    console.log(`  ${label} run ${i + 1}/${RUNS}: ${r.wallSeconds.toFixed(2)} s, CPU ${fmt(r.cpuSeconds)} s, RSS ${fmt(r.maxRssMB, 0)} MB`);
    if (!top || r.wallSeconds < top.wallSeconds) top = r;
  }
  return top!;
}

const out = join(WORK, 'out');
const pack = await best('stemkit pack', () => runMeasured(process.execPath, [...runner.cli, 'pack', pkg.dir, '--for', 'sync-library', '--out', out, '--zip', '--json'], { node: true, cwd: ROOT }));
const script = `rm -rf "${out}" "${out}.zip" && cp -r "${pkg.dir}" "${out}" && (cd "${out}" && find . -type f -print0 | xargs -0 sha256sum > ../sums.sha256) && (cd "${WORK}" && zip -q -0 -r out.zip out)`;
const baseline = hasCommand('zip', '-v') ? await best('cp + sha256sum + zip -0', () => runMeasured('sh', ['-c', script])) : null;

const seconds = pkg.seconds;
const rows = [
  ['what', 'seconds', '× real time', 'CPU s', 'peak RSS MB'],
  ['stemkit pack --for sync-library --zip (3 versions, checks, read-me, checksums)', fmt(pack.wallSeconds), fmt(seconds / pack.wallSeconds, 1), fmt(pack.cpuSeconds), fmt(pack.maxRssMB, 0)],
  ...(baseline ? [['cp -r + sha256sum + zip -0 (copying only)', fmt(baseline.wallSeconds), fmt(seconds / baseline.wallSeconds, 1), fmt(baseline.cpuSeconds), fmt(baseline.maxRssMB, 0)]] : []),
];
console.log(`\n${pkg.stems.length} stems + mix, ${MINUTES} min, ${pkg.sampleRate} Hz/24-bit, ${(pkg.totalBytes / 1e6).toFixed(0)} MB; ${hostInfo().cpus} cores`);
printTable(rows);
console.log('\ntargets');
console.log(`  pack: ${fmt(seconds / pack.wallSeconds, 1)}× real time (≥ 30×: ${verdict(seconds / pack.wallSeconds >= 30)})`);
if (baseline) console.log(`  pack ÷ copying script: ${fmt(pack.wallSeconds / baseline.wallSeconds)}× the time of a copy that proves nothing`);
