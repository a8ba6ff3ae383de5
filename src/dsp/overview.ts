/**
 * A fixed number of columns across the whole file (peak and RMS per column, all channels), for
 * waveform and level-over-time plots: memory depends on the plot's width, never on the duration.
 */
export interface OverviewState {
  /** Columns across the file. */
  columns: number;
  /** Frames of the whole file, split equally among the columns. */
  totalFrames: number;
  /** Per column: max |sample| over all channels (linear). */
  peak: number[];
  /** Per column: Σ x² over all channels. */
  sumSquares: number[];
  /** Samples counted per column (channels × frames). */
  count: number[];
}

/** Accumulates a file's peak and RMS in a fixed number of columns (for plots), whatever the file's length. */
export class Overview {
  private readonly peak: Float64Array;
  private readonly sumSquares: Float64Array;
  private readonly count: Float64Array;
  private readonly perColumn: number;

  constructor(
    /** Columns across the file. */
    readonly columns: number,
    /** Frames of the whole file (the segment being measured is part of it). */
    readonly totalFrames: number,
  ) {
    this.peak = new Float64Array(columns);
    this.sumSquares = new Float64Array(columns);
    this.count = new Float64Array(columns);
    this.perColumn = totalFrames / columns;
  }

  /** The first frame after the column holding `frame` (at least frame + 1). */
  columnEnd(frame: number): number {
    const column = this.columnOf(frame);
    return Math.max(frame + 1, Math.ceil((column + 1) * this.perColumn));
  }

  /**
   * Adds a piece of one channel that lies within one column (see columnEnd): its sum of squares and
   * peak. The signal meter feeds it from its own loop, so the samples are read once for both.
   */
  add(frame: number, frames: number, squares: number, peak: number): void {
    if (this.totalFrames <= 0) return;
    const column = this.columnOf(frame);
    if (peak > this.peak[column]!) this.peak[column] = peak;
    if (squares === squares) this.sumSquares[column]! += squares;
    this.count[column]! += frames;
  }

  private columnOf(frame: number): number {
    return Math.max(0, Math.min(this.columns - 1, Math.floor(frame / this.perColumn)));
  }

  /** The columns so far, as plain data (a copy) that can cross a worker boundary. */
  state(): OverviewState {
    return {
      columns: this.columns,
      totalFrames: this.totalFrames,
      peak: Array.from(this.peak),
      sumSquares: Array.from(this.sumSquares),
      count: Array.from(this.count),
    };
  }

  /** The states of segments of one file (same columns and length) combined into the whole file's. */
  static merge(parts: OverviewState[]): OverviewState {
    const out = { ...parts[0]!, peak: [...parts[0]!.peak], sumSquares: [...parts[0]!.sumSquares], count: [...parts[0]!.count] };
    for (const p of parts.slice(1)) {
      for (let c = 0; c < out.columns; c++) {
        out.peak[c] = Math.max(out.peak[c]!, p.peak[c]!);
        out.sumSquares[c]! += p.sumSquares[c]!;
        out.count[c]! += p.count[c]!;
      }
    }
    return out;
  }
}
