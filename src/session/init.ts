import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { openAudio } from '../audio/open.js';
import { StemkitError } from '../errors.js';
import type { SessionInput } from './schema.js';

/** Stem groups by track-name keywords, first match wins (backing vocals before lead vocals). */
export const GROUPS: { stem: string; role: 'drums' | 'bass' | 'vocals' | 'music' | 'fx' | 'other'; keywords: string[] }[] = [
  { stem: 'Drums', role: 'drums', keywords: ['kick', 'snare', 'hat', 'hihat', 'hh', 'tom', 'overhead', 'oh', 'room', 'perc', 'clap', 'cymbal', 'ride', 'crash', 'drum', 'drums', 'shaker', 'tamb'] },
  { stem: 'Bass', role: 'bass', keywords: ['bass', 'sub', '808'] },
  { stem: 'Backing Vocals', role: 'vocals', keywords: ['bgv', 'bgvs', 'harmony', 'harmonies', 'choir', 'adlib', 'adlibs', 'backing', 'bv', 'bvs'] },
  { stem: 'Lead Vocals', role: 'vocals', keywords: ['lead vox', 'vox', 'vocal', 'vocals', 'voc', 'lead vocal', 'voice'] },
  { stem: 'Keys/Synths', role: 'music', keywords: ['keys', 'key', 'piano', 'synth', 'synths', 'pad', 'pads', 'organ', 'rhodes', 'chords', 'ep'] },
  { stem: 'Guitars', role: 'music', keywords: ['gtr', 'guitar', 'guitars', 'gtrs', 'acoustic'] },
  { stem: 'FX', role: 'fx', keywords: ['fx', 'sfx', 'riser', 'sweep', 'impact', 'whoosh', 'downlifter', 'uplifter'] },
];

const AUDIO = new Set(['.wav', '.wave', '.bwf', '.aif', '.aiff', '.aifc', '.flac']);

/** "01_HiHat-Close.wav" → ["01", "hi", "hat", "close", "hihat"]: words, camelCase parts, and the joined name. */
export function nameTokens(file: string): string[] {
  const base = basename(file, extname(file));
  const words = base.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return [...words, base.toLowerCase().replace(/[^a-z0-9]+/g, '')];
}

/** Which stem a track file was put in, and why. */
export interface Guess {
  /** The track's file name within the folder. */
  file: string;
  /** The stem it goes to ("Other" when no keyword matched). */
  stem: string;
  /** That stem's role (a StemRoleSchema value). */
  role: string;
  /** The keyword that decided, or null when nothing matched (→ Other). */
  matched: string | null;
}

export function guessStem(file: string): Guess {
  const tokens = nameTokens(file);
  const phrase = ` ${tokens.slice(0, -1).join(' ')} `;
  for (const group of GROUPS) {
    for (const keyword of group.keywords) {
      const hit = keyword.includes(' ')
        ? phrase.includes(` ${keyword} `)
        : tokens.some((t) => t === keyword || t === `${keyword}s` || (keyword.length >= 4 && (t.startsWith(keyword) || t.endsWith(keyword))));
      if (hit) return { file, stem: group.stem, role: group.role, matched: keyword };
    }
  }
  return { file, stem: 'Other', role: 'other', matched: null };
}

/** What `initSession` built: the session, how each track was grouped, and the session as YAML. */
export interface InitResult {
  /** The session: one stem per group that got tracks, track paths relative to the session file. */
  session: SessionInput;
  /** One per track file, in file-name order. */
  guesses: Guess[];
  /** The session as YAML under a comment that says what to do next; the caller writes it. */
  yaml: string;
}

/** Builds a session from a folder of track exports, grouping tracks into stems by name. */
export async function initSession(tracksDir: string, sessionPath: string): Promise<InitResult> {
  const dir = resolve(tracksDir);
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((f) => AUDIO.has(extname(f).toLowerCase()) && !f.startsWith('.')).sort();
  } catch (err) {
    throw new StemkitError('E_IO', `cannot read folder ${tracksDir}: ${(err as Error).message}`, { file: tracksDir, hint: 'pass the folder that holds the track exports' });
  }
  if (entries.length === 0) {
    throw new StemkitError('E_USAGE', `no WAV, AIFF or FLAC files in ${tracksDir}`, { file: tracksDir, hint: 'export the tracks (consolidated, from the song start) into this folder first' });
  }
  let sampleRate = 48000;
  for (const f of entries) {
    try {
      const source = await openAudio(join(dir, f));
      sampleRate = source.format.sampleRate;
      await source.close();
      break;
    } catch {
      // An unreadable track is reported when the session is rendered; the rate comes from the next one.
    }
  }
  const guesses = entries.map(guessStem);
  const order = [...GROUPS.map((g) => g.stem), 'Other'];
  const from = dirname(resolve(sessionPath));
  const stems = order
    .map((name) => ({ name, tracks: guesses.filter((g) => g.stem === name) }))
    .filter((s) => s.tracks.length > 0)
    .map((s) => ({
      name: s.name,
      role: s.tracks[0]!.role as 'other',
      tracks: s.tracks.map((g) => ({ file: relative(from, join(dir, g.file)) })),
    }));
  const session: SessionInput = { name: basename(dir), sampleRate, bitDepth: 24, tail: 'auto', stems };
  const header = `# stemkit session written by \`stemkit init ${tracksDir}\`: check the grouping, then run \`stemkit render ${basename(sessionPath)}\`\n`;
  return { session, guesses, yaml: header + stringify(session) };
}
