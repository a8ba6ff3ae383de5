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
  close(): Promise<void>;
}

/** Header reads go through a cache of at least this many bytes: walking many small chunks costs one read. */
const HEADER_READ_BYTES = 65536;

/** bytes() over readInto() with a one-window cache, for sources where each read has a cost. */
export abstract class CachedByteSource implements ByteSource {
  private cache = new Uint8Array(0);
  private cacheStart = 0;
  abstract readonly path: string;
  abstract readonly size: number;
  abstract readInto(target: Uint8Array, offset: number): Promise<number>;
  abstract close(): Promise<void>;

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
    readonly path = 'memory',
  ) {
    this.data = data instanceof Uint8Array ? data : new Uint8Array(data);
  }

  get size(): number {
    return this.data.length;
  }

  async bytes(offset: number, length: number): Promise<Uint8Array> {
    return this.data.subarray(Math.min(offset, this.size), Math.min(offset + length, this.size));
  }

  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const part = this.data.subarray(Math.min(offset, this.size), Math.min(offset + target.length, this.size));
    target.set(part);
    return part.length;
  }

  forgetHeaderBytes(): void {}

  async close(): Promise<void> {}
}

/** A Blob or File (a browser's drag and drop, an upload), read slice by slice. */
export class BlobBytes extends CachedByteSource {
  constructor(
    private readonly blob: Blob,
    readonly path = 'blob',
  ) {
    super();
  }

  get size(): number {
    return this.blob.size;
  }

  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const part = new Uint8Array(await this.blob.slice(offset, Math.min(offset + target.length, this.size)).arrayBuffer());
    target.set(part);
    return part.length;
  }

  async close(): Promise<void> {}
}

/**
 * A file on an HTTP server that honours Range requests (any static server, `stemkit serve`):
 * only the bytes asked for cross the network. open() learns the size from a first ranged request.
 */
export class HttpBytes extends CachedByteSource {
  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly fetcher: typeof fetch,
  ) {
    super();
  }

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

  async close(): Promise<void> {}
}
