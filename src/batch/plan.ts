import { resolve } from 'node:path';
import type { BatchTask } from './check-one.js';
import { contentHash, resultId } from './content-hash.js';

/** What every batch is asked: where results go and how packages are judged. */
export interface BatchSettings {
  /** RESULTS folder. */
  out: string;
  /** Profile for every package; undefined: each package's own (stemkit.json), else music. */
  profile?: string | undefined;
  strict?: boolean | undefined;
  /** Also write RESULTS/<id>/report.html. */
  html?: boolean | undefined;
}

/** How a run went, package by package, as its progress line and its summary count it. */
export interface BatchCounts {
  /** Packages found under the roots. */
  found: number;
  /** Already had a result (same content, same options) before this run. */
  skipped: number;
  /** Same content as another package of this run: one result for both. */
  duplicates: { path: string; sameAs: string }[];
  /** Finished in this run, by verdict. */
  pass: number;
  fail: number;
  error: number;
}

export function emptyCounts(found: number): BatchCounts {
  return { found, skipped: 0, duplicates: [], pass: 0, fail: 0, error: 0 };
}

/** The task for the package at `path`: its content hash (one read of its files) and its id. */
export async function taskFor(path: string, settings: BatchSettings): Promise<BatchTask> {
  const hash = await contentHash(path);
  const options = { profile: settings.profile, strict: settings.strict };
  return { id: resultId(hash, options), path, hash, out: resolve(settings.out), profile: settings.profile ?? null, strict: Boolean(settings.strict), html: Boolean(settings.html) };
}

/** A package whose files cannot be read to hash them: its path stands in for its content. */
export function unhashable(path: string, settings: BatchSettings): { id: string; path: string; hash: string; profile: string | null } {
  return { id: resultId(`path\0${path}`, { profile: settings.profile, strict: settings.strict }), path, hash: '', profile: settings.profile ?? null };
}

/** Runs `fn` over `items` with at most `limit` at once, in order of start; stops starting new ones once `signal` fires. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await fn(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}
