import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Throwaway MariaDB and Redis servers of our own, on random ports, so a suite can stop and
 * restart its store without disturbing the shared servers other suites use.
 */
export interface PrivateServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

function runs(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 2_000 });
    return true;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** A MariaDB of our own (mariadb-install-db into a temp dir), with database `test`. */
export async function startPrivateMariaDb(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'qb-mariadb-'));
  const port = await freePort();
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  const ping = ['--no-defaults', '-uroot', '-h127.0.0.1', `-P${port}`];
  let child: ChildProcess | null = null;
  const server: PrivateServer = {
    url: `mysql://root@127.0.0.1:${port}/test`,
    start: async () => {
      child = spawn('/usr/sbin/mariadbd', ['--no-defaults', `--datadir=${dir}/data`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${dir}/sock`, '--user=root', '--innodb-buffer-pool-size=32M', '--skip-log-bin'], { stdio: 'ignore' });
      await waitFor(() => runs('mariadb-admin', [...ping, 'ping']), 'private MariaDB');
    },
    stop: async () => {
      if (!child) return;
      const c = child;
      child = null;
      c.kill('SIGTERM');
      await exited(c);
    },
    destroy: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  execFileSync('mariadb', [...ping, '-e', 'CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin']);
  return server;
}

/** A Redis of our own with an fsync-always AOF (the durability the Redis backend documents). */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'qb-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const server: PrivateServer = {
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
      await waitFor(() => runs('redis-cli', ['-p', String(port), 'ping']), 'private Redis');
    },
    stop: async () => {
      if (!child) return;
      const c = child;
      child = null;
      c.kill('SIGTERM'); // SIGTERM: Redis finishes the AOF write and exits
      await exited(c);
    },
    destroy: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
