/**
 * `stemkit check` against what an engineer scripts today, on the same package, in one run:
 *
 *   (a) bench/baseline-ffmpeg.sh: per file ffmpeg astats + ebur128=peak=true, then the null test
 *       (amix normalize=0 with the mix inverted, into astats); files one after another;
 *   (b) `stemkit check DIR --json` through the CLI (node dist/cli/main.js after `npm run build`,
 *       or node --import tsx src/cli/main.ts when the build fails: the report says which);
 *   (c) stemkit only reading and decoding the 9 files (openAudio + read() blocks, sequentially,
 *       one thread, in a child process started the same way as (b)): the floor for (b);
 *   (d) sox for reference (per file `sox F -n stats`, then `sox -m` of the stems and the inverted
 *       mix into stats): no loudness, no true peak.
 *
 * for a 4-minute and a 60-minute package (bench/lib/package-fixture.ts), with wall seconds, CPU
 * seconds and peak RSS (GNU time -v when installed, else the child's own resource usage).
 *
 *   npm run bench:check                   # 4 and 60 minutes (60 min: ≈ 9.3 GB on disk, ~15 min)
 *   npm run bench:check -- --skip-60      # only the short package
 *   npm run bench:check -- --cpu-prof     # also profile one check run, print the hottest functions
 *
 * Writes bench/results/check.json. Packages live in os.tmpdir()/stemkit-bench-check/ and are
 * removed at the end unless --keep (an identical kept package is reused, not regenerated).
 */
import { mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePackageFixture, packageFiles, removePackageFixture, type PackageFixture } from './lib/package-fixture.js';
import { hasGnuTime, runMeasured as runProcess, type ProcResult, type RunOptions } from './lib/process.js';
import { printHotFunctions, summarizeProfiles } from './lib/profile.js';
import { chooseRunner, relativeArgs, RUNNER_MODES, type Runner } from './lib/runner.js';
import { fmt, generatingProgress, printTable, verdict } from './lib/table.js';
import { commandVersion, hasCommand, hostInfo } from './lib/timing.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '4' },
    'long-minutes': { type: 'string', default: '60' },
    'skip-60': { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    'long-runs': { type: 'string', default: '1' },
    'pkg-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    runner: { type: 'string', default: 'auto' },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE =
  'usage: node --import tsx bench/check.ts [--minutes 4] [--long-minutes 60] [--skip-60] [--runs 3] [--long-runs 1]\n' +
  '         [--runner auto|dist|tsx] [--pkg-dir DIR] [--keep] [--cpu-prof] [--out FILE]';
const SHORT_MIN = Number(args.minutes);
const LONG_MIN = Number(args['long-minutes']);
const RUNS = Number(args.runs);
const LONG_RUNS = Number(args['long-runs']);
if (args.help || !(SHORT_MIN > 0) || !(LONG_MIN > 0) || !(RUNS >= 1) || !(LONG_RUNS >= 1) || !(RUNNER_MODES as readonly string[]).includes(args.runner!)) {
  console.error(USAGE);
  process.exit(args.help ? 0 : 2);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/check.json'));
const PKG_BASE = resolve(args['pkg-dir'] ?? join(tmpdir(), 'stemkit-bench-check'));
const BASELINE = join(ROOT, 'bench/baseline-ffmpeg.sh');

// ------------------------------------------------------------------------------------------------
// Child processes (bench/lib/process.ts), from the project root

const runMeasured = (cmd: string, argv: string[], options: RunOptions = {}) => runProcess(cmd, argv, { cwd: ROOT, ...options });

// ------------------------------------------------------------------------------------------------
// The four contenders

type ToolId = 'baseline' | 'check' | 'decode' | 'sox';

interface ToolRun {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMB: number | null;
}

interface ToolResult {
  tool: ToolId;
  label: string;
  command: string;
  available: boolean;
  note?: string;
  runs: ToolRun[];
  /** The fastest run. */
  best?: ToolRun;
  rssSource?: string | null;
  /** What the tool reported, for the record (parsed numbers or a summary). */
  output?: unknown;
}

function pickBest(runs: ToolRun[]): ToolRun {
  return [...runs].sort((a, b) => a.wallSeconds - b.wallSeconds)[0]!;
}

const DECODE_SCRIPT = `
const { openAudio } = await import(process.env.STEMKIT_BENCH_OPEN);
const files = JSON.parse(process.env.STEMKIT_BENCH_FILES);
const BLOCK = 65536;
const t0 = performance.now();
let frames = 0, sink = 0, into = null;
for (const file of files) {
  const source = await openAudio(file);
  const { channels, frames: n } = source.format;
  if (!into || into.length !== channels) into = Array.from({ length: channels }, () => new Float32Array(BLOCK));
  for (let at = 0; at < n; at += BLOCK) {
    const out = await source.read(at, Math.min(BLOCK, n - at), into);
    sink += out[0][0];
  }
  frames += n;
  await source.close();
}
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, frames, finite: Number.isFinite(sink) }));
`;

/** (c): the package's files decoded in a node child, one after another. */
function decodeOnly(pkg: PackageFixture, runner: Runner<'open'>): Promise<ProcResult> {
  return runMeasured('node', [...runner.nodeFlags, '--input-type=module', '-e', DECODE_SCRIPT], {
    node: true,
    env: { STEMKIT_BENCH_OPEN: runner.modules.open, STEMKIT_BENCH_FILES: JSON.stringify(pkg.files) },
  });
}

interface BaselineRow {
  file: string;
  integratedLufs: number;
  lraLu: number;
  truePeakDbtp: number;
  maxMomentary: number;
  maxShortTerm: number;
  samplePeakDb: number;
  rmsDb: number;
}

function parseBaseline(stdout: string): { rows: BaselineRow[]; nullLine: string | null } {
  const rows: BaselineRow[] = [];
  let nullLine: string | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('null test')) nullLine = line.trim();
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[0] === 'file') continue;
    const num = (s: string) => (s === '-inf' ? -Infinity : Number(s));
    rows.push({
      file: f[0]!,
      integratedLufs: num(f[1]!),
      lraLu: num(f[2]!),
      truePeakDbtp: num(f[3]!),
      maxMomentary: num(f[4]!),
      maxShortTerm: num(f[5]!),
      samplePeakDb: num(f[6]!),
      rmsDb: num(f[7]!),
    });
  }
  return { rows, nullLine };
}

