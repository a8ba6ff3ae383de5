import { createHash } from 'node:crypto';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { openAudio } from '../audio/open.js';
import { discoverPackage, type StemPackage } from '../check/discover.js';
import { StemkitError } from '../errors.js';

/** One audio file of a served package, as the page sees it. */
export interface ServedTrack {
  /** Stem name, or "Mix". */
  name: string;
  /** 'mix' for the reference mix, else 'stem'. */
  role: 'stem' | 'mix';
  /** Its path relative to the package folder, with '/' separators: the key of the allow-list. */
  file: string;
  /** Channels per frame. */
  channels: number;
  /** Speaker labels in channel order (["L","R"], ["L","R","C","LFE","Ls","Rs"] …). */
  layout: string[];
  /** Sample frames. */
  frames: number;
  /** Hz. */
  sampleRate: number;
}

/** A package the server serves: its tracks, and the only files of its folder a request can reach. */
export interface ServedPackage {
  /** URL-safe id: the folder name, made unique. */
  id: string;
  /** The manifest's title, else the folder name. */
  title: string;
  /** The package folder, symlinks resolved. */
  dir: string;
  /** What check discovered (for the report). */
  discovered: StemPackage;
  /** Stems first, in package order, then the mix when there is one. */
  tracks: ServedTrack[];
  /** Hz of the first track (check reports any mismatch). */
  sampleRate: number;
  /** The longest track's frames: the timeline. */
  frames: number;
  /** The mix's channels (else the widest stem's): the channel space the mixer sums in. */
  channels: number;
  /** Speaker labels of that channel space. */
  layout: string[];
  /** Allow-list: relative path ('/' separated) → real absolute path, inside `dir`. Nothing else is served. */
  files: Map<string, string>;
  /** Files of the package left out because they resolve outside its folder (symlinks out). */
  refused: string[];
}

const MANIFEST = 'stemkit.json';

function inside(dir: string, path: string): boolean {
  return path.startsWith(dir + sep);
}

/** Whether `dir` looks like a package: a manifest, or audio directly in it or in stems/. */
async function isPackage(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.includes(MANIFEST)) return true;
  const audio = (n: string) => /\.(wav|wave|bwf|rf64|aif|aiff|aifc|flac)$/i.test(n);
  if (names.some(audio)) return true;
  return (await readdir(join(dir, 'stems')).catch(() => [] as string[])).some(audio);
}

/**
 * The packages under `input`: the folder itself when it is a package, else each sub-folder that is
 * one (a label's intake folder). Every served file is resolved once here; a file whose real path
 * leaves its package folder is refused, so no request can reach it later.
 */
export async function loadPackages(input: string): Promise<ServedPackage[]> {
  const info = await stat(input).catch((err: unknown) => {
    throw new StemkitError('E_IO', `no such folder: ${input}`, { file: input, hint: 'give a package folder or a folder of packages', cause: err });
  });
  if (!info.isDirectory()) throw new StemkitError('E_USAGE', `${input} is not a folder`, { file: input, hint: 'give a package folder (stems and mix) or a folder of packages' });
  const root = await realpath(input);
  const dirs: string[] = [];
  if (await isPackage(root)) dirs.push(root);
  else {
    for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, entry.name);
      if (await isPackage(dir)) dirs.push(dir);
    }
  }
  if (dirs.length === 0) throw new StemkitError('E_USAGE', `no stem package in ${input}`, { file: input, hint: 'a package is a folder with stemkit.json, or stems and a mix (directly or under stems/)' });
  const used = new Set<string>();
  const packages: ServedPackage[] = [];
  for (const dir of dirs) packages.push(await loadPackage(dir, used));
  return packages;
}

async function loadPackage(dir: string, usedIds: Set<string>): Promise<ServedPackage> {
  const discovered = await discoverPackage(dir);
  const files = new Map<string, string>();
  const refused: string[] = [];
  const allow = async (absolute: string): Promise<string | null> => {
    const key = relative(dir, absolute).split(sep).join('/');
    const real = await realpath(absolute).catch(() => null);
    if (real === null || !inside(dir, real) || key.startsWith('../')) {
      refused.push(key);
      return null;
    }
    files.set(key, real);
    return key;
  };
  if (discovered.manifest) await allow(join(dir, MANIFEST));
  const tracks: ServedTrack[] = [];
  const listed = [...discovered.stems.map((s) => ({ ...s, role: 'stem' as const })), ...(discovered.mix ? [{ ...discovered.mix, role: 'mix' as const }] : [])];
  for (const file of listed) {
    const key = await allow(file.path);
    if (key === null) continue;
    const source = await openAudio(files.get(key)!);
    const { channels, channelLayout, frames, sampleRate } = source.format;
    await source.close();
    tracks.push({ name: file.name, role: file.role, file: key, channels, layout: channelLayout, frames, sampleRate });
  }
  if (tracks.filter((t) => t.role === 'stem').length === 0) {
    throw new StemkitError('E_USAGE', `${dir}: no stem the server may serve`, { file: dir, hint: refused.length ? `these resolve outside the package folder: ${refused.join(', ')}` : 'add the stems' });
  }
  const mix = tracks.find((t) => t.role === 'mix');
  const widest = mix ?? tracks.reduce((a, b) => (b.channels > a.channels ? b : a));
  const title = typeof discovered.manifest?.title === 'string' ? discovered.manifest.title : basename(dir);
  return {
    id: uniqueId(basename(dir), usedIds),
    title,
    dir,
    discovered,
    tracks,
    sampleRate: tracks[0]!.sampleRate,
    frames: Math.max(...tracks.map((t) => t.frames)),
    channels: widest.channels,
    layout: widest.layout,
    files,
    refused,
  };
}

/** The URL id of a package folder named `name` (the first of that name; later ones get -2, -3 …). */
export function packageSlug(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return slug === '' ? createHash('sha256').update(name).digest('hex').slice(0, 8) : slug;
}

/** `stemkit serve`'s port unless --port says otherwise. */
export const DEFAULT_PORT = 8377;

/** Where `stemkit serve <dir>` on the default port shows the package in `dir` (the HTML report links there). */
export function mixerUrlFor(dir: string): string {
  return `http://127.0.0.1:${DEFAULT_PORT}/#${packageSlug(basename(dir))}`;
}

function uniqueId(name: string, used: Set<string>): string {
  const base = packageSlug(name);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

/** What /api/packages says about a package: enough for the page to build its mixer. */
export function describePackage(pkg: ServedPackage): Record<string, unknown> {
  return {
    id: pkg.id,
    title: pkg.title,
    sampleRate: pkg.sampleRate,
    frames: pkg.frames,
    channels: pkg.channels,
    layout: pkg.layout,
    tracks: pkg.tracks.map((t, index) => ({ ...t, index, url: `/pkg/${pkg.id}/file/${t.file.split('/').map(encodeURIComponent).join('/')}` })),
    manifest: pkg.files.has(MANIFEST) ? `/pkg/${pkg.id}/manifest.json` : null,
    report: `/pkg/${pkg.id}/report.json`,
  };
}
