import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StemkitError } from '../errors.js';
import { colours, type Writer } from '../report/terminal.js';
import { defaultPeaksCacheDir } from '../server/peaks.js';
import { DEFAULT_PORT, loadPackages } from '../server/registry.js';
import { startStemServer, type StemServer } from '../server/server.js';
import { APP_FILES } from '../server/static.js';

/** Options of `stemkit serve`. */
export interface ServeCliOptions {
  port?: string;
  host?: string;
  open?: boolean;
  cacheDir?: string;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StemkitError('E_USAGE', `--port must be 0 to 65535, got ${text}`, { hint: 'e.g. --port 8377, or 0 for any free port' });
  return port;
}

/** Opens `url` in the user's browser, best effort (a headless box has none: the URL is printed anyway). */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * `stemkit serve <package|dir>`: serves the mixer until interrupted. Resolves with the exit code
 * once the server has closed (Ctrl-C); `started` receives the running server (tests stop it).
 */
export async function runServe(input: string, options: ServeCliOptions, out: Writer, started?: (server: StemServer) => void): Promise<number> {
  if (!existsSync(APP_FILES['app.js']!.path)) {
    throw new StemkitError('E_INTERNAL', 'the browser app is not built (dist/web is missing)', { hint: 'run npm run build' });
  }
  const packages = await loadPackages(input);
  const server = await startStemServer({ packages, port: parsePort(options.port), host: options.host ?? '127.0.0.1', peaksDir: options.cacheDir ?? defaultPeaksCacheDir() });
  const c = colours(out);
  const url = packages.length === 1 ? `${server.origin}/#${packages[0]!.id}` : `${server.origin}/`;
  out.write(`${c.bold('stemkit serve')}: ${packages.length} package(s): ${packages.map((p) => p.title).join(', ')}\n`);
  for (const p of packages) if (p.refused.length) out.write(`  ${p.id}: not served (outside the package folder): ${p.refused.join(', ')}\n`);
  out.write(`  open ${c.cyan(url)}   (Ctrl-C to stop)\n`);
  if (options.open) openBrowser(url);
  started?.(server);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    server.server.on('close', stop);
  });
  await server.close();
  return 0;
}
