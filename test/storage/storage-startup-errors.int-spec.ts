/**
 * A bad storage setting stops the app at boot with a StorageConnectionError that names the
 * option and its environment variable, the target with its password masked, and a hint; against
 * the real local MariaDB, PostgreSQL and Redis, with URLs that are wrong in each way a user gets them wrong.
 * A MySQL or PostgreSQL URL without a database is refused earlier, by option validation.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import {
  ConfigurationError,
  QuickBooksAuthModule,
  StorageConnectionError,
  quickBooksOptionsFromEnv,
  type QuickBooksAuthModuleOptions,
  type StorageOptions,
} from '@quickbooks-auth/nestjs';
import { POSTGRES_BASE_URL } from '../support/postgres';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

const PASSWORD = `canary-db-password-${Math.random().toString(36).slice(2, 10)}`;
const mysqlAt = (path: string) => new URL(path, process.env.DATABASE_URL).toString();
const postgresAt = (path: string) => new URL(path, POSTGRES_BASE_URL).toString();

function options(storage: StorageOptions): QuickBooksAuthModuleOptions {
  return {
    ...TEST_CLIENT,
    encryptionKeys: testKeyRing('k1'),
    stateSecret: testStateSecret(),
    storage,
    intuitBaseUrl: 'http://127.0.0.1:9',
    scheduler: { enabled: false },
  };
}

/** Boots the module the way a host does; resolves to what start-up threw. */
async function bootError(storage: StorageOptions): Promise<Error> {
  try {
    const moduleRef = await Test.createTestingModule({ imports: [QuickBooksAuthModule.forRoot(options(storage))] }).compile();
    await moduleRef.close();
  } catch (err) {
    const everything = `${(err as Error).message}\n${(err as Error).stack}\n${JSON.stringify(err)}`;
    expect(everything).not.toContain(PASSWORD);
    return err as Error;
  }
  throw new Error('the module booted');
}

