import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../src/batch/embedded.js';
import { findPackages } from '../src/batch/find.js';
import { contentHash } from '../src/batch/content-hash.js';
import type { BatchLine } from '../src/batch/result-line.js';
import { runBatch } from '../src/cli/batch.js';
import { catalogueKind, writeCatalogue } from './helpers/catalogue.js';
import { captureOutput } from './helpers/io.js';

const root = mkdtempSync(join(tmpdir(), 'stemkit-batch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const catalogue = join(root, 'catalogue');
let dirs: string[] = [];

beforeAll(async () => {
  dirs = await writeCatalogue(catalogue, 12, { hostile: true });
});

function lines(out: string): BatchLine[] {
  return readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as BatchLine);
}

describe('stemkit batch (embedded)', () => {
  it('finds every package folder under nested roots, and not the results folder', async () => {
    expect(await findPackages([catalogue])).toEqual([...dirs].sort());
    expect(await findPackages([join(catalogue, 'label-*')])).toEqual([...dirs].sort());
    expect(await findPackages([join(catalogue, '**', 'pkg-000?')])).toEqual([...dirs].sort().filter((d) => /pkg-000\d$/.test(d)));
  });

  it('hashes content, not place: a moved copy has the same hash, one changed byte another', async () => {
    const copy = join(root, 'copy');
    cpSync(dirs[0]!, copy, { recursive: true });
    expect(await contentHash(copy)).toBe(await contentHash(dirs[0]!));
    const mix = join(copy, 'mix.wav');
    const bytes = readFileSync(mix);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(mix, bytes);
    expect(await contentHash(copy)).not.toBe(await contentHash(dirs[0]!));
    rmSync(copy, { recursive: true });
  });

  it('checks every package once, records defects and a package it cannot check, and resumes after a stop without a duplicate', async () => {
    const out = join(root, 'results');
    const stop = new AbortController();
    let seen = 0;
    await expect(runEmbedded(dirs, { out, jobs: 2, signal: stop.signal, onProgress: () => ++seen === 4 && stop.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const first = lines(out);
    expect(first.length).toBeGreaterThanOrEqual(4);
    expect(first.length).toBeLessThan(dirs.length);
    // A writer killed mid-line leaves a torn last line; a line lost after its result.json was written is recovered.
    const lost = first.at(-1)!;
    const text = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(out, 'results.jsonl'), text.slice(0, -1).join('\n') + '\n');
    appendFileSync(join(out, 'results.jsonl'), '{"schema":"stemkit.batch-result/1","id":"tor');

    const counts = await runEmbedded(dirs, { out, jobs: 2 });
    expect(counts.skipped).toBe(first.length); // the lost line came back from its result.json, not from a new check
    const all = lines(out);
    expect(all).toHaveLength(dirs.length);
    expect(new Set(all.map((l) => l.id)).size).toBe(dirs.length);
    expect(all.find((l) => l.id === lost.id)).toEqual(lost);
    for (const [i, dir] of dirs.entries()) {
      const line = all.find((l) => l.path === dir)!;
      const kind = catalogueKind(i, true);
      const expected = { good: 'pass', gain: 'fail', late: 'fail', 'no-mix': 'pass', 'garbage-mix': 'fail', 'bad-manifest': 'error' }[kind];
      expect(line.verdict, `${dir} (${kind})`).toBe(expected);
      if (kind === 'gain') expect(line.rules['null.gain-mismatch']).toBe(1);
      if (kind === 'late') expect(line.rules['timing.offset']).toBe(1);
      if (kind === 'garbage-mix') expect(line.rules['format.unreadable']).toBe(1);
      if (kind === 'bad-manifest') expect(line.error).toMatchObject({ code: 'E_USAGE' });
      if (line.report) expect(JSON.parse(readFileSync(join(out, line.report), 'utf8'))).toMatchObject({ schema: 'stemkit.check/1', ok: line.verdict === 'pass' });
    }
    const good = all.find((l) => l.verdict === 'pass' && l.numbers?.nullResidualPeakDbfs === null)!;
    expect(good.numbers).toMatchObject({ stems: 2, sampleRate: 48000, durationSec: 0.5 });
  });

  it('the CLI: one result for two copies of a package, a summary page, exit 1 when a package fails', async () => {
    const out = join(root, 'cli-results');
    const twin = join(root, 'twin', 'pkg-copy');
    cpSync(dirs[0]!, twin, { recursive: true });
    const stdout = captureOutput();
    expect(await runBatch([catalogue, join(root, 'twin')], { out, json: true, html: true }, stdout.stream, captureOutput().stream)).toBe(1);
    const result = JSON.parse(stdout.text());
    expect(result.run).toMatchObject({ found: 13, skipped: 0 });
    expect(result.run.duplicates).toHaveLength(1);
    expect(result.summary.packages).toBe(12);
    expect(result.summary.byVerdict).toEqual({ pass: 7, fail: 4, error: 1 });
    const html = readFileSync(join(out, 'summary.html'), 'utf8');
    expect(html).toMatch(/data-verdict="fail">4</);
    expect(html).toMatch(/data-rule="timing.offset">1</);
    expect(html).toMatch(/href="[0-9a-f]{20}\/report\.html"/);
    const again = captureOutput();
    await runBatch([catalogue], { out }, again.stream, captureOutput().stream);
    expect(again.text()).toMatch(/0 checked .* 12 already done/);
  });
});