interface CheckFile {
  path: string;
  measure?: { integratedLufs?: number | null; truePeakDbtp?: number | null; samplePeakDbfs?: number | null; loudnessRangeLu?: number | null };
}
interface CheckReport {
  ok: boolean;
  stems: CheckFile[];
  mix: CheckFile | null;
  null?: { residualPeakDbfs: number | null; residualRmsDbfs: number | null; passed: boolean } | null;
  findings?: Array<{ severity: string; rule: string }>;
  elapsedMs?: number;
}

/** One contender: its row, and how to run it once (adding to row.runs). */
interface Contender {
  row: ToolResult;
  once?: () => Promise<void>;
}

/**
 * Runs every available tool once per round, `runs` rounds: interleaved rather than all runs of one
 * tool back to back, so a load change on a shared machine hits every tool alike.
 */
async function measurePackage(pkg: PackageFixture, runner: Runner<'open'>, runs: number): Promise<ToolResult[]> {
  const rel = (p: string) => relative(pkg.dir, p);
  const record = (r: ToolResult, p: ProcResult) => {
    r.runs.push({ wallSeconds: p.wallSeconds, cpuSeconds: p.cpuSeconds, maxRssMB: p.maxRssMB });
    r.rssSource = p.rssSource;
  };
  const contenders: Contender[] = [];

  // (a) ffmpeg baseline script
  {
    const row: ToolResult = { tool: 'baseline', label: 'ffmpeg baseline script', command: `bash bench/baseline-ffmpeg.sh DIR`, available: hasCommand('ffmpeg'), runs: [] };
    if (!row.available) row.note = 'not installed';
    contenders.push({
      row,
      ...(row.available && {
        once: async () => {
          const p = await runMeasured('bash', [BASELINE, pkg.dir]);
          if (p.code !== 0) throw new Error(`baseline-ffmpeg.sh exited with ${p.code}: ${p.stderr.slice(0, 2000)}`);
          record(row, p);
          row.output = { text: p.stdout, ...parseBaseline(p.stdout) };
        },
      }),
    });
  }

  // (b) stemkit check --json
  {
    const row: ToolResult = {
      tool: 'check',
      label: 'stemkit check --json',
      command: `node ${relativeArgs(ROOT, runner.cli).join(' ')} check DIR --json`,
      available: true,
      runs: [],
    };
    contenders.push({
      row,
      once: async () => {
        const p = await runMeasured('node', [...runner.cli, 'check', pkg.dir, '--json'], { node: true });
        if (p.code !== 0 && p.code !== 1) throw new Error(`stemkit check exited with ${p.code}: ${p.stderr.slice(0, 2000)}`);
        const report = JSON.parse(p.stdout) as CheckReport;
        record(row, p);
        row.output = {
          exitCode: p.code,
          ok: report.ok,
          elapsedMs: report.elapsedMs ?? null,
          null: report.null ?? null,
          findings: (report.findings ?? []).map((f) => `${f.severity} ${f.rule}`),
          files: [...report.stems, ...(report.mix ? [report.mix] : [])].map((f) => ({
            file: rel(f.path),
            integratedLufs: f.measure?.integratedLufs ?? null,
            truePeakDbtp: f.measure?.truePeakDbtp ?? null,
            samplePeakDbfs: f.measure?.samplePeakDbfs ?? null,
            loudnessRangeLu: f.measure?.loudnessRangeLu ?? null,
          })),
        };
      },
    });
  }

  // (c) stemkit decode only
  {
    const row: ToolResult = {
      tool: 'decode',
      label: 'stemkit decode only (9 files)',
      command: `node ${runner.nodeFlags.join(' ')} --input-type=module -e '<openAudio(f) + read(at, 65536, into) for each file in turn>'`.replace(/\s+/g, ' '),
      available: true,
      runs: [],
    };
    contenders.push({
      row,
      once: async () => {
        const p = await decodeOnly(pkg, runner);
        if (p.code !== 0) throw new Error(`decode-only child exited with ${p.code}: ${p.stderr.slice(0, 2000)}`);
        record(row, p);
        row.output = JSON.parse(p.stdout);
      },
    });
  }

  // (d) sox, for reference
  {
    const mixArgs = pkg.stems.flatMap((s) => ['-v', '1', s]).concat(['-v', '-1', pkg.mix]);
    const script =
      `set -e; for f in ${pkg.files.map((f) => `'${f}'`).join(' ')}; do sox "$f" -n stats 2>&1; done; ` +
      `sox -m ${mixArgs.map((a) => `'${a}'`).join(' ')} -n stats 2>&1`;
    const row: ToolResult = {
      tool: 'sox',
      label: 'sox stats + null (reference)',
      command: 'for f in FILES; do sox $f -n stats; done; sox -m -v 1 STEM … -v -1 MIX -n stats',
      available: hasCommand('sox', '--version'),
      runs: [],
    };
    if (!row.available) row.note = 'not installed';
    contenders.push({
      row,
      ...(row.available && {
        once: async () => {
          const p = await runMeasured('bash', ['-c', script]);
          if (p.code !== 0) throw new Error(`sox exited with ${p.code}: ${p.stdout.slice(-2000)}`);
          record(row, p);
          const blocks = p.stdout.split(/(?=\s+Overall\s+Left)/);
          const last = blocks[blocks.length - 1] ?? '';
          const pk = /Pk lev dB\s+(\S+)/.exec(last)?.[1] ?? '?';
          const rms = /RMS lev dB\s+(\S+)/.exec(last)?.[1] ?? '?';
          row.output = { nullResidualPeakDb: pk, nullResidualRmsDb: rms };
        },
      }),
    });
  }

  for (let round = 0; round < runs; round++) {
    for (const c of contenders) {
      if (!c.once) continue;
      if (process.stdout.isTTY) process.stdout.write(`  round ${round + 1}/${runs}: ${c.row.label} …`.padEnd(64) + '\r');
      await c.once();
    }
  }
  if (process.stdout.isTTY) process.stdout.write(`${' '.repeat(64)}\r`);
  const results = contenders.map((c) => c.row);
  for (const r of results) if (r.runs.length) r.best = pickBest(r.runs);
  return results;
}

