/** Characters a delivered file name may hold (everything else becomes `_`): safe on every filesystem and in every URL. */
const SAFE = /[^A-Za-z0-9._-]/g;
/** Longest file name, extension included: under every common filesystem's limit (255) with room for a copy suffix. */
const MAX_NAME = 120;

/** The fields a naming template may use. */
export interface NameFields {
  n: number;
  title: string;
  artist?: string;
  stem: string;
  version?: string;
  bpm?: number;
  key?: string;
  rate: number;
  bits: number | 'float';
}

const FIELD = /\{(n|title|artist|stem|version|bpm|key|rate|bits)\}/g;

/** A template's unknown fields, e.g. "{titel}", so recipients are refused before any work. */
export function unknownFields(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((f) => !/^(n|title|artist|stem|version|bpm|key|rate|bits)$/.test(f));
}

/**
 * File names from a template, made safe ([A-Za-z0-9._-]), bounded in length and unique among
 * `taken` (case-insensitively, since macOS and Windows ignore case): "{n}_{title}_{stem}" →
 * "01_My_Song_Drums.wav". {n} is two digits, {rate} in kHz ("48", "44.1").
 */
export function fileName(template: string, fields: NameFields, taken: Set<string>, extension = '.wav'): string {
  const value = (key: string): string => {
    switch (key) {
      case 'n':
        return String(fields.n).padStart(2, '0');
      case 'rate':
        return String(fields.rate / 1000);
      case 'bits':
        return String(fields.bits);
      default: {
        const v = fields[key as keyof NameFields];
        return v === undefined ? '' : String(v);
      }
    }
  };
  let base = template
    .replace(FIELD, (_, key: string) => value(key))
    .replace(SAFE, '_')
    .replace(/_+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '');
  if (base === '') base = `file_${fields.n}`;
  base = base.slice(0, MAX_NAME - extension.length - 4);
  let name = base + extension;
  for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base}_${k}${extension}`;
  taken.add(name.toLowerCase());
  return name;
}
