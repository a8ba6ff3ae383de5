/**
 * Streams source frames through stemkit's AAC-LC encoder: frames are pushed in order, packets come
 * out as soon as the frames they depend on (their block and the attack look-ahead) have arrived.
 * A stream can cover packets [firstPacket, endPacket) of a longer track, so segments of one track
 * can be encoded in parallel: each packet depends only on source frames, never on the packets
 * before it, except through the rate control.
 */
import { AacLcEncoder, type LcEncoderOptions } from './lc-encoder.js';
import { ATTACK_LOOKAHEAD, FRAME, hasAttack, windowSequence } from './windows.js';

/** Packets of a track of `frames` frames: the priming packet, then enough to cover the last frame. */
export function aacPacketCount(frames: number): number {
  return Math.ceil(frames / FRAME) + 1;
}

/**
 * The first source frame packet p depends on: the attack history of block p − 1 (ATTACK_LOOKBEHIND
 * frames before it, less than a frame), rounded down to a frame.
 */
function firstFrameOf(packet: number): number {
  return (packet - 3) * FRAME;
}

/** One past the last source frame packet p depends on (block p and the attack look-ahead of block p + 1). */
export function endFrameOf(packet: number): number {
  return packet * FRAME + ATTACK_LOOKAHEAD;
}

const WINDOW_FRAMES = 40 * FRAME;

export interface AacStreamOptions extends LcEncoderOptions {
  /** The first packet to produce (0, the priming packet, by default). */
  firstPacket?: number;
}

export class AacLcStream {
  /** The source frame the first `push` must start at. */
  readonly inputStart: number;
  private readonly encoder: AacLcEncoder;
  private readonly window: Float32Array[];
  /** Source frame at index 0 of `window`, and how many frames from there are present. */
  private windowStart: number;
  private filled = 0;
  private next: number;
  private readonly attacks = new Map<number, boolean>();

  constructor(options: AacStreamOptions) {
    this.encoder = new AacLcEncoder(options);
    this.next = options.firstPacket ?? 0;
    this.windowStart = firstFrameOf(this.next);
    this.window = Array.from({ length: options.channels }, () => new Float32Array(WINDOW_FRAMES));
    this.inputStart = Math.max(0, this.windowStart);
    // Frames before the source's start are silence.
    this.filled = this.inputStart - this.windowStart;
  }

  /** Appends `frames` frames (planar, ±1 full scale) and returns the packets they complete. */
  push(planar: readonly Float32Array[], frames: number, endPacket = Infinity): Uint8Array[] {
    const packets: Uint8Array[] = [];
    for (let done = 0; done < frames; ) {
      this.makeRoom();
      const n = Math.min(frames - done, WINDOW_FRAMES - this.filled);
      this.window.forEach((w, c) => w.set(planar[c]!.subarray(done, done + n), this.filled));
      this.filled += n;
      done += n;
      this.drain(packets, endPacket);
    }
    return packets;
  }

  /**
   * Encodes the packets left before `endPacket` (a whole track: aacPacketCount of its length),
   * with silence after the frames pushed.
   */
  finish(endPacket: number): Uint8Array[] {
    const packets: Uint8Array[] = [];
    while (this.next < endPacket) {
      this.makeRoom();
      const needed = Math.min(WINDOW_FRAMES, endFrameOf(this.next) - this.windowStart);
      if (this.filled < needed) {
        for (const w of this.window) w.fill(0, this.filled, needed);
        this.filled = needed;
      }
      this.drain(packets, endPacket);
    }
    return packets;
  }

  private drain(packets: Uint8Array[], endPacket: number): void {
    while (this.next < endPacket && endFrameOf(this.next) - this.windowStart <= this.filled) {
      const p = this.next;
      const sequence = windowSequence(this.attack(p - 1), this.attack(p), this.attack(p + 1));
      packets.push(this.encoder.encode(this.window, (p - 1) * FRAME - this.windowStart, sequence));
      this.attacks.delete(p - 2);
      this.next++;
    }
  }

  private attack(block: number): boolean {
    if (block < 0) return false;
    let known = this.attacks.get(block);
    if (known === undefined) {
      known = hasAttack(this.window, (block - 1) * FRAME - this.windowStart);
      this.attacks.set(block, known);
    }
    return known;
  }

  /** Drops the frames no packet still to come depends on, when the window is full. */
  private makeRoom(): void {
    if (this.filled < WINDOW_FRAMES) return;
    const drop = firstFrameOf(this.next) - this.windowStart;
    for (const w of this.window) w.copyWithin(0, drop, this.filled);
    this.windowStart += drop;
    this.filled -= drop;
  }
}
