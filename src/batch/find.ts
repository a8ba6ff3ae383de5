import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import { StemkitError } from '../errors.js';
import { hasNiStemsName } from '../check/ni-stems-input.js';

/** Audio a package folder holds (lossless or not: check names what it refuses). */
const AUDIO = /\.(wav|wave|bwf|rf64|w64|aif|aiff|aifc|flac|mp3|m4a|aac|ogg|opus|caf)$/i;
/** An NI Stems file is a whole package in one file. */
const GLOB_CHARS = /[*?[]/;

/**
 * Every package under `roots` (folders, files or quoted globs), as absolute paths in a stable order:
 * a folder with stemkit.json, or with audio files directly or in `stems/`, is one package and is not
 * searched further; a `.stem.mp4` file is a package of its own. `exclude` (the results folder) is skipped.
 */
export async function findPackages(roots: string[], exclude: string[] = []): Promise<string[]> {
  const skip = new Set(exclude.map((p) => resolve(p)));
  const found = new Set<string>();
  for (const root of roots) {
    const starts = GLOB_CHARS.test(root) ? await expandGlob(root) : [resolve(root)];
    if (starts.length === 0 && GLOB_CHARS.test(root)) continue;
    for (const start of starts) {
      let info;
      try {
        info = await stat(start);
      } catch (err) {
        throw new StemkitError('E_IO', `no such file or folder: ${start}`, { file: start, hint: 'check the path (globs must be quoted to reach stemkit)', cause: err });
      }
      if (info.isDirectory()) await walk(start, skip, found);
      else if (hasNiStemsName(start)) found.add(start);
    }
  }
  return [...found].sort();
}

async function walk(dir: string, skip: Set<string>, found: Set<string>): Promise<void> {
  if (skip.has(dir)) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const visible = entries.filter((e) => !e.name.startsWith('.'));
  const hasManifest = visible.some((e) => e.isFile() && e.name === 'stemkit.json');
  const audio = visible.filter((e) => e.isFile() && AUDIO.test(e.name));
  const stemsDir = visible.find((e) => e.isDirectory() && e.name === 'stems');
  const stemsAudio = stemsDir ? (await readdir(join(dir, stemsDir.name)).catch(() => [])).filter((n) => AUDIO.test(n) && !n.startsWith('.')) : [];
  if (hasManifest || audio.length + stemsAudio.length > 0) {
    found.add(dir);
    return;
  }
  for (const e of visible) {
    const path = join(dir, e.name);
    if (e.isFile() && hasNiStemsName(e.name)) found.add(path);
    else if (e.isDirectory()) await walk(path, skip, found);
  }
}

/** `*` and `?` within a path segment, `**` across segments; the rest of the pattern is literal. */
async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = resolve(pattern);
  const parts = absolute.split(sep);
  const firstWild = parts.findIndex((p) => GLOB_CHARS.test(p));
  const base = parts.slice(0, firstWild).join(sep) || sep;
  const matcher = globRegExp(parts.slice(firstWild));
  const out: string[] = [];
  const visit = async (dir: string, rel: string[]): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = [...rel, e.name];
      if (matcher.test(path.join('/'))) out.push(join(dir, e.name));
      else if (e.isDirectory()) await visit(join(dir, e.name), path);
    }
  };
  await visit(base, []);
  return out;
}

function globRegExp(segments: string[]): RegExp {
  const body = segments
    .map((s) => (s === '**' ? '(?:.*)' : s.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
    .join('/')
    .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
  return new RegExp(`^${body}$`);
}

/** A short label for progress and summaries: the package folder's (or file's) name. */
export function packageLabel(path: string): string {
  return basename(path, hasNiStemsName(path) ? '' : extname(path));
}
