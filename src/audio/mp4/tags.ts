/**
 * iTunes-style metadata (`moov/udta/meta/ilst`), as players and DJ software read it: text items
 * under their four-character keys (©nam, ©ART …), freeform `----` items (mean "com.apple.iTunes")
 * such as iTunSMPB (gapless info) and AUDIOTYPE, and cover art.
 */
import { concatBytes } from '../bytes.js';
import { Fields, box, fullBox } from './boxes.js';

/** What goes into `ilst`. */
export interface ItunesTags {
  /** Text items by key: '©nam' (title), '©ART' (artist), 'TAUT' … */
  text?: Record<string, string>;
  /** Freeform items under com.apple.iTunes, by name: 'iTunSMPB', 'AUDIOTYPE' … */
  freeform?: Record<string, string>;
  /** Cover art: JPEG or PNG bytes (the type is taken from the signature). */
  cover?: Uint8Array;
}

const UTF8 = 1;
const JPEG = 13;
const PNG = 14;

function dataBox(type: number, payload: Uint8Array): Uint8Array {
  return box('data', new Fields().u32(type).u32(0).done(), payload);
}

/** The iTunes key's four characters as bytes: '©' is the single byte 0xA9, not UTF-8. */
function keyBox(key: string, ...parts: Uint8Array[]): Uint8Array {
  const type = String.fromCharCode(...[...key].map((c) => c.charCodeAt(0) & 0xff));
  return box(type, ...parts);
}

/** `udta` holding `meta` (with `ilst`) followed by any extra boxes (NI's `stem`). */
export function udtaBox(tags: ItunesTags, extra: readonly Uint8Array[] = []): Uint8Array {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const items: Uint8Array[] = [];
  for (const [key, value] of Object.entries(tags.text ?? {})) items.push(keyBox(key, dataBox(UTF8, utf8(value))));
  for (const [name, value] of Object.entries(tags.freeform ?? {})) {
    items.push(box('----',
      fullBox('mean', 0, 0, utf8('com.apple.iTunes')),
      fullBox('name', 0, 0, utf8(name)),
      dataBox(UTF8, utf8(value))));
  }
  if (tags.cover) items.push(box('covr', dataBox(tags.cover[0] === 0x89 ? PNG : JPEG, tags.cover)));
  const hdlr = fullBox('hdlr', 0, 0, new Fields().u32(0).ascii('mdir').ascii('appl').zeros(8).u8(0).done());
  return box('udta', fullBox('meta', 0, 0, hdlr, box('ilst', concatBytes(items))), ...extra);
}

/**
 * iTunSMPB: Apple's gapless info, 12 hex fields; the 2nd is the priming (encoder delay), the 3rd the
 * padding after the audio, the 4th the audio's length in frames.
 */
export function itunSmpb(priming: number, frames: number, mediaFrames: number): string {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  const padding = mediaFrames - priming - frames;
  return [' 00000000', hex(priming, 8), hex(padding, 8), hex(frames, 16), ...Array(8).fill('00000000')].join(' ');
}

/** Reads iTunSMPB back: priming, padding and frames; null when it does not parse. */
export function parseItunSmpb(text: string): { priming: number; padding: number; frames: number } | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 4 || !fields.slice(0, 4).every((f) => /^[0-9A-Fa-f]+$/.test(f))) return null;
  return { priming: parseInt(fields[1]!, 16), padding: parseInt(fields[2]!, 16), frames: parseInt(fields[3]!, 16) };
}