// ------------------------------------------------------------------------------------------------
// Report

function printResults(title: string, results: ToolResult[]): void {
  const check = results.find((r) => r.tool === 'check')?.best;
  const header = ['tool', 'wall s', 'CPU s', 'peak RSS MB', 'wall ÷ check', 'CPU ÷ check'];
  const ratio = (a: number | null, b: number | null | undefined) => (a !== null && b ? `${(a / b).toFixed(2)}×` : '-');
  const rows = results.map((r) =>
    r.best
      ? [r.label, fmt(r.best.wallSeconds), fmt(r.best.cpuSeconds), fmt(r.best.maxRssMB, 0), ratio(r.best.wallSeconds, check?.wallSeconds), ratio(r.best.cpuSeconds, check?.cpuSeconds)]
      : [r.label, '-', '-', '-', r.note ?? 'not installed', ''],
  );
  console.log(`\n${title}`);
  printTable([header, ...rows]);
}

function crossCheck(results: ToolResult[]): { maxAbsDeltaI: number; maxAbsDeltaTp: number; files: number } | null {
  const base = (results.find((r) => r.tool === 'baseline')?.output as { rows?: BaselineRow[] } | undefined)?.rows;
  const mine = (results.find((r) => r.tool === 'check')?.output as { files?: Array<{ file: string; integratedLufs: number | null; truePeakDbtp: number | null }> } | undefined)?.files;
  if (!base || !mine) return null;
  let dI = 0;
  let dTp = 0;
  let files = 0;
  for (const b of base) {
    const m = mine.find((f) => f.file === b.file);
    if (!m || m.integratedLufs === null || m.truePeakDbtp === null) continue;
    files++;
    dI = Math.max(dI, Math.abs(m.integratedLufs - b.integratedLufs));
    dTp = Math.max(dTp, Math.abs(m.truePeakDbtp - b.truePeakDbtp));
  }
  return { maxAbsDeltaI: Math.round(dI * 100) / 100, maxAbsDeltaTp: Math.round(dTp * 100) / 100, files };
}

