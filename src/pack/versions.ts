import { StemkitError } from '../errors.js';
import { GROUPS } from '../session/init.js';
import type { VersionKind } from './recipients.js';

/** What a stem carries (a render's manifest says; otherwise its name is read). */
export type StemRole = 'drums' | 'bass' | 'music' | 'vocals' | 'fx' | 'dialogue' | 'effects' | 'other';

export interface PackStem {
  name: string;
  role: StemRole;
  /** Where the role came from: the render's manifest, the stem's name, or nowhere ('other'). */
  roleFrom: 'option' | 'manifest' | 'name' | 'unknown';
}

/** Words that mark a film dialogue stem (they win over the music groups' "vocal"). */
const DIALOGUE = /\b(dialog(ue)?|dx|voice ?over|vo|adr)\b/i;
/** Words that mark a vocal stem as not the lead. */
const NOT_LEAD = /(backing|bgv|bvs?\b|harmon|choir|adlib|double|chorus vox)/i;

const ROLES: readonly StemRole[] = ['drums', 'bass', 'music', 'vocals', 'fx', 'dialogue', 'effects', 'other'];

/**
 * "Kick=drums,Pad=music" → stem name → role, for stems whose name or manifest says the wrong thing
 * (the user's map wins over both). Roles: drums, bass, music, vocals, fx, dialogue, effects, other.
 */
export function parseRoleMap(text: string): Map<string, StemRole> {
  const map = new Map<string, StemRole>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.lastIndexOf('=');
    const name = part.slice(0, at).trim();
    const role = part.slice(at + 1).trim().toLowerCase() as StemRole;
    if (at <= 0 || !name || !ROLES.includes(role)) {
      throw new StemkitError('E_USAGE', `--roles entry "${part}" is not STEM=ROLE with a role of ${ROLES.join(', ')}`, { hint: 'e.g. --roles "Kick=drums,Pad=music,Lead Vox=vocals"' });
    }
    map.set(name.toLowerCase(), role);
  }
  return map;
}

/** A stem's role from its name (the keywords `stemkit init` groups tracks by), or null. */
export function roleFromName(name: string): StemRole | null {
  if (DIALOGUE.test(name)) return 'dialogue';
  const words = name.toLowerCase().replace(/[_\-.]+/g, ' ');
  for (const group of GROUPS) {
    if (group.keywords.some((k) => new RegExp(`(^|\\s)${k}(s)?(\\s|$)`).test(words))) return group.role;
  }
  return null;
}

/** Whether a vocal stem is the lead (TV mixes drop only the lead). */
export function isLeadVocal(stem: PackStem): boolean {
  return stem.role === 'vocals' && !NOT_LEAD.test(stem.name);
}

/** A derived version: the unity sum of some stems, with what it is and how it was defined. */
export interface VersionPlan {
  kind: VersionKind | 'ni-group';
  label: string;
  /** Indices of the stems it sums. */
  members: number[];
  /** The definition in words, for the read-me ("all stems but the vocals: Drums, Bass, …"). */
  definition: string;
}

const LABELS: Record<VersionKind, string> = { instrumental: 'Instrumental', 'a-cappella': 'A cappella', tv: 'TV mix', me: 'M&E' };

/** The plan of a version, or why this package cannot make it. */
export function planVersion(kind: VersionKind, stems: readonly PackStem[]): VersionPlan | { refused: string } {
  const all = stems.map((_, i) => i);
  const named = (members: number[]) => members.map((i) => stems[i]!.name).join(', ');
  const known = stems.filter((s) => s.roleFrom !== 'unknown').length;
  if (known === 0) return { refused: 'no stem has a role (no render manifest, and no stem name says what it carries)' };
  const vocals = all.filter((i) => stems[i]!.role === 'vocals');
  const make = (members: number[], definition: string): VersionPlan => ({ kind, label: LABELS[kind], members, definition: `${definition}: ${named(members)}` });
  switch (kind) {
    case 'instrumental': {
      if (vocals.length === 0) return { refused: 'no vocal stem: the mix is already instrumental' };
      const rest = all.filter((i) => stems[i]!.role !== 'vocals' && stems[i]!.role !== 'dialogue');
      if (rest.length === 0) return { refused: 'every stem is vocal: an instrumental would be silence' };
      return make(rest, 'all stems but the vocals');
    }
    case 'a-cappella':
      if (vocals.length === 0) return { refused: 'no vocal stem' };
      return make(vocals, 'the vocal stems');
    case 'tv': {
      const leads = vocals.filter((i) => isLeadVocal(stems[i]!));
      if (leads.length === 0) return { refused: vocals.length === 0 ? 'no vocal stem' : 'no stem is identifiable as the lead vocal (all vocal stems are backing vocals)' };
      return make(all.filter((i) => !leads.includes(i)), 'all stems but the lead vocal');
    }
    case 'me': {
      const dialogue = all.filter((i) => stems[i]!.role === 'dialogue');
      if (dialogue.length === 0) return { refused: 'no dialogue stem: M&E is the mix without dialogue, and this package has none' };
      return make(all.filter((i) => stems[i]!.role !== 'dialogue'), 'music and effects, all stems but dialogue');
    }
  }
}

/** The 4 NI Stems slots in their order, and the roles each takes (melody takes the rest). */
const NI_SLOTS: { label: string; roles: StemRole[] }[] = [
  { label: 'Drums', roles: ['drums'] },
  { label: 'Bass', roles: ['bass'] },
  { label: 'Melody', roles: [] },
  { label: 'Vocals', roles: ['vocals'] },
];

/** The stems regrouped into the 4 NI Stems slots, or why not (a slot would be empty, or no roles). */
export function planNiGroups(stems: readonly PackStem[]): VersionPlan[] | { refused: string } {
  if (stems.every((s) => s.roleFrom === 'unknown')) return { refused: 'no stem has a role to group by' };
  const taken = new Set<number>();
  const groups = NI_SLOTS.map((slot) => {
    const members = stems.map((s, i) => i).filter((i) => slot.roles.includes(stems[i]!.role));
    members.forEach((i) => taken.add(i));
    return { slot, members };
  });
  groups[2]!.members = stems.map((_, i) => i).filter((i) => !taken.has(i));
  const empty = groups.filter((g) => g.members.length === 0).map((g) => g.slot.label);
  if (empty.length > 0) return { refused: `no stem for the ${empty.join(' and ')} slot${empty.length > 1 ? 's' : ''}` };
  return groups.map((g) => ({ kind: 'ni-group', label: g.slot.label, members: g.members, definition: `NI Stems ${g.slot.label}: ${g.members.map((i) => stems[i]!.name).join(', ')}` }));
}
