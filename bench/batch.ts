/**
 * `stemkit batch` throughput, side by side in one run, on generated packages (test/helpers/catalogue.ts):
 *
 *   (a) a shell loop of `stemkit check DIR --json > /dev/null`, one process per package (what a user scripts today);
 *   (b) `stemkit batch ROOT --out R` embedded (one process, --jobs = cores, a shared worker pool);
 *   (c) `stemkit batch ROOT --out R --queue redis://…` with 1, 2, 3 `stemkit worker` processes already
 *       running (a private redis-server on a free port), timed from enqueue to the last collected result;
 *   (d) the queue's overhead per job on tiny packages: (queue, 1 worker) − (embedded, --jobs 1), per package;
 *   (e) the content hash alone (SHA-256 of the packages' bytes, in process), MB/s.
 *
 *   npm run bench:batch                          # 24 packages × 8 s × 4 stems, 100 tiny ones
 *   npm run bench:batch -- --packages 40 --seconds 10 --tiny 200 --runner tsx
 *
 * Writes bench/results/batch.json. Packages live in os.tmpdir()/stemkit-bench-batch/ (removed at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { contentHash } from '../src/batch/content-hash.js';
import { writeCatalogue } from '../test/helpers/catalogue.js';
import { startRedis } from '../test/helpers/redis.js';
import { chooseRunner, RUNNER_MODES } from './lib/runner.js';
import { fmt, printTable } from './lib/table.js';
import { hostInfo } from './lib/timing.js';

const { values: args } = parseArgs({
  options: {
    packages: { type: 'string', default: '24' },
    seconds: { type: 'string', default: '8' },
    stems: { type: 'string', default: '4' },
    tiny: { type: 'string', default: '100' },
    runner: { type: 'string', default: 'auto' },
    out: { type: 'string' },
  },
});
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/batch.json'));
const BASE = join(tmpdir(), 'stemkit-bench-batch');
if (!(RUNNER_MODES as readonly string[]).includes(args.runner!)) throw new Error(`--runner ${args.runner}: one of ${RUNNER_MODES.join(', ')}`);
const runner = chooseRunner(ROOT, args.runner!, {});

function exec(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('exit', () => resolveRun((performance.now() - began) / 1000));
  });
}

function shellLoop(dirs: string[]): Promise<number> {
  const cli = [process.execPath, ...runner.cli].map((a) => JSON.stringify(a)).join(' ');
  const script = `for d in ${dirs.map((d) => JSON.stringify(d)).join(' ')}; do ${cli} check "$d" --json > /dev/null; done`;
  return new Promise((resolveRun, reject) => {
    const began = performance.now();
    const child = spawn('bash', ['-c', script], { cwd: ROOT, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolveRun((performance.now() - began) / 1000));
  });
}

async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: n }, () => spawn(process.execPath, [...runner.cli, 'worker', '--queue', url], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] }));
  // Ready when each has said it takes jobs (its sandboxed processes start on the first job, inside the timing: that is real).
  await Promise.all(workers.map((w) => new Promise<void>((ok) => w.stderr!.on('data', (d: Buffer) => /taking jobs/.test(String(d)) && ok()))));
  return workers;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise<void>((ok) => (w.once('exit', () => ok()), process.kill(-w.pid!, 'SIGTERM')))));
}

async function queueRun(root: string, n: number, tag: string): Promise<number> {
  const redis = await startRedis();
  const workers = await startWorkers(redis.url, n);
  try {
    return await exec([...runner.cli, 'batch', root, '--out', join(BASE, `out-${tag}`), '--queue', redis.url, '--json']);
  } finally {
    await stopWorkers(workers);
    await redis.dispose();
  }
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath ?? e.path, e.name)).size;
  return total;
}

rmSync(BASE, { recursive: true, force: true });
mkdirSync(BASE, { recursive: true });
try {
  const count = Number(args.packages);
  const seconds = Number(args.seconds);
  const stems = Number(args.stems);
  console.log(`runner: ${runner.kind} (${runner.why}); generating ${count} packages of ${seconds} s × ${stems} stems and ${args.tiny} tiny ones …`);
  const main = join(BASE, 'catalogue');
  const dirs = await writeCatalogue(main, count, { seconds, stems });
  const tinyRoot = join(BASE, 'tiny');
  await writeCatalogue(tinyRoot, Number(args.tiny), { seconds: 0.25, stems: 2 });
  const mainBytes = bytesUnder(main);

  const hashBegan = performance.now();
  for (const d of dirs) await contentHash(d);
  const hashSeconds = (performance.now() - hashBegan) / 1000;

  const loop = await shellLoop(dirs);
  const embedded = await exec([...runner.cli, 'batch', main, '--out', join(BASE, 'out-embedded'), '--json']);
  const queue = [];
  for (const n of [1, 2, 3]) queue.push({ workers: n, seconds: await queueRun(main, n, `q${n}`) });
  const tinyEmbedded = await exec([...runner.cli, 'batch', tinyRoot, '--out', join(BASE, 'out-tiny-e'), '--jobs', '1', '--json']);
  const tinyQueue = await queueRun(tinyRoot, 1, 'tiny-q');
  const tinyCount = Number(args.tiny);
  const overheadMs = ((tinyQueue - tinyEmbedded) / tinyCount) * 1000;

  const rate = (s: number) => count / s;
  const rows = [
    ['contender', 'seconds', 'packages/s', 'vs shell loop'],
    ['shell loop of stemkit check', fmt(loop), fmt(rate(loop)), '1.00'],
    ['stemkit batch (embedded)', fmt(embedded), fmt(rate(embedded)), fmt(loop / embedded)],
    ...queue.map((q) => [`stemkit batch --queue, ${q.workers} worker${q.workers > 1 ? 's' : ''}`, fmt(q.seconds), fmt(rate(q.seconds)), fmt(loop / q.seconds)]),
  ];
  console.log(`\n${count} packages, ${(mainBytes / 1e6).toFixed(0)} MB (${seconds} s, ${stems} stereo 24-bit stems + mix each)`);
  printTable(rows);
  console.log(`\nqueue overhead per job (tiny packages, ${tinyCount}): ${fmt(overheadMs, 1)} ms (queue 1 worker ${fmt(tinyQueue)} s vs embedded --jobs 1 ${fmt(tinyEmbedded)} s)`);
  console.log(`content hash: ${fmt(mainBytes / 1e6 / hashSeconds, 0)} MB/s (SHA-256, one thread, page cache)`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify({ host: hostInfo(), runner: runner.kind, packages: count, seconds, stems, bytes: mainBytes, shellLoopSeconds: loop, embeddedSeconds: embedded, queue, tiny: { count: tinyCount, embeddedJobs1Seconds: tinyEmbedded, queue1Seconds: tinyQueue, overheadMsPerJob: overheadMs }, hashMBps: mainBytes / 1e6 / hashSeconds }, null, 2) + '\n',
  );
  console.log(`\nwrote ${OUT}`);
} finally {
  rmSync(BASE, { recursive: true, force: true });
}
