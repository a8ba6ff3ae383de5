import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's redis-server (`apt-get install -y redis-server`); CI's .ci/run installs it. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * Whether the queue tests can run here: a bare dev box without redis-server skips them, but CI
 * (CI=true) must never pass by skipping, so there a missing server fails.
 */
export const HAS_REDIS = ((): boolean => {
  if (existsSync(REDIS_SERVER)) return true;
  if (process.env.CI) throw new Error(`CI=true but ${REDIS_SERVER} is missing: .ci/run installs it (apt-get install redis-server)`);
  return false;
})();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A private redis-server on a free loopback port with its own temp folder. */
export interface TestRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM: with AOF, it writes its data first) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Starts redis-server; `aof` keeps every write on disk (appendfsync always) so a restart loses nothing. */
export async function startRedis(options: { aof?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stemkit-redis-'));
  let child: ChildProcess | null = null;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--logfile', join(dir, 'redis.log'), '--protected-mode', 'no'];
  args.push(...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  const start = async () => {
    child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await accepting(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port} (see ${join(dir, 'redis.log')})`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
