import { StemkitError } from '../errors.js';

/** A section to cut into loops: its name and where it lies on the timeline, in frames. */
export interface LoopSection {
  name: string;
  start: number;
  frames: number;
  /** Whole beats it spans (null when given in seconds). */
  beats: number | null;
}

/**
 * Parses `--sections intro:1-8,verse:9-24` (bars, 1-based, inclusive, at `bpm` with `beatsPerBar`)
 * or `intro:0-12.5s` (seconds). Start and end come from one beat grid (round(beat × samples per
 * beat)), so consecutive loops tile the timeline without drift, and each is a whole number of beats
 * to the nearest sample.
 */
export function parseSections(spec: string, sampleRate: number, totalFrames: number, bpm?: number, beatsPerBar = 4): LoopSection[] {
  const bad = (why: string) => new StemkitError('E_USAGE', `--sections ${spec}: ${why}`, { hint: 'e.g. --sections intro:1-8,verse:9-24 --bpm 124 (bars), or intro:0-12.5s (seconds)' });
  const sections: LoopSection[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9 _-]+):(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)(s?)$/.exec(part);
    if (!m) throw bad(`"${part}" is not name:first-last (bars) or name:start-ends (seconds)`);
    const [, name, a, b, seconds] = m;
    let start: number;
    let end: number;
    let beats: number | null = null;
    if (seconds) {
      start = Math.round(Number(a) * sampleRate);
      end = Math.round(Number(b) * sampleRate);
    } else {
      if (!bpm) throw bad('sections in bars need the tempo (--bpm)');
      if (!Number.isInteger(Number(a)) || !Number.isInteger(Number(b)) || Number(a) < 1) throw bad(`"${part}": bars are whole numbers from 1`);
      const perBeat = (60 / bpm) * sampleRate;
      const firstBeat = (Number(a) - 1) * beatsPerBar;
      const endBeat = Number(b) * beatsPerBar;
      start = Math.round(firstBeat * perBeat);
      end = Math.round(endBeat * perBeat);
      beats = endBeat - firstBeat;
    }
    if (end <= start) throw bad(`"${part}" ends before it starts`);
    if (end > totalFrames) throw bad(`"${part}" ends at frame ${end}, after the package's end (${totalFrames})`);
    if (sections.some((s) => s.name === name)) throw bad(`two sections are named "${name}"`);
    sections.push({ name: name!.trim(), start, frames: end - start, beats });
  }
  if (sections.length === 0) throw bad('no sections');
  return sections;
}
