/**
 * Every failure a user can cause surfaces as a StemkitError: a stable code for scripts,
 * the file it concerns, and a one-line hint that says what to do about it.
 */
export type StemkitErrorCode =
  | 'E_IO' // the operating system refused (permissions, missing file, directory)
  | 'E_EMPTY' // a zero-byte file
  | 'E_NOT_AUDIO' // no audio container signature at all
  | 'E_UNSUPPORTED' // a real audio format stemkit does not read (yet)
  | 'E_TRUNCATED' // the file ends before its headers or declared audio do
  | 'E_BAD_HEADER' // headers are present but inconsistent or absurd
  | 'E_BAD_DATA' // the audio payload itself is corrupt (e.g. FLAC frame errors)
  | 'E_NON_FINITE' // NaN or ±Infinity samples where audio must be finite (a track going into render)
  | 'E_USAGE' // a bad argument or option from the caller
  | 'E_SESSION' // a session file that does not validate (every problem listed with its path)
  | 'E_ABORTED'; // a write was abandoned before commit

export class StemkitError extends Error {
  override readonly name = 'StemkitError';
  readonly code: StemkitErrorCode;
  readonly file: string | undefined;
  readonly hint: string;

  constructor(code: StemkitErrorCode, message: string, options: { file?: string; hint: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.hint = options.hint;
  }

  toJSON(): { code: StemkitErrorCode; message: string; file?: string; hint: string } {
    return { code: this.code, message: this.message, ...(this.file ? { file: this.file } : {}), hint: this.hint };
  }
}

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

/** The JSON shape of any failure, for reports: typed errors keep their code, anything else is E_INTERNAL. */
export function errorJson(failure: unknown): { code: string; message: string; hint: string } {
  const err = asStemkitError(failure);
  if (err instanceof StemkitError) return { code: err.code, message: err.message, hint: err.hint };
  return { code: 'E_INTERNAL', message: (err as Error)?.message ?? String(err), hint: 'this is a bug in stemkit; report it' };
}
