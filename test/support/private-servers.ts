import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Throwaway MariaDB, PostgreSQL and Redis servers of our own, on random ports, so a suite can stop and
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
  execFileSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdio: 'ignore' },
  );
  const ping = ['--no-defaults', '-uroot', '-h127.0.0.1', `-P${port}`];
  let child: ChildProcess | null = null;
  const server: PrivateServer = {
    url: `mysql://root@127.0.0.1:${port}/test`,
    start: async () => {
      child = spawn(
        '/usr/sbin/mariadbd',
        [
          '--no-defaults',
          `--datadir=${dir}/data`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${dir}/sock`,
          '--user=root',
          '--innodb-buffer-pool-size=32M',
          '--skip-log-bin',
        ],
        { stdio: 'ignore' },
      );
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
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
        { stdio: 'ignore' },
      );
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

/** Debian's PostgreSQL binaries (/usr/lib/postgresql/<major>/bin), newest major first. */
function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!majors.length) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`);
  return join(root, majors[0], 'bin', name);
}

/**
 * PostgreSQL will not run as root: as root, the cluster belongs to the `postgres` user and its
 * commands run as that user through setpriv, which execs them (no wrapper process between us
 * and the server, so our signals reach it).
 */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

/** A PostgreSQL cluster of our own (initdb into a temp dir, trust auth), with database `test`. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'qb-postgres-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const data = join(dir, 'data');
  execFileSync(...asPostgresUser(postgresBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']), {
    stdio: 'ignore',
  });
  let child: ChildProcess | null = null;
  const server: PrivateServer = {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    start: async () => {
      const [cmd, args] = asPostgresUser(postgresBin('postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'shared_buffers=16MB',
      ]);
      child = spawn(cmd, args, { stdio: 'ignore' });
      await waitFor(() => runs(postgresBin('pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]), 'private PostgreSQL');
    },
    stop: async () => {
      if (!child) return;
      const c = child;
      child = null;
      c.kill('SIGINT'); // fast shutdown: open client connections are cut, committed work is on disk
      await exited(c);
    },
    destroy: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qc', 'CREATE DATABASE test'], {
    stdio: 'ignore',
  });
  return server;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}
