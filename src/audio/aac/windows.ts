/**
 * AAC-LC framing: which window sequence each 2048-sample block uses, and the block's MDCT.
 * Block p covers source frames [(p − 1)·1024, (p + 1)·1024): the decoder's output of packet p is
 * source frames [(p − 1)·1024, p·1024), so the first packet is the 1024 frames of priming.
 */
import { Mdct } from '../../dsp/mdct.js';

/** window_sequence values (ISO/IEC 14496-3 Table 4.51). */
export const ONLY_LONG = 0;
export const LONG_START = 1;
export const EIGHT_SHORT = 2;
export const LONG_STOP = 3;
export type WindowSequence = typeof ONLY_LONG | typeof LONG_START | typeof EIGHT_SHORT | typeof LONG_STOP;

export const FRAME = 1024;
export const BLOCK = 2 * FRAME;
export const SHORT = 128;

/** Sine windows (window_shape 0), the rising halves: long (1024 values) and short (128). */
function sineRise(length: number): Float64Array {
  return Float64Array.from({ length }, (_, n) => Math.sin((Math.PI / (2 * length)) * (n + 0.5)));
}
const LONG_RISE = sineRise(FRAME);
const SHORT_RISE = sineRise(SHORT);

/**
 * The window sequence of block p from the attack decisions of blocks p − 1, p and p + 1: short
 * blocks where there is an attack, start/stop windows around them, and short blocks between two
 * attacks one block apart (AAC-LC has no window that is short on both sides but long inside).
 * It depends on nothing else, so segments of one track encoded apart agree at their joins.
 */
export function windowSequence(attackBefore: boolean, attack: boolean, attackAfter: boolean): WindowSequence {
  if (attack || (attackBefore && attackAfter)) return EIGHT_SHORT;
  if (attackBefore) return LONG_STOP;
  if (attackAfter) return LONG_START;
  return ONLY_LONG;
}

/** Frames per attack-detector sub-block, and how many past sub-blocks an attack is measured against. */
const SUB = 128;
const HISTORY = 8;
/**
 * Where a block's attack detection starts: block frame 576, where the previous block's start
 * window has ended, so an attack a short block catches never sits in a long window before it.
 */
const DETECT_FROM = 576;
/** Source frames before a block's start that `hasAttack` reads. */
export const ATTACK_LOOKBEHIND = HISTORY * SUB - DETECT_FROM + 1;
/** Source frames after a block's start that `hasAttack` reads. */
export const ATTACK_LOOKAHEAD = DETECT_FROM + 8 * SUB;
/** A sub-block's high-passed energy this many times the recent mean is an attack (10 dB). */
const ATTACK_RATIO = 10;
/** Below this mean square (±1 full scale, high-passed; −70 dBFS) nothing is an attack. */
const ATTACK_FLOOR = 1e-7;

/**
 * Whether the block starting at index `at` of `channels` needs short windows: an attack among the
 * 8 sub-blocks of 128 frames covering block frames [576, 1600), the span of its short windows that
 * no neighbouring long window covers. Consecutive blocks' spans join, so every attack belongs to
 * one block. Measured on the first difference (high frequencies are where pre-echo is heard),
 * summed over the channels, against the mean of the 8 sub-blocks before each one.
 * Reads [at − ATTACK_LOOKBEHIND, at + ATTACK_LOOKAHEAD).
 */
/** Sub-block energies of one detection, reused (the detector runs once per block). */
const energies = new Float64Array(HISTORY + 8);

export function hasAttack(channels: readonly Float32Array[], at: number): boolean {
  const first = at + DETECT_FROM - HISTORY * SUB;
  for (let s = 0; s < energies.length; s++) {
    let energy = 0;
    for (const channel of channels) {
      const start = first + s * SUB;
      let previous = channel[start - 1]!;
      for (let i = start; i < start + SUB; i++) {
        const x = channel[i]!;
        const d = x - previous;
        energy += d * d;
        previous = x;
      }
    }
    energies[s] = energy / (SUB * channels.length);
  }
  let history = 0;
  for (let s = 0; s < HISTORY; s++) history += energies[s]!;
  for (let s = HISTORY; s < energies.length; s++) {
    const e = energies[s]!;
    if (e > ATTACK_FLOOR && e > (ATTACK_RATIO * history) / HISTORY) return true;
    history += e - energies[s - HISTORY]!;
  }
  return false;
}

/**
 * The MDCT coefficients of one channel's block under its window sequence: 1024 long coefficients,
 * or 8 × 128 short ones in window order. `block` holds the 2048 source frames, scaled to the
 * decoder's 16-bit full scale.
 */
export class BlockTransform {
  private readonly long = new Mdct(BLOCK);
  private readonly short = new Mdct(2 * SHORT);
  private readonly windowed = new Float64Array(BLOCK);
  private readonly shortWindowed = new Float64Array(2 * SHORT);

  transform(block: Float64Array, sequence: WindowSequence, out: Float64Array): void {
    if (sequence === EIGHT_SHORT) {
      const w = this.shortWindowed;
      for (let win = 0; win < 8; win++) {
        const start = 448 + win * SHORT;
        for (let n = 0; n < SHORT; n++) {
          w[n] = block[start + n]! * SHORT_RISE[n]!;
          w[SHORT + n] = block[start + SHORT + n]! * SHORT_RISE[SHORT - 1 - n]!;
        }
        this.short.forward(w, out.subarray(win * SHORT, (win + 1) * SHORT));
      }
      return;
    }
    const w = this.windowed;
    if (sequence === LONG_STOP) {
      w.fill(0, 0, 448);
      for (let n = 0; n < SHORT; n++) w[448 + n] = block[448 + n]! * SHORT_RISE[n]!;
      for (let n = 576; n < FRAME; n++) w[n] = block[n]!;
    } else {
      for (let n = 0; n < FRAME; n++) w[n] = block[n]! * LONG_RISE[n]!;
    }
    if (sequence === LONG_START) {
      for (let n = FRAME; n < 1472; n++) w[n] = block[n]!;
      for (let n = 0; n < SHORT; n++) w[1472 + n] = block[1472 + n]! * SHORT_RISE[SHORT - 1 - n]!;
      w.fill(0, 1600, BLOCK);
    } else {
      for (let n = 0; n < FRAME; n++) w[FRAME + n] = block[FRAME + n]! * LONG_RISE[FRAME - 1 - n]!;
    }
    this.long.forward(w, out);
  }
}