// ------------------------------------------------------------------------------------------------
// Main

const runner = chooseRunner(ROOT, args.runner!, { open: 'audio/open' });
console.log(`stemkit runs as: ${runner.kind} (${runner.why})`);
console.log(`peak RSS from: ${hasGnuTime ? 'GNU time -v' : 'process.resourceUsage() in node children; /proc VmHWM polling for others'}`);

interface SizeResult {
  minutes: number;
  runs: number;
  package: Omit<PackageFixture, 'generated' | 'generateSeconds'> & { generated: boolean; generateSeconds: number };
  results: ToolResult[];
  ratios: { baselineOverCheck: number | null; checkOverDecode: number | null };
  crossCheck: ReturnType<typeof crossCheck>;
}

const sizes = args['skip-60'] ? [SHORT_MIN] : [SHORT_MIN, LONG_MIN];
const created: string[] = [];
const bySize: SizeResult[] = [];
let profile: ReturnType<typeof summarizeProfiles> | null = null;
process.once('SIGINT', () => process.exit(130));
// Last resort (uncaught errors, Ctrl-C): remove the packages synchronously.
process.once('exit', () => {
  if (args.keep) return;
  for (const dir of created) {
    for (const file of [...packageFiles(dir), join(dir, 'fixture.json')]) rmSync(file, { force: true });
    // Writers interrupted mid-file leave their hidden temp files (.NAME.PID-XXXX.stemkit-tmp).
    try {
      for (const f of readdirSync(join(dir, 'stems'))) if (f.endsWith('.stemkit-tmp')) rmSync(join(dir, 'stems', f), { force: true });
      for (const f of readdirSync(dir)) if (f.endsWith('.stemkit-tmp')) rmSync(join(dir, f), { force: true });
    } catch {
      // gone
    }
    for (const d of [join(dir, 'stems'), dir, PKG_BASE]) {
      try {
        rmdirSync(d);
      } catch {
        // not empty or gone
      }
    }
  }
});

