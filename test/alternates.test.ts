import { describe, expect, it } from 'vitest';
import { alternateKindFromName } from '../src/check/discover.js';

// The audio behaviour (verification, content detection, no 194 dB gain) is in test/almost-right.test.ts;
// this pins the name rules, where a false positive would silently drop a real stem from the sum.
describe('alternate versions by name', () => {
  it('names the kinds a delivery folder uses, as a suffix of the song name too', () => {
    const kinds = Object.fromEntries(
      ['Song_Inst.wav', '05 Song Instrumental.wav', 'Song A Cappella.wav', 'Song_Acapella.wav', 'Song TV Mix.wav', 'Song_TV_Track.wav',
        'Song Clean.wav', 'Song Clean Edit.wav', 'Song NoVox.wav', 'Song No Vocals.wav', 'Song Minus One.wav', 'Song Karaoke.wav',
        'Song Underscore.wav', 'Song Music Bed.wav'].map((f) => [f, alternateKindFromName(f)]),
    );
    expect(kinds).toEqual({
      'Song_Inst.wav': 'instrumental', '05 Song Instrumental.wav': 'instrumental', 'Song A Cappella.wav': 'a-cappella',
      'Song_Acapella.wav': 'a-cappella', 'Song TV Mix.wav': 'tv-mix', 'Song_TV_Track.wav': 'tv-mix', 'Song Clean.wav': 'clean',
      'Song Clean Edit.wav': 'clean', 'Song NoVox.wav': 'instrumental', 'Song No Vocals.wav': 'instrumental',
      'Song Minus One.wav': 'instrumental', 'Song Karaoke.wav': 'instrumental', 'Song Underscore.wav': 'underscore',
      'Song Music Bed.wav': 'underscore',
    });
  });

  it('stems whose names only contain such words stay stems', () => {
    for (const f of ['01_Instruments.wav', 'Installation FX.wav', 'Clean Guitar.wav', 'Synth Bed.wav', 'Drums.wav', 'Bass.wav']) {
      expect([f, alternateKindFromName(f)]).toEqual([f, null]);
    }
  });
});
