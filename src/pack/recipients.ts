import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { StemkitError } from '../errors.js';
import { PROFILES } from '../check/profiles.js';

/** Derived versions a delivery can hold: subset sums of the stems by role. */
export const VERSION_KINDS = ['instrumental', 'a-cappella', 'tv', 'me'] as const;
export type VersionKind = (typeof VERSION_KINDS)[number];

/** What one recipient asks for: data, like a check profile; users add their own in YAML. */
export const RecipientSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and hyphens'),
    description: z.string().min(1),
    /** File name template without extension: {n} {title} {artist} {stem} {version} {bpm} {key} {rate} {bits}. */
    naming: z.string().min(1).default('{n}_{title}_{stem}'),
    format: z
      .object({
        sampleRate: z.union([z.literal('keep'), z.number().int().min(8000).max(384000)]).default('keep'),
        bitDepth: z.union([z.literal('keep'), z.literal(16), z.literal(24), z.literal(32), z.literal('float')]).default('keep'),
        /** 1: mono files ((L + R) / 2 of stereo); 2: stereo (mono duplicated to both sides); 'keep'. */
        channels: z.union([z.literal('keep'), z.literal(1), z.literal(2)]).default('keep'),
      })
      .strict()
      .default({ sampleRate: 'keep', bitDepth: 'keep', channels: 'keep' }),
    stems: z.boolean().default(true),
    mix: z.boolean().default(true),
    /** Dry stems instead of wet where the package has them (remixers). */
    dry: z.boolean().default(false),
    /** Regroup the stems into the 4 NI Stems slots (drums, bass, melody, vocals). */
    groups: z.enum(['none', 'ni-stems']).default('none'),
    versions: z.array(z.enum(VERSION_KINDS)).default([]),
    /** The check profile the delivered stems and mix must pass. */
    profile: z.string().default('music'),
    zip: z.boolean().default(false),
  })
  .strict();

export type Recipient = z.infer<typeof RecipientSchema>;
export type RecipientInput = z.input<typeof RecipientSchema>;

const BUILT_IN: RecipientInput[] = [
  { name: 'mix-engineer', description: 'every stem and the mix as rendered, numbered in package order', naming: '{n}_{title}_{stem}', profile: 'music' },
  { name: 'mastering', description: 'stems and mix at 24 bit, with the instrumental', naming: '{n}_{title}_{stem}_{rate}k{bits}b', format: { bitDepth: 24 }, versions: ['instrumental'], profile: 'mastering' },
  { name: 'sync-library', description: 'mix, instrumental, a cappella and TV mix at 48 kHz/24 bit, plus the stems', naming: '{title}_{stem}_{rate}k{bits}b', format: { sampleRate: 48000, bitDepth: 24 }, versions: ['instrumental', 'a-cappella', 'tv'], profile: 'sync' },
  { name: 'film-dme', description: 'stems and M&E (music and effects, no dialogue) at 48 kHz/24 bit', naming: '{title}_{stem}_48k24b', format: { sampleRate: 48000, bitDepth: 24 }, versions: ['me'], profile: 'music' },
  { name: 'remix', description: 'dry stems where the package has them, and the mix', naming: '{n}_{title}_{stem}', dry: true, profile: 'music' },
  { name: 'performance', description: 'stems and mix for a live rig at 48 kHz/24 bit', naming: '{n}_{stem}', format: { sampleRate: 48000, bitDepth: 24 }, profile: 'performance' },
  { name: 'ni-stems', description: 'the 4 NI Stems groups (drums, bass, melody, vocals) and the mix, as WAV at 44.1 kHz/24 bit', naming: '{n}_{title}_{stem}', format: { sampleRate: 44100, bitDepth: 24 }, groups: 'ni-stems', profile: 'ni-stems' },
];

/** The built-in recipients by name. */
export const RECIPIENTS: ReadonlyMap<string, Recipient> = new Map(BUILT_IN.map((r) => [r.name, RecipientSchema.parse(r)]));

/**
 * The recipient `name`: a built-in one, or one from a YAML file of recipients (a list, or
 * `recipients: [...]`) whose entries override built-ins of the same name.
 */
export async function resolveRecipient(name: string, file?: string): Promise<Recipient> {
  const all = new Map(RECIPIENTS);
  if (file) for (const r of await loadRecipients(file)) all.set(r.name, r);
  const found = all.get(name);
  if (!found) {
    throw new StemkitError('E_USAGE', `unknown recipient "${name}"`, { hint: `use one of: ${[...all.keys()].join(', ')}${file ? '' : ', or add yours with --recipients FILE'}` });
  }
  if (!(found.profile in PROFILES)) {
    throw new StemkitError('E_USAGE', `recipient "${name}" names the check profile "${found.profile}", which does not exist`, { ...(file ? { file } : {}), hint: `use one of: ${Object.keys(PROFILES).join(', ')}` });
  }
  return found;
}

async function loadRecipients(file: string): Promise<Recipient[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StemkitError('E_IO', `cannot read ${file}: ${(err as Error).message}`, { file, hint: 'check the path of --recipients' });
  }
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new StemkitError('E_USAGE', `${file}: not valid YAML: ${(err as Error).message}`, { file, hint: 'fix the YAML syntax' });
  }
  const list = Array.isArray(data) ? data : (data as { recipients?: unknown } | null)?.recipients;
  const parsed = z.array(RecipientSchema).safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StemkitError('E_USAGE', `${file}: recipients${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`, {
      file,
      hint: 'a recipient has name, description, naming, format {sampleRate, bitDepth}, stems, mix, dry, groups, versions, profile, zip',
    });
  }
  return parsed.data;
}
