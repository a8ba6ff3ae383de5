import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkPackage } from '../check/check.js';
import { loadNodeKernels } from '../engine/kernels.js';
import { WorkerPool } from '../engine/pool.js';
import type { CheckReport } from '../check/types.js';
import { PEAK_LEVELS, PeaksCache } from './peaks.js';
import { sendFile } from './range.js';
import { describePackage, type ServedPackage } from './registry.js';
import { APP_FILES } from './static.js';

/** Options of createStemServer. */
export interface StemServerOptions {
  /** The packages to serve (loadPackages). */
  packages: ServedPackage[];
  /** Where waveform peaks are cached (default: the user's cache folder). */
  peaksDir?: string;
  /**
   * Send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer rings). Default true;
   * false exercises the engine's postMessage fallback.
   */
  isolate?: boolean;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A running server. */
export interface StemServer {
  server: Server;
  /** http://host:port */
  origin: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The HTTP face of `stemkit serve`. Routes (GET and HEAD only):
 *   /  /app/<file>                 the app (a fixed list of files)
 *   /api/packages                  what is served
 *   /pkg/<id>/file/<path>          an allow-listed file of the package, by Range
 *   /pkg/<id>/manifest.json        stemkit.json
 *   /pkg/<id>/report.json          the check report (computed on first request, kept)
 *   /pkg/<id>/peaks/<n>-<spp>.dat  track n's waveform peaks, audiowaveform .dat v2
 * Everything else is 404. Paths are looked up, never joined onto the filesystem.
 */
export function startStemServer(options: StemServerOptions): Promise<StemServer> {
  const isolate = options.isolate ?? true;
  // Measuring on this thread would stall the range reads that feed playback (an underrun in every
  // open mixer): the check and the peaks run on one worker thread (the other core plays).
  let pool: WorkerPool | null = null;
  const worker = () => (pool ??= new WorkerPool(1));
  const peaks = new PeaksCache(options.peaksDir, worker);
  const byId = new Map(options.packages.map((p) => [p.id, p]));
  const reports = new Map<string, Promise<CheckReport>>();
  let allowedHosts: Set<string> = new Set();

  const headers = (): Record<string, string> => ({
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
  });
  const notFound = (res: ServerResponse) => void res.writeHead(404, { ...headers(), 'Content-Type': 'text/plain' }).end('not found\n');
  const json = (res: ServerResponse, body: unknown) => void res.writeHead(200, { ...headers(), 'Content-Type': JSON_TYPE }).end(JSON.stringify(body));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { ...headers(), Allow: 'GET, HEAD' }).end();
    // DNS rebinding: a page from elsewhere that points its own name at 127.0.0.1 sends its own Host.
    if (allowedHosts.size > 0 && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) return void res.writeHead(421, headers()).end();
    const raw = req.url ?? '/';
    if (!raw.startsWith('/')) return notFound(res);
    const pathname = raw.split('?')[0]!;
    // Segments as sent (the URL is not normalised: "..", "%2e%2e" and "%2f" stay what they are).
    const segments = pathname.split('/').slice(1);
    let decoded: string[];
    try {
      decoded = segments.map((s) => decodeURIComponent(s));
    } catch {
      return notFound(res);
    }
    if (decoded.some((s) => s.includes('\0'))) return notFound(res);
    if (pathname === '/' || pathname === '/index.html') return sendFile(req, res, APP_FILES['index.html']!.path, APP_FILES['index.html']!.type, headers());
    if (decoded[0] === 'app' && decoded.length === 2 && Object.hasOwn(APP_FILES, decoded[1]!)) {
      const file = APP_FILES[decoded[1]!]!;
      return sendFile(req, res, file.path, file.type, headers());
    }
    if (pathname === '/api/packages') return json(res, { packages: options.packages.map(describePackage), peakLevels: PEAK_LEVELS });
    if (decoded[0] !== 'pkg' || decoded.length < 3) return notFound(res);
    const pkg = byId.get(decoded[1]!);
    if (!pkg) return notFound(res);
    const what = decoded[2];
    if (what === 'file') {
      const real = pkg.files.get(decoded.slice(3).join('/'));
      if (!real) return notFound(res);
      return sendFile(req, res, real, /\.flac$/i.test(real) ? 'audio/flac' : /\.json$/i.test(real) ? JSON_TYPE : /\.aif[fc]?$/i.test(real) ? 'audio/aiff' : 'audio/wav', headers());
    }
    if (what === 'manifest.json' && decoded.length === 3) {
      const real = pkg.files.get('stemkit.json');
      return real ? sendFile(req, res, real, JSON_TYPE, headers()) : notFound(res);
    }
    if (what === 'report.json' && decoded.length === 3) {
      let report = reports.get(pkg.id);
      if (!report) reports.set(pkg.id, (report = loadNodeKernels().then(() => checkPackage(pkg.discovered, { pool: worker() }))));
      try {
        return json(res, await report);
      } catch (err) {
        reports.delete(pkg.id);
        return void res.writeHead(500, { ...headers(), 'Content-Type': JSON_TYPE }).end(JSON.stringify({ error: (err as Error).message }));
      }
    }
    const peak = what === 'peaks' && decoded.length === 4 ? /^(\d+)-(\d+)\.dat$/.exec(decoded[3]!) : null;
    if (peak) {
      const track = pkg.tracks[Number(peak[1])];
      const spp = Number(peak[2]);
      if (!track || !(PEAK_LEVELS as readonly number[]).includes(spp)) return notFound(res);
      const body = await peaks.get(pkg.files.get(track.file)!, spp);
      return void res.writeHead(200, { ...headers(), 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body);
    }
    return notFound(res);
  }

  const server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, headers()).end();
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  return new Promise<StemServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      // Loopback: only the names the user's own browser sends. Any other --host: the user chose to expose it.
      if (['127.0.0.1', 'localhost', '::1'].includes(host)) allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`]);
      resolve({
        server,
        origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            void pool?.close();
            server.close(() => done());
          }),
      });
    });
  });
}
