import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { TypeOrmStorageOptions } from '../storage-options.interface';
import { ConfigurationError } from '../../../errors/configuration.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import { QUICKBOOKS_AUTH_ENTITIES } from './quickbooks-auth.entities';
import { parseDatabaseUrl } from './database-url';
import { TypeOrmTokenStorage } from './typeorm-token-storage';
import { runStartupMigrations } from '../../../migrations/startup-migrations';
import { TypeOrmStateNonceStore } from './typeorm-state-nonce.store';
import type { StorageHandle } from '../storage-handle';

/**
 * TypeORM storage on the host's DataSource (recommended: one pool), or on one the module opens
 * from a MySQL or PostgreSQL URL or a SQLite path, migrated at startup unless `migrationsRun: false`.
 */
export async function createTypeOrmStorage(s: TypeOrmStorageOptions, cipher: TokenCipher): Promise<StorageHandle> {
  if (s.dataSource) {
    if (!s.dataSource.isInitialized) await s.dataSource.initialize();
    // The host usually runs migrations itself (QUICKBOOKS_AUTH_*_MIGRATIONS); opt in to run them here.
    if (s.migrationsRun === true) await runStartupMigrations(s.dataSource);
    return {
      storage: new TypeOrmTokenStorage(s.dataSource, cipher),
      nonces: new TypeOrmStateNonceStore(s.dataSource),
      dispose: async () => undefined,
    };
  }
  let options: DataSourceOptions;
  if (s.url) {
    const parsed = parseDatabaseUrl(s.url, 'storage.url');
    if ('problem' in parsed) throw new ConfigurationError([parsed.problem]);
    options = parsed.driver === 'postgres' ? postgresOptions(parsed.url) : mysqlOptions(parsed.url);
  } else if (s.sqlitePath) {
    mkdirSync(dirname(s.sqlitePath), { recursive: true, mode: 0o700 });
    // WAL + busy timeout: the scheduler and request handlers write from one process without SQLITE_BUSY.
    options = {
      type: 'better-sqlite3',
      database: s.sqlitePath,
      entities: [...QUICKBOOKS_AUTH_ENTITIES],
      enableWAL: true,
      prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
        db.pragma('busy_timeout = 5000');
      },
    };
  } else {
    throw new ConfigurationError(['storage needs a dataSource, url or sqlitePath for typeorm storage']);
  }
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    if (s.migrationsRun !== false) await runStartupMigrations(dataSource);
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return {
    storage: new TypeOrmTokenStorage(dataSource, cipher),
    nonces: new TypeOrmStateNonceStore(dataSource),
    dispose: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

/** The module's own MySQL/MariaDB pool: UTC, BIGINT as numbers where exact. */
function mysqlOptions(url: string): DataSourceOptions {
  return {
    type: 'mysql',
    url,
    entities: [...QUICKBOOKS_AUTH_ENTITIES],
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    extra: { connectionLimit: 10 },
  };
}

/**
 * The module's own PostgreSQL pool (pg): 10 clients like the MySQL pool; a bounded connect so a
 * dead server fails start-up instead of hanging it. No extensions: the schema needs none.
 */
function postgresOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [...QUICKBOOKS_AUTH_ENTITIES],
    installExtensions: false,
    connectTimeoutMS: 10_000,
    extra: { max: 10 },
  };
}