describe('storage start-up errors name the setting', () => {
  it('MySQL: unknown database → storage.url (DATABASE_URL), with the hint to create it', async () => {
    const url = mysqlAt('/qb_no_such_database');
    const err = await bootError({ type: 'typeorm', url });
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err).toMatchObject({ option: 'storage.url', envVariable: 'DATABASE_URL', target: url, code: 'storage_connection_failed' });
    expect(err.message).toContain("Unknown database 'qb_no_such_database'");
    expect(err.message).toContain('Check storage.url (DATABASE_URL)');
    expect(err.message).toContain('CREATE DATABASE');
  });

  it('MySQL: access denied → the URL with its password masked, never the password', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.password = PASSWORD;
    const err = (await bootError({ type: 'typeorm', url: url.toString() })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err.target).toContain(':****@');
    expect(err.reason).toMatch(/^ER_ACCESS_DENIED_ERROR: Access denied for user/);
    expect(err.hint).toContain('user and password');
  });

  it('MySQL: nothing listening → ECONNREFUSED with host and port to fix', async () => {
    const err = (await bootError({ type: 'typeorm', url: 'mysql://root@127.0.0.1:1/test' })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err.reason).toContain('ECONNREFUSED');
    expect(err.hint).toContain('host and port');
  });

  it('MySQL: a URL without a database is refused by validation, naming storage.url and DATABASE_URL', async () => {
    const noDatabase = mysqlAt('/');
    const err = await bootError({ type: 'typeorm', url: noDatabase });
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).problems).toContain(
      'storage.url (DATABASE_URL) must name a database: mysql://user:password@host:3306/<database>',
    );
    const fromEnv = () =>
      quickBooksOptionsFromEnv({
        QB_CLIENT_ID: 'id',
        QB_CLIENT_SECRET: 's',
        QB_REDIRECT_URI: 'https://a.example/cb',
        QB_ENCRYPTION_KEYS: testKeyRing('k1'),
        QB_STATE_SECRET: testStateSecret(),
        DATABASE_URL: noDatabase,
      });
    expect(fromEnv).toThrow(/DATABASE_URL\) must name a database/);
  });

  it('PostgreSQL: unknown database → storage.url (DATABASE_URL), password masked, with the hint to create it', async () => {
    // Trust auth accepts any password: the server refuses the database instead, and the password must still not leak.
    const url = new URL(postgresAt('/qb_no_such_database'));
    url.password = PASSWORD;
    const err = (await bootError({ type: 'typeorm', url: url.toString() })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err).toMatchObject({ option: 'storage.url', envVariable: 'DATABASE_URL', code: 'storage_connection_failed' });
    expect(err.target).toContain(':****@');
    expect(err.reason).toContain('3D000');
    expect(err.message).toContain('Check storage.url (DATABASE_URL)');
    expect(err.hint).toContain('CREATE DATABASE');
  });

  it('PostgreSQL: nothing listening → ECONNREFUSED with host and port to fix (postgresql:// too)', async () => {
    const err = (await bootError({ type: 'typeorm', url: 'postgresql://postgres@127.0.0.1:1/test' })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err.reason).toContain('ECONNREFUSED');
    expect(err.hint).toContain('host and port');
  });

  it('PostgreSQL: a URL without a database is refused by validation, naming storage.url and DATABASE_URL', async () => {
    const noDatabase = postgresAt('/');
    const err = await bootError({ type: 'typeorm', url: noDatabase });
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).problems).toContain(
      'storage.url (DATABASE_URL) must name a database: postgres://user:password@host:5432/<database>',
    );
    const fromEnv = () =>
      quickBooksOptionsFromEnv({
        QB_CLIENT_ID: 'id',
        QB_CLIENT_SECRET: 's',
        QB_REDIRECT_URI: 'https://a.example/cb',
        QB_ENCRYPTION_KEYS: testKeyRing('k1'),
        QB_STATE_SECRET: testStateSecret(),
        DATABASE_URL: noDatabase,
      });
    expect(fromEnv).toThrow(/DATABASE_URL\) must name a database/);
  });

  it('Redis: nothing listening → storage.url (REDIS_URL), ECONNREFUSED', async () => {
    const err = (await bootError({ type: 'redis', url: 'redis://127.0.0.1:1' })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err).toMatchObject({ option: 'storage.url', envVariable: 'REDIS_URL', target: 'redis://127.0.0.1:1' });
    expect(err.reason).toContain('ECONNREFUSED');
  });

  it('Redis: refused credentials → WRONGPASS, password masked', async () => {
    const url = new URL(process.env.REDIS_URL!);
    url.username = 'qb-no-such-user';
    url.password = PASSWORD;
    const err = (await bootError({ type: 'redis', url: url.toString() })) as StorageConnectionError;
    expect(err).toBeInstanceOf(StorageConnectionError);
    expect(err.reason).toContain('WRONGPASS');
    expect(err.target).toContain('qb-no-such-user:****@');
    expect(err.hint).toContain('credentials');
  });

  describe('file storage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qb-file-startup-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('a directory that cannot be created → storage.directory (QB_FILE_STORAGE_DIR)', async () => {
      const blocker = join(dir, 'a-file');
      writeFileSync(blocker, '');
      const err = (await bootError({ type: 'file', directory: join(blocker, 'tokens') })) as StorageConnectionError;
      expect(err).toBeInstanceOf(StorageConnectionError);
      expect(err).toMatchObject({ option: 'storage.directory', envVariable: 'QB_FILE_STORAGE_DIR', target: join(blocker, 'tokens') });
      expect(err.reason).toContain('ENOTDIR');
    });

    it('a directory this process may not write → the write refused, with the hint', async () => {
      const locked = join(dir, 'locked');
      mkdirSync(locked, { mode: 0o500 });
      // Root ignores mode bits; an immutable directory refuses even root (ext4, CAP_LINUX_IMMUTABLE).
      if (process.getuid?.() === 0) execFileSync('chattr', ['+i', locked]);
      try {
        const err = (await bootError({ type: 'file', directory: locked })) as StorageConnectionError;
        expect(err).toBeInstanceOf(StorageConnectionError);
        expect(err.reason).toMatch(/EACCES|EPERM/);
        expect(err.hint).toContain('may not write there');
        expect(err.message).toContain(`Check storage.directory (QB_FILE_STORAGE_DIR) = ${locked}`);
      } finally {
        if (process.getuid?.() === 0) execFileSync('chattr', ['-i', locked]);
      }
    });
  });
});
