import { describe, expect, it } from 'vitest';
import { decodeInterleaved } from '../src/audio/pcm.js';
import { prng } from '../src/dsp/random.js';

// The 24-bit word-load path (aligned buffers, mono/stereo) must equal the byte path (unaligned) exactly.
describe('24-bit decode through word loads', () => {
  it('matches the byte-by-byte decoder for every length, remainder and sign pattern', () => {
    const next = prng(24);
    for (const channels of [1, 2]) {
      for (let frames = 0; frames < 70; frames++) {
        const bytes = frames * channels * 3;
        const aligned = new Uint8Array(bytes + 8);
        for (let i = 0; i < bytes; i++) aligned[i] = Math.floor(next() * 256);
        // Force extremes into the stream: full-scale negative and positive, −1 and 0.
        if (bytes >= 12) aligned.set([0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0], 0);
        const unaligned = new Uint8Array(bytes + 9).subarray(1);
        unaligned.set(aligned.subarray(0, bytes));
        const fast = Array.from({ length: channels }, () => new Float32Array(frames + 3));
        const slow = Array.from({ length: channels }, () => new Float32Array(frames + 3));
        decodeInterleaved(aligned.subarray(0, bytes), frames, channels, { kind: 'int', bytes: 3, bigEndian: false }, fast, 2);
        decodeInterleaved(unaligned.subarray(0, bytes), frames, channels, { kind: 'int', bytes: 3, bigEndian: false }, slow, 2);
        expect([channels, frames, fast.map((c) => Array.from(c))]).toEqual([channels, frames, slow.map((c) => Array.from(c))]);
        if (frames >= 4) expect(fast[0]![2]).toBe(-1);
      }
    }
  });
});
