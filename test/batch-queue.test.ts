import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../src/batch/embedded.js';
import { CIRCUMSTANTIAL, type BatchLine } from '../src/batch/result-line.js';
import { runBatch } from '../src/cli/batch.js';
import { writeCatalogue } from './helpers/catalogue.js';
import { captureOutput } from './helpers/io.js';
import { HAS_REDIS, startRedis, type TestRedis } from './helpers/redis.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const root = mkdtempSync(join(tmpdir(), 'stemkit-batchq-'));
const workers: ChildProcess[] = [];
let redis: TestRedis | null = null;

afterEach(async () => {
  for (const w of workers.splice(0)) if (w.exitCode === null && w.signalCode === null) process.kill(-w.pid!, 'SIGKILL');
  await redis?.dispose();
  redis = null;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A `stemkit worker` in its own process group (so SIGKILL takes its sandboxed children too), with short stall times. */
function startWorker(url: string, extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'worker', '--queue', url, '--lock-ms', '1500', '--stalled-ms', '500', ...extra], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  (child as ChildProcess & { log: () => string }).log = () => log;
  workers.push(child);
  return child;
}

function lines(out: string): BatchLine[] {
  return readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as BatchLine);
}

/** A line without where and when it was made: what must not depend on embedded vs queue. */
function essence(line: BatchLine): Partial<BatchLine> {
  const copy: Partial<BatchLine> = { ...line };
  for (const key of CIRCUMSTANTIAL) delete copy[key];
  return copy;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runQueue(roots: string[], out: string, url: string, extra: Partial<Parameters<typeof runBatch>[1]> = {}) {
  const stdout = captureOutput();
  const code = await runBatch(roots, { out, queue: url, json: true, backoffMs: '50', ...extra }, stdout.stream, captureOutput().stream);
  return { code, result: JSON.parse(stdout.text()) };
}

describe.skipIf(!HAS_REDIS)('stemkit batch --queue and stemkit worker (BullMQ on a private redis-server)', () => {
  const catalogue = join(root, 'catalogue');
  let dirs: string[] = [];
  beforeAll(async () => {
    dirs = await writeCatalogue(catalogue, 200, { hostile: true });
  }, 120_000);

  it('200 packages (some defective, some that cannot be checked): 3 workers give the embedded results, each package once', async () => {
    const embeddedOut = join(root, 'embedded');
    await runEmbedded(dirs, { out: embeddedOut, jobs: 2 });
    redis = await startRedis();
    for (let i = 0; i < 3; i++) startWorker(redis.url);
    const queueOut = join(root, 'queue');
    const { code, result } = await runQueue([catalogue], queueOut, redis.url);
    expect(code).toBe(1);
    expect(result.summary.packages).toBe(200);
    const embedded = lines(embeddedOut).sort((a, b) => (a.id < b.id ? -1 : 1));
    const queued = lines(queueOut).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(queued).toHaveLength(200);
    expect(new Set(queued.map((l) => l.id)).size).toBe(200);
    expect(queued.map(essence)).toEqual(embedded.map(essence));
    expect(queued.filter((l) => l.verdict === 'error')).toHaveLength(20);
    expect(queued.filter((l) => l.verdict === 'fail')).toHaveLength(20 * 3); // gain, late, garbage mix in every 10
    // The hostile packages failed their jobs after all 3 attempts with their typed error, and the batch went on.
    for (const l of queued.filter((x) => x.verdict === 'error')) expect(l.error).toMatchObject({ code: 'E_USAGE', hint: 'fix or remove stemkit.json' });
    const { Queue } = await import('bullmq');
    const { connectionFromUrl, QUEUE_NAME } = await import('../src/batch/queue.js');
    const queue = new Queue(QUEUE_NAME, { connection: connectionFromUrl(redis.url) });
    const failed = await queue.getFailed();
    expect(failed).toHaveLength(20);
    for (const job of failed) expect(job.attemptsMade).toBe(3);
    await queue.close();
    // Enqueuing again is idempotent: nothing is checked twice.
    const again = await runQueue([catalogue], queueOut, redis.url);
    expect(again.result.run).toMatchObject({ skipped: 200, pass: 0, fail: 0, error: 0 });
    expect(lines(queueOut)).toHaveLength(200);
    const status = captureOutput();
    expect(await runBatch([], { out: queueOut, queue: redis.url, status: true, json: true }, status.stream, captureOutput().stream)).toBe(0);
    expect(JSON.parse(status.text())).toMatchObject({ jobs: { completed: 180, failed: 20, active: 0, waiting: 0 }, workers: 3, results: { packages: 200, pass: 120, fail: 60, error: 20 } });
  }, 300_000);

  it('a worker killed with SIGKILL mid-job: its job runs again on another worker; one line per package, and SIGTERM lets a worker finish its job', async () => {
    const slow = join(root, 'slow');
    const slowDirs = await writeCatalogue(slow, 10, { seconds: 4, stems: 4 });
    redis = await startRedis();
    const out = join(root, 'killed');
    const victim = startWorker(redis.url);
    const producer = runQueue([slow], out, redis.url);
    const { Queue } = await import('bullmq');
    const { connectionFromUrl, QUEUE_NAME } = await import('../src/batch/queue.js');
    const queue = new Queue(QUEUE_NAME, { connection: connectionFromUrl(redis.url) });
    let killedJob = '';
    await until(async () => {
      const active = await queue.getActive();
      killedJob = active[0]?.id ?? '';
      return killedJob !== '';
    }, 'the first worker to take a job');
    process.kill(-victim.pid!, 'SIGKILL');
    const rescuers = [startWorker(redis.url), startWorker(redis.url)];
    const { result } = await producer;
    expect(result.summary.packages).toBe(10);
    const all = lines(out);
    expect(all).toHaveLength(10);
    expect(new Set(all.map((l) => l.id)).size).toBe(10);
    expect(all.map((l) => l.path).sort()).toEqual([...slowDirs].sort());
    const rerun = all.find((l) => l.id === killedJob)!;
    expect(rerun.worker).not.toBe(`${hostname()}:${victim.pid}`);
    expect(rescuers.map((w) => `${hostname()}:${w.pid}`)).toContain(rerun.worker);

    // SIGTERM while a job runs: the worker finishes that job, then exits 0.
    const more = join(root, 'more');
    await writeCatalogue(more, 1, { seconds: 6, stems: 4 });
    for (const w of rescuers) process.kill(-w.pid!, 'SIGKILL');
    const graceful = startWorker(redis.url);
    const second = runQueue([more], join(root, 'graceful'), redis.url);
    await until(async () => (await queue.getActive()).length > 0, 'the job to start');
    const exited = new Promise<number | null>((resolve) => graceful.once('exit', (code) => resolve(code)));
    graceful.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await second).result.summary.packages).toBe(1);
    expect(lines(join(root, 'graceful'))[0]!.worker).toBe(`${hostname()}:${graceful.pid}`);
    await queue.close();
  }, 300_000);

  it.each([
    ['with its data (AOF)', true],
    ['without its data (no persistence: the collector enqueues the lost jobs again)', false],
  ])('redis restarted mid-run %s: workers and the producer reconnect, nothing is lost or doubled', async (_, aof) => {
    const set = join(root, `restart-set-${aof}`);
    await writeCatalogue(set, 40, { seconds: 1 });
    redis = await startRedis({ aof });
    startWorker(redis.url);
    startWorker(redis.url);
    const out = join(root, `restart-${aof}`);
    const producer = runQueue([set], out, redis.url);
    await until(() => existsSync(out) && readdirSync(out).filter((n) => /^[0-9a-f]{20}$/.test(n)).length >= 5, 'the first results');
    await redis.stop();
    const before = readdirSync(out).filter((n) => /^[0-9a-f]{20}$/.test(n)).length;
    expect(before).toBeLessThan(40); // the restart is mid-run
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const { result } = await producer;
    expect(result.summary.packages).toBe(40);
    const all = lines(out);
    expect(all).toHaveLength(40);
    expect(new Set(all.map((l) => l.id)).size).toBe(40);
  }, 300_000);
});
