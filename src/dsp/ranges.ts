/**
 * Time ranges where a condition holds, found on fixed windows of a global grid and merged:
 * windows closer than `gap` join, ranges shorter than `minLength` are widened around their
 * centre so a listener can find them. Frames in, frames out; callers convert to seconds.
 */
export type FrameRange = [start: number, end: number];

/** More ranges than this are summarised by the count, not listed. */
export const MAX_RANGES = 500;

export function mergeRanges(ranges: FrameRange[], gap: number, minLength: number, totalFrames: number): FrameRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: FrameRange[] = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start - last[1] <= gap) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged.map(([start, end]) => {
    if (end - start >= minLength) return [start, end];
    const centre = (start + end) / 2;
    const s = Math.max(0, Math.round(centre - minLength / 2));
    return [s, Math.min(totalFrames, s + minLength)];
  });
}

/** Collects flagged windows as ranges, joining consecutive ones as they arrive; capped in size. */
export class RangeCollector {
  readonly ranges: FrameRange[] = [];
  overflow = 0;

  add(start: number, end: number): void {
    const last = this.ranges.at(-1);
    if (last && start <= last[1]) {
      last[1] = Math.max(last[1], end);
      return;
    }
    if (this.ranges.length >= MAX_RANGES) {
      this.overflow++;
      return;
    }
    this.ranges.push([start, end]);
  }
}
