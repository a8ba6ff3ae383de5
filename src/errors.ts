/**
 * Every failure a user can cause surfaces as a StemkitError: a stable code for scripts,
 * the file it concerns, and a one-line hint that says what to do about it. Anything else that
 * escapes (a bug) is reported as E_INTERNAL, the same way on every thread.
 */
export const ERROR_CODES = {
  E_IO: 'the operating system refused (permissions, missing file, directory, full disk)',
  E_EMPTY: 'a zero-byte file',
  E_NOT_AUDIO: 'no audio container signature at all',
  E_UNSUPPORTED: 'a real audio format stemkit does not read (yet)',
  E_TRUNCATED: 'the file ends before its headers or declared audio do',
  E_BAD_HEADER: 'headers are present but inconsistent or absurd',
  E_BAD_DATA: 'the audio payload itself is corrupt (e.g. FLAC frame errors)',
  E_NON_FINITE: 'NaN or ±Infinity samples where audio must be finite (a track going into render)',
  E_USAGE: 'a bad argument or option from the caller',
  E_SESSION: 'a session file that does not validate (every problem listed with its path)',
  E_ABORTED: 'a write was abandoned before commit, or a job stopped because another part failed',
  E_INTERNAL: 'a failure that is none of the above: a bug in stemkit (report it)',
} as const;

/** A StemkitError's stable code: one of ERROR_CODES' keys. */
export type StemkitErrorCode = keyof typeof ERROR_CODES;

/** The hint of every E_INTERNAL error. */
export const INTERNAL_HINT = 'this is a bug in stemkit; report it';

/** A StemkitError as JSON (`toJSON`), the form in which it crosses a worker boundary (`fromJSON`). */
export interface StemkitErrorJson {
  /** What kind of failure, for scripts: one of ERROR_CODES. */
  code: StemkitErrorCode;
  /** What went wrong, in one line for a person. */
  message: string;
  /** The file concerned; absent when the failure is not about one file. */
  file?: string;
  /** What to do about it, in one line. */
  hint: string;
}

/** A failure as reports give it: the file is the report entry's own. */
export type ErrorReport = Omit<StemkitErrorJson, 'file'>;

export function isErrorCode(value: unknown): value is StemkitErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** A failure the user can cause or fix: a stable code (one of ERROR_CODES), the file it concerns, and a hint. */
export class StemkitError extends Error {
  /** Always "StemkitError": what stack traces and logs print before the message. */
  override readonly name = 'StemkitError';
  /** What kind of failure, for scripts: one of ERROR_CODES. */
  readonly code: StemkitErrorCode;
  /** The file concerned; undefined when the failure is not about one file. */
  readonly file: string | undefined;
  /** What to do about it, in one line. */
  readonly hint: string;

  /** `options.cause` becomes the Error's `cause`: the failure behind this one (e.g. the fs error). */
  constructor(code: StemkitErrorCode, message: string, options: { file?: string; hint: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.hint = options.hint;
  }

  /** The error as plain JSON (code, message, hint, and file when there is one): what a worker posts and fromJSON reads back. */
  toJSON(): StemkitErrorJson {
    return { code: this.code, message: this.message, ...(this.file ? { file: this.file } : {}), hint: this.hint };
  }

  /**
   * The inverse of toJSON: the same error (code, message, file, hint) from its JSON, e.g. one a
   * worker thread posted. Throws a TypeError naming the fault when `json` is not such an object
   * (an unknown code, a field of the wrong type, or a key toJSON never writes).
   */
  static fromJSON(json: unknown, options: { cause?: unknown } = {}): StemkitError {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new TypeError(`a StemkitError's JSON must be an object, got ${describe(json)}`);
    const o = json as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !['code', 'message', 'file', 'hint'].includes(k));
    if (extra.length) throw new TypeError(`a StemkitError's JSON has no ${extra.join(', ')}`);
    if (!isErrorCode(o.code)) throw new TypeError(`a StemkitError's code must be one of ${Object.keys(ERROR_CODES).join(', ')}, got ${describe(o.code)}`);
    for (const key of ['message', 'hint'] as const) {
      if (typeof o[key] !== 'string') throw new TypeError(`a StemkitError's ${key} must be a string, got ${describe(o[key])}`);
    }
    if (o.file !== undefined && (typeof o.file !== 'string' || o.file === '')) throw new TypeError(`a StemkitError's file must be a non-empty string, got ${describe(o.file)}`);
    return new StemkitError(o.code, o.message as string, { hint: o.hint as string, ...(o.file !== undefined ? { file: o.file as string } : {}), ...options });
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

/** Whether `e` is a StemkitError (an instance of this class). */
export function isStemkitError(e: unknown): e is StemkitError {
  return e instanceof StemkitError;
}

/** Maps a Node fs error to a StemkitError so no errno object ever reaches the user. */
export function fromFsError(err: unknown, file: string): StemkitError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new StemkitError('E_IO', `no such file: ${file}`, { file, hint: 'check the path and its spelling', cause: err });
    case 'EISDIR':
      return new StemkitError('E_IO', `is a directory, not an audio file: ${file}`, {
        file,
        hint: 'pass the audio files inside the folder, not the folder itself',
        cause: err,
      });
    case 'ENOSPC':
      return new StemkitError('E_IO', `the disk is full: ${file}`, { file, hint: 'free some disk space and run again', cause: err });
    case 'EROFS':
      return new StemkitError('E_IO', `read-only file system: ${file}`, { file, hint: 'write to a folder on a writable disk', cause: err });
    case 'EACCES':
    case 'EPERM':
      return new StemkitError('E_IO', `permission denied: ${file}`, { file, hint: 'make the file readable (chmod +r)', cause: err });
    default:
      return new StemkitError('E_IO', `cannot read ${file}: ${(err as Error)?.message ?? String(err)}`, {
        file,
        hint: 'check that the file exists and is readable',
        cause: err,
      });
  }
}

/**
 * A file-system error from Node (it carries an errno code and a path) as the typed error it is: the
 * user's disk, folder or permissions, never "a bug". The same mapping on every thread, so a failure
 * reads the same whether a worker or the main thread met it. Anything else stays as it is.
 */
export function asStemkitError(err: unknown): unknown {
  if (err instanceof StemkitError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.path === 'string') return fromFsError(err, e.path);
  return err;
}

/**
 * Any failure as a StemkitError: typed errors as they are, Node file-system errors as E_IO
 * (asStemkitError), and anything else — only then — as E_INTERNAL with the "this is a bug" hint and
 * the original as its cause. Workers post this error's toJSON, so a failure reads the same on any thread.
 */
export function toStemkitError(failure: unknown): StemkitError {
  const err = asStemkitError(failure);
  if (err instanceof StemkitError) return err;
  const message = (err as Error | undefined)?.message;
  return new StemkitError('E_INTERNAL', typeof message === 'string' ? message : String(err), { hint: INTERNAL_HINT, cause: err });
}

/** The JSON shape of any failure, for reports: typed errors keep their code, anything else is E_INTERNAL. */
export function errorJson(failure: unknown): ErrorReport {
  const { file: _file, ...json } = toStemkitError(failure).toJSON();
  return json;
}
