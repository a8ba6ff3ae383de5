import { StemkitError } from '../errors.js';

/**
 * Random access to the bytes of one audio file, wherever they are: a file (RangeFile, Node), an
 * ArrayBuffer, a Blob, or a URL read with HTTP Range requests. Every reader (WAV, RF64, AIFF,
 * FLAC) parses its headers and reads its audio through this interface only.
 */
export interface ByteSource {
  /** What messages call the file (its path, URL or given name). */
  readonly path: string;
  /** Total bytes. */
  readonly size: number;
  /** Bytes [offset, offset + length) clipped to the end; for header-sized reads (cached). */
  bytes(offset: number, length: number): Promise<Uint8Array>;
  /** Fills `target` from `offset`; returns the bytes read (fewer only at the end). */
  readInto(target: Uint8Array, offset: number): Promise<number>;
  /** Drops the header cache once the headers are parsed. */
  forgetHeaderBytes(): void;
  /** Releases what the source holds (a file handle); no reads afterwards. */
  close(): Promise<void>;
}

/** Header reads go through a cache of at least this many bytes: walking many small chunks costs one read. */
const HEADER_READ_BYTES = 65536;

/** bytes() over readInto() with a one-window cache, for sources where each read has a cost. */
export abstract class CachedByteSource implements ByteSource {
  private cache = new Uint8Array(0);
  private cacheStart = 0;
  /** What messages call the file (its path, URL or given name). */
  abstract readonly path: string;
  /** Total bytes. */
  abstract readonly size: number;
  /** Fills `target` from `offset`; returns the bytes read (fewer only at the end). Every read of the source goes through it. */
  abstract readInto(target: Uint8Array, offset: number): Promise<number>;
  /** Releases what the source holds; no reads afterwards. */
  abstract close(): Promise<void>;

  /** Bytes [offset, offset + length) clipped to the end, from the cache when it holds them, else through a new window of at least 64 KiB from `offset`. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.size);
    if (offset >= end) return new Uint8Array(0);
    if (offset >= this.cacheStart && end <= this.cacheStart + this.cache.length) {
      return this.cache.subarray(offset - this.cacheStart, end - this.cacheStart);
    }
    const buf = new Uint8Array(Math.min(Math.max(end - offset, HEADER_READ_BYTES), this.size - offset));
    const got = await this.readInto(buf, offset);
    this.cache = buf.subarray(0, got);
    this.cacheStart = offset;
    return this.cache.subarray(0, Math.min(end - offset, got));
  }

  /** Drops the cached window once the headers are parsed. */
  forgetHeaderBytes(): void {
    this.cache = new Uint8Array(0);
    this.cacheStart = 0;
  }
}

/** Bytes already in memory (a decoded upload, a test fixture, a file read whole). */
export class MemoryBytes implements ByteSource {
  private readonly data: Uint8Array;

  constructor(
    data: ArrayBuffer | Uint8Array,
    /** What messages call the file; default "memory". */
    readonly path = 'memory',
  ) {
    this.data = data instanceof Uint8Array ? data : new Uint8Array(data);
  }

  /** Total bytes. */
  get size(): number {
    return this.data.length;
  }

  /** Bytes [offset, offset + length) clipped to the end: a view of the data, not a copy. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    return this.data.subarray(Math.min(offset, this.size), Math.min(offset + length, this.size));
  }

  /** Copies into `target` from `offset`; returns the bytes copied (fewer only at the end). */
  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const part = this.data.subarray(Math.min(offset, this.size), Math.min(offset + target.length, this.size));
    target.set(part);
    return part.length;
  }

  /** Nothing to drop: there is no cache. */
  forgetHeaderBytes(): void {}

  /** Nothing to release: the data stays the caller's. */
  async close(): Promise<void> {}
}

/** A Blob or File (a browser's drag and drop, an upload), read slice by slice. */
export class BlobBytes extends CachedByteSource {
  constructor(
    private readonly blob: Blob,
    /** What messages call the file; default "blob". */
    readonly path = 'blob',
  ) {
    super();
  }

  /** The Blob's size in bytes. */
  get size(): number {
    return this.blob.size;
  }

  /** Reads a slice of the Blob into `target` from `offset`; returns the bytes read (fewer only at the end). */
  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const part = new Uint8Array(await this.blob.slice(offset, Math.min(offset + target.length, this.size)).arrayBuffer());
    target.set(part);
    return part.length;
  }

  /** Nothing to release: the Blob stays the caller's. */
  async close(): Promise<void> {}
}

/**
 * A file on an HTTP server that honours Range requests (any static server, `stemkit serve`):
 * only the bytes asked for cross the network. open() learns the size from a first ranged request.
 */
export class HttpBytes extends CachedByteSource {
  private constructor(
    /** The URL. */
    readonly path: string,
    /** Total bytes, as the server's Content-Range gave them. */
    readonly size: number,
    private readonly fetcher: typeof fetch,
  ) {
    super();
  }

  /** Opens `url` with one ranged request for its first byte; E_UNSUPPORTED when the server ignores ranges. `options.fetch` replaces the global fetch. */
  static async open(url: string, options: { fetch?: typeof fetch } = {}): Promise<HttpBytes> {
    const fetcher = options.fetch ?? fetch;
    const response = await HttpBytes.get(fetcher, url, 0, 0);
    const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
    await response.body?.cancel();
    if (response.status !== 206 || total === undefined) {
      throw new StemkitError('E_UNSUPPORTED', `${url}: the server does not answer Range requests (HTTP ${response.status})`, {
        file: url,
        hint: 'serve the file from a server that supports byte ranges (HTTP 206), or download it first',
      });
    }
    return new HttpBytes(url, Number(total), fetcher);
  }

  private static async get(fetcher: typeof fetch, url: string, first: number, last: number): Promise<Response> {
    let response: Response;
    try {
      response = await fetcher(url, { headers: { Range: `bytes=${first}-${last}` } });
    } catch (err) {
      throw new StemkitError('E_IO', `${url}: ${(err as Error).message}`, { file: url, hint: 'check the URL and that the server is reachable', cause: err });
    }
    if (response.status === 404) throw new StemkitError('E_IO', `no such file: ${url} (HTTP 404)`, { file: url, hint: 'check the URL' });
    if (!response.ok && response.status !== 416) throw new StemkitError('E_IO', `${url}: HTTP ${response.status}`, { file: url, hint: 'check the URL and the server' });
    return response;
  }

  /** Fetches bytes [offset, offset + target.length) with one Range request into `target`; returns the bytes read (fewer only at the end). */
  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const end = Math.min(offset + target.length, this.size);
    if (end <= offset) return 0;
    const response = await HttpBytes.get(this.fetcher, this.path, offset, end - 1);
    const body = new Uint8Array(await response.arrayBuffer());
    // A server that ignores Range sends the whole file (200): take the part asked for.
    const part = response.status === 206 ? body.subarray(0, end - offset) : body.subarray(offset, end);
    target.set(part);
    return part.length;
  }

  /** Nothing to release: every read is a request of its own. */
  async close(): Promise<void> {}
}
