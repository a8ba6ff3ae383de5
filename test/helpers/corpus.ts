import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/**
 * The shared third-party corpus (read-only input). On a dev box without it beside the checkout the
 * corpus suites skip; under CI (CI=true) a missing corpus fails instead, so CI never passes by
 * skipping them.
 */
export const SHARED_TESTDATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata');
export const CORPUS_DIR = join(SHARED_TESTDATA, 'corpus');

/** Whether `path` (under SHARED_TESTDATA) is here; under CI a missing one throws. */
export function haveSharedFile(path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI) throw new Error(`CI=true but shared test data is missing: ${path} (CI runs with ../shared beside the checkout)`);
  return false;
}

export const HAVE_CORPUS = haveSharedFile(join(CORPUS_DIR, 'expected.json'));

export interface CorpusEntry {
  file: string;
  category: string;
  expect: Record<string, unknown> & {
    container?: string;
    sampleRate?: number;
    channels?: number;
    frames?: number | null;
    encoding?: string;
    bitsPerSample?: number;
    validBitsPerSample?: number;
    containerBytes?: number;
    error?: boolean | 'allowed';
    streaminfoMd5?: string;
  };
  samples?: Record<string, unknown> & { convention?: string };
  notes?: string;
}

export function loadCorpus(): CorpusEntry[] {
  if (!HAVE_CORPUS) return [];
  return JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as CorpusEntry[];
}

export function corpusPath(entry: CorpusEntry): string {
  return join(CORPUS_DIR, 'files', entry.file);
}
