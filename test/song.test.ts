import { describe, expect, it } from 'vitest';
import { createSong, formOf, renderTracks } from '../src/demo/song.js';

const peakDb = (channels: Float32Array[]) => 20 * Math.log10(channels.reduce((m, x) => x.reduce((a, v) => Math.max(a, Math.abs(v)), m), 0));

describe('the song', () => {
  it('has a form: intro, verse, chorus when short; the 64-second cycle repeated when long', () => {
    const short = formOf(8);
    expect(Array.from({ length: 9 }, (_, b) => short(b)?.section ?? null)).toEqual(['intro', 'verse', 'verse', 'verse', 'chorus', 'chorus', 'chorus', 'chorus', null]);
    expect(short(3)).toEqual({ section: 'verse', index: 2, length: 3, next: 'chorus' });
    expect(short(7)!.next).toBeNull();
    const long = formOf(120);
    expect([0, 4, 12, 20, 24, 32, 110, 119].map((b) => long(b)!.section)).toEqual(['intro', 'verse', 'chorus', 'break', 'chorus', 'intro', 'chorus', 'break']);
    expect(long(31)!.next).toBe('intro');
  });

  it('takes its length in seconds or in bars plus a ring-out, at any rate', () => {
    expect(createSong({ seconds: 10, sampleRate: 44100 }).frames).toBe(441000);
    const song = createSong({ bars: 8, tail: 1, sampleRate: 48000 });
    expect([song.bars, song.barFrames, song.frames]).toEqual([8, 96000, 8 * 96000 + 48000]);
  });

  it('groups the n most important tracks into 8, 5 or 4 stems', () => {
    const demo = createSong({ bars: 8, tracks: 10, stems: 5 });
    expect(demo.tracks.map((t) => t.name)).toEqual(['Kick', 'Snare', 'Hats', 'Bass', 'Lead Synth', 'Chords', 'Lead Vox', 'BGV Low', 'BGV High', 'FX Sweep']);
    expect(demo.stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Music', 'Vocals', 'FX']);
    expect(createSong({ bars: 1, tracks: 16 }).stems.map((s) => s.name)).toEqual(['Drums', 'Percussion', 'Bass', 'Guitars', 'Keys', 'Strings', 'Vocals', 'FX']);
    expect(createSong({ bars: 1, tracks: 10, stems: 4 }).stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Music', 'Vocals']);
    const all = createSong({ bars: 1 });
    expect([all.tracks.length, all.tracks.filter((t) => t.channels === 1).length]).toEqual([48, 36]);
  });

  it('is the same for the same options, a track the same in any selection, and levelled to its peak', () => {
    const a = renderTracks(createSong({ bars: 4, tracks: 4, seed: 5 }));
    const b = renderTracks(createSong({ bars: 4, tracks: 4, seed: 5 }));
    expect(a).toEqual(b);
    const more = createSong({ bars: 4, tracks: 6, seed: 5 });
    const kick = renderTracks(more)[more.tracks.findIndex((t) => t.name === 'Kick')]!;
    expect(kick).toEqual(a[0]);
    expect(renderTracks(createSong({ bars: 4, tracks: 4, seed: 6 }))[1]).not.toEqual(a[1]);
    for (const track of a) expect(peakDb(track)).toBeCloseTo(-6, 1);
  });

  it('plays its stems as the tracks through their faders and pans, a bar at a time', () => {
    const song = createSong({ bars: 2, tail: 0.5, tracks: 10, stems: 5 });
    const player = song.play();
    const frames: number[] = [];
    let loud = 0;
    for (let bar = player.stems(); bar; bar = player.stems()) {
      frames.push(bar.frames);
      expect(bar.audio).toHaveLength(5);
      for (const [l, r] of bar.audio) for (let i = 0; i < bar.frames; i++) loud = Math.max(loud, Math.abs(l![i]!), Math.abs(r![i]!));
    }
    expect(frames).toEqual([96000, 96000, 24000]);
    expect(loud).toBeGreaterThan(0.05);
    expect(loud).toBeLessThan(1);
  });
});
