/** A half-open frame range [start, end). */
export interface Segment {
  start: number;
  end: number;
}

/**
 * Splits [start, end) into at most `parts` contiguous segments of at least `minFrames` each,
 * with boundaries on multiples of `align` (so block-based meters see the same block grid).
 */
export function splitRange(start: number, end: number, parts: number, minFrames = 1, align = 1): Segment[] {
  const total = end - start;
  if (total <= 0) return [];
  const count = Math.max(1, Math.min(parts, Math.floor(total / Math.max(1, minFrames))));
  const segments: Segment[] = [];
  let at = start;
  for (let i = 1; i <= count; i++) {
    let boundary = i === count ? end : start + Math.round((total * i) / count / align) * align;
    boundary = Math.min(end, Math.max(boundary, at));
    if (boundary > at) segments.push({ start: at, end: boundary });
    at = boundary;
  }
  return segments;
}
