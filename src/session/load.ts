import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { openAudio } from '../audio/open.js';
import type { AudioFormat } from '../audio/types.js';
import { StemkitError, isStemkitError } from '../errors.js';
import { createProcessor } from '../dsp/processors/index.js';
import { ProcessorSpecError, type ProcessorSpec } from '../dsp/processors/schema.js';
import { formatPath, ProcessorConfigError, type FieldPath } from '../dsp/processors/types.js';
import { SessionSchema, type Session } from './schema.js';

/** One track of a session, its file found and its header read. */
export interface ResolvedTrack {
  /** Absolute path of the audio file. */
  path: string;
  /** The track's name in the session, else its file name without extension. */
  name: string;
  /** The file's format, from its header. */
  format: AudioFormat;
  /** Index path in the session, e.g. "stems[1].tracks[0]", for messages. */
  where: string;
}

/** A validated session whose track and impulse-response files were found and opened: what `renderSession` renders. */
export interface ResolvedSession {
  /** The session, defaults filled in. */
  session: Session;
  /** Where the session file lives; relative paths resolve from here. */
  dir: string;
  /** The session file's absolute path (resolveSession's `label`); null for a session given as an object without one. */
  path: string | null;
  /** Per stem, per track (muted tracks included, flagged by the session). */
  tracks: ResolvedTrack[][];
  /** Channels of every bus and output file: 2, or the tracks' own layout for multichannel (5.1/7.1) sessions. */
  channels: number;
  /** Impulse responses referenced by convolution reverbs, absolute paths by the string used in the session. */
  impulses: Map<string, string>;
}

function sessionError(file: string, problems: string[]): StemkitError {
  return new StemkitError('E_SESSION', `${file}: ${problems.length} problem(s) in the session:\n  ${problems.join('\n  ')}`, {
    file,
    hint: 'fix the listed fields; nothing was rendered',
  });
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? formatPath(issue.path) : '(top level)'}: ${issue.message}`);
}

/** Reads and validates a session file; every problem is listed with its path, and no render starts. */
export async function loadSession(file: string): Promise<ResolvedSession> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StemkitError('E_IO', `cannot read session ${file}: ${(err as Error).message}`, { file, hint: 'check the path' });
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new StemkitError('E_SESSION', `${file}: not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, {
      file,
      hint: 'fix the syntax error at the position given',
    });
  }
  return resolveSession(raw, dirname(resolve(file)), file);
}

/** Validates a session object (from a file or from code) and opens every track's header. */
export async function resolveSession(raw: unknown, dir: string, label = 'session'): Promise<ResolvedSession> {
  const parsed = SessionSchema.safeParse(raw);
  if (!parsed.success) throw sessionError(label, zodProblems(parsed.error));
  const session = parsed.data;
  const problems: string[] = [];

  const stemNames = new Set<string>();
  session.stems.forEach((stem, s) => {
    const key = stem.name.toLowerCase();
    if (stemNames.has(key)) problems.push(`stems[${s}].name: "${stem.name}" is used twice (stem files would collide)`);
    stemNames.add(key);
  });
  const returnNames = new Set(session.returns.map((r) => r.name));
  if (returnNames.size !== session.returns.length) problems.push('returns: two returns share a name');

  const impulses = new Map<string, string>();
  const noteImpulses = (chain: { type: string; impulse?: string }[]) => {
    for (const p of chain) if (p.type === 'reverb' && p.impulse) impulses.set(p.impulse, resolve(dir, p.impulse));
  };
  session.returns.forEach((r) => noteImpulses(r.processing));
  noteImpulses(session.master.processing);

  const tracks: ResolvedTrack[][] = await Promise.all(
    session.stems.map(async (stem, s) => {
      noteImpulses(stem.processing);
      const resolved = await Promise.all(
        stem.tracks.map(async (track, t) => {
          const where = `stems[${s}].tracks[${t}]`;
          noteImpulses(track.processing);
          track.sends.forEach((send, k) => {
            if (!returnNames.has(send.to)) problems.push(`${where}.sends[${k}].to: no return named "${send.to}" (returns: ${[...returnNames].join(', ') || 'none'})`);
          });
          const points = track.automation?.gain ?? [];
          points.forEach((p, k) => {
            if (k > 0 && p[0] < points[k - 1]![0]) problems.push(`${where}.automation.gain[${k}]: times must not go backwards (${p[0]} s after ${points[k - 1]![0]} s)`);
          });
          const path = resolve(dir, track.file);
          try {
            const source = await openAudio(path);
            await source.close();
            return { path, name: track.name ?? basename(track.file, extname(track.file)), format: source.format, where };
          } catch (err) {
            const reason = isStemkitError(err) ? err.message.replace(`${path}: `, '') : String(err);
            problems.push(`${where}.file: ${/no such file/.test(reason) ? 'no such file' : reason} (${track.file})`);
            return null;
          }
        }),
      );
      return resolved.filter((t): t is ResolvedTrack => t !== null);
    }),
  );
  for (const [name, path] of impulses) {
    try {
      const source = await openAudio(path);
      await source.close();
    } catch (err) {
      problems.push(`impulse "${name}": ${isStemkitError(err) ? err.message : String(err)}`);
    }
  }

  // One layout for every bus: stereo, unless the tracks are multichannel (film stems), then theirs.
  const wide = tracks.flat().filter((t) => t.format.channels > 2);
  const channels = wide[0]?.format.channels ?? 2;
  for (const t of tracks.flat()) {
    if (channels > 2 && t.format.channels !== channels) {
      problems.push(`${t.where}.file: ${t.format.channels} channel(s) in a ${channels}-channel session (multichannel buses take only tracks of the same layout)`);
    }
  }
  // Parameters that are valid as data but not at this rate (an EQ band above Nyquist) fail here, not mid-render.
  // Each problem is reported at its field's path from the session's top: "stems[0].processing[2].bands[1].freq: …".
  const probe = (chain: ProcessorSpec[], where: FieldPath, chainChannels: number) =>
    chain.forEach((spec, i) => {
      try {
        const impulse = spec.type === 'reverb' && spec.impulse ? [new Float32Array(1)] : undefined;
        // Built only to validate: its kernel memory goes back at once (a server validating sessions all day must not fill the arena).
        createProcessor(spec, { sampleRate: session.sampleRate, channels: chainChannels, ...(impulse ? { impulse } : {}) }).dispose?.();
      } catch (err) {
        if (err instanceof ProcessorConfigError || err instanceof ProcessorSpecError) problems.push(...err.at([...where, i]).message.split('\n'));
        else problems.push(`${formatPath([...where, i])}: ${(err as Error).message}`);
      }
    });
  session.stems.forEach((stem, s) => {
    probe(stem.processing, ['stems', s, 'processing'], channels);
    stem.tracks.forEach((track, t) => {
      const info = tracks[s]!.find((r) => r.where === `stems[${s}].tracks[${t}]`);
      probe(track.processing, ['stems', s, 'tracks', t, 'processing'], info?.format.channels ?? 2);
    });
  });
  session.returns.forEach((r, i) => probe(r.processing, ['returns', i, 'processing'], channels));
  probe(session.master.processing, ['master', 'processing'], channels);

  if (problems.length) throw sessionError(label, problems);
  return { session, dir, path: label === 'session' ? null : resolve(label), tracks, channels, impulses };
}
