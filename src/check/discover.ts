import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { StemkitError } from '../errors.js';

/** Extensions treated as audio when scanning a folder (non-lossless ones are listed so check can refuse them by name). */
const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.bwf', '.rf64', '.w64', '.aif', '.aiff', '.aifc', '.flac', '.mp3', '.m4a', '.aac', '.ogg', '.opus', '.caf']);
const MIX_NAME = /(^|[^a-z])(printmaster|mix|master|ref|reference)([^a-z]|$)/i;

/** One audio file of a package. */
export interface PackageFile {
  /** Its name in reports: stemkit.json's, else the file name without numbering and extension ("Mix" for the mix). */
  name: string;
  /** Absolute path. */
  path: string;
}

/** Alternate versions a delivery folder often holds beside the stems and the mix. */
export type AlternateKind = 'instrumental' | 'a-cappella' | 'tv-mix' | 'clean' | 'underscore' | 'subset';

/** An alternate version found beside the stems. */
export interface AlternateFile extends PackageFile {
  /** Which version it is; 'subset' when only its content (a sum of some stems) says so. */
  kind: AlternateKind;
  /** How it was recognised: its name, or its content (it equals a sum of some of the stems). */
  foundBy: 'name' | 'content';
}

/**
 * Names of alternate versions, checked on the file name with its numbering stripped. Whole words
 * only: "Inst" and "Instrumental" are alternates, a stem called "Instruments" is a stem.
 */
const ALTERNATE_NAMES: [AlternateKind, RegExp][] = [
  ['a-cappella', /\b(a[ -]?cc?app?ell?a|acap|vocals? only|vox only)\b/i],
  ['instrumental', /\b(instrumental|inst|no[ -]?(vox|vocals?|lead)|minus[ -]?(one|vox|vocals?)|karaoke|backing[ -]?track)\b/i],
  ['tv-mix', /\b(tv[ -]?(mix|track|version)?)\b/i],
  // "Clean Guitar" and "Synth Bed" are stems: "clean" counts only at the end of the name, "bed" only as "music bed".
  ['clean', /\bclean([ -]?(version|mix|edit))?$/i],
  ['underscore', /\b(underscore|music[ -]?bed)\b/i],
];

/** File order: numbers in names compare as numbers. */
const NAME_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** The alternate kind a file's name announces, or null. */
export function alternateKindFromName(path: string): AlternateKind | null {
  const name = stemNameFromFile(path);
  return ALTERNATE_NAMES.find(([, pattern]) => pattern.test(name))?.[0] ?? null;
}

/** What `check` checks: a package's stems, its mix when there is one, and what else its folder holds. */
export interface StemPackage {
  /** The package folder (for loose files: their common folder). */
  dir: string;
  /** The reference mix the stems must sum to; null when there is none (the null test cannot run). */
  mix: PackageFile | null;
  /** How the mix was chosen: 'manifest', 'option', 'name', or 'none'. */
  mixFrom: 'manifest' | 'option' | 'name' | 'none';
  /** The stems, in stemkit.json's order, else by name with numbers in numeric order. */
  stems: PackageFile[];
  /** Parsed stemkit.json, when the package has one. */
  manifest: Record<string, unknown> | null;
  /** Mix processing recorded by the renderer (e.g. a master limiter): the null test then expects a difference. */
  masterProcessing: unknown[];
  /** Alternate versions (instrumental, a cappella, TV mix …): verified against the stems, never summed with them. */
  alternates?: AlternateFile[];
  /** Audio files in a manifest package's folder (or its stems/) that stemkit.json does not list: stale or stray. */
  unlisted?: string[];
  /** Set when the package is one NI Stems file: its tracks were decoded to temporary files (see releasePackage). */
  niStems?: import('./ni-stems-input.js').NiStemsSource;
  /** Set when the audio went through a lossy codec: why mix − Σ stems cannot null exactly. */
  lossy?: string;
}

/** "01_Drums.wav" → "Drums", "03 - Bass Gtr.aif" → "Bass Gtr". */
export function stemNameFromFile(path: string): string {
  const base = basename(path, extname(path));
  const stripped = base.replace(/^\s*\d+\s*[-_.)\s]\s*/, '').replace(/[_]+/g, ' ').trim();
  return stripped || base;
}

function isAudioFile(name: string): boolean {
  return AUDIO_EXTENSIONS.has(extname(name).toLowerCase()) && !name.startsWith('.');
}

