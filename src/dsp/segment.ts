/**
 * Meters run over time segments on different workers and merge exactly. A segment's meter is fed
 * from `startFrame` (a pre-roll that primes filters and windows) but only counts what happens from
 * `countFrom` on. Windows and blocks sit on a grid anchored at frame 0 of the file, so a window is
 * counted by exactly one segment: the one in which it ends.
 */
export interface SegmentPosition {
  /** Global frame index of the first sample pushed. Default 0. */
  startFrame?: number;
  /** Global frame index from which results count; earlier samples only prime state. Default startFrame. */
  countFrom?: number;
}

/** Pre-roll that lets every meter reach its steady state: the 3 s short-term window plus filter settling. */
export const PRE_ROLL_SECONDS = 3.5;
