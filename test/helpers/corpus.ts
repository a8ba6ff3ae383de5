import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** The shared third-party corpus (read-only input); suites skip when it is not beside the checkout. */
export const CORPUS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata/corpus');
export const HAVE_CORPUS = existsSync(join(CORPUS_DIR, 'expected.json'));

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
