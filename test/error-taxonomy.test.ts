import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWavWriter } from '../src/audio/wav/write.js';
import { WorkerPool } from '../src/engine/pool.js';
import { ERROR_CODES, INTERNAL_HINT, StemkitError, toStemkitError, type StemkitErrorJson } from '../src/errors.js';
import { buggyJob, readRawJob, sampleStatsJob } from './helpers/pool-jobs.js';
import { randomQuantised } from './helpers/signals.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-errors-'));
const pool = new WorkerPool(2);
const JOBS = new URL('./helpers/pool-jobs.ts', import.meta.url);
const truncated = join(dir, 'truncated.wav');

beforeAll(async () => {
  const sink = await createWavWriter(truncated, { sampleRate: 48000, channels: 2, format: 'pcm24' });
  await sink.write(randomQuantised(2, 48000, 24, 7));
  await sink.commit();
  truncateSync(truncated, 44 + 6 * 20000); // the data chunk still declares 48000 frames
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The error a job meets on the calling thread, and the one the pool hands back for the same input. */
async function bothWays<I>(name: string, run: (input: I) => Promise<unknown>, input: I): Promise<[StemkitError, StemkitError]> {
  const here = await run(input).then(
    () => Promise.reject(new Error(`${name} did not fail`)),
    (e: unknown) => toStemkitError(e),
  );
  const there = await pool.run(JOBS, name, input).then(
    () => Promise.reject(new Error(`${name} did not fail on the pool`)),
    (e: unknown) => e,
  );
  expect(there).toBeInstanceOf(StemkitError);
  return [here, there as StemkitError];
}

describe('one error, whichever thread meets it', () => {
  it.each([
    ['a truncated WAV', 'sampleStatsJob', sampleStatsJob, () => ({ path: truncated, start: 0, end: 48000 }), 'E_TRUNCATED'],
    ['a missing file', 'sampleStatsJob', sampleStatsJob, () => ({ path: join(dir, 'missing.wav'), start: 0, end: 10 }), 'E_IO'],
    ['a raw errno error from fs', 'readRawJob', readRawJob, () => ({ path: join(dir, 'missing.bin') }), 'E_IO'],
    ['a non-StemkitError thrown in a job', 'buggyJob', buggyJob, () => ({ throws: 'error' as const }), 'E_INTERNAL'],
    ['a thrown non-Error value', 'buggyJob', buggyJob, () => ({ throws: 'string' as const }), 'E_INTERNAL'],
  ] as const)('%s: the same code, message, file and hint via the pool and on the calling thread', async (_what, name, job, input, code) => {
    const [here, there] = await bothWays(name, job as (input: unknown) => Promise<unknown>, input());
    expect(there.toJSON()).toEqual(here.toJSON());
    expect(here.code).toBe(code);
    if (code === 'E_INTERNAL') expect(here.hint).toBe(INTERNAL_HINT);
    else expect(here.hint).not.toMatch(/bug/);
  });

  it("keeps the worker's stack of an internal error as the cause, for STEMKIT_DEBUG", async () => {
    const [, there] = await bothWays('buggyJob', buggyJob, { throws: 'error' });
    expect((there.cause as Error).stack).toMatch(/TypeError[^]*buggyJob/);
  });
});

describe('StemkitError.fromJSON', () => {
  it('is the inverse of toJSON, for every code', () => {
    for (const code of Object.keys(ERROR_CODES) as StemkitErrorJson['code'][]) {
      for (const file of [undefined, '/pkg/Bass.wav']) {
        const err = new StemkitError(code, `${code} happened`, { hint: 'do this', ...(file ? { file } : {}) });
        const back = StemkitError.fromJSON(JSON.parse(JSON.stringify(err)));
        expect(back).toBeInstanceOf(StemkitError);
        expect(back.toJSON()).toEqual(err.toJSON());
        expect([back.code, back.message, back.file, back.hint]).toEqual([err.code, err.message, err.file, err.hint]);
      }
    }
  });

  it.each([
    [null, /must be an object, got null/],
    ['E_IO', /must be an object, got "E_IO"/],
    [[], /must be an object, got an array/],
    [{ code: 'E_NOPE', message: 'm', hint: 'h' }, /code must be one of E_IO, .*E_INTERNAL, got "E_NOPE"/],
    [{ code: 'E_IO', message: 3, hint: 'h' }, /message must be a string, got number/],
    [{ code: 'E_IO', message: 'm' }, /hint must be a string, got undefined/],
    [{ code: 'E_IO', message: 'm', hint: 'h', file: '' }, /file must be a non-empty string/],
    [{ code: 'E_IO', message: 'm', hint: 'h', stack: 'x' }, /has no stack/],
  ])('refuses %j', (json, why) => {
    expect(() => StemkitError.fromJSON(json)).toThrow(TypeError);
    expect(() => StemkitError.fromJSON(json)).toThrow(why);
  });

  it('E_INTERNAL is a code like any other; only what is not a StemkitError becomes it', () => {
    const typed = new StemkitError('E_BAD_DATA', 'x.flac: frame 3 is corrupt', { file: 'x.flac', hint: 're-export it' });
    expect(toStemkitError(typed)).toBe(typed);
    expect(toStemkitError(new RangeError('boom')).toJSON()).toEqual({ code: 'E_INTERNAL', message: 'boom', hint: INTERNAL_HINT });
  });
});
