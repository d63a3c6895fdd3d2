import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import type { TokenStorage } from '../auth/storage/token-storage.interface';

/** TypeORM on MySQL/MariaDB or SQLite: pass the host's DataSource, or a URL/path and the module opens its own. */
export interface TypeOrmStorageOptions {
  type: 'typeorm';
  /** The host's DataSource (recommended: reuses its pool). Must have the module's entity/migrations. */
  dataSource?: DataSource;
  /** `mysql://user:pass@host:3306/db` — the module opens and closes its own DataSource. */
  url?: string;
  /** SQLite file (embedded default) — the module opens its own DataSource. */
  sqlitePath?: string;
  /**
   * Run the module's migrations at startup: default true on a DataSource the module opened,
   * false on the host's (list QUICKBOOKS_AUTH_MYSQL_MIGRATIONS in its `migrations`, or set true).
   */
  migrationsRun?: boolean;
}

export interface RedisStorageOptions {
  type: 'redis';
  client?: Redis;
  url?: string;
  keyPrefix?: string;
}

export interface FileStorageOptions {
  type: 'file';
  directory: string;
}

export interface MemoryStorageOptions {
  type: 'memory';
}

/** Bring your own TokenStorage implementation (it must pass test/conformance). */
export interface CustomStorageOptions {
  type: 'custom';
  storage: TokenStorage;
}

export type StorageOptions =
  | TypeOrmStorageOptions
  | RedisStorageOptions
  | FileStorageOptions
  | MemoryStorageOptions
  | CustomStorageOptions;
