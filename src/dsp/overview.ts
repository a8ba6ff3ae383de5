import type { SegmentPosition } from './segment.js';

/**
 * A fixed number of columns across the whole file (peak and RMS per column, all channels), for
 * waveform and level-over-time plots: memory depends on the plot's width, never on the duration.
 */
export interface OverviewState {
  columns: number;
  totalFrames: number;
  peak: number[];
  sumSquares: number[];
  /** Samples counted per column (channels × frames). */
  count: number[];
}

export class Overview {
  private readonly peak: Float64Array;
  private readonly sumSquares: Float64Array;
  private readonly count: Float64Array;
  private position: number;
  private readonly countFrom: number;

  constructor(
    readonly columns: number,
    readonly totalFrames: number,
    position: SegmentPosition = {},
  ) {
    this.peak = new Float64Array(columns);
    this.sumSquares = new Float64Array(columns);
    this.count = new Float64Array(columns);
    this.position = position.startFrame ?? 0;
    this.countFrom = position.countFrom ?? this.position;
  }

  push(planar: Float32Array[], frames: number): void {
    const start = this.position;
    this.position += frames;
    const begin = Math.max(0, this.countFrom - start);
    if (begin >= frames || this.totalFrames <= 0) return;
    const perColumn = this.totalFrames / this.columns;
    let i = begin;
    while (i < frames) {
      const column = Math.min(this.columns - 1, Math.floor((start + i) / perColumn));
      const columnEnd = Math.min(frames, Math.ceil((column + 1) * perColumn) - start);
      const end = Math.max(i + 1, columnEnd);
      let peak = this.peak[column]!;
      let squares = 0;
      for (const x of planar) {
        for (let k = i; k < end; k++) {
          const v = x[k]!;
          squares += v * v;
          const a = v < 0 ? -v : v;
          if (a > peak) peak = a;
        }
      }
      this.peak[column] = peak;
      if (squares === squares) this.sumSquares[column]! += squares;
      this.count[column]! += (end - i) * planar.length;
      i = end;
    }
  }

  state(): OverviewState {
    return {
      columns: this.columns,
      totalFrames: this.totalFrames,
      peak: Array.from(this.peak),
      sumSquares: Array.from(this.sumSquares),
      count: Array.from(this.count),
    };
  }

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