try {
  for (const minutes of sizes) {
    const dir = join(PKG_BASE, `pkg-${minutes}m`);
    console.log(`\n== ${minutes}-minute package: ${dir}`);
    const progress = generatingProgress(minutes >= 20);
    const pkg = await ensurePackageFixture({ dir, seconds: minutes * 60, onProgress: progress.onProgress });
    progress.end();
    if (!args.keep) created.push(dir);
    console.log(
      `  ${pkg.generated ? `generated in ${pkg.generateSeconds.toFixed(1)} s` : 'reused (identical package kept earlier)'}: ` +
        `${pkg.files.length} files, ${(pkg.totalBytes / 1e9).toFixed(2)} GB, 48 kHz/24-bit stereo`,
    );
    const runs = minutes === SHORT_MIN ? RUNS : LONG_RUNS;
    // Warm the page cache the same way for everyone: one untimed decode pass.
    await decodeOnly(pkg, runner);
    const results = await measurePackage(pkg, runner, runs);
    const get = (id: ToolId) => results.find((r) => r.tool === id)?.best ?? null;
    const check = get('check');
    const base = get('baseline');
    const decode = get('decode');
    const ratios = {
      baselineOverCheck: base && check ? base.wallSeconds / check.wallSeconds : null,
      checkOverDecode: decode && check ? check.wallSeconds / decode.wallSeconds : null,
    };
    printResults(`${minutes}-minute package, best of ${runs}:`, results);
    const cc = crossCheck(results);
    const baselineOut = results.find((r) => r.tool === 'baseline')?.output as { nullLine?: string | null; rows?: BaselineRow[] } | undefined;
    const checkOut = results.find((r) => r.tool === 'check')?.output as { ok: boolean; null: CheckReport['null']; findings: string[]; elapsedMs: number | null };
    const soxOut = results.find((r) => r.tool === 'sox')?.output as { nullResidualPeakDb: string } | undefined;
    const mixRow = baselineOut?.rows?.find((r) => r.file === 'mix.wav');
    if (mixRow) console.log(`  ffmpeg found for mix.wav: I ${mixRow.integratedLufs} LUFS, LRA ${mixRow.lraLu} LU, TP ${mixRow.truePeakDbtp} dBTP; ${baselineOut?.nullLine ?? ''}`);
    console.log(
      `  stemkit check: ok=${checkOut.ok}, null test ${checkOut.null?.passed ? 'passed' : 'FAILED'} (residual peak ${checkOut.null?.residualPeakDbfs ?? '-inf'} dBFS), ` +
        `${checkOut.findings.length} finding(s)${checkOut.findings.length ? `: ${[...new Set(checkOut.findings)].join(', ')}` : ''}; its own elapsedMs ${checkOut.elapsedMs ?? '?'}`,
    );
    if (cc) console.log(`  stemkit vs ffmpeg on ${cc.files} files: max |ΔI| ${cc.maxAbsDeltaI} LU, max |ΔTP| ${cc.maxAbsDeltaTp} dB`);
    if (soxOut) console.log(`  sox null residual peak: ${soxOut.nullResidualPeakDb} dB`);
    bySize.push({ minutes, runs, package: { ...pkg }, results, ratios, crossCheck: cc });
  }

  if (args['cpu-prof']) {
    const dir = join(dirname(OUT), 'check-cpuprof');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const pkgDir = join(PKG_BASE, `pkg-${SHORT_MIN}m`);
    const p = await runMeasured('node', [`--cpu-prof`, `--cpu-prof-dir=${dir}`, ...runner.cli, 'check', pkgDir, '--json'], { node: true });
    if (p.code !== 0 && p.code !== 1) throw new Error(`profiled check exited with ${p.code}: ${p.stderr.slice(0, 2000)}`);
    profile = summarizeProfiles(dir, ROOT, runner.kind === 'dist', 12);
    console.log(`\nCPU profile of one check run (${SHORT_MIN} min, all threads, ${profile.totalMs - profile.idleMs} ms busy; profiles in ${relative(ROOT, dir)}):`);
    printHotFunctions(profile.functions);
  }

  // --- targets
  const short = bySize.find((s) => s.minutes === SHORT_MIN)!;
  const long = bySize.find((s) => s.minutes === LONG_MIN && s !== short) ?? null;
  const rssShort = short.results.find((r) => r.tool === 'check')?.best?.maxRssMB ?? null;
  const rssLong = long?.results.find((r) => r.tool === 'check')?.best?.maxRssMB ?? null;
  const rssGrowth = rssShort && rssLong ? rssLong / rssShort - 1 : null;
  console.log('\ntargets');
  for (const s of bySize) {
    const { baselineOverCheck: bc, checkOverDecode: cd } = s.ratios;
    console.log(`  ${String(s.minutes).padStart(3)} min: baseline ÷ check ${bc ? `${bc.toFixed(2)}×` : 'n/a (ffmpeg not installed)'} (≥ 5×: ${verdict(bc === null ? null : bc >= 5)}), check ÷ decode-only ${cd ? `${cd.toFixed(2)}×` : 'n/a'} (≤ 2×: ${verdict(cd === null ? null : cd <= 2)})`);
  }
  if (rssGrowth !== null) {
    console.log(`  check peak RSS ${fmt(rssShort, 0)} MB at ${SHORT_MIN} min, ${fmt(rssLong, 0)} MB at ${LONG_MIN} min: ${rssGrowth >= 0 ? '+' : ''}${(100 * rssGrowth).toFixed(1)} % (≤ 15 %: ${verdict(rssGrowth <= 0.15)})`);
  } else console.log(`  check peak RSS ${fmt(rssShort, 0)} MB at ${SHORT_MIN} min (60-minute comparison skipped)`);

  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        benchmark: 'check',
        date: new Date().toISOString(),
        host: hostInfo(),
        toolVersions: { ffmpeg: commandVersion('ffmpeg'), sox: commandVersion('sox', '--version') },
        runner: { kind: runner.kind, why: runner.why, cli: relativeArgs(ROOT, runner.cli) },
        rssMethod: hasGnuTime ? 'GNU time -v' : 'process.resourceUsage() in node children; VmHWM polling otherwise',
        method: { timed: 'whole child processes from spawn to exit, page cache warmed by one untimed decode pass', best: 'fastest run of --runs' },
        sizes: bySize.map((s) => ({
          ...s,
          package: { dir: s.package.dir, seconds: s.package.seconds, files: s.package.files.length, totalBytes: s.package.totalBytes, generated: s.package.generated, generateSeconds: s.package.generateSeconds, peakDbfs: s.package.peakDbfs },
        })),
        targets: {
          baselineOverCheck: { target: '>= 5', values: Object.fromEntries(bySize.map((s) => [`${s.minutes}min`, s.ratios.baselineOverCheck])) },
          checkOverDecode: { target: '<= 2', values: Object.fromEntries(bySize.map((s) => [`${s.minutes}min`, s.ratios.checkOverDecode])) },
          checkRssGrowth: { target: '<= 0.15', shortMB: rssShort, longMB: rssLong, growth: rssGrowth },
        },
        cpuProfile: profile,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${relative(ROOT, OUT)}${args.keep ? `; packages kept in ${PKG_BASE}` : ''}`);
} finally {
  if (!args.keep) {
    for (const dir of created) await removePackageFixture(dir).catch(() => undefined);
    created.length = 0;
    try {
      rmdirSync(PKG_BASE);
    } catch {
      // not empty (other packages kept there) or gone
    }
  }
}
