/** Searches in ascending arrays (frame and byte indexes of the readers). */

/** The index of the last of `values[0 … count)` at or below `x`; 0 when there is none (the first entry starts everything). */
export function lastAtOrBelow(values: ArrayLike<number>, x: number, count = values.length): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (values[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
