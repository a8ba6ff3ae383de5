import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { measureFiles } from '../src/check/measure-files.js';
import { WorkerPool } from '../src/engine/pool.js';
import type { ProgressReport } from '../src/progress.js';
import { resolveSession } from '../src/session/load.js';
import { renderSession } from '../src/session/render.js';
import { material, sum, writePackage, writeWav } from './helpers/package.js';

/** One progress shape and an AbortSignal on every long operation: check, render, measure. */
const root = mkdtempSync(join(tmpdir(), 'stemkit-abort-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function longPackage(name: string, seconds: number): Promise<string> {
  const stems = [0, 1].map((i) => ({ name: `S${i}`, audio: material(seconds, i + 1, 0.2) }));
  return writePackage(join(root, name), stems, sum(stems.map((s) => s.audio)));
}

/** Runs `op` with a signal that fires at the first progress report; returns the reports and the outcome. */
async function abortAtFirstReport(op: (signal: AbortSignal, onProgress: (p: ProgressReport) => void) => Promise<unknown>) {
  const controller = new AbortController();
  const reports: ProgressReport[] = [];
  const outcome = await op(controller.signal, (p) => {
    reports.push(p);
    if (p.fraction > 0) controller.abort();
  }).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { reports, outcome };
}

describe('long operations stop on an AbortSignal with E_ABORTED and report one progress shape', () => {
  it('check, on this thread and on the worker pool', async () => {
    const short = await discoverPackage(await longPackage('short', 20));
    const inline = await abortAtFirstReport((signal, onProgress) => checkPackage(short, { signal, onProgress }));
    expect(inline.outcome).toMatchObject({ error: { code: 'E_ABORTED' } });
    expect(inline.reports[0]).toMatchObject({ phase: 'measure' });
    expect(inline.reports.at(-1)!.fraction).toBeLessThan(1);

    const long = await discoverPackage(await longPackage('long', 50));
    const pool = new WorkerPool(2);
    try {
      const pooled = await abortAtFirstReport((signal, onProgress) => checkPackage(long, { signal, onProgress, pool }));
      expect(pooled.outcome).toMatchObject({ error: { code: 'E_ABORTED' } });
      // The pool is still usable: the same check without a signal completes.
      const whole = await checkPackage(long, { pool });
      expect(whole.null?.passed).toBe(true);
    } finally {
      await pool.close();
    }
    // An already aborted signal does nothing at all.
    await expect(checkPackage(short, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  }, 120_000);

  it('render leaves nothing of the unfinished package', async () => {
    const dir = join(root, 'project');
    mkdirSync(join(dir, 'tracks'), { recursive: true });
    await writeWav(join(dir, 'tracks', 'a.wav'), material(20, 3, 0.2));
    const resolved = await resolveSession({ name: 'Abort', stems: [{ name: 'A', tracks: [{ file: 'tracks/a.wav' }] }] }, dir, join(dir, 'session.yaml'));
    const out = join(dir, 'out');
    const run = await abortAtFirstReport((signal, onProgress) => renderSession(resolved, { outDir: out, signal, onProgress, pool: null }));
    expect(run.outcome).toMatchObject({ error: { code: 'E_ABORTED' } });
    expect(run.reports[0]).toMatchObject({ phase: 'stems' });
    const left = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wav') || f.endsWith('.json') || f.includes('stemkit-tmp'));
    expect(left).toEqual([]);
  }, 120_000);

  it('measure', async () => {
    const dir = await longPackage('measure', 20);
    const run = await abortAtFirstReport((signal, onProgress) => measureFiles([join(dir, 'mix.wav'), join(dir, 'mix.wav')], { signal, onProgress }));
    expect(run.outcome).toMatchObject({ error: { code: 'E_ABORTED' } });
    expect(run.reports[0]).toMatchObject({ phase: 'measure', file: join(dir, 'mix.wav') });
  }, 120_000);
});
