/** Terminal output helpers: colour only on a TTY (and never with NO_COLOR), aligned tables. */
import { toStemkitError } from '../errors.js';

export { errorJson } from '../errors.js';

/** Where terminal output goes: process.stdout, process.stderr, or anything with their `write`. */
export interface Writer {
  /** Writes `text` as given; the result is ignored. */
  write(text: string): unknown;
  /** True for a terminal: only then is output coloured (and never with NO_COLOR). */
  isTTY?: boolean;
}

/** Whether output to `stream` gets colours: a TTY, and NO_COLOR unset. */
export function wantsColour(stream: Writer): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** ANSI styles, or identity functions when `target` (a stream, or a decision) is not coloured. */
export function colours(target: Writer | boolean) {
  const on = typeof target === 'boolean' ? target : wantsColour(target);
  const wrap = (code: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap(1), dim: wrap(2), red: wrap(31), green: wrap(32), yellow: wrap(33), cyan: wrap(36) };
}

/** Columns padded to their widest cell; `right` lists columns to right-align (numbers). */
export function table(rows: string[][], right: number[] = []): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => visible(r[c] ?? '')))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => {
          const pad = ' '.repeat(widths[c]! - visible(cell));
          return right.includes(c) ? pad + cell : c === r.length - 1 ? cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One-line error for users: code, message, hint; for an internal error, its stack with STEMKIT_DEBUG=1. */
export function formatError(failure: unknown, stream: Writer): string {
  const c = colours(stream);
  const err = toStemkitError(failure);
  if (err.code !== 'E_INTERNAL') return `${c.red('error')} ${c.bold(err.code)}: ${err.message}\n  ${c.dim('hint:')} ${err.hint}\n`;
  const stack = (err.cause instanceof Error ? err.cause : err).stack;
  const debug = process.env.STEMKIT_DEBUG === '1' ? `\n${stack}` : `\n  ${c.dim('run with STEMKIT_DEBUG=1 to see where, and add the output to your report')}`;
  return `${c.red('internal error')} ${c.bold(err.code)}: ${err.message}\n  ${c.dim('hint:')} ${err.hint}${debug}\n`;
}


