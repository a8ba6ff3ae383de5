/** A number for a table cell: `digits` decimals, '-' for null, undefined or not finite. */
export const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** A target's verdict: 'n/a' when it could not be measured. */
export const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');

/**
 * Prints rows[0] as the header, a rule, then the other rows: the first `leftColumns` columns
 * left-aligned, the rest right-aligned, each as wide as its widest cell.
 */
export function printTable(rows: string[][], leftColumns = 1): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

/**
 * "  generating … N %" on a terminal, in steps of 10 %, for a fixture's onProgress (`show` false:
 * silent); end() moves past the line once anything was shown.
 */
export function generatingProgress(show = true): { onProgress: (done: number, total: number) => void; end: () => void } {
  let lastPct = -1;
  return {
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total / 10) * 10;
      if (pct !== lastPct && show && process.stdout.isTTY) {
        lastPct = pct;
        process.stdout.write(`  generating … ${pct} %\r`);
      }
    },
    end: () => {
      if (process.stdout.isTTY && lastPct >= 0) process.stdout.write('\n');
    },
  };
}