async function listAudio(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  // Numbers in names in numeric order, as DAWs number their exports: "2_Bass" before "10_Vox".
  return entries
    .filter((e) => e.isFile() && isAudioFile(e.name))
    .map((e) => join(dir, e.name))
    .sort((a, b) => NAME_ORDER.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

async function readManifest(dir: string): Promise<Record<string, unknown> | null> {
  const path = join(dir, 'stemkit.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return validManifest(value as Record<string, unknown>, path);
  } catch (err) {
    if (err instanceof StemkitError) throw err;
    throw new StemkitError('E_USAGE', `${path}: not valid JSON (${(err as Error).message})`, { file: path, hint: 'fix or remove stemkit.json' });
  }
}

/** The fields check reads from stemkit.json; anything else in it is kept as written (render adds more). */
const manifestShape = z.object({
  mix: z.object({ file: z.string().min(1).optional(), masterProcessing: z.array(z.unknown()).optional() }).passthrough().optional(),
  stems: z.array(z.object({ name: z.string().optional(), file: z.string().min(1) }).passthrough()).optional(),
}).passthrough();

/** A manifest with a wrong type (`"mix": {"file": 123}`, `"stems": [null]`) is the user's error, named by its field path. */
function validManifest(value: Record<string, unknown>, path: string): Record<string, unknown> {
  const parsed = manifestShape.safeParse(value);
  if (parsed.success) return value;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
  throw new StemkitError('E_USAGE', `${path}: ${field || 'manifest'}: ${issue.message}`, {
    file: path,
    hint: 'fix stemkit.json (mix.file and each stems[].file are relative paths), or remove it to check the folder by file names',
  });
}

function chooseMixByName(files: string[]): string | null {
  const candidates = files.filter((f) => MIX_NAME.test(basename(f, extname(f))));
  if (candidates.length === 0) return null;
  // Prefer the most specific word: a printmaster over a "mix", a "mix" over a "reference".
  const rank = (f: string) => ['printmaster', 'mix', 'master', 'ref'].findIndex((w) => basename(f).toLowerCase().includes(w));
  return [...candidates].sort((a, b) => rank(a) - rank(b) || a.length - b.length)[0]!;
}

/** A package from a folder: stemkit.json when present, else the mix by name and every other audio file as a stem. */
export async function discoverPackage(dirArgument: string, mixOption?: string): Promise<StemPackage> {
  const dir = resolve(dirArgument);
  const manifest = await readManifest(dir);
  const masterProcessing = Array.isArray((manifest?.mix as { masterProcessing?: unknown[] } | undefined)?.masterProcessing)
    ? ((manifest!.mix as { masterProcessing: unknown[] }).masterProcessing)
    : [];
  if (manifest && Array.isArray(manifest.stems)) {
    const stems = (manifest.stems as { name?: string; file?: string }[]).map((s, i) => {
      if (typeof s.file !== 'string') {
        throw new StemkitError('E_USAGE', `${join(dir, 'stemkit.json')}: stems[${i}].file is missing`, { file: join(dir, 'stemkit.json'), hint: 'give each stem a "file"' });
      }
      return { name: s.name ?? stemNameFromFile(s.file), path: resolve(dir, s.file) };
    });
    const mixFile = mixOption ?? (manifest.mix as { file?: string } | undefined)?.file;
    const mix = mixFile ? { name: 'Mix', path: resolve(dir, mixFile) } : null;
    // Render's --dry copies are listed with their stem (dryFile), not as stems of their own.
    const dryFiles = (manifest.stems as { dryFile?: unknown }[]).flatMap((s) => (typeof s.dryFile === 'string' ? [resolve(dir, s.dryFile)] : []));
    const listed = new Set([...stems.map((s) => s.path), ...dryFiles, ...(mix ? [mix.path] : [])]);
    const unlisted = [...(await listAudio(dir)), ...(await listAudio(join(dir, 'stems')))].filter((f) => !listed.has(f));
    return { dir, mix, mixFrom: mixOption ? 'option' : mix ? 'manifest' : 'none', stems, manifest, masterProcessing, unlisted };
  }
  const all = [...(await listAudio(dir)), ...(await listAudio(join(dir, 'stems')))];
  return { ...fromFiles(dir, all, mixOption), manifest, masterProcessing };
}

/** Mix, stems and alternates among `files`: alternates by name first ("TV Mix" is not the mix). */
function fromFiles(dir: string, files: string[], mixOption?: string): Omit<StemPackage, 'manifest' | 'masterProcessing'> {
  const mixPath = mixOption ? resolve(mixOption) : null;
  const alternates: AlternateFile[] = files.flatMap((path) => {
    const kind = path === mixPath ? null : alternateKindFromName(path);
    return kind ? [{ name: stemNameFromFile(path), path, kind, foundBy: 'name' as const }] : [];
  });
  const rest = files.filter((f) => !alternates.some((a) => a.path === f));
  const mix = mixPath ?? chooseMixByName(rest);
  return {
    dir,
    mix: mix ? { name: 'Mix', path: mix } : null,
    mixFrom: mixOption ? 'option' : mix ? 'name' : 'none',
    stems: rest.filter((f) => f !== mix).map((path) => ({ name: stemNameFromFile(path), path })),
    alternates,
  };
}

/** A package from loose files: the mix is --mix or the file named like a mix. */
export function packageFromFiles(paths: string[], mixOption?: string): StemPackage {
  const files = paths.map((p) => resolve(p));
  return { ...fromFiles(dirname(files[0] ?? '.'), files, mixOption), manifest: null, masterProcessing: [] };
}

/** Folders become one package each; files together form one package. */
export async function discoverPackages(inputs: string[], mixOption?: string): Promise<StemPackage[]> {
  const kinds = await Promise.all(
    inputs.map(async (p) => {
      try {
        return (await stat(p)).isDirectory() ? 'dir' : 'file';
      } catch (err) {
        throw new StemkitError('E_IO', `no such file or folder: ${p}`, { file: p, hint: 'check the path', cause: err });
      }
    }),
  );
  const dirs = inputs.filter((_, i) => kinds[i] === 'dir');
  const files = inputs.filter((_, i) => kinds[i] === 'file');
  if (dirs.length > 1 && mixOption) {
    throw new StemkitError('E_USAGE', '--mix names one file, but several package folders were given', { hint: 'check one folder at a time with --mix, or name the mixes "mix"' });
  }
  const packages = await Promise.all(dirs.map((d) => discoverPackage(d, mixOption)));
  // An NI Stems file is a package of its own (mix and stems are its tracks).
  const { niStemsPackageOf, releasePackage } = await import('./ni-stems-input.js');
  const loose: string[] = [];
  try {
    for (const f of files) {
      const ni = await niStemsPackageOf(f);
      if (ni) packages.push(ni);
      else loose.push(f);
    }
  } catch (err) {
    // The NI Stems files opened before the one that failed leave no decoded tracks behind.
    await Promise.all(packages.map(releasePackage));
    throw err;
  }
  if (loose.length) packages.push(packageFromFiles(loose, mixOption));
  return packages;
}
